// SPDX-License-Identifier: GPL-2.0
/*
 * sklookupctl's reading of a rule the module sends (userspace/rule_codec.c), for what a
 * newer module may send: a word this sklookupctl does not know, as an attribute above the
 * ones it knows or as a value of one it knows, must be reported as the rule's unknown
 * word (dump refuses to print such a rule, show marks it), never read as a narrower rule
 * or printed as "?" with dump's success. Prints "ok - ..." or "not ok - ..." per case.
 */
#include <linux/genetlink.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <netinet/in.h>
#include <sys/socket.h>

#include "sklookup.h"
#include "rule_codec.h"
#include "util.h"

void skl_err(const char *fmt, ...)
{
	(void)fmt;
}

struct rule_msg {
	uint8_t proto, family, phase, action;
	uint32_t flags;
	uint64_t words;
};

/* A rule as the module sends it: tcp dst 192.0.2.0/24 label web, its words' mask. */
static void put_rule(struct nlmsghdr *nlh, const struct rule_msg *m)
{
	static const uint8_t dst[4] = { 192, 0, 2, 0 };

	mnl_attr_put_u64(nlh, SKL_A_RULE_ID, 7);
	mnl_attr_put_u8(nlh, SKL_A_RULE_PROTO, m->proto);
	mnl_attr_put_u8(nlh, SKL_A_RULE_FAMILY, m->family);
	mnl_attr_put(nlh, SKL_A_RULE_DST, sizeof(dst), dst);
	mnl_attr_put_u8(nlh, SKL_A_RULE_DST_PREFIXLEN, 24);
	mnl_attr_put_u16(nlh, SKL_A_RULE_PORT_MIN, 0);
	mnl_attr_put_u16(nlh, SKL_A_RULE_PORT_MAX, 65535);
	mnl_attr_put_u8(nlh, SKL_A_RULE_PHASE, m->phase);
	mnl_attr_put_u8(nlh, SKL_A_RULE_ACTION, m->action);
	mnl_attr_put_strz(nlh, SKL_A_RULE_LABEL, "web");
	mnl_attr_put_u32(nlh, SKL_A_RULE_FLAGS, m->flags);
	mnl_attr_put_u64(nlh, SKL_A_RULE_WORDS, m->words);
}

static int failed;

static void check(const char *name, const struct rule_msg *m, unsigned int want)
{
	static char buf[4096];
	struct nlmsghdr *nlh;
	struct genlmsghdr *genl;
	struct skl_rule r;
	char words[RULE_WORDS_MAX];

	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = SKL_CMD_RULE_GET;
	put_rule(nlh, m);
	rule_get_msg(nlh, &r);
	rule_words(&r, words, sizeof(words));
	if (r.unknown_word == want) {
		printf("ok - rule codec: %s: %s\n", name, words);
	} else {
		printf("not ok - rule codec: %s: unknown word %u, want %u (%s)\n", name,
		       r.unknown_word, want, words);
		failed = 1;
	}
}

int main(void)
{
	const uint64_t words = 1ULL << SKL_A_RULE_PROTO | 1ULL << SKL_A_RULE_FAMILY |
			       1ULL << SKL_A_RULE_DST | 1ULL << SKL_A_RULE_DST_PREFIXLEN |
			       1ULL << SKL_A_RULE_PORT_MIN | 1ULL << SKL_A_RULE_PORT_MAX |
			       1ULL << SKL_A_RULE_PHASE | 1ULL << SKL_A_RULE_ACTION |
			       1ULL << SKL_A_RULE_LABEL | 1ULL << SKL_A_RULE_FLAGS;
	const struct rule_msg known = {
		.proto = IPPROTO_TCP, .family = AF_INET, .phase = SKL_PHASE_FIRST,
		.action = SKL_ACTION_STEER, .words = words,
	};
	struct rule_msg m;

	check("a rule of known words", &known, 0);
	m = known;
	m.words |= 1ULL << 60;
	check("a word above the known attributes", &m, 60);
	m = known;
	m.proto = IPPROTO_SCTP;
	check("a protocol it does not know", &m, SKL_A_RULE_PROTO);
	m = known;
	m.family = AF_PACKET;
	check("an address family it does not know", &m, SKL_A_RULE_FAMILY);
	m = known;
	m.phase = SKL_PHASE_MAX + 1;
	check("a phase it does not know", &m, SKL_A_RULE_PHASE);
	m = known;
	m.action = SKL_ACTION_MAX + 1;
	check("an action it does not know", &m, SKL_A_RULE_ACTION);
	m = known;
	m.flags = 1U << 31;
	check("a flag it does not know", &m, SKL_A_RULE_FLAGS);
	return failed;
}
