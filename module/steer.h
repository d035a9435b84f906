/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SKL_STEER_H
#define SKL_STEER_H

#include <linux/jump_label.h>
#include <linux/ptrace.h>

#include "compat/compat.h"
#include "match.h"

/* On while any namespace has rules: until then a hook costs one patched-out branch. */
DECLARE_STATIC_KEY_FALSE(skl_steer_any_rules);

void skl_steer_ruleset_added(void);
void skl_steer_ruleset_removed(void);
void skl_steer_init(void);

void skl_steer_tcp(struct skl_hook_regs *regs, u8 family);
void skl_steer_udp(struct skl_hook_regs *regs, u8 family);

struct skl_rule;
struct skl_lookup;

u32 skl_lookup_hash(const struct skl_lookup *l);

/* A flow to explain: what the first packet of a connection or a datagram carries. */
struct skl_explain_query {
	struct skl_match_key key;	/* dst, src, dport; dif is the ingress device */
	__be16 sport;
	u8 proto;
	u8 family;
};

/**
 * struct skl_trace - what one decision did, for explain
 * @key: the key the rules were matched with
 * @consulted: per phase, whether the decision looked at its rules
 * @chosen: per phase, the rule the matcher chose there (NULL: none matched)
 * @empty: per phase, whether the chosen rule found no socket to answer with
 * @decided: the rule whose action answered, or NULL
 * @found: the kernel's own answer, if its lookup ran (a reference is held)
 * @sk: the answer (a reference is held), NULL for none
 */
struct skl_trace {
	struct skl_match_key key;
	bool consulted[SKL_PHASE_MAX + 1];
	const struct skl_rule *chosen[SKL_PHASE_MAX + 1];
	bool empty[SKL_PHASE_MAX + 1];
	const struct skl_rule *decided;
	struct sock *found;
	struct sock *sk;
};

void skl_steer_explain(struct net *net, const struct skl_explain_query *q,
		       struct skl_trace *trace);
void skl_trace_release(struct skl_trace *trace);

#endif /* SKL_STEER_H */
