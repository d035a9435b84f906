// SPDX-License-Identifier: GPL-2.0
/* sklookupctl add-rule, del-rule, flush: the namespace's rules. */
#include <errno.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/genetlink.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "sklookup.h"
#include "addr.h"
#include "commands.h"
#include "memcg.h"
#include "nl.h"
#include "output.h"
#include "rule_codec.h"
#include "rule_parse.h"
#include "util.h"

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
	struct skl_rule r;
	struct skl_nl nl;
	int ret;

	ret = parse_rule("add-rule", argc, argv, &r);
	if (ret)
		return ret;
	if (skl_nl_open(&nl) < 0)
		return SKL_EXIT_FAIL;
	nlh = skl_nl_request(&nl, SKL_CMD_RULE_ADD, 0);
	rule_put(nlh, &r);
	if (skl_nl_run(&nl, nlh, number_cb, &id) < 0) {
		uint64_t existing;

		/* The module puts the id of the rule with the same words in the cookie. */
		if (errno == EEXIST && nl.cookie_len == sizeof(existing)) {
			memcpy(&existing, nl.cookie, sizeof(existing));
			skl_err("add-rule: the same rule exists as rule %" PRIu64 " (%s)",
				existing, strerror(errno));
		} else {
			skl_nl_perror(&nl, "add-rule");
		}
		ret = SKL_EXIT_FAIL;
	} else {
		printf("%" PRIu64 "\n", id.value);
	}
	skl_nl_close(&nl);
	return ret;
}

/* del-rule ID, or del-rule RULE: the words of the rule, as add-rule took them. */
int del_rule_main(int argc, char **argv)
{
	struct nlmsghdr *nlh;
	struct skl_rule r;
	struct skl_nl nl;
	unsigned long long id = 0;
	char *end;
	int ret = 0;

	if (argc < 1)
		return skl_usage_error("del-rule", "", NULL, "usage: del-rule ID|RULE");
	if (argc == 1) {
		errno = 0;
		id = strtoull(argv[0], &end, 10);
		if (!*argv[0] || *end || errno || argv[0][0] == '-' || id == 0)
			return skl_usage_error("del-rule", "rule id", argv[0],
					       "must be a positive number");
	} else {
		ret = parse_rule("del-rule", argc, argv, &r);
		if (ret)
			return ret;
	}
	if (skl_nl_open(&nl) < 0)
		return SKL_EXIT_FAIL;
	nlh = skl_nl_request(&nl, SKL_CMD_RULE_DEL, 0);
	if (id)
		mnl_attr_put_u64(nlh, SKL_A_RULE_ID, id);
	else
		rule_put(nlh, &r);
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
		return skl_usage_error("flush", "unexpected argument", argv[0], "flush takes none");
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

/* Send the rules into the staged set, many to a system call. */
static int stage_rules(struct skl_nl *nl, const char *path, const struct apply_rule *rules,
		       size_t count, int *out_of_memory)
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
		rule_put(nlh, &rules[i].args);
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
		*out_of_memory = errno == ENOMEM;
		skl_nl_perror(nl, what);
	}
	skl_nl_batch_close(&batch);
	return err ? SKL_EXIT_FAIL : 0;
}

/*
 * After a refusal for want of memory (the rules this process held and the staged ones in
 * the module are freed by now): say that nothing changed, and which limit was likely hit.
 */
static void explain_out_of_memory(void)
{
	unsigned long long limit;
	char path[4096];

	if (memcg_limit(path, sizeof(path), &limit))
		skl_err("apply: no rule was changed");
	else
		skl_err("apply: no rule was changed; this process's memory cgroup %s is limited to %llu bytes (memory.max)",
			path, limit);
}

/* One side of a diff: rules in their order, and which of them the other side has too. */
struct diff_side {
	const struct skl_rule **sorted;
	bool *kept;
	size_t count;
};

static int cmp_rule_ptr(const void *a, const void *b)
{
	const struct skl_rule *x = *(const struct skl_rule *const *)a;
	const struct skl_rule *y = *(const struct skl_rule *const *)b;
	int c = rule_cmp(x, y);

	/* After the rules with the same words it knows, one with a word it does not. */
	return c ? c : (x->unknown_word > y->unknown_word) - (x->unknown_word < y->unknown_word);
}

/* @count rules @stride bytes apart from @first, sorted, for diff(). */
static int diff_side_init(struct diff_side *d, const void *first, size_t stride, size_t count)
{
	size_t i;

	d->count = count;
	d->sorted = malloc((count ? count : 1) * sizeof(*d->sorted));
	d->kept = calloc(count ? count : 1, sizeof(*d->kept));
	if (!d->sorted || !d->kept)
		return -1;
	for (i = 0; i < count; i++)
		d->sorted[i] = (const struct skl_rule *)((const char *)first + i * stride);
	qsort(d->sorted, count, sizeof(*d->sorted), cmp_rule_ptr);
	return 0;
}

/* Print the rules of @d that the other side does not have, in their order, as @key. */
static void diff_print(const struct diff_side *d, const void *first, size_t stride,
		       const char *key, const char *sign)
{
	char words[RULE_WORDS_MAX];
	struct skl_rule r;
	size_t i;

	out_open_array(key);
	for (i = 0; i < d->count; i++) {
		if (d->kept[i])
			continue;
		/* A rule's words, not its counters: they are the old rule's, or none. */
		memcpy(&r, (const char *)first + i * stride, sizeof(r));
		rule_warn_unknown_word(&r);
		r.id = 0;
		r.has_hits = r.has_misses = false;
		if (out_is_json()) {
			rule_print(&r, NULL, 0);
		} else {
			/* A line at a time: a million rules may come or go. */
			fputs(sign, stdout);
			fputs(rule_words(&r, words, sizeof(words)), stdout);
			putchar('\n');
		}
	}
	out_close_array();
}

static bool same_comment(const struct skl_rule *a, const struct skl_rule *b)
{
	return a->comment && b->comment ? !strcmp(a->comment, b->comment) :
					  a->comment == b->comment;
}

/*
 * What replacing the rules @old with the file's @rules changes: "-RULE" for each rule
 * that goes, then "+RULE" for each that comes, as multisets of rules (ids and counters
 * aside; a rule whose comment changed both goes and comes). Returns how many lines, or
 * -1 when out of memory.
 */
static long print_diff(const struct rule_list *old, const struct apply_rule *rules, size_t count)
{
	struct diff_side o = { 0 }, n = { 0 };
	size_t i = 0, j = 0;
	long changes = -1;
	int c;

	if (diff_side_init(&o, old->rules, sizeof(*old->rules), old->count) ||
	    diff_side_init(&n, &rules->args, sizeof(*rules), count)) {
		skl_err("apply: out of memory");
		goto out;
	}
	changes = old->count + count;
	while (i < o.count && j < n.count) {
		c = rule_cmp(o.sorted[i], n.sorted[j]);
		/*
		 * A rule with a word this sklookupctl does not know is, to the module, another
		 * rule than the file's: it goes, and the file's may still meet its match.
		 */
		if (c == 0 && o.sorted[i]->unknown_word)
			c = -1;
		/*
		 * The module keeps a rule whose comment alone changed (its id and counters)
		 * and gives it the new comment: shown as the old line and the new one.
		 */
		if (c == 0 && same_comment(o.sorted[i], n.sorted[j])) {
			o.kept[o.sorted[i] - old->rules] = true;
			n.kept[(const struct apply_rule *)((const char *)n.sorted[j] -
				offsetof(struct apply_rule, args)) - rules] = true;
			changes -= 2;
		}
		i += c <= 0;
		j += c >= 0;
	}
	out_open_object(NULL);
	diff_print(&o, old->rules, sizeof(*old->rules), "removed", "-");
	diff_print(&n, &rules->args, sizeof(*rules), "added", "+");
	out_close_object();
	out_finish();
out:
	free(o.sorted);
	free(o.kept);
	free(n.sorted);
	free(n.kept);
	return changes;
}

static int cmp_apply_rule(const void *a, const void *b)
{
	const struct apply_rule *x = *(const struct apply_rule *const *)a;
	const struct apply_rule *y = *(const struct apply_rule *const *)b;
	int c = rule_cmp(&x->args, &y->args);

	return c ? c : (x->line > y->line) - (x->line < y->line);
}

/*
 * The module keeps a rule by its words, so a file must not hold the same rule twice: each
 * repeat is "CMD: PATH:LINE: the same rule as line FIRST". Returns 0 or an exit status.
 */
static int check_repeats(const char *cmd, const char *path, const struct apply_rule *rules,
			 size_t count)
{
	const struct apply_rule **sorted;
	size_t i, first = 0;
	int ret = 0;

	sorted = malloc((count ? count : 1) * sizeof(*sorted));
	if (!sorted) {
		skl_err("%s: out of memory", cmd);
		return SKL_EXIT_FAIL;
	}
	for (i = 0; i < count; i++)
		sorted[i] = &rules[i];
	qsort(sorted, count, sizeof(*sorted), cmp_apply_rule);
	for (i = 1; i < count; i++) {
		if (rule_cmp(&sorted[first]->args, &sorted[i]->args)) {
			first = i;
			continue;
		}
		skl_err("%s: %s:%u: the same rule as line %u", cmd, path, sorted[i]->line,
			sorted[first]->line);
		ret = SKL_EXIT_USAGE;
	}
	free(sorted);
	return ret;
}

static int parse_generation(const char *text, unsigned long long *generation)
{
	char *end;

	errno = 0;
	*generation = strtoull(text, &end, 10);
	if (!*text || *end || errno || text[0] == '-')
		return skl_usage_error("apply", "generation", text,
				       "must be a number (dump --generation prints it)");
	return 0;
}

int apply_main(int argc, char **argv)
{
	struct apply_rule *rules = NULL;
	struct rule_list old = { 0 };
	struct nlmsghdr *nlh;
	struct skl_nl nl;
	size_t count = 0;
	struct number_reply applied = { SKL_A_RULE_COUNT, MNL_TYPE_U32, 0 };
	unsigned long long generation = 0;
	uint64_t in_force = 0;
	bool check_generation = false, check = false;
	int out_of_memory = 0;
	long changes = 0;
	int ret;

	for (; argc > 1; argc--, argv++) {
		if (!strcmp(argv[0], "-c") || !strcmp(argv[0], "--check")) {
			check = true;
		} else if (!strcmp(argv[0], "-g") || !strcmp(argv[0], "--generation")) {
			if (argc < 3)
				break;
			ret = parse_generation(argv[1], &generation);
			if (ret)
				return ret;
			check_generation = true;
			argc--;
			argv++;
		} else {
			break;
		}
	}
	/* A file named like an option is ./-NAME. */
	if (argc != 1 || (argv[0][0] == '-' && argv[0][1]))
		return skl_usage_error("apply", "", NULL,
				       "usage: apply [--check] [--generation N] FILE|-");
	/* The whole file parses before the module is asked anything. */
	ret = read_rule_file("apply", argv[0], &rules, &count);
	if (!ret)
		ret = check_repeats("apply", argv[0], rules, count);
	if (ret)
		goto out;
	if (skl_nl_open(&nl) < 0) {
		ret = SKL_EXIT_FAIL;
		goto out;
	}
	/* What is in force now, to tell what the file changes. */
	ret = rules_in_force(&nl, "apply", &old, &in_force);
	if (!ret && check && check_generation && in_force != generation) {
		skl_err("apply: the rules changed since generation %llu (now %" PRIu64 ")",
			generation, in_force);
		ret = SKL_EXIT_FAIL;
	}
	/* Staged rules are dropped with the socket if anything below fails. */
	if (!ret) {
		nlh = skl_nl_request(&nl, SKL_CMD_RULE_BEGIN, 0);
		if (skl_nl_run(&nl, nlh, NULL, NULL) < 0) {
			skl_nl_perror(&nl, "apply");
			ret = SKL_EXIT_FAIL;
		}
	}
	if (!ret)
		ret = stage_rules(&nl, argv[0], rules, count, &out_of_memory);
	/* --check: the module took every rule; closing the socket drops them. */
	if (!ret && !check) {
		nlh = skl_nl_request(&nl, SKL_CMD_RULE_COMMIT, 0);
		if (check_generation)
			mnl_attr_put_u64(nlh, SKL_A_RULE_GENERATION, generation);
		if (skl_nl_run(&nl, nlh, number_cb, &applied) < 0) {
			out_of_memory = errno == ENOMEM;
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
	if (!ret) {
		changes = print_diff(&old, rules, count);
		if (changes < 0)
			ret = SKL_EXIT_FAIL;
	}
out:
	/* --check: 0 nothing would change, 1 something would; an error is 2, whatever it was. */
	if (check)
		ret = ret ? SKL_EXIT_USAGE : changes > 0;
	rule_list_free(&old);
	free_rules(rules, count);
	if (out_of_memory)
		explain_out_of_memory();
	return ret;
}

int fmt_main(int argc, char **argv)
{
	struct apply_rule *rules = NULL;
	size_t count = 0, i;
	int ret;

	if (argc != 1)
		return skl_usage_error("fmt", "", NULL, "usage: fmt FILE|-");
	ret = read_rule_file("fmt", argv[0], &rules, &count);
	if (!ret)
		ret = check_repeats("fmt", argv[0], rules, count);
	if (!ret) {
		out_open_object(NULL);
		out_open_array("rules");
		for (i = 0; i < count; i++) {
			rule_print(&rules[i].args, NULL, 0);
			out_text("\n");
		}
		out_close_array();
		out_close_object();
		out_finish();
	}
	free_rules(rules, count);
	return ret;
}
