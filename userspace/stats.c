// SPDX-License-Identifier: GPL-2.0
/*
 * sklookupctl stats: the namespace's counters summed, and with --prometheus every counter
 * in Prometheus' text exposition format (for node_exporter's textfile collector).
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/genetlink.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "sklookup.h"
#include "commands.h"
#include "nl.h"
#include "output.h"
#include "rule_codec.h"
#include "rule_format.h"
#include "util.h"

struct stats_rule {
	uint64_t hits;
	char label[SKL_LABEL_NAME_MAX];
	/* --prometheus: what names the rule's series, its comment or else its words. */
	char *series;
};

struct stats_label {
	char name[SKL_LABEL_NAME_MAX];
	uint64_t lookups, delivered, misses, sockets;
};

struct stats_hook {
	char name[64];
	const char *hook;
	uint64_t calls;
	bool has_calls;	/* counts of all namespaces: for the host's administrator only */
	bool active;
};

/* Everything one stats run collects before it prints. */
struct stats {
	struct stats_rule *rules;
	size_t nrules, rules_cap;
	struct stats_label *labels;
	size_t nlabels, labels_cap;
	struct stats_hook hooks[8];
	size_t nhooks;
	char version[32];
	bool prometheus;
	bool nomem;
};

/* Room for one more element of an array that grows by doubling; NULL when out of memory. */
static void *grow(void **array, size_t *count, size_t *cap, size_t size)
{
	void *bigger;

	if (*count == *cap) {
		bigger = realloc(*array, (*cap ? *cap * 2 : 16) * size);
		if (!bigger)
			return NULL;
		*array = bigger;
		*cap = *cap ? *cap * 2 : 16;
	}
	return memset((char *)*array + (*count)++ * size, 0, size);
}

static int rule_cb(const struct nlmsghdr *nlh, void *data)
{
	char words[RULE_WORDS_MAX];
	struct stats *st = data;
	struct stats_rule *r;
	struct skl_rule rule;

	r = grow((void **)&st->rules, &st->nrules, &st->rules_cap, sizeof(*r));
	if (!r) {
		st->nomem = true;
		return MNL_CB_ERROR;
	}
	rule_get_msg(nlh, &rule);
	r->hits = rule.hits;
	if (rule.action == SKL_ACTION_STEER)
		snprintf(r->label, sizeof(r->label), "%s", rule.label);
	if (st->prometheus) {
		r->series = strdup(rule.comment ? rule.comment :
				   rule_words(&rule, words, sizeof(words)));
		if (!r->series) {
			st->nomem = true;
			return MNL_CB_ERROR;
		}
	}
	return MNL_CB_OK;
}

/* A label's first message has its counters; the ones that go on with its sockets do not. */
static int label_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[SKL_A_LABEL_MAX + 1] = { 0 };
	struct attr_table t = { tb, SKL_A_LABEL_MAX };
	struct stats *st = data;
	const struct nlattr *attr;
	struct stats_label *l;
	const char *name;

	mnl_attr_parse(nlh, sizeof(struct genlmsghdr), table_cb, &t);
	name = tb[SKL_A_LABEL_NAME] ? mnl_attr_get_str(tb[SKL_A_LABEL_NAME]) : "";
	l = st->nlabels ? &st->labels[st->nlabels - 1] : NULL;
	if (!l || tb[SKL_A_LABEL_LOOKUPS] || strcmp(l->name, name)) {
		l = grow((void **)&st->labels, &st->nlabels, &st->labels_cap, sizeof(*l));
		if (!l) {
			st->nomem = true;
			return MNL_CB_ERROR;
		}
		snprintf(l->name, sizeof(l->name), "%s", name);
		l->lookups = get_u64(tb[SKL_A_LABEL_LOOKUPS]);
		l->delivered = get_u64(tb[SKL_A_LABEL_DELIVERED]);
		l->misses = get_u64(tb[SKL_A_LABEL_MISSES]);
	}
	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(attr) == SKL_A_LABEL_SOCKET)
			l->sockets++;
	}
	return MNL_CB_OK;
}

static const char *hook_name(uint8_t proto, uint8_t family)
{
	if (proto == IPPROTO_TCP)
		return family == AF_INET6 ? "tcp6" : "tcp4";
	return family == AF_INET6 ? "udp6" : "udp4";
}

static int status_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[SKL_A_HOOK_MAX + 1];
	struct attr_table t = { tb, SKL_A_HOOK_MAX };
	struct stats *st = data;
	struct stats_hook *h;
	struct nlattr *attr;

	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(attr) == SKL_A_STATUS_VERSION) {
			snprintf(st->version, sizeof(st->version), "%s", mnl_attr_get_str(attr));
			continue;
		}
		if (mnl_attr_get_type(attr) != SKL_A_STATUS_HOOK ||
		    st->nhooks == sizeof(st->hooks) / sizeof(st->hooks[0]))
			continue;
		memset(tb, 0, sizeof(tb));
		mnl_attr_parse_nested(attr, table_cb, &t);
		h = &st->hooks[st->nhooks++];
		snprintf(h->name, sizeof(h->name), "%s",
			 tb[SKL_A_HOOK_NAME] ? mnl_attr_get_str(tb[SKL_A_HOOK_NAME]) : "?");
		h->hook = hook_name(tb[SKL_A_HOOK_PROTO] ? mnl_attr_get_u8(tb[SKL_A_HOOK_PROTO]) : 0,
				    tb[SKL_A_HOOK_FAMILY] ?
				    mnl_attr_get_u8(tb[SKL_A_HOOK_FAMILY]) : 0);
		h->calls = get_u64(tb[SKL_A_HOOK_CALLS]);
		h->has_calls = tb[SKL_A_HOOK_CALLS];
		h->active = tb[SKL_A_HOOK_ACTIVE] && mnl_attr_get_u8(tb[SKL_A_HOOK_ACTIVE]);
	}
	return MNL_CB_OK;
}

static int collect(struct skl_nl *nl, struct stats *st)
{
	static const struct {
		uint8_t cmd;
		uint16_t flags;
		mnl_cb_t cb;
	} requests[] = {
		{ SKL_CMD_STATUS_GET, 0, status_cb },
		{ SKL_CMD_RULE_GET, NLM_F_DUMP, rule_cb },
		{ SKL_CMD_LABEL_GET, NLM_F_DUMP, label_cb },
	};
	size_t i;

	for (i = 0; i < sizeof(requests) / sizeof(requests[0]); i++) {
		struct nlmsghdr *nlh = skl_nl_request(nl, requests[i].cmd, requests[i].flags);

		if (skl_nl_run(nl, nlh, requests[i].cb, st) < 0) {
			if (st->nomem)
				skl_err("stats: out of memory");
			else
				skl_nl_perror(nl, "stats");
			return -1;
		}
	}
	return 0;
}

static void print_summary(const struct stats *st)
{
	uint64_t hits = 0, lookups = 0, delivered = 0, misses = 0;
	size_t i;

	for (i = 0; i < st->nrules; i++)
		hits += st->rules[i].hits;
	for (i = 0; i < st->nlabels; i++) {
		lookups += st->labels[i].lookups;
		delivered += st->labels[i].delivered;
		misses += st->labels[i].misses;
	}
	out_open_object(NULL);
	out_uint("rules", "rules %" PRIu64, st->nrules);
	out_uint("hits", " hits %" PRIu64 "\n", hits);
	out_uint("labels", "labels %" PRIu64, st->nlabels);
	out_uint("lookups", " lookups %" PRIu64, lookups);
	out_uint("delivered", " delivered %" PRIu64, delivered);
	out_uint("misses", " misses %" PRIu64 "\n", misses);
	if (st->nhooks && st->hooks[0].has_calls) {
		out_text("hook calls (all namespaces):");
		out_open_array("hooks");
		for (i = 0; i < st->nhooks; i++) {
			out_open_object(NULL);
			out_str("hook", " %s", st->hooks[i].hook);
			out_uint("calls", " %" PRIu64, st->hooks[i].calls);
			out_close_object();
		}
		out_close_array();
		out_text("\n");
	}
	out_close_object();
	out_finish();
}

/* A label value: backslash, double quote and newline escaped, as the format requires. */
static void prom_value(const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			printf("\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", stdout);
		else
			putchar(*s);
	}
}

static void prom_family(const char *name, const char *type, const char *help)
{
	printf("# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void prom_label_metric(const struct stats *st, const char *name, const char *help,
			      size_t offset)
{
	size_t i;

	prom_family(name, "counter", help);
	for (i = 0; i < st->nlabels; i++) {
		printf("%s{label=\"", name);
		prom_value(st->labels[i].name);
		printf("\"} %" PRIu64 "\n",
		       *(const uint64_t *)((const char *)&st->labels[i] + offset));
	}
}

static int cmp_series(const void *a, const void *b)
{
	const struct stats_rule *x = *(const struct stats_rule *const *)a;
	const struct stats_rule *y = *(const struct stats_rule *const *)b;
	int c = strcmp(x->series, y->series);

	return c ? c : strcmp(x->label, y->label);
}

/*
 * One series per rule, named by what stays when apply gives the rule a new id: its
 * comment, or else its words. Rules that share a comment (and label) are one series,
 * their hits added: a comment may name a group of rules, and a scrape must not hold one
 * series twice.
 */
static int print_rule_hits(const struct stats *st)
{
	const struct stats_rule **sorted;
	uint64_t hits;
	size_t i, j;

	prom_family("sklookup_rule_hits_total", "counter",
		    "Lookups the rules matched and decided, by the rule's comment or else its words.");
	sorted = malloc((st->nrules ? st->nrules : 1) * sizeof(*sorted));
	if (!sorted)
		return -1;
	for (i = 0; i < st->nrules; i++)
		sorted[i] = &st->rules[i];
	qsort(sorted, st->nrules, sizeof(*sorted), cmp_series);
	for (i = 0; i < st->nrules; i = j) {
		hits = 0;
		for (j = i; j < st->nrules && !cmp_series(&sorted[i], &sorted[j]); j++)
			hits += sorted[j]->hits;
		printf("sklookup_rule_hits_total{rule=\"");
		prom_value(sorted[i]->series);
		printf("\"");
		if (sorted[i]->label[0]) {
			printf(",label=\"");
			prom_value(sorted[i]->label);
			printf("\"");
		}
		printf("} %" PRIu64 "\n", hits);
	}
	free(sorted);
	return 0;
}

static int print_prometheus(const struct stats *st)
{
	uint64_t sockets = 0;
	size_t i;

	prom_family("sklookup_info", "gauge", "The loaded sklookup module's version.");
	printf("sklookup_info{version=\"");
	prom_value(st->version);
	printf("\"} 1\n");

	if (print_rule_hits(st) < 0)
		return -1;
	prom_label_metric(st, "sklookup_label_lookups_total",
			  "Rule matches that chose the label.",
			  offsetof(struct stats_label, lookups));
	prom_label_metric(st, "sklookup_label_delivered_total",
			  "Lookups answered with one of the label's sockets.",
			  offsetof(struct stats_label, delivered));
	prom_label_metric(st, "sklookup_label_misses_total",
			  "Rule matches for the label with no live socket to answer.",
			  offsetof(struct stats_label, misses));

	prom_family("sklookup_rules", "gauge", "Rules in this network namespace.");
	printf("sklookup_rules %zu\n", st->nrules);
	prom_family("sklookup_labels", "gauge", "Labels in this network namespace.");
	printf("sklookup_labels %zu\n", st->nlabels);
	for (i = 0; i < st->nlabels; i++)
		sockets += st->labels[i].sockets;
	prom_family("sklookup_sockets", "gauge",
		    "Sockets registered in this network namespace.");
	printf("sklookup_sockets %" PRIu64 "\n", sockets);

	if (st->nhooks && st->hooks[0].has_calls)
		prom_family("sklookup_hook_calls_total", "counter",
			    "Lookups the hooked kernel function saw, in all network namespaces.");
	for (i = 0; i < st->nhooks && st->hooks[i].has_calls; i++)
		printf("sklookup_hook_calls_total{hook=\"%s\",function=\"%s\"} %" PRIu64 "\n",
		       st->hooks[i].hook, st->hooks[i].name, st->hooks[i].calls);
	prom_family("sklookup_hook_active", "gauge", "Whether the hook is installed.");
	for (i = 0; i < st->nhooks; i++)
		printf("sklookup_hook_active{hook=\"%s\",function=\"%s\"} %d\n",
		       st->hooks[i].hook, st->hooks[i].name, st->hooks[i].active);
	out_flush();
	return 0;
}

int stats_main(int argc, char **argv)
{
	struct stats st = { 0 };
	bool prometheus = false;
	struct skl_nl nl;
	int ret = 0;
	size_t i;

	if (argc == 1 && !strcmp(argv[0], "--prometheus")) {
		prometheus = true;
	} else if (argc) {
		skl_err("stats: usage: stats [--prometheus]");
		return SKL_EXIT_USAGE;
	}
	if (prometheus && out_is_json()) {
		skl_err("stats: --prometheus and -j are two different formats: choose one");
		return SKL_EXIT_USAGE;
	}
	if (skl_nl_open(&nl) < 0)
		return SKL_EXIT_FAIL;
	st.prometheus = prometheus;
	if (collect(&nl, &st) < 0) {
		ret = SKL_EXIT_FAIL;
	} else if (prometheus && print_prometheus(&st) < 0) {
		skl_err("stats: out of memory");
		ret = SKL_EXIT_FAIL;
	} else if (!prometheus) {
		print_summary(&st);
	}
	skl_nl_close(&nl);
	for (i = 0; i < st.nrules; i++)
		free(st.rules[i].series);
	free(st.rules);
	free(st.labels);
	return ret;
}
