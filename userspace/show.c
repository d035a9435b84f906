// SPDX-License-Identifier: GPL-2.0
/* sklookupctl show: the namespace's rules, and its labels with their sockets. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <errno.h>
#include <stdbool.h>
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
#include "output.h"
#include "rule_codec.h"
#include "rule_format.h"
#include "util.h"

struct show_ctx {
	const char *label;	/* only this label, or NULL */
	bool stats;		/* counters in the text too (JSON always has them) */
	int count;
	/* The label being printed, whose sockets may go on in the next message. */
	char open_label[SKL_LABEL_NAME_MAX];
	bool label_open;
};

static int rule_cb(const struct nlmsghdr *nlh, void *data)
{
	struct show_ctx *ctx = data;
	struct skl_rule r;

	rule_get_msg(nlh, &r);
	if (ctx->label && (r.action != SKL_ACTION_STEER || strcmp(r.label, ctx->label)))
		return MNL_CB_OK;
	if (!ctx->count++)
		out_text("rules:\n");
	out_text("  ");
	rule_print(&r, NULL, RULE_PRINT_ID | (ctx->stats ? RULE_PRINT_HITS : 0));
	out_text("\n");
	return MNL_CB_OK;
}

static void label_close(struct show_ctx *ctx)
{
	if (!ctx->label_open)
		return;
	out_close_array();
	out_close_object();
	ctx->label_open = false;
}

/* A label's first message has its counters; the ones that go on with its sockets do not. */
static int label_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[SKL_A_LABEL_MAX + 1] = { 0 };
	struct attr_table t = { tb, SKL_A_LABEL_MAX };
	struct show_ctx *ctx = data;
	const struct nlattr *attr;
	const char *name;

	mnl_attr_parse(nlh, sizeof(struct genlmsghdr), table_cb, &t);
	name = tb[SKL_A_LABEL_NAME] ? mnl_attr_get_str(tb[SKL_A_LABEL_NAME]) : "?";
	if (ctx->label && strcmp(name, ctx->label))
		return MNL_CB_OK;
	if (!ctx->label_open || tb[SKL_A_LABEL_LOOKUPS] || strcmp(name, ctx->open_label)) {
		label_close(ctx);
		if (!ctx->count++)
			out_text("labels:\n");
		out_open_object(NULL);
		out_str("name", "  %s", name);
		if (ctx->stats || out_is_json()) {
			out_uint("lookups", "  lookups %" PRIu64, get_u64(tb[SKL_A_LABEL_LOOKUPS]));
			out_uint("delivered", " delivered %" PRIu64,
				 get_u64(tb[SKL_A_LABEL_DELIVERED]));
			out_uint("misses", " misses %" PRIu64, get_u64(tb[SKL_A_LABEL_MISSES]));
		}
		out_text("\n");
		out_open_array("sockets");
		snprintf(ctx->open_label, sizeof(ctx->open_label), "%s", name);
		ctx->label_open = true;
	}
	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(attr) == SKL_A_LABEL_SOCKET)
			print_socket(attr, NULL, "    ", false);
	}
	return MNL_CB_OK;
}

static int dump(struct skl_nl *nl, uint8_t cmd, mnl_cb_t cb, struct show_ctx *ctx)
{
	struct nlmsghdr *nlh = skl_nl_request(nl, cmd, NLM_F_DUMP);

	ctx->count = 0;
	if (skl_nl_run(nl, nlh, cb, ctx) < 0) {
		skl_nl_perror(nl, "show");
		return -1;
	}
	return 0;
}

int show_main(int argc, char **argv)
{
	struct show_ctx ctx = { 0 };
	struct skl_nl nl;
	int ret = 0;

	ctx.stats = skl_opt_stats;
	if (argc && (!strcmp(argv[0], "-s") || !strcmp(argv[0], "--stats"))) {
		ctx.stats = true;
		argc--;
		argv++;
	}
	if (argc == 2 && !strcmp(argv[0], "label")) {
		ctx.label = argv[1];
	} else if (argc) {
		skl_err("show: usage: show [-s] [label NAME]");
		return SKL_EXIT_USAGE;
	}
	if (skl_nl_open(&nl) < 0)
		return SKL_EXIT_FAIL;
	out_open_object(NULL);
	out_open_array("rules");
	if (dump(&nl, SKL_CMD_RULE_GET, rule_cb, &ctx))
		ret = SKL_EXIT_FAIL;
	out_close_array();
	out_open_array("labels");
	if (!ret && dump(&nl, SKL_CMD_LABEL_GET, label_cb, &ctx))
		ret = SKL_EXIT_FAIL;
	label_close(&ctx);
	out_close_array();
	out_close_object();
	out_finish();
	skl_nl_close(&nl);
	return ret;
}

static int collect_cb(const struct nlmsghdr *nlh, void *data)
{
	struct rule_list *list = data;

	struct skl_rule *r;

	if (skl_grow(&list->rules, list->count, &list->cap, sizeof(*list->rules)))
		return MNL_CB_ERROR;
	r = &list->rules[list->count];
	rule_get_msg(nlh, r);
	/* The comment points into the message, which the next one overwrites. */
	if (r->comment) {
		r->comment = strdup(r->comment);
		if (!r->comment)
			return MNL_CB_ERROR;
	}
	list->count++;
	return MNL_CB_OK;
}

void rule_list_free(struct rule_list *list)
{
	size_t i;

	for (i = 0; i < list->count; i++)
		free((char *)list->rules[i].comment);
	free(list->rules);
	memset(list, 0, sizeof(*list));
}

/* How often the rules are read again when they change while they are read. */
#define DUMP_TRIES 5

/*
 * The rules come in several messages, each read under the namespace's lock but not all
 * under one: an apply in between would make the dump half the old set and half the new,
 * which `dump | apply -` would then put in force. So the rules are read between two
 * readings of their generation, again until both agree.
 */
int rules_in_force(struct skl_nl *nl, const char *cmd, struct rule_list *list,
		   uint64_t *generation)
{
	uint64_t before = 0, after = 1;
	int tries;

	for (tries = 0; tries < DUMP_TRIES && before != after; tries++) {
		while (list->count)
			free((char *)list->rules[--list->count].comment);
		if (skl_nl_generation(nl, &before) < 0 ||
		    skl_nl_run(nl, skl_nl_request(nl, SKL_CMD_RULE_GET, NLM_F_DUMP),
			       collect_cb, list) < 0 ||
		    skl_nl_generation(nl, &after) < 0) {
			/*
			 * status leaves the generation out for a caller who may not read
			 * the rules: say what the dump itself would have.
			 */
			if (errno == ENODATA)
				errno = EPERM;
			skl_nl_perror(nl, cmd);
			return SKL_EXIT_FAIL;
		}
	}
	if (before != after) {
		skl_err("%s: the rules kept changing while they were read (%d tries)", cmd,
			DUMP_TRIES);
		return SKL_EXIT_FAIL;
	}
	*generation = before;
	return 0;
}

/*
 * Printed only once read whole, and only if every word can be written; with
 * @print_generation, after '# generation N'.
 */
static int dump_whole(struct skl_nl *nl, bool print_generation)
{
	struct rule_list list = { 0 };
	char words[RULE_WORDS_MAX];
	uint64_t generation;
	size_t i;
	int ret;

	ret = rules_in_force(nl, "dump", &list, &generation);
	/* A word this sklookupctl cannot write would be lost: another rule, applied back. */
	for (i = 0; !ret && i < list.count; i++) {
		if (list.rules[i].unknown_word) {
			skl_err("dump: rule %" PRIu64 " has a word this sklookupctl does not know (attribute %u, %s): nothing printed; use a sklookupctl as new as the module",
				list.rules[i].id, list.rules[i].unknown_word,
				rule_unknown_word_source(&list.rules[i]));
			ret = SKL_EXIT_FAIL;
		}
	}
	if (!ret && print_generation)
		printf("# generation %" PRIu64 "\n", generation);
	for (i = 0; !ret && i < list.count; i++)
		printf("%s\n", rule_words(&list.rules[i], words, sizeof(words)));
	rule_list_free(&list);
	return ret;
}

int dump_main(int argc, char **argv)
{
	struct skl_nl nl;
	bool generation = false;
	int ret;

	if (argc && (!strcmp(argv[0], "-g") || !strcmp(argv[0], "--generation"))) {
		generation = true;
		argc--;
		argv++;
	}
	if (argc) {
		skl_err("dump: unexpected argument '%s'", argv[0]);
		return SKL_EXIT_USAGE;
	}
	if (skl_nl_open(&nl) < 0)
		return SKL_EXIT_FAIL;
	ret = dump_whole(&nl, generation);
	out_flush();
	skl_nl_close(&nl);
	return ret;
}
