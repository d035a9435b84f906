// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for sklookupctl's parsers (userspace/rule_codec.c, rule_parse.c, addr.c). Each input
 * is tried three ways:
 *   - as a rule file, through the reader apply uses;
 *   - as the words after add-rule: split on NUL bytes when it has any (that is how a
 *     shell passes words holding blanks), else on blanks; at most 64 words;
 *   - as one word for the prefix, port and endpoint (register's local ADDR[:PORT]) parsers.
 * Beyond the sanitizers, a rule that parses must come back the same through the text dump
 * prints (rule_words(), the printer itself), read as apply reads it ("sklookupctl dump |
 * sklookupctl apply -" changes nothing), and through the netlink encoder and decoder, an accepted prefix or port must be in the documented forms, and an accepted
 * endpoint must come back the same through its text form.
 */
#include <linux/genetlink.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>
#include <sys/socket.h>

#include "sklookup.h"
#include "addr.h"
#include "rule_codec.h"
#include "rule_format.h"
#include "rule_parse.h"
#include "util.h"

#define MAX_WORDS 64

/* Messages are formatted, for the sanitizers to check, and counted, but not printed. */
static unsigned int errors;

void skl_err(const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	errors++;
}

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "fuzz_cli: %s:%d: check failed: %s\n",	\
			__FILE__, __LINE__, #cond);			\
		fprintf(stderr, "fuzz_cli: " __VA_ARGS__);		\
		fputc('\n', stderr);					\
		abort();						\
	}								\
} while (0)

static int all_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return n > 0;
}

static int prefix_eq(const struct skl_prefix *a, const struct skl_prefix *b)
{
	return a->family == b->family && a->len == b->len &&
	       !memcmp(a->addr.bytes, b->addr.bytes, sizeof(a->addr.bytes));
}

/* Field by field, not through the printer: a field it left out would go unseen. */
static int rule_eq(const struct skl_rule *a, const struct skl_rule *b)
{
	return a->proto == b->proto && prefix_eq(&a->dst, &b->dst) &&
	       a->has_src == b->has_src && (!a->has_src || prefix_eq(&a->src, &b->src)) &&
	       a->port_lo == b->port_lo && a->port_hi == b->port_hi &&
	       !strcmp(a->dev, b->dev) && a->phase == b->phase && a->action == b->action &&
	       !strcmp(a->label, b->label) &&
	       a->redirect.family == b->redirect.family && a->redirect.port == b->redirect.port &&
	       !memcmp(a->redirect.addr.bytes, b->redirect.addr.bytes,
		       sizeof(a->redirect.addr.bytes)) &&
	       a->flags == b->flags &&
	       (a->comment && b->comment ? !strcmp(a->comment, b->comment) :
		!a->comment && !b->comment);
}

/* @r through the encoder into a RULE_ADD request and back through the decoder. */
static void check_netlink(const struct skl_rule *r)
{
	static char buf[8192];
	const struct nlattr *tb[SKL_A_RULE_MAX + 1] = { 0 };
	struct attr_table t = { tb, SKL_A_RULE_MAX };
	struct nlmsghdr *nlh;
	struct genlmsghdr *genl;
	struct skl_rule back;
	char a[RULE_WORDS_MAX], b[RULE_WORDS_MAX];

	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = SKL_CMD_RULE_ADD;
	rule_put(nlh, r);
	CHECK(mnl_attr_parse(nlh, sizeof(*genl), table_cb, &t) >= 0, "attributes");
	rule_get(tb, &back);
	CHECK(rule_eq(r, &back) && !rule_cmp(r, &back),
	      "encoded and decoded, '%s' comes back as '%s'", rule_words(r, a, sizeof(a)),
	      rule_words(&back, b, sizeof(b)));
}

/* What parse_rule accepted, printed as dump would and read back as apply would. */
static void check_round_trip(const struct skl_rule *r)
{
	struct apply_rule *rules = NULL;
	size_t count = 0;
	char line[RULE_WORDS_MAX + 2];
	FILE *f;
	int ret;

	CHECK(r->proto == IPPROTO_TCP || r->proto == IPPROTO_UDP, "proto %u", r->proto);
	CHECK(r->dst.family == AF_INET || r->dst.family == AF_INET6, "family %u",
	      r->dst.family);
	CHECK(r->action == SKL_ACTION_STEER ? r->label[0] != '\0' :
	      (r->action == SKL_ACTION_DROP || r->action == SKL_ACTION_REDIRECT) && !r->label[0],
	      "action %u", r->action);
	CHECK(r->action != SKL_ACTION_REDIRECT || r->redirect.family == r->dst.family,
	      "redirect family %u", r->redirect.family);
	CHECK(r->port_lo <= r->port_hi, "ports %u-%u", r->port_lo, r->port_hi);
	/* The printer dump uses, and the newline dump writes after it. */
	rule_words(r, line, sizeof(line) - 1);
	CHECK(strlen(line) < sizeof(line) - 2, "rule words too long: %s", line);
	strcat(line, "\n");
	f = fmemopen(line, strlen(line), "r");
	CHECK(f, "fmemopen");
	errors = 0;
	ret = read_rule_stream("apply", f, "dump", &rules, &count);
	fclose(f);
	CHECK(ret == 0 && count == 1 && rule_eq(r, &rules[0].args) &&
	      !rule_cmp(r, &rules[0].args),
	      "dump prints a rule apply reads differently: %s", line);
	free_rules(rules, count);
	check_netlink(r);
}

static void fuzz_rule_file(const uint8_t *data, size_t size)
{
	struct apply_rule *rules = NULL;
	size_t count = 0, i, lines = 0;
	FILE *f;
	int ret;

	if (!size)
		return;
	for (i = 0; i < size; i++)
		lines += data[i] == '\n';
	f = fmemopen((void *)data, size, "r");
	CHECK(f, "fmemopen");
	errors = 0;
	ret = read_rule_stream("apply", f, "fuzz", &rules, &count);
	fclose(f);
	CHECK(!ret == !errors, "returned %d after %u error messages", ret, errors);
	for (i = 0; i < count; i++) {
		CHECK(rules[i].line >= 1 && rules[i].line <= lines + 1, "line %u of %zu",
		      rules[i].line, lines + 1);
		CHECK(!i || rules[i].line > rules[i - 1].line, "lines out of order");
		check_round_trip(&rules[i].args);
	}
	free_rules(rules, count);
}

static void fuzz_words(const uint8_t *data, size_t size)
{
	const char *blanks = memchr(data, '\0', size) ? "" : " \t\n";
	char *words[MAX_WORDS];
	struct skl_rule r;
	size_t at = 0, end;
	int n = 0, ret;

	while (at < size && n < MAX_WORDS) {
		if (*blanks && strchr(blanks, data[at])) {
			at++;
			continue;
		}
		for (end = at; end < size; end++)
			if (*blanks ? !!strchr(blanks, data[end]) : !data[end])
				break;
		/* Each word its own allocation, so that reading past one is caught. */
		words[n] = malloc(end - at + 1);
		CHECK(words[n], "malloc");
		memcpy(words[n], data + at, end - at);
		words[n++][end - at] = '\0';
		at = end + 1;
	}
	errors = 0;
	ret = parse_rule("add-rule", n, words, &r);
	CHECK(!ret == !errors, "returned %d after %u error messages", ret, errors);
	if (!ret)
		check_round_trip(&r);
	while (n--)
		free(words[n]);
}

static void fuzz_prefix(const char *text)
{
	struct skl_prefix p, again;
	const char *why = NULL, *slash = strchr(text, '/');
	char buf[64];

	if (skl_prefix_parse(text, &p, &why)) {
		CHECK(why && *why, "no reason for refusing '%s'", text);
		return;
	}
	CHECK(p.family == AF_INET ? p.len <= 32 : p.family == AF_INET6 && p.len <= 128,
	      "'%s': family %u length %u", text, p.family, p.len);
	CHECK(!slash || all_digits(slash + 1, strlen(slash + 1)),
	      "prefix length of '%s' accepted but not decimal digits", text);
	skl_prefix_format(&p, buf, sizeof(buf));
	CHECK(!skl_prefix_parse(buf, &again, &why) && prefix_eq(&p, &again),
	      "'%s' formats as '%s', which parses differently", text, buf);
}

static void fuzz_port(const char *text)
{
	const char *why = NULL, *dash = strchr(text, '-');
	uint16_t lo = 1, hi = 0;

	if (skl_port_range_parse(text, &lo, &hi, &why)) {
		CHECK(why && *why, "no reason for refusing '%s'", text);
		return;
	}
	if (!strcmp(text, "any")) {
		CHECK(lo == 0 && hi == 65535, "any is %u-%u", lo, hi);
		return;
	}
	CHECK(dash ? all_digits(text, dash - text) && all_digits(dash + 1, strlen(dash + 1)) :
	      all_digits(text, strlen(text)), "port '%s' accepted but not N or LO-HI", text);
	CHECK(lo >= 1 && lo <= hi, "port '%s' is %u-%u", text, lo, hi);
}

static void fuzz_endpoint(const char *text)
{
	struct skl_endpoint e, again;
	const char *why = NULL;
	char buf[64];

	if (skl_endpoint_parse(text, &e, &why)) {
		CHECK(why && *why, "no reason for refusing '%s'", text);
		return;
	}
	CHECK(e.family == AF_INET || e.family == AF_INET6, "'%s': family %u", text, e.family);
	skl_endpoint_format(&e, buf, sizeof(buf));
	CHECK(!skl_endpoint_parse(buf, &again, &why) && again.family == e.family &&
	      again.port == e.port && !memcmp(again.addr.bytes, e.addr.bytes, 16),
	      "'%s' formats as '%s', which parses differently", text, buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	fuzz_rule_file(data, size);
	fuzz_words(data, size);

	text = malloc(size + 1);
	CHECK(text, "malloc");
	memcpy(text, data, size);
	text[size] = '\0';
	fuzz_prefix(text);
	fuzz_port(text);
	fuzz_endpoint(text);
	free(text);
	return 0;
}
