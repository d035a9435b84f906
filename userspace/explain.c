// SPDX-License-Identifier: GPL-2.0
/*
 * sklookupctl explain: where a new connection or datagram would go, and why. The module
 * decides it as the receive path would, with no side effect; this prints the verdict, the
 * socket with the process that holds it, and every rule that matched with what became of
 * it, in the rule's own words.
 */
#include <arpa/inet.h>
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
#include "output.h"
#include "rule_codec.h"
#include "rule_format.h"
#include "rule_parse.h"
#include "util.h"

struct explain_query {
	uint8_t proto;
	struct skl_prefix dst;
	uint16_t port;
	struct skl_endpoint src;
	int has_src;
	unsigned int ifindex;
};

struct explain_match {
	uint64_t id;
	uint8_t phase;
	uint8_t outcome;
	char words[RULE_WORDS_MAX];
};

struct explain_reply {
	const struct nlattr *tb[SKL_A_EXPLAIN_MAX + 1];
	struct nlmsghdr *msg;		/* a copy: tb points into it */
	struct explain_match *matches;
	size_t count;
	struct skl_rule decided;	/* the deciding rule, once the dump found it */
};

/*
 * The words of a lookup: a rule's proto, dst, port and dev, each narrowed to one value,
 * and src, which is an address with a port rather than a rule's prefix.
 */
static int parse_query(int argc, char **argv, struct explain_query *q)
{
	static const char *const words[] = { "proto", "dst", "port", "src", "dev" };
	struct skl_rule r = { .port_hi = 65535 };
	unsigned int seen = 0, w;
	const char *why;
	int i;

	memset(q, 0, sizeof(*q));
	for (i = 0; i < argc; i++) {
		const char *key = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		for (w = 0; w < sizeof(words) / sizeof(words[0]) && strcmp(key, words[w]); w++)
			;
		if (w == sizeof(words) / sizeof(words[0]))
			return skl_usage_error("explain", "unknown keyword", key,
					       "expected proto, dst, port, src or dev");
		if (seen & (1u << w))
			return skl_usage_error("explain", "keyword", key,
					       "given more than once in one query");
		seen |= 1u << w;
		if (!val)
			return skl_usage_error("explain", "missing value after", key, "give a value");
		i++;
		if (!strcmp(key, "src")) {
			if (skl_endpoint_parse(val, &q->src, &why))
				return skl_usage_error("explain", "src", val, why);
			q->has_src = 1;
			continue;
		}
		if (parse_rule_word("explain", key, val, &r))
			return SKL_EXIT_USAGE;
		if (!strcmp(key, "dst") && r.dst.len != (r.dst.family == AF_INET ? 32 : 128))
			return skl_usage_error("explain", "dst", val, "give one address, not a prefix");
		if (!strcmp(key, "port") && r.port_lo != r.port_hi)
			return skl_usage_error("explain", "port", val, "give one port, 1 to 65535");
	}
	q->proto = r.proto;
	q->dst = r.dst;
	q->port = r.port_lo == r.port_hi ? r.port_lo : 0;
	/* A query asks about a device there is: its index now. */
	if (r.dev[0]) {
		q->ifindex = if_nametoindex(r.dev);
		if (!q->ifindex)
			return skl_usage_error("explain", "dev", r.dev, "no such device");
	}
	if (!q->proto)
		return skl_usage_error("explain", "", NULL, "missing proto tcp|udp");
	if (!q->dst.family)
		return skl_usage_error("explain", "", NULL, "missing dst ADDR");
	if (!q->port)
		return skl_usage_error("explain", "", NULL,
				       "missing port N: a lookup is for one port");
	if (q->has_src && q->src.family != q->dst.family)
		return skl_usage_error("explain", "src", NULL,
				       "src and dst must be of one address family");
	return 0;
}

static int explain_cb(const struct nlmsghdr *nlh, void *data)
{
	struct explain_reply *r = data;
	struct attr_table t = { r->tb, SKL_A_EXPLAIN_MAX };
	const struct nlattr *attr;

	r->msg = malloc(nlh->nlmsg_len);
	if (!r->msg)
		return MNL_CB_ERROR;
	memcpy(r->msg, nlh, nlh->nlmsg_len);
	mnl_attr_parse(r->msg, sizeof(struct genlmsghdr), table_cb, &t);
	mnl_attr_for_each(attr, r->msg, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(attr) == SKL_A_EXPLAIN_MATCH)
			r->count++;
	}
	r->matches = calloc(r->count ? r->count : 1, sizeof(*r->matches));
	if (!r->matches)
		return MNL_CB_ERROR;
	r->count = 0;
	mnl_attr_for_each(attr, r->msg, sizeof(struct genlmsghdr)) {
		const struct nlattr *m[SKL_A_EXPLAIN_MATCH_MAX + 1] = { 0 };
		struct attr_table mt = { m, SKL_A_EXPLAIN_MATCH_MAX };
		struct explain_match *match = &r->matches[r->count++];

		if (mnl_attr_get_type(attr) != SKL_A_EXPLAIN_MATCH) {
			r->count--;
			continue;
		}
		mnl_attr_parse_nested(attr, table_cb, &mt);
		match->id = get_u64(m[SKL_A_EXPLAIN_MATCH_RULE_ID]);
		match->phase = m[SKL_A_EXPLAIN_MATCH_PHASE] ?
			       mnl_attr_get_u8(m[SKL_A_EXPLAIN_MATCH_PHASE]) : 0;
		match->outcome = m[SKL_A_EXPLAIN_MATCH_OUTCOME] ?
				 mnl_attr_get_u8(m[SKL_A_EXPLAIN_MATCH_OUTCOME]) : 0;
		snprintf(match->words, sizeof(match->words), "?");
	}
	return MNL_CB_OK;
}

/* The rule dump gives the words of the rules the reply names by id. */
static int words_cb(const struct nlmsghdr *nlh, void *data)
{
	struct explain_reply *r = data;
	struct skl_rule rule;
	size_t i;

	rule_get_msg(nlh, &rule);
	for (i = 0; i < r->count; i++) {
		if (r->matches[i].id == rule.id)
			rule_words(&rule, r->matches[i].words, sizeof(r->matches[i].words));
	}
	if (r->tb[SKL_A_EXPLAIN_RULE_ID] && get_u64(r->tb[SKL_A_EXPLAIN_RULE_ID]) == rule.id) {
		r->decided = rule;
		/* It pointed into this message; the verdict names the rule by its id. */
		r->decided.comment = NULL;
	}
	return MNL_CB_OK;
}

static const char *verdict_name(uint8_t verdict)
{
	static const char *const names[] = { "rule", "drop", "kernel", "none" };

	return verdict <= SKL_VERDICT_MAX ? names[verdict] : "?";
}

static const char *outcome_name(uint8_t outcome)
{
	static const char *const names[] = { "decided", "no-socket", "outranked", "not-reached" };

	return outcome <= SKL_OUTCOME_MAX ? names[outcome] : "?";
}

static void print_flow(const struct explain_query *q)
{
	char addr[INET6_ADDRSTRLEN], src[64] = "any", fmt[32];

	inet_ntop(q->dst.family, q->dst.addr.bytes, addr, sizeof(addr));
	if (q->has_src)
		skl_endpoint_format(&q->src, src, sizeof(src));
	out_str("proto", "%s", q->proto == IPPROTO_TCP ? "tcp" : "udp");
	out_str("src", " from %s", src);
	snprintf(fmt, sizeof(fmt), q->dst.family == AF_INET6 ? " to [%%s]" : " to %%s");
	out_str("dst", fmt, addr);
	out_uint("port", ":%" PRIu64 "\n", q->port);
}

static void print_verdict(const struct explain_query *q, const struct explain_reply *r)
{
	uint8_t verdict = mnl_attr_get_u8(r->tb[SKL_A_EXPLAIN_VERDICT]);
	const char *refused = q->proto == IPPROTO_TCP ? "the connection is refused" :
				"the datagram is dropped";
	char target[64];
	uint8_t phase;

	out_str("verdict", "", verdict_name(verdict));
	if (verdict == SKL_VERDICT_KERNEL) {
		out_text("the kernel's own lookup answers: no rule decided\n");
	} else if (verdict == SKL_VERDICT_NONE) {
		out_text("nothing answers: %s%s\n", refused,
			 q->proto == IPPROTO_UDP ? " (port unreachable)" : "");
	} else {
		phase = r->tb[SKL_A_EXPLAIN_PHASE] ? mnl_attr_get_u8(r->tb[SKL_A_EXPLAIN_PHASE]) : 0;
		out_uint("rule", "rule %" PRIu64, get_u64(r->tb[SKL_A_EXPLAIN_RULE_ID]));
		out_str("phase", " in phase %s", phase_name(phase));
		if (verdict == SKL_VERDICT_DROP) {
			out_str("action", "", "drop");
			out_text(" drops it: %s\n", refused);
		} else if (r->decided.action == SKL_ACTION_STEER) {
			out_str("action", "", "steer");
			out_str("label", " steers it to label %s\n", r->decided.label);
		} else {
			skl_endpoint_format(&r->decided.redirect, target, sizeof(target));
			out_str("action", "", "redirect");
			out_str("redirect", " redirects it to %s\n",
				r->decided.redirect.family ? target : "?");
		}
	}
	if (r->tb[SKL_A_EXPLAIN_SOCKET])
		print_socket(r->tb[SKL_A_EXPLAIN_SOCKET], "socket", "  socket: ", true);
	if (r->tb[SKL_A_EXPLAIN_KERNEL_SOCKET])
		print_socket(r->tb[SKL_A_EXPLAIN_KERNEL_SOCKET], "kernel_socket",
			     "  instead of the kernel's answer: ", true);
}

static void print_matches(const struct explain_reply *r)
{
	size_t i;

	out_open_array("matches");
	if (r->count)
		out_text("  rules that match:\n");
	else
		out_text("  no rule matches\n");
	for (i = 0; i < r->count; i++) {
		const struct explain_match *m = &r->matches[i];

		out_open_object(NULL);
		out_uint("id", "    %-4" PRIu64, m->id);
		out_str("phase", " %-8s", phase_name(m->phase));
		out_str("outcome", " %-11s", outcome_name(m->outcome));
		out_str("rule", " %s\n", m->words);
		out_close_object();
	}
	out_close_array();
	out_bool("truncated", "", r->tb[SKL_A_EXPLAIN_TRUNCATED] != NULL);
	if (r->tb[SKL_A_EXPLAIN_TRUNCATED])
		out_text("  (more rules match than the module's answer holds)\n");
}

int explain_main(int argc, char **argv)
{
	struct explain_reply r = { 0 };
	struct explain_query q;
	struct nlmsghdr *nlh;
	struct skl_nl nl;
	size_t alen;
	int ret;

	ret = parse_query(argc, argv, &q);
	if (ret)
		return ret;
	if (skl_nl_open(&nl) < 0)
		return SKL_EXIT_FAIL;
	alen = q.dst.family == AF_INET ? 4 : 16;
	nlh = skl_nl_request(&nl, SKL_CMD_EXPLAIN, 0);
	mnl_attr_put_u8(nlh, SKL_A_EXPLAIN_PROTO, q.proto);
	mnl_attr_put_u8(nlh, SKL_A_EXPLAIN_FAMILY, q.dst.family);
	mnl_attr_put(nlh, SKL_A_EXPLAIN_DST, alen, q.dst.addr.bytes);
	mnl_attr_put_u16(nlh, SKL_A_EXPLAIN_DPORT, q.port);
	if (q.has_src) {
		mnl_attr_put(nlh, SKL_A_EXPLAIN_SRC, alen, q.src.addr.bytes);
		mnl_attr_put_u16(nlh, SKL_A_EXPLAIN_SPORT, q.src.port);
	}
	if (q.ifindex)
		mnl_attr_put_u32(nlh, SKL_A_EXPLAIN_IFINDEX, q.ifindex);
	ret = SKL_EXIT_FAIL;
	if (skl_nl_run(&nl, nlh, explain_cb, &r) < 0) {
		skl_nl_perror(&nl, "explain");
		goto out;
	}
	if (!r.msg || !r.tb[SKL_A_EXPLAIN_VERDICT]) {
		skl_err("explain: the module sent no verdict");
		goto out;
	}
	nlh = skl_nl_request(&nl, SKL_CMD_RULE_GET, NLM_F_DUMP);
	if (skl_nl_run(&nl, nlh, words_cb, &r) < 0) {
		skl_nl_perror(&nl, "explain");
		goto out;
	}
	out_open_object(NULL);
	print_flow(&q);
	print_verdict(&q, &r);
	print_matches(&r);
	out_close_object();
	out_finish();
	ret = 0;
out:
	free(r.matches);
	free(r.msg);
	skl_nl_close(&nl);
	return ret;
}
