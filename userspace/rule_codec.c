// SPDX-License-Identifier: GPL-2.0
/*
 * The keywords of a rule, one row each (as ethtool and iproute2 describe their options):
 * the word, the netlink attributes it stands for, how its value is parsed, printed,
 * encoded and decoded, and its JSON key. parse_rule(), rule_words(), rule_put(),
 * rule_get() and rule_print() only walk the table, so that what dump prints is what
 * apply reads, and show, monitor and explain print a rule the way dump does.
 */
#include <inttypes.h>
#include <stddef.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include <linux/genetlink.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "output.h"
#include "rule_codec.h"
#include "rule_format.h"
#include "rule_parse.h"
#include "util.h"

struct rule_key {
	const char *word;
	/*
	 * A word whose values are names, kept as a u8 field of struct skl_rule at @field and
	 * sent as the u8 attribute @attr (0 when the module sends none): these, in the order
	 * of their numbers, instead of the functions below.
	 */
	const char *const *names;
	size_t nnames;
	size_t field;
	/* The attribute the word stands for (the first, when it takes more). */
	uint16_t attr;
	bool takes_value;
	/* Its value is always printed in double quotes, not only where it needs them. */
	bool quoted;
	/* One of the words that say what the rule does: a rule has one. */
	bool is_action;
	/* The value into @r; NULL, or why it is refused. @value is NULL without takes_value. */
	const char *(*parse)(struct skl_rule *r, const char *value);
	/*
	 * The value as parse() reads it, in @buf or static; "" for a word without one; NULL
	 * when the rule has no such word.
	 */
	const char *(*format)(const struct skl_rule *r, char *buf, size_t size);
	/* The value the rule has when the word is left out: rule_words() leaves it out. */
	const char *dflt;
	const char *json;
	/* JSON members beyond "json": the value; NULL for out_str(json, value). */
	void (*json_more)(const struct rule_key *k, const struct skl_rule *r, const char *value);
	void (*put)(struct nlmsghdr *nlh, const struct skl_rule *r);
	void (*get)(const struct nlattr *const *tb, struct skl_rule *r);
};

static size_t addr_len(uint8_t family)
{
	return family == AF_INET ? 4 : 16;
}

static uint8_t get_u8(const struct nlattr *attr, uint8_t dflt)
{
	return attr ? mnl_attr_get_u8(attr) : dflt;
}

/* An address attribute of @family's length into @bytes; false when missing or malformed. */
static bool get_addr(const struct nlattr *attr, uint8_t family, uint8_t *bytes)
{
	if (!attr || (family != AF_INET && family != AF_INET6) ||
	    mnl_attr_get_payload_len(attr) != addr_len(family))
		return false;
	memcpy(bytes, mnl_attr_get_payload(attr), addr_len(family));
	return true;
}

static const char *format_prefix(const struct skl_prefix *p, char *buf, size_t size)
{
	if (p->family != AF_INET && p->family != AF_INET6)
		return "?";
	return skl_prefix_format(p, buf, size);
}

/* dst PREFIX, which also gives the rule its address family */
static const char *parse_dst(struct skl_rule *r, const char *value)
{
	const char *why = NULL;

	return skl_prefix_parse(value, &r->dst, &why) ? why : NULL;
}

static const char *format_dst(const struct skl_rule *r, char *buf, size_t size)
{
	return format_prefix(&r->dst, buf, size);
}

static void put_dst(struct nlmsghdr *nlh, const struct skl_rule *r)
{
	mnl_attr_put_u8(nlh, SKL_A_RULE_FAMILY, r->dst.family);
	mnl_attr_put(nlh, SKL_A_RULE_DST, addr_len(r->dst.family), r->dst.addr.bytes);
	mnl_attr_put_u8(nlh, SKL_A_RULE_DST_PREFIXLEN, r->dst.len);
}

static void get_dst(const struct nlattr *const *tb, struct skl_rule *r)
{
	uint8_t family = get_u8(tb[SKL_A_RULE_FAMILY], 0);

	if (!get_addr(tb[SKL_A_RULE_DST], family, r->dst.addr.bytes))
		return;
	r->dst.family = family;
	r->dst.len = get_u8(tb[SKL_A_RULE_DST_PREFIXLEN], addr_len(family) * 8);
}

/*
 * port N|LO-HI|any. "any" is 0-65535, the range of a rule without the word; 1-65535 is
 * another range (it ranks as narrower), printed as such everywhere.
 */
static const char *parse_port(struct skl_rule *r, const char *value)
{
	const char *why = NULL;

	return skl_port_range_parse(value, &r->port_lo, &r->port_hi, &why) ? why : NULL;
}

static const char *format_port(const struct skl_rule *r, char *buf, size_t size)
{
	if (r->port_lo == 0 && r->port_hi == 65535)
		return "any";
	if (r->port_lo == r->port_hi)
		snprintf(buf, size, "%u", r->port_lo);
	else
		snprintf(buf, size, "%u-%u", r->port_lo, r->port_hi);
	return buf;
}

static void json_port(const struct rule_key *k, const struct skl_rule *r, const char *value)
{
	out_str(k->json, "", value);
	out_uint("port_min", "", r->port_lo);
	out_uint("port_max", "", r->port_hi);
}

static void put_port(struct nlmsghdr *nlh, const struct skl_rule *r)
{
	mnl_attr_put_u16(nlh, SKL_A_RULE_PORT_MIN, r->port_lo);
	mnl_attr_put_u16(nlh, SKL_A_RULE_PORT_MAX, r->port_hi);
}

static void get_port(const struct nlattr *const *tb, struct skl_rule *r)
{
	r->port_lo = tb[SKL_A_RULE_PORT_MIN] ? mnl_attr_get_u16(tb[SKL_A_RULE_PORT_MIN]) : 0;
	r->port_hi = tb[SKL_A_RULE_PORT_MAX] ? mnl_attr_get_u16(tb[SKL_A_RULE_PORT_MAX]) : 65535;
}

/* src PREFIX */
static const char *parse_src(struct skl_rule *r, const char *value)
{
	const char *why = NULL;

	if (skl_prefix_parse(value, &r->src, &why))
		return why;
	r->has_src = true;
	return NULL;
}

static const char *format_src(const struct skl_rule *r, char *buf, size_t size)
{
	return r->has_src ? format_prefix(&r->src, buf, size) : NULL;
}

static void put_src(struct nlmsghdr *nlh, const struct skl_rule *r)
{
	if (!r->has_src)
		return;
	mnl_attr_put(nlh, SKL_A_RULE_SRC, addr_len(r->src.family), r->src.addr.bytes);
	mnl_attr_put_u8(nlh, SKL_A_RULE_SRC_PREFIXLEN, r->src.len);
}

static void get_src(const struct nlattr *const *tb, struct skl_rule *r)
{
	r->has_src = tb[SKL_A_RULE_SRC] != NULL;
	if (!r->has_src || !get_addr(tb[SKL_A_RULE_SRC], r->dst.family, r->src.addr.bytes))
		return;
	r->src.family = r->dst.family;
	r->src.len = get_u8(tb[SKL_A_RULE_SRC_PREFIXLEN], addr_len(r->src.family) * 8);
}

/*
 * dev IFNAME, kept as a name: the module matches whichever device has the name, also one
 * made after the rule. Names are checked as the kernel's dev_valid_name() checks them.
 */
static const char *parse_dev(struct skl_rule *r, const char *value)
{
	size_t len = strlen(value);

	if (!len || len >= sizeof(r->dev))
		return "a device name is 1 to 15 characters";
	if (!strcmp(value, ".") || !strcmp(value, ".."))
		return "'.' and '..' are not device names";
	if (strpbrk(value, "/: \t\n\v\f\r\xa0"))
		return "a device name has no '/', ':' or white space";
	memcpy(r->dev, value, len + 1);
	return NULL;
}

static const char *format_dev(const struct skl_rule *r, char *buf, size_t size)
{
	(void)buf;
	(void)size;
	return r->dev[0] ? r->dev : NULL;
}

static void put_dev(struct nlmsghdr *nlh, const struct skl_rule *r)
{
	if (r->dev[0])
		mnl_attr_put_strz(nlh, SKL_A_RULE_IFNAME, r->dev);
}

static void get_dev(const struct nlattr *const *tb, struct skl_rule *r)
{
	const struct nlattr *attr = tb[SKL_A_RULE_IFNAME];

	memset(r->dev, 0, sizeof(r->dev));
	if (attr && mnl_attr_get_payload_len(attr) <= sizeof(r->dev))
		strncpy(r->dev, mnl_attr_get_str(attr), sizeof(r->dev) - 1);
}

/* The action words: each prints, in JSON, the action before its own member. */
static void json_action(const struct rule_key *k, const struct skl_rule *r, const char *value)
{
	out_str("action", "", action_name(r->action));
	if (k->takes_value)
		out_str(k->json, "", value);
}

static void get_action(const struct nlattr *const *tb, struct skl_rule *r)
{
	r->action = get_u8(tb[SKL_A_RULE_ACTION], SKL_ACTION_UNSPEC);
}

/* label NAME */
static const char *parse_label(struct skl_rule *r, const char *value)
{
	const char *why = rule_label_invalid(value);

	if (why)
		return why;
	snprintf(r->label, sizeof(r->label), "%s", value);
	r->action = SKL_ACTION_STEER;
	return NULL;
}

static const char *format_label(const struct skl_rule *r, char *buf, size_t size)
{
	(void)buf;
	(void)size;
	return r->action == SKL_ACTION_STEER ? r->label : NULL;
}

static void put_label(struct nlmsghdr *nlh, const struct skl_rule *r)
{
	if (r->action != SKL_ACTION_STEER)
		return;
	mnl_attr_put_u8(nlh, SKL_A_RULE_ACTION, r->action);
	mnl_attr_put_strz(nlh, SKL_A_RULE_LABEL, r->label);
}

static void get_label(const struct nlattr *const *tb, struct skl_rule *r)
{
	get_action(tb, r);
	if (tb[SKL_A_RULE_LABEL])
		snprintf(r->label, sizeof(r->label), "%s", mnl_attr_get_str(tb[SKL_A_RULE_LABEL]));
}

/* redirect ADDR[:PORT] */
static const char *parse_redirect(struct skl_rule *r, const char *value)
{
	const char *why = NULL;

	if (skl_endpoint_parse(value, &r->redirect, &why))
		return why;
	r->action = SKL_ACTION_REDIRECT;
	return NULL;
}

static const char *format_redirect(const struct skl_rule *r, char *buf, size_t size)
{
	if (r->action != SKL_ACTION_REDIRECT)
		return NULL;
	if (r->redirect.family != AF_INET && r->redirect.family != AF_INET6)
		return "?";
	return skl_endpoint_format(&r->redirect, buf, size);
}

static void put_redirect(struct nlmsghdr *nlh, const struct skl_rule *r)
{
	if (r->action != SKL_ACTION_REDIRECT)
		return;
	mnl_attr_put_u8(nlh, SKL_A_RULE_ACTION, r->action);
	mnl_attr_put(nlh, SKL_A_RULE_REDIRECT_ADDR, addr_len(r->redirect.family),
		     r->redirect.addr.bytes);
	if (r->redirect.port)
		mnl_attr_put_u16(nlh, SKL_A_RULE_REDIRECT_PORT, r->redirect.port);
}

static void get_redirect(const struct nlattr *const *tb, struct skl_rule *r)
{
	if (!get_addr(tb[SKL_A_RULE_REDIRECT_ADDR], r->dst.family, r->redirect.addr.bytes))
		return;
	r->redirect.family = r->dst.family;
	if (tb[SKL_A_RULE_REDIRECT_PORT])
		r->redirect.port = mnl_attr_get_u16(tb[SKL_A_RULE_REDIRECT_PORT]);
}

/* noreuseport */
static const char *parse_noreuseport(struct skl_rule *r, const char *value)
{
	(void)value;
	r->flags |= SKL_RULE_F_NOREUSEPORT;
	return NULL;
}

static const char *format_noreuseport(const struct skl_rule *r, char *buf, size_t size)
{
	(void)buf;
	(void)size;
	return r->flags & SKL_RULE_F_NOREUSEPORT ? "" : NULL;
}

static void json_flag(const struct rule_key *k, const struct skl_rule *r, const char *value)
{
	(void)r;
	out_bool(k->json, "", value != NULL);
}

/* else drop */
static const char *parse_else(struct skl_rule *r, const char *value)
{
	if (strcmp(value, "drop"))
		return "else takes drop: what the rule does when its label has no live socket";
	r->flags |= SKL_RULE_F_ELSE_DROP;
	return NULL;
}

static const char *format_else(const struct skl_rule *r, char *buf, size_t size)
{
	(void)buf;
	(void)size;
	return r->flags & SKL_RULE_F_ELSE_DROP ? "drop" : NULL;
}

/* Every flag, for the rows of noreuseport and else, which share the attribute. */
static void put_flags(struct nlmsghdr *nlh, const struct skl_rule *r)
{
	if (r->flags)
		mnl_attr_put_u32(nlh, SKL_A_RULE_FLAGS, r->flags);
}

static void get_flags(const struct nlattr *const *tb, struct skl_rule *r)
{
	r->flags = tb[SKL_A_RULE_FLAGS] ? mnl_attr_get_u32(tb[SKL_A_RULE_FLAGS]) : 0;
}

/* drop */
static const char *parse_drop(struct skl_rule *r, const char *value)
{
	(void)value;
	r->action = SKL_ACTION_DROP;
	return NULL;
}

static const char *format_drop(const struct skl_rule *r, char *buf, size_t size)
{
	(void)buf;
	(void)size;
	return r->action == SKL_ACTION_DROP ? "" : NULL;
}

static void put_drop(struct nlmsghdr *nlh, const struct skl_rule *r)
{
	if (r->action == SKL_ACTION_DROP)
		mnl_attr_put_u8(nlh, SKL_A_RULE_ACTION, r->action);
}

/* comment TEXT: printable UTF-8, as a label, of the module's length */
static const char *parse_comment(struct skl_rule *r, const char *value)
{
	const char *why;

	if (!*value || strlen(value) >= SKL_RULE_COMMENT_MAX)
		return "must be 1 to 127 bytes";
	why = skl_text_invalid(value);
	if (why)
		return why;
	r->comment = value;
	return NULL;
}

static const char *format_comment(const struct skl_rule *r, char *buf, size_t size)
{
	(void)buf;
	(void)size;
	return r->comment;
}

static void put_comment(struct nlmsghdr *nlh, const struct skl_rule *r)
{
	if (r->comment)
		mnl_attr_put_strz(nlh, SKL_A_RULE_COMMENT, r->comment);
}

static void get_comment(const struct nlattr *const *tb, struct skl_rule *r)
{
	const struct nlattr *attr = tb[SKL_A_RULE_COMMENT];

	r->comment = attr && mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0 ?
		     mnl_attr_get_str(attr) : NULL;
}

static const char *const proto_names[] = { [IPPROTO_TCP] = "tcp", [IPPROTO_UDP] = "udp" };
static const char *const phase_names[] = {
	[SKL_PHASE_FIRST] = "first", [SKL_PHASE_SPECIFIC] = "specific",
	[SKL_PHASE_FALLBACK] = "fallback",
};

#define NAMES(a) (sizeof(a) / sizeof((a)[0]))

/*
 * In the order dump prints them. Every get() runs, whether or not the rule has the word;
 * get_dst() first, since src and redirect take its family.
 */
static const struct rule_key rule_keys[] = {
	{ .word = "proto", .names = proto_names, .nnames = NAMES(proto_names),
	  .field = offsetof(struct skl_rule, proto), .attr = SKL_A_RULE_PROTO,
	  .takes_value = true, .json = "proto" },
	{ .word = "dst", .attr = SKL_A_RULE_DST, .takes_value = true, .parse = parse_dst,
	  .format = format_dst, .json = "dst", .put = put_dst, .get = get_dst },
	{ .word = "port", .attr = SKL_A_RULE_PORT_MIN, .takes_value = true, .parse = parse_port,
	  .format = format_port, .dflt = "any", .json = "port", .json_more = json_port,
	  .put = put_port, .get = get_port },
	{ .word = "src", .attr = SKL_A_RULE_SRC, .takes_value = true, .parse = parse_src,
	  .format = format_src, .json = "src", .put = put_src, .get = get_src },
	{ .word = "dev", .attr = SKL_A_RULE_IFNAME, .takes_value = true, .parse = parse_dev,
	  .format = format_dev, .json = "dev", .put = put_dev, .get = get_dev },
	{ .word = "phase", .names = phase_names, .nnames = NAMES(phase_names),
	  .field = offsetof(struct skl_rule, phase), .attr = SKL_A_RULE_PHASE,
	  .takes_value = true, .dflt = "first", .json = "phase" },
	{ .word = "label", .attr = SKL_A_RULE_LABEL, .takes_value = true, .is_action = true,
	  .parse = parse_label, .format = format_label, .json = "label",
	  .json_more = json_action, .put = put_label, .get = get_label },
	{ .word = "redirect", .attr = SKL_A_RULE_REDIRECT_ADDR, .takes_value = true,
	  .is_action = true, .parse = parse_redirect, .format = format_redirect,
	  .json = "redirect", .json_more = json_action, .put = put_redirect,
	  .get = get_redirect },
	{ .word = "noreuseport", .attr = SKL_A_RULE_FLAGS, .parse = parse_noreuseport,
	  .format = format_noreuseport, .json = "noreuseport", .json_more = json_flag,
	  .put = put_flags, .get = get_flags },
	/* Its flag goes and comes with noreuseport's row, which puts and reads them all. */
	{ .word = "else", .attr = SKL_A_RULE_FLAGS, .takes_value = true, .parse = parse_else,
	  .format = format_else, .json = "else" },
	{ .word = "drop", .attr = SKL_A_RULE_ACTION, .is_action = true, .parse = parse_drop,
	  .format = format_drop, .json_more = json_action, .put = put_drop },
	{ .word = "comment", .attr = SKL_A_RULE_COMMENT, .takes_value = true, .quoted = true,
	  .parse = parse_comment, .format = format_comment, .json = "comment",
	  .put = put_comment, .get = get_comment },
};

#define RULE_KEYS (sizeof(rule_keys) / sizeof(rule_keys[0]))

static const struct rule_key *find_key(const char *word)
{
	size_t i;

	for (i = 0; i < RULE_KEYS; i++) {
		if (!strcmp(word, rule_keys[i].word))
			return &rule_keys[i];
	}
	return NULL;
}

/* "WHAT a, b or c", of the non-NULL @names. */
static const char *name_list(const char *what, const char *const *names, size_t n,
			     char *buf, size_t size)
{
	size_t i, total = 0, seen = 0, len;

	for (i = 0; i < n; i++)
		total += names[i] != NULL;
	snprintf(buf, size, "%s", what);
	for (i = 0; i < n; i++) {
		if (!names[i])
			continue;
		len = strlen(buf);
		snprintf(buf + len, size - len, "%s %s",
			 !seen ? "" : seen + 1 < total ? "," : " or", names[i]);
		seen++;
	}
	return buf;
}

static const char *key_parse(const struct rule_key *k, struct skl_rule *r, const char *value)
{
	static char why[80];
	size_t i;

	if (!k->names)
		return k->parse(r, value);
	for (i = 0; i < k->nnames; i++) {
		if (k->names[i] && !strcmp(value, k->names[i])) {
			*((uint8_t *)r + k->field) = i;
			return NULL;
		}
	}
	return name_list("must be", k->names, k->nnames, why, sizeof(why));
}

static const char *key_format(const struct rule_key *k, const struct skl_rule *r, char *buf,
			      size_t size)
{
	uint8_t v;

	if (!k->names)
		return k->format(r, buf, size);
	v = *((const uint8_t *)r + k->field);
	return v < k->nnames && k->names[v] ? k->names[v] : "?";
}

static void key_put(const struct rule_key *k, struct nlmsghdr *nlh, const struct skl_rule *r)
{
	if (k->names)
		mnl_attr_put_u8(nlh, k->attr, *((const uint8_t *)r + k->field));
	else if (k->put)
		k->put(nlh, r);
}

static void key_get(const struct rule_key *k, const struct nlattr *const *tb, struct skl_rule *r)
{
	if (k->names)
		*((uint8_t *)r + k->field) = get_u8(tb[k->attr], 0);
	else if (k->get)
		k->get(tb, r);
}

/* "expected proto, dst, ... or drop", from the table. */
static const char *expected_words(char *buf, size_t size)
{
	size_t i, len;

	snprintf(buf, size, "expected");
	for (i = 0; i < RULE_KEYS; i++) {
		len = strlen(buf);
		snprintf(buf + len, size - len, "%s %s", !i ? "" : i + 1 < RULE_KEYS ? "," : " or",
			 rule_keys[i].word);
	}
	return buf;
}

#define SKL_ONE_ACTION "give one of label NAME, redirect ADDR[:PORT] or drop, once"

int parse_rule_word(const char *where, const char *word, const char *value, struct skl_rule *r)
{
	const struct rule_key *k = find_key(word);
	const char *why;

	if (!k)
		return skl_usage_error(where, "unknown keyword", word, "not a keyword of a rule");
	why = key_parse(k, r, value);
	return why ? skl_usage_error(where, word, value, why) : 0;
}

int parse_rule(const char *where, int argc, char **argv, struct skl_rule *r)
{
	const struct rule_key *k;
	uint32_t seen = 0;
	char expected[160];
	int i, ret;

	memset(r, 0, sizeof(*r));
	r->port_hi = 65535;
	r->phase = SKL_PHASE_FIRST;
	for (i = 0; i < argc; i++) {
		k = find_key(argv[i]);
		if (!k)
			return skl_usage_error(where, "unknown keyword", argv[i],
					       expected_words(expected, sizeof(expected)));
		if (seen & (1u << (k - rule_keys)))
			return skl_usage_error(where, "keyword", argv[i],
					       "given more than once in one rule");
		seen |= 1u << (k - rule_keys);
		if (k->is_action && r->action)
			return skl_usage_error(where, "", NULL, SKL_ONE_ACTION);
		if (k->takes_value && i + 1 == argc)
			return skl_usage_error(where, "missing value after", argv[i],
					       "give a value");
		ret = parse_rule_word(where, k->word, k->takes_value ? argv[i + 1] : NULL, r);
		if (ret)
			return ret;
		i += k->takes_value;
	}
	if (!r->proto)
		return skl_usage_error(where, "", NULL, "missing proto tcp|udp");
	if (!r->dst.family)
		return skl_usage_error(where, "", NULL, "missing dst PREFIX");
	if (!r->action)
		return skl_usage_error(where, "", NULL,
				       "missing label NAME, redirect ADDR[:PORT] or drop");
	if (r->has_src && r->src.family != r->dst.family)
		return skl_usage_error(where, "src", NULL,
				       "src and dst must be of one address family");
	if (r->action == SKL_ACTION_REDIRECT && r->redirect.family != r->dst.family)
		return skl_usage_error(where, "redirect", NULL,
				       "redirect and dst must be of one address family");
	if ((r->flags & SKL_RULE_F_NOREUSEPORT) && r->action != SKL_ACTION_STEER)
		return skl_usage_error(where, "", NULL, "noreuseport goes with label NAME");
	if ((r->flags & SKL_RULE_F_ELSE_DROP) && r->action != SKL_ACTION_STEER)
		return skl_usage_error(where, "", NULL, "else drop goes with label NAME");
	/*
	 * A source prefix of length 0 is any source, which the module keeps as no source:
	 * so does the rule here, so that it compares equal to the rule the module keeps
	 * (apply's diff, a repeat in a file, del-rule by words).
	 */
	if (r->has_src && !r->src.len) {
		memset(&r->src, 0, sizeof(r->src));
		r->has_src = false;
	}
	return 0;
}

/* @text after @len bytes of @buf, cut short at @size; returns the new length. */
static size_t append(char *buf, size_t len, size_t size, const char *text)
{
	size_t n = strlen(text);

	if (len + n >= size)
		n = len < size ? size - 1 - len : 0;
	memcpy(buf + len, text, n);
	buf[len + n] = '\0';
	return len + n;
}

/*
 * A value that split_words() of rule_parse.c would not read back as one word as it is:
 * empty, or with a blank or '#', or starting with a quote.
 */
static bool needs_quotes(const char *v)
{
	return !*v || *v == '"' || strpbrk(v, " \t\r\n#");
}

/* @text in double quotes, with its quotes and backslashes escaped by a backslash. */
static size_t append_quoted(char *buf, size_t len, size_t size, const char *text)
{
	char c[3] = "\\";

	len = append(buf, len, size, "\"");
	for (; *text; text++) {
		c[1] = *text;
		len = append(buf, len, size, *text == '"' || *text == '\\' ? c : c + 1);
	}
	return append(buf, len, size, "\"");
}

/*
 * The first word of @r that this sklookupctl cannot write, or 0. Every word attribute its
 * header names is one of the table's, so an unknown one is above SKL_A_RULE_MAX; a known
 * word may hold a value it does not know too (a protocol, an address family, a phase, an
 * action or a flag of a newer module's), which would print as nothing or as "?".
 */
static unsigned int unknown_word(const struct nlattr *const *tb, const struct skl_rule *r)
{
	uint64_t words = get_u64(tb[SKL_A_RULE_WORDS]);
	uint8_t family = get_u8(tb[SKL_A_RULE_FAMILY], 0);
	unsigned int n;
	size_t i;

	for (i = 0; i < RULE_KEYS; i++) {
		const struct rule_key *k = &rule_keys[i];
		uint8_t v;

		if (!k->names || !tb[k->attr])
			continue;
		v = *((const uint8_t *)r + k->field);
		if (v >= k->nnames || !k->names[v])
			return k->attr;
	}
	if (tb[SKL_A_RULE_FAMILY] && family != AF_INET && family != AF_INET6)
		return SKL_A_RULE_FAMILY;
	if (r->flags & ~SKL_RULE_F_ALL)
		return SKL_A_RULE_FLAGS;
	if (r->action > SKL_ACTION_MAX)
		return SKL_A_RULE_ACTION;
	for (n = SKL_A_RULE_MAX + 1; n < 64; n++)
		if (words & (1ULL << n))
			return n;
	return 0;
}

const char *rule_unknown_word_source(const struct skl_rule *r)
{
	return r->unknown_word > SKL_A_RULE_MAX ? "a newer module's" :
	       "with a newer module's value";
}

void rule_warn_unknown_word(const struct skl_rule *r)
{
	static bool warned;

	if (!r->unknown_word || warned)
		return;
	warned = true;
	skl_err("rule %" PRIu64 " has a word this sklookupctl does not know (attribute %u, %s): shown as ?attr%u, which apply refuses; use a sklookupctl as new as the module",
		r->id, r->unknown_word, rule_unknown_word_source(r), r->unknown_word);
}

const char *rule_words(const struct skl_rule *r, char *buf, size_t size)
{
	char value[64];
	const char *v;
	size_t i, len = 0;

	/* Not snprintf: apply prints a line for each of up to a million rules. */
	buf[0] = '\0';
	for (i = 0; i < RULE_KEYS; i++) {
		const struct rule_key *k = &rule_keys[i];

		v = key_format(k, r, value, sizeof(value));
		if (!v || (k->dflt && !strcmp(v, k->dflt)))
			continue;
		if (len)
			len = append(buf, len, size, " ");
		len = append(buf, len, size, k->word);
		if (k->takes_value) {
			len = append(buf, len, size, " ");
			if (k->quoted || needs_quotes(v))
				len = append_quoted(buf, len, size, v);
			else
				len = append(buf, len, size, v);
		}
	}
	if (r->unknown_word) {
		rule_warn_unknown_word(r);
		snprintf(value, sizeof(value), "%s?attr%u", len ? " " : "", r->unknown_word);
		append(buf, len, size, value);
	}
	return buf;
}

void rule_put(struct nlmsghdr *nlh, const struct skl_rule *r)
{
	size_t i;

	for (i = 0; i < RULE_KEYS; i++)
		key_put(&rule_keys[i], nlh, r);
}

void rule_get(const struct nlattr *const *tb, struct skl_rule *r)
{
	size_t i;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < RULE_KEYS; i++) {
		key_get(&rule_keys[i], tb, r);
	}
	r->id = get_u64(tb[SKL_A_RULE_ID]);
	r->has_hits = tb[SKL_A_RULE_HITS] != NULL;
	r->hits = get_u64(tb[SKL_A_RULE_HITS]);
	r->has_misses = tb[SKL_A_RULE_MISSES] != NULL;
	r->misses = get_u64(tb[SKL_A_RULE_MISSES]);
	r->unknown_word = unknown_word(tb, r);
}

void rule_get_msg(const struct nlmsghdr *nlh, struct skl_rule *r)
{
	const struct nlattr *tb[SKL_A_RULE_MAX + 1] = { 0 };
	struct attr_table t = { tb, SKL_A_RULE_MAX };

	mnl_attr_parse(nlh, sizeof(struct genlmsghdr), table_cb, &t);
	rule_get(tb, r);
}

void rule_get_nested(const struct nlattr *nest, struct skl_rule *r)
{
	const struct nlattr *tb[SKL_A_RULE_MAX + 1] = { 0 };
	struct attr_table t = { tb, SKL_A_RULE_MAX };

	mnl_attr_parse_nested(nest, table_cb, &t);
	rule_get(tb, r);
}

int rule_cmp(const struct skl_rule *a, const struct skl_rule *b)
{
	/*
	 * parse_rule() and rule_get() start from a zeroed struct and write only the fields
	 * the rule has, so equal words are equal bytes up to the id.
	 */
	return memcmp(a, b, offsetof(struct skl_rule, id));
}

void rule_print(const struct skl_rule *r, const char *key, unsigned int flags)
{
	char words[RULE_WORDS_MAX], value[64];
	const char *v;
	size_t i;

	out_open_object(key);
	/* A rule read from a file has no id yet. */
	if (r->id)
		out_uint("id", flags & RULE_PRINT_ID ? "%-4" PRIu64 " " : "", r->id);
	/* The text is the words; JSON has a member per keyword instead. */
	if (!out_is_json())
		out_text("%s", rule_words(r, words, sizeof(words)));
	for (i = 0; i < RULE_KEYS && out_is_json(); i++) {
		const struct rule_key *k = &rule_keys[i];

		v = key_format(k, r, value, sizeof(value));
		/* A word without a value that has a key is a boolean: false when left out. */
		if (!v && (k->takes_value || !k->json))
			continue;
		if (k->json_more)
			k->json_more(k, r, v);
		else
			out_str(k->json, "", v);
	}
	if (r->unknown_word && out_is_json()) {
		rule_warn_unknown_word(r);
		out_uint("unknown_word", "", r->unknown_word);
	}
	if (r->has_hits && ((flags & RULE_PRINT_HITS) || out_is_json()))
		out_uint("hits", "  hits %" PRIu64, r->hits);
	if (r->has_misses && ((flags & RULE_PRINT_HITS) || out_is_json()))
		out_uint("misses", " misses %" PRIu64, r->misses);
	out_close_object();
}
