// SPDX-License-Identifier: GPL-2.0
/* sklookupctl add-rule, del-rule, flush: the namespace's rules. */
#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/genetlink.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "sklookup.h"
#include "addr.h"
#include "commands.h"
#include "nl.h"
#include "util.h"

struct rule_args {
	uint8_t proto;
	struct skl_prefix dst;
	struct skl_prefix src;
	int has_src;
	uint16_t port_lo, port_hi;
	unsigned int ifindex;
	uint8_t phase;
	uint8_t action;
	const char *label;
	uint32_t flags;
};

static int usage_error(const char *cmd, const char *what, const char *word, const char *why)
{
	if (word)
		skl_err("%s: %s '%s': %s", cmd, what, word, why);
	else
		skl_err("%s: %s", cmd, why);
	return SKL_EXIT_USAGE;
}

/* Parse the words after "add-rule". Returns 0 or an exit status. */
static int parse_rule(const char *where, int argc, char **argv, struct rule_args *r)
{
	const char *why;
	int i;

	memset(r, 0, sizeof(*r));
	r->port_hi = 65535;
	r->phase = SKL_PHASE_FIRST;
	for (i = 0; i < argc; i++) {
		const char *key = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(key, "drop")) {
			if (r->action)
				return usage_error(where, "", NULL, "give either label NAME or drop, once");
			r->action = SKL_ACTION_DROP;
			continue;
		}
		if (!strcmp(key, "noreuseport")) {
			r->flags |= SKL_RULE_F_NOREUSEPORT;
			continue;
		}
		if (strcmp(key, "proto") && strcmp(key, "dst") && strcmp(key, "src") &&
		    strcmp(key, "port") && strcmp(key, "dev") && strcmp(key, "phase") &&
		    strcmp(key, "label"))
			return usage_error(where, "unknown keyword", key,
					   "expected proto, dst, port, src, dev, phase, label, noreuseport or drop");
		if (!val)
			return usage_error(where, "missing value after", key, "give a value");
		i++;
		if (!strcmp(key, "proto")) {
			if (!strcmp(val, "tcp"))
				r->proto = IPPROTO_TCP;
			else if (!strcmp(val, "udp"))
				r->proto = IPPROTO_UDP;
			else
				return usage_error(where, "proto", val, "must be tcp or udp");
		} else if (!strcmp(key, "dst")) {
			if (skl_prefix_parse(val, &r->dst, &why))
				return usage_error(where, "dst", val, why);
		} else if (!strcmp(key, "src")) {
			if (skl_prefix_parse(val, &r->src, &why))
				return usage_error(where, "src", val, why);
			r->has_src = 1;
		} else if (!strcmp(key, "port")) {
			if (skl_port_range_parse(val, &r->port_lo, &r->port_hi, &why))
				return usage_error(where, "port", val, why);
		} else if (!strcmp(key, "dev")) {
			r->ifindex = if_nametoindex(val);
			if (!r->ifindex)
				return usage_error(where, "dev", val, "no such device");
		} else if (!strcmp(key, "phase")) {
			if (!strcmp(val, "first"))
				r->phase = SKL_PHASE_FIRST;
			else if (!strcmp(val, "specific"))
				r->phase = SKL_PHASE_SPECIFIC;
			else if (!strcmp(val, "fallback"))
				r->phase = SKL_PHASE_FALLBACK;
			else
				return usage_error(where, "phase", val,
						   "must be first, specific or fallback");
		} else {
			if (r->action)
				return usage_error(where, "", NULL, "give either label NAME or drop, once");
			if (!*val || strlen(val) >= SKL_LABEL_NAME_MAX)
				return usage_error(where, "label", val, "must be 1 to 63 bytes");
			r->action = SKL_ACTION_STEER;
			r->label = val;
		}
	}
	if (!r->proto)
		return usage_error(where, "", NULL, "missing proto tcp|udp");
	if (!r->dst.family)
		return usage_error(where, "", NULL, "missing dst PREFIX");
	if (!r->action)
		return usage_error(where, "", NULL, "missing label NAME or drop");
	if (r->has_src && r->src.family != r->dst.family)
		return usage_error(where, "src", NULL, "src and dst must be of one address family");
	if ((r->flags & SKL_RULE_F_NOREUSEPORT) && r->action != SKL_ACTION_STEER)
		return usage_error(where, "", NULL, "noreuseport goes with label NAME");
	return 0;
}

/* One attribute per field of @r. */
static void put_rule(struct nlmsghdr *nlh, const struct rule_args *r)
{
	size_t alen = r->dst.family == AF_INET ? 4 : 16;

	mnl_attr_put_u8(nlh, SKL_A_RULE_PROTO, r->proto);
	mnl_attr_put_u8(nlh, SKL_A_RULE_FAMILY, r->dst.family);
	mnl_attr_put(nlh, SKL_A_RULE_DST, alen, r->dst.addr.bytes);
	mnl_attr_put_u8(nlh, SKL_A_RULE_DST_PREFIXLEN, r->dst.len);
	if (r->has_src) {
		mnl_attr_put(nlh, SKL_A_RULE_SRC, alen, r->src.addr.bytes);
		mnl_attr_put_u8(nlh, SKL_A_RULE_SRC_PREFIXLEN, r->src.len);
	}
	mnl_attr_put_u16(nlh, SKL_A_RULE_PORT_MIN, r->port_lo);
	mnl_attr_put_u16(nlh, SKL_A_RULE_PORT_MAX, r->port_hi);
	if (r->ifindex)
		mnl_attr_put_u32(nlh, SKL_A_RULE_IFINDEX, r->ifindex);
	mnl_attr_put_u8(nlh, SKL_A_RULE_PHASE, r->phase);
	mnl_attr_put_u8(nlh, SKL_A_RULE_ACTION, r->action);
	if (r->label)
		mnl_attr_put_strz(nlh, SKL_A_RULE_LABEL, r->label);
	if (r->flags)
		mnl_attr_put_u32(nlh, SKL_A_RULE_FLAGS, r->flags);
}

/* A reply that carries one number: which attribute, its width, and where it goes. */
struct number_reply {
	uint16_t type;
	enum mnl_attr_data_type width;	/* MNL_TYPE_U32 or MNL_TYPE_U64 */
	uint64_t value;
};

static int number_cb(const struct nlmsghdr *nlh, void *data)
{
	struct number_reply *want = data;
	struct nlattr *attr;

	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(attr) != want->type ||
		    mnl_attr_validate(attr, want->width) < 0)
			continue;
		want->value = want->width == MNL_TYPE_U64 ? mnl_attr_get_u64(attr) :
							    mnl_attr_get_u32(attr);
	}
	return MNL_CB_OK;
}

int add_rule_main(int argc, char **argv)
{
	struct nlmsghdr *nlh;
	struct number_reply id = { SKL_A_RULE_ID, MNL_TYPE_U64, 0 };
	struct rule_args r;
	struct skl_nl nl;
	int ret;

	ret = parse_rule("add-rule", argc, argv, &r);
	if (ret)
		return ret;
	if (skl_nl_open(&nl) < 0)
		return SKL_EXIT_FAIL;
	nlh = skl_nl_request(&nl, SKL_CMD_RULE_ADD, 0);
	put_rule(nlh, &r);
	if (skl_nl_run(&nl, nlh, number_cb, &id) < 0) {
		skl_nl_perror(&nl, "add-rule");
		ret = SKL_EXIT_FAIL;
	} else {
		printf("%" PRIu64 "\n", id.value);
	}
	skl_nl_close(&nl);
	return ret;
}

int del_rule_main(int argc, char **argv)
{
	struct nlmsghdr *nlh;
	struct skl_nl nl;
	unsigned long long id;
	char *end;
	int ret = 0;

	if (argc != 1)
		return usage_error("del-rule", "", NULL, "usage: del-rule ID");
	errno = 0;
	id = strtoull(argv[0], &end, 10);
	if (!*argv[0] || *end || errno || argv[0][0] == '-' || id == 0)
		return usage_error("del-rule", "rule id", argv[0], "must be a positive number");
	if (skl_nl_open(&nl) < 0)
		return SKL_EXIT_FAIL;
	nlh = skl_nl_request(&nl, SKL_CMD_RULE_DEL, 0);
	mnl_attr_put_u64(nlh, SKL_A_RULE_ID, id);
	if (skl_nl_run(&nl, nlh, NULL, NULL) < 0) {
		skl_nl_perror(&nl, "del-rule");
		ret = SKL_EXIT_FAIL;
	}
	skl_nl_close(&nl);
	return ret;
}

int flush_main(int argc, char **argv)
{
	struct nlmsghdr *nlh;
	struct skl_nl nl;
	int ret = 0;

	if (argc > 0)
		return usage_error("flush", "unexpected argument", argv[0], "flush takes none");
	if (skl_nl_open(&nl) < 0)
		return SKL_EXIT_FAIL;
	nlh = skl_nl_request(&nl, SKL_CMD_RULE_FLUSH, 0);
	if (skl_nl_run(&nl, nlh, NULL, NULL) < 0) {
		skl_nl_perror(&nl, "flush");
		ret = SKL_EXIT_FAIL;
	}
	skl_nl_close(&nl);
	return ret;
}

/* Split @line (modified) into words, dropping a "#" comment. Returns the word count. */
static int split_words(char *line, char **words, int max)
{
	char *hash = strchr(line, '#'), *save = NULL, *word;
	int n = 0;

	if (hash)
		*hash = '\0';
	for (word = strtok_r(line, " \t\r\n", &save); word;
	     word = strtok_r(NULL, " \t\r\n", &save)) {
		if (n == max)
			return -1;
		words[n++] = word;
	}
	return n;
}

struct apply_rule {
	struct rule_args args;
	unsigned int line;
	char *text;		/* the line, which args->label points into */
};

/* Read and check every line of @path; nothing is sent before the whole file parses. */
static int read_rule_file(const char *path, struct apply_rule **rulesp, size_t *countp)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	struct apply_rule *rules = NULL, *bigger;
	size_t count = 0, cap = 0, len = 0;
	char *line = NULL, where[512], *words[32];
	unsigned int lineno = 0;
	int n, ret = 0;

	if (!f) {
		skl_err("apply: %s: %s", path, strerror(errno));
		return SKL_EXIT_FAIL;
	}
	while (getline(&line, &len, f) >= 0) {
		lineno++;
		if (count == cap) {
			cap = cap ? cap * 2 : 256;
			bigger = realloc(rules, cap * sizeof(*rules));
			if (!bigger) {
				skl_err("apply: out of memory");
				ret = SKL_EXIT_FAIL;
				break;
			}
			rules = bigger;
		}
		rules[count].text = strdup(line);
		if (!rules[count].text) {
			skl_err("apply: out of memory");
			ret = SKL_EXIT_FAIL;
			break;
		}
		snprintf(where, sizeof(where), "apply: %s:%u", path, lineno);
		n = split_words(rules[count].text, words, 32);
		if (n < 0)
			skl_err("%s: too many words", where);
		if (n <= 0 || parse_rule(where, n, words, &rules[count].args)) {
			free(rules[count].text);
			if (n)
				ret = SKL_EXIT_USAGE;
			continue;
		}
		rules[count++].line = lineno;
	}
	free(line);
	if (f != stdin)
		fclose(f);
	*rulesp = rules;
	*countp = count;
	return ret;
}

/* Send the rules into the staged set, many to a system call. */
static int stage_rules(struct skl_nl *nl, const char *path, const struct apply_rule *rules,
		       size_t count)
{
	struct skl_nl_batch batch;
	struct nlmsghdr *nlh;
	uint32_t first_seq;
	char what[600];
	size_t i;
	int err = 0;

	if (skl_nl_batch_open(&batch, nl) < 0) {
		skl_err("apply: out of memory");
		return SKL_EXIT_FAIL;
	}
	first_seq = nl->seq + 1;
	for (i = 0; !err && i < count; i++) {
		nlh = skl_nl_batch_request(&batch, SKL_CMD_RULE_ADD);
		put_rule(nlh, &rules[i].args);
		mnl_attr_put(nlh, SKL_A_RULE_STAGE, 0, NULL);
		err = skl_nl_batch_push(&batch);
	}
	if (!err)
		err = skl_nl_batch_flush(&batch);
	if (err) {
		/* Name the line of the refused rule; sequence numbers follow the rules. */
		if (batch.failed_seq && batch.failed_seq - first_seq < count)
			snprintf(what, sizeof(what), "apply: %s:%u", path,
				 rules[batch.failed_seq - first_seq].line);
		else
			snprintf(what, sizeof(what), "apply");
		skl_nl_perror(nl, what);
	}
	skl_nl_batch_close(&batch);
	return err ? SKL_EXIT_FAIL : 0;
}

int apply_main(int argc, char **argv)
{
	struct apply_rule *rules = NULL;
	struct nlmsghdr *nlh;
	struct skl_nl nl;
	size_t count = 0, i;
	struct number_reply applied = { SKL_A_RULE_COUNT, MNL_TYPE_U32, 0 };
	int ret;

	if (argc != 1)
		return usage_error("apply", "", NULL, "usage: apply FILE|-");
	ret = read_rule_file(argv[0], &rules, &count);
	if (ret)
		goto out;
	if (skl_nl_open(&nl) < 0) {
		ret = SKL_EXIT_FAIL;
		goto out;
	}
	/* Staged rules are dropped with the socket if anything below fails. */
	nlh = skl_nl_request(&nl, SKL_CMD_RULE_BEGIN, 0);
	if (skl_nl_run(&nl, nlh, NULL, NULL) < 0) {
		skl_nl_perror(&nl, "apply");
		ret = SKL_EXIT_FAIL;
	}
	if (!ret)
		ret = stage_rules(&nl, argv[0], rules, count);
	if (!ret) {
		nlh = skl_nl_request(&nl, SKL_CMD_RULE_COMMIT, 0);
		if (skl_nl_run(&nl, nlh, number_cb, &applied) < 0) {
			skl_nl_perror(&nl, "apply");
			ret = SKL_EXIT_FAIL;
		} else if (applied.value != count) {
			/* Another apply through this socket cannot interleave: a module bug. */
			skl_err("apply: the module put %" PRIu64 " rules in force, not the %zu sent",
				applied.value, count);
			ret = SKL_EXIT_FAIL;
		}
	}
	skl_nl_close(&nl);
out:
	for (i = 0; i < count; i++)
		free(rules[i].text);
	free(rules);
	return ret;
}
