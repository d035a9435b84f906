// SPDX-License-Identifier: GPL-2.0
/*
 * The receive path: decide, for one lookup, which socket answers it.
 *
 * Runs in the hooks' ftrace callbacks, in softirq for every new connection and every UDP
 * datagram, in every namespace: no lock, no allocation, no reference taken. The rule set,
 * its labels and their socket arrays are read under RCU; the sockets returned are
 * listeners or bound UDP sockets, which the kernel frees only after a grace period, as
 * for the sockets its own lookups return without a reference.
 *
 * A rule of the first phase answers a TCP lookup in the callback itself: the hooked
 * function returns the chosen socket without running; so does a UDP lookup's where no
 * socket is bound to the port. Every other decision needs the kernel's own answer first
 * (a UDP lookup must find a connected socket of its 4-tuple; the specific and fallback
 * phases depend on what the kernel found), and a redirect is the kernel's lookup of
 * another address: on a match the callback sends the lookup to a wrapper, which makes the
 * kernel's lookups and decides. A first-phase redirect goes before the kernel's lookup of
 * the original destination, for TCP and where UDP's first phase may.
 */
#include <linux/hash.h>
#include <linux/ipv6.h>
#include <linux/jhash.h>
#include <linux/random.h>
#include <linux/tcp.h>
#include <net/inet6_hashtables.h>
#include <net/inet_hashtables.h>
#include <net/ipv6.h>
#include <net/sock.h>
#include <net/sock_reuseport.h>
#include <net/tcp_states.h>
#include <net/udp.h>

#include "compat/compat.h"
#include "fault.h"
#include "hooks.h"
#include "label.h"
#include "netns.h"
#include "rules.h"
#include "steer.h"

DEFINE_STATIC_KEY_FALSE(skl_steer_any_rules);

static u32 skl_flow_seed __read_mostly;

/**
 * skl_steer_init() - prepare the receive path before the hooks go in
 */
void skl_steer_init(void)
{
	skl_flow_seed = get_random_u32();
}

/**
 * skl_steer_ruleset_added() - a namespace got its first rule
 */
void skl_steer_ruleset_added(void)
{
	static_branch_inc(&skl_steer_any_rules);
}

/**
 * skl_steer_ruleset_removed() - a namespace lost its last rule
 */
void skl_steer_ruleset_removed(void)
{
	static_branch_dec(&skl_steer_any_rules);
}

/*
 * A lookup as the decision sees it. The hooks' callbacks fill only what the matcher
 * reads (see skl_lookup_fill_key()), and the rest on a hit they decide; the wrappers and
 * explain fill it all.
 */
struct skl_lookup {
	struct net *net;
	struct skl_match_key key;
	const union skl_match_addr *src;	/* @key.src, or the lookup's own argument */
	struct sk_buff *skb;	/* may be NULL */
	int doff;		/* transport header length, for reuseport programs */
	void *table;		/* the kernel lookup's table argument, for redirects */
	struct skl_trace *trace;	/* explain's record; NULL on the receive path */
	__be16 sport;
	u8 proto;
	u8 family;
};

/**
 * skl_lookup_hash() - a seeded hash of a lookup's flow, so that one flow gets one socket
 * @l: the lookup
 *
 * Computed only where a choice needs it: a label's pick among two sockets or more, a
 * reuseport group.
 *
 * Return: the hash.
 */
u32 skl_lookup_hash(const struct skl_lookup *l)
{
	u32 src, dst;

	if (l->family == AF_INET) {
		src = (__force u32)l->src->ip;
		dst = (__force u32)l->key.dst.ip;
	} else {
		src = ipv6_addr_hash(&l->src->ip6);
		dst = ipv6_addr_hash(&l->key.dst.ip6);
	}
	return jhash_3words(src, dst, ((u32)(__force u16)l->sport << 16) | l->key.dport,
			    skl_flow_seed);
}

static void skl_read_addr(union skl_match_addr *addr, u8 family, unsigned long arg)
{
	if (family == AF_INET)
		addr->ip = (__force __be32)(u32)arg;
	else
		addr->ip6 = *(const struct in6_addr *)arg;
}

/* The rule of @phase that matches @l, or NULL. Under RCU. */
static struct skl_rule *skl_match_phase(const struct skl_ruleset *rs,
					const struct skl_lookup *l, unsigned int phase)
{
	const struct skl_match_table *table;
	const struct skl_match_rule *match;
	struct skl_rule *rule = NULL;

	table = rs->tables[skl_match_table_index(l->proto, l->family, phase)];
	if (table) {
		match = skl_match_lookup(table, &l->key);
		rule = match ? match->priv : NULL;
	}
	if (unlikely(l->trace)) {
		l->trace->consulted[phase] = true;
		l->trace->chosen[phase] = rule;
	}
	return rule;
}

/* Counters move for packets only: explaining a flow must leave no trace in them. */
static void skl_count(const struct skl_lookup *l, struct skl_counter *counter)
{
	if (likely(!l->trace))
		skl_counter_inc(counter);
}

/* Whether a rule of a phase that needs the kernel's answer first matches @l. */
static bool skl_match_later(const struct skl_ruleset *rs, const struct skl_lookup *l)
{
	return skl_match_phase(rs, l, SKL_PHASE_SPECIFIC) ||
	       skl_match_phase(rs, l, SKL_PHASE_FALLBACK);
}

/*
 * The kernel's own lookup of @to and @port, with the packet's source. Called from this
 * module, it is not steered (see the hooks' callback): a redirect cannot loop. Reuseport
 * groups choose among their members as usual.
 */
static struct sock *skl_kernel_lookup(const struct skl_lookup *l,
				      const union skl_match_addr *to, u16 port)
{
	struct sock *found;
	unsigned long outer;

	outer = skl_module_call_begin();
	if (l->proto == IPPROTO_TCP && l->family == AF_INET)
		found = __inet_lookup_listener(l->net, SKL_TCP_HASHINFO_FROM(l->table)
					       l->skb, l->doff, l->key.src.ip, l->sport,
					       to->ip, port, l->key.dif, l->key.sdif);
	else if (l->proto == IPPROTO_TCP)
		found = inet6_lookup_listener(l->net, SKL_TCP_HASHINFO_FROM(l->table)
					      l->skb, l->doff, &l->key.src.ip6, l->sport,
					      &to->ip6, port, l->key.dif, l->key.sdif);
	else if (l->family == AF_INET)
		found = __udp4_lib_lookup(l->net, l->key.src.ip, l->sport, to->ip, htons(port),
					  l->key.dif, l->key.sdif,
					  SKL_UDP_TABLE_FROM(l->table) l->skb);
	else
		found = __udp6_lib_lookup(l->net, &l->key.src.ip6, l->sport, &to->ip6,
					  htons(port), l->key.dif, l->key.sdif,
					  SKL_UDP_TABLE_FROM(l->table) l->skb);
	skl_module_call_end(outer);
	return IS_ERR(found) ? NULL : found;
}

/* A redirect rule: the kernel's lookup at its target. False when nothing answers there. */
static bool skl_redirect(struct skl_rule *rule, const struct skl_lookup *l,
			 struct sock **sk)
{
	struct sock *found;

	found = skl_kernel_lookup(l, &rule->redirect_addr, rule->redirect_port ?: l->key.dport);
	skl_count(l, found ? &rule->hits : &rule->misses);
	if (!found)
		return false;
	*sk = found;
	return true;
}

/*
 * What the rule decides: *@sk is the socket to answer with (NULL for a drop). Returns
 * false, with *@sk as it was (the kernel's answer, where it ran), when the rule's label
 * has no live socket for this lookup, or its redirect found none: the kernel's own
 * lookup then goes on as if no rule had matched. A steer rule with
 * SKL_RULE_F_ELSE_DROP drops instead, so that a stopped service's traffic never
 * reaches another listener.
 */
static bool skl_rule_act(struct skl_rule *rule, const struct skl_lookup *l,
			 struct sock **sk)
{
	struct sock *picked;

	/* One counter per lookup: the rule's hits or misses, which feed its label's. */
	if (rule->match.action == SKL_ACTION_DROP) {
		skl_count(l, &rule->hits);
		*sk = NULL;
		return true;
	}
	if (rule->match.action == SKL_ACTION_REDIRECT)
		return skl_redirect(rule, l, sk);
	picked = skl_label_pick(rule->label, l->proto, l->family, l);
	if (!picked) {
		skl_count(l, &rule->misses);
		if (!(rule->flags & SKL_RULE_F_ELSE_DROP))
			return false;
		*sk = NULL;
		return true;
	}
	/* The socket's reuseport group (and its program) chooses among its members. */
	if (rcu_access_pointer(picked->sk_reuseport_cb) &&
	    !(rule->flags & SKL_RULE_F_NOREUSEPORT)) {
		/*
		 * The flow's hash again where the pick computed it: handing it over costs
		 * every hit more than the second hash costs this rare case.
		 */
		struct sock *member = reuseport_select_sock(picked, skl_lookup_hash(l), l->skb,
							    l->doff);

		if (IS_ERR(member))
			picked = NULL;	/* the group's program dropped it */
		else if (member)
			picked = member;
	}
	skl_count(l, &rule->hits);
	*sk = picked;
	return true;
}

static bool skl_rule_decide(struct skl_rule *rule, const struct skl_lookup *l,
			    struct sock **sk)
{
	bool decided = skl_rule_act(rule, l, sk);

	if (unlikely(l->trace)) {
		if (decided)
			l->trace->decided = rule;
		else
			l->trace->empty[rule->match.phase] = true;
	}
	return decided;
}

/*
 * Make the hooked lookup "return" @sk without running: ftrace's trampoline returns into
 * skl_return_stub, which returns its first argument. Not the saved %rax: from 6.0 a BPF
 * trampoline (fentry, fexit) may share the function, and ftrace's trampoline then jumps
 * to it, with the stub as the "function" it calls (fexit) or returns to (fentry only).
 * It clobbers %rax running its programs, but passes the argument registers it was
 * entered with on to the stub. Its programs see @sk as the lookup's first argument.
 * On arm64 the first argument register, x0, is also the return value register.
 */
static void skl_return(struct skl_hook_regs *regs, struct sock *sk)
{
	skl_hook_return(regs, (unsigned long)sk);
}

/* What every decision reads: the flow's protocol, family and destination. */
static __always_inline void skl_lookup_fill_dst(struct skl_lookup *l, u8 proto, u8 family,
						unsigned long daddr, u16 dport)
{
	l->trace = NULL;
	l->proto = proto;
	l->family = family;
	skl_read_addr(&l->key.dst, family, daddr);
	l->key.dport = dport;
}

static void skl_lookup_fill(struct skl_lookup *l, struct net *net, u8 proto, u8 family,
			    unsigned long saddr, __be16 sport, unsigned long daddr, u16 dport,
			    int dif, int sdif, struct sk_buff *skb, int doff)
{
	skl_lookup_fill_dst(l, proto, family, daddr, dport);
	l->net = net;
	l->table = NULL;
	l->skb = skb;
	l->doff = doff;
	skl_read_addr(&l->key.src, family, saddr);
	l->src = &l->key.src;
	l->sport = sport;
	l->key.dif = dif;
	l->key.sdif = sdif;
}

/*
 * The callbacks' part of skl_lookup_fill(): what the matcher reads of @rs's rules. The
 * source only when a rule has a source prefix, but for IPv4, where it is a register
 * read (the flow hash takes an IPv6 one where the lookup's caller keeps it); the devices
 * only when a rule names one: reading them takes the stack for TCP. The @dif and @sdif
 * argument numbers are constants once inlined.
 */
static __always_inline void skl_lookup_fill_key(struct skl_lookup *l,
						const struct skl_ruleset *rs,
						struct skl_hook_regs *regs, u8 proto, u8 family,
						unsigned long saddr, unsigned long daddr, u16 dport,
						unsigned int dif, unsigned int sdif)
{
	skl_lookup_fill_dst(l, proto, family, daddr, dport);
	if (family == AF_INET || rs->nsrc) {
		skl_read_addr(&l->key.src, family, saddr);
		l->src = &l->key.src;
	} else {
		l->src = (const union skl_match_addr *)saddr;
	}
	if (rs->ndev) {
		l->key.dif = (int)skl_hook_arg(regs, dif);
		l->key.sdif = (int)skl_hook_arg(regs, sdif);
	} else {
		/* No rule names a device: the matcher does not look. */
		l->key.dif = 0;
		l->key.sdif = 0;
	}
}

/*
 * The rest a callback's decision reads: the flow and the packet, for the pick and a
 * reuseport group. Not the namespace or the table: a callback never redirects, which is
 * the only kernel lookup skl_rule_act() makes.
 */
static void skl_lookup_fill_hit(struct skl_lookup *l, __be16 sport, struct sk_buff *skb,
				int doff)
{
	l->sport = sport;
	l->skb = skb;
	l->doff = doff;
}

/*
 * The first phase, before the kernel's lookup: true with *@sk when a rule decided. The
 * wrappers pass @redirect_only: their callback decided the other actions, and sent them
 * the lookup for a redirect, which needs a kernel lookup that only a wrapper makes.
 * *@first_done says whether the first phase is over for this lookup: not when the rules
 * changed since the callback and their first-phase rule for it is no longer a redirect,
 * which the decision after the kernel's lookup then applies, so that a lookup caught by
 * a change gets the old rules' answer or the new ones', never neither.
 */
static bool skl_decide_first(const struct skl_lookup *l, bool redirect_only, struct sock **sk,
			     bool *first_done)
{
	const struct skl_ruleset *rs;
	struct skl_rule *rule;
	bool decided = false;

	*first_done = true;
	rcu_read_lock();
	rs = rcu_dereference(skl_net_rcu(l->net)->rules);
	rule = rs ? skl_match_phase(rs, l, SKL_PHASE_FIRST) : NULL;
	if (rule && redirect_only && rule->match.action != SKL_ACTION_REDIRECT)
		*first_done = false;
	else if (rule)
		decided = skl_rule_decide(rule, l, sk);
	rcu_read_unlock();
	return decided;
}

/*
 * Whether the kernel's lookup found @sk among the wildcard-bound sockets. An IPv6 socket
 * bound to a v4-mapped address serves IPv4 only, with that address as sk_rcv_saddr: one
 * bound to ::ffff:0.0.0.0 has 0 there and is found in the kernel's wildcard pass, like
 * 0.0.0.0 and ::.
 */
static bool skl_sock_is_wildcard(const struct sock *sk)
{
	if (sk->sk_family == AF_INET6 && !ipv6_addr_v4mapped(&sk->sk_v6_rcv_saddr))
		return ipv6_addr_any(&sk->sk_v6_rcv_saddr);
	return !sk->sk_rcv_saddr;
}

/*
 * A UDP socket the kernel found that keeps its datagrams whatever the rules say: a
 * connected one, and a tunnel's or an encapsulation's (vxlan, geneve, fou, ESP in UDP).
 * GRO looks up the port of such a socket without a packet, so unsteered, and merges the
 * datagrams the way that socket wants them: delivery has to agree with it.
 */
static bool skl_udp_kept(const struct sock *sk)
{
	const struct udp_sock *up = udp_sk(sk);

	return READ_ONCE(sk->sk_state) == TCP_ESTABLISHED || READ_ONCE(up->encap_type) ||
	       READ_ONCE(up->gro_receive);
}

/*
 * The decision once the kernel's own lookup answered @found: a connected UDP socket
 * keeps its datagrams; then the first phase, unless it was decided before the kernel's
 * lookup ran (@first_done: always for TCP); a socket bound to the exact address keeps
 * what it found; the specific phase may take over from a wildcard socket; the fallback
 * phase answers only when nothing was found. A phase's rule that has no live socket
 * leaves the answer as it was, unless it says else drop: then it decided, as a drop
 * rule does, and no later phase runs.
 */
static struct sock *skl_decide_after(const struct skl_lookup *l, struct sock *found,
				     bool first_done)
{
	const struct skl_ruleset *rs;
	struct skl_rule *rule;
	struct sock *sk = found;

	if (IS_ERR(found))
		return found;
	if (found && l->proto == IPPROTO_UDP && skl_udp_kept(found))
		return found;

	rcu_read_lock();
	rs = rcu_dereference(skl_net_rcu(l->net)->rules);
	if (!rs)
		goto out;
	if (!first_done) {
		rule = skl_match_phase(rs, l, SKL_PHASE_FIRST);
		if (rule && skl_rule_decide(rule, l, &sk))
			goto out;
	}
	if (found && !skl_sock_is_wildcard(found))
		goto out;
	rule = skl_match_phase(rs, l, SKL_PHASE_SPECIFIC);
	if ((rule && skl_rule_decide(rule, l, &sk)) || found)
		goto out;
	rule = skl_match_phase(rs, l, SKL_PHASE_FALLBACK);
	if (rule)
		skl_rule_decide(rule, l, &sk);
out:
	rcu_read_unlock();
	return sk;
}

/* What a stand-in does about the first phase. */
enum skl_first_phase {
	SKL_FIRST_AFTER,	/* decide it after the kernel's lookup, with the others */
	SKL_FIRST_REDIRECT,	/* a redirect: decide it before the kernel's lookup */
	SKL_FIRST_DONE,		/* the callback decided it: only the later phases */
};

/*
 * The stand-ins for the hooked lookups, for decisions that need the kernel's answer. The
 * callback makes the hooked function's entry "return" into them, with the original
 * arguments still in place; their own call of the original is let through by the
 * callback (the caller is this module). They use the result, so the compiler cannot turn
 * that call into a jump, which the callback would not recognise.
 */
static __always_inline struct sock *skl_tcp4(enum skl_first_phase first, struct net *net,
					     SKL_TCP_HASHINFO_PARAM struct sk_buff *skb, int doff,
					     __be32 saddr, __be16 sport, __be32 daddr,
					     unsigned short hnum, int dif, int sdif)
{
	struct skl_lookup l;
	struct sock *found;
	unsigned long outer;
	bool first_done = first == SKL_FIRST_DONE;

	skl_fault_pause();
	skl_lookup_fill(&l, net, IPPROTO_TCP, AF_INET, (__force u32)saddr, sport,
			(__force u32)daddr, hnum, dif, sdif, skb, doff);
	l.table = SKL_TCP_HASHINFO_SAVE;
	if (first == SKL_FIRST_REDIRECT && skl_decide_first(&l, true, &found, &first_done))
		return found;
	outer = skl_module_call_begin();
	found = __inet_lookup_listener(net, SKL_TCP_HASHINFO_ARG skb, doff, saddr, sport,
				       daddr, hnum, dif, sdif);
	skl_module_call_end(outer);
	return skl_decide_after(&l, found, first_done);
}

static __always_inline struct sock *skl_tcp6(enum skl_first_phase first, struct net *net,
					     SKL_TCP_HASHINFO_PARAM struct sk_buff *skb, int doff,
					     const struct in6_addr *saddr, __be16 sport,
					     const struct in6_addr *daddr, unsigned short hnum,
					     int dif, int sdif)
{
	struct skl_lookup l;
	struct sock *found;
	unsigned long outer;
	bool first_done = first == SKL_FIRST_DONE;

	skl_fault_pause();
	skl_lookup_fill(&l, net, IPPROTO_TCP, AF_INET6, (unsigned long)saddr, sport,
			(unsigned long)daddr, hnum, dif, sdif, skb, doff);
	l.table = SKL_TCP_HASHINFO_SAVE;
	if (first == SKL_FIRST_REDIRECT && skl_decide_first(&l, true, &found, &first_done))
		return found;
	outer = skl_module_call_begin();
	found = inet6_lookup_listener(net, SKL_TCP_HASHINFO_ARG skb, doff, saddr, sport,
				      daddr, hnum, dif, sdif);
	skl_module_call_end(outer);
	return skl_decide_after(&l, found, first_done);
}

/*
 * A first-phase redirect: the redirect first, then the kernel's lookup. Apart from the
 * wrappers of the later phases, whose lookup's first phase the callback already decided
 * and must not decide again (its rule's counters would move twice).
 */
static noinline struct sock *skl_tcp4_lookup_redirect(struct net *net, SKL_TCP_HASHINFO_PARAM
						      struct sk_buff *skb, int doff,
						      __be32 saddr, __be16 sport, __be32 daddr,
						      unsigned short hnum, int dif, int sdif)
{
	return skl_tcp4(SKL_FIRST_REDIRECT, net, SKL_TCP_HASHINFO_ARG skb, doff, saddr, sport,
			daddr, hnum, dif, sdif);
}

static noinline struct sock *skl_tcp6_lookup_redirect(struct net *net, SKL_TCP_HASHINFO_PARAM
						      struct sk_buff *skb, int doff,
						      const struct in6_addr *saddr, __be16 sport,
						      const struct in6_addr *daddr,
						      unsigned short hnum, int dif, int sdif)
{
	return skl_tcp6(SKL_FIRST_REDIRECT, net, SKL_TCP_HASHINFO_ARG skb, doff, saddr, sport,
			daddr, hnum, dif, sdif);
}

/* The phases after the first, which the callback already tried. */
static noinline struct sock *skl_tcp4_lookup_later(struct net *net, SKL_TCP_HASHINFO_PARAM
						   struct sk_buff *skb, int doff, __be32 saddr,
						   __be16 sport, __be32 daddr, unsigned short hnum,
						   int dif, int sdif)
{
	return skl_tcp4(SKL_FIRST_DONE, net, SKL_TCP_HASHINFO_ARG skb, doff, saddr, sport,
			daddr, hnum, dif, sdif);
}

static noinline struct sock *skl_tcp6_lookup_later(struct net *net, SKL_TCP_HASHINFO_PARAM
						   struct sk_buff *skb, int doff,
						   const struct in6_addr *saddr, __be16 sport,
						   const struct in6_addr *daddr,
						   unsigned short hnum, int dif, int sdif)
{
	return skl_tcp6(SKL_FIRST_DONE, net, SKL_TCP_HASHINFO_ARG skb, doff, saddr, sport,
			daddr, hnum, dif, sdif);
}

/*
 * The TCP hook's decision where the namespace has rules, for a lookup with a packet.
 * Apart from skl_steer_tcp() so that the lookups of a namespace without rules do not pay
 * for this frame (its lookup struct is cleared on entry where the kernel zeroes the
 * stack). Returns the wrapper to send the lookup to, or 0.
 */
static noinline unsigned long skl_steer_tcp_rules(struct skl_hook_regs *regs, u8 family,
						  const struct skl_ruleset *rs)
{
	struct skl_rule *rule;
	struct skl_lookup l;
	struct sock *sk;

	skl_lookup_fill_key(&l, rs, regs, IPPROTO_TCP, family,
			    skl_hook_arg(regs, SKL_TCP_ARG_SADDR),
			    skl_hook_arg(regs, SKL_TCP_ARG_DADDR),
			    (u16)skl_hook_arg(regs, SKL_TCP_ARG_HNUM),
			    SKL_TCP_ARG_DIF, SKL_TCP_ARG_SDIF);
	rule = skl_match_phase(rs, &l, SKL_PHASE_FIRST);
	if (rule && rule->match.action != SKL_ACTION_REDIRECT) {
		skl_lookup_fill_hit(&l, (__force __be16)(u16)skl_hook_arg(regs, SKL_TCP_ARG_SPORT),
				    (struct sk_buff *)skl_hook_arg(regs, SKL_TCP_ARG_SKB),
				    (int)skl_hook_arg(regs, SKL_TCP_ARG_DOFF));
		if (skl_rule_decide(rule, &l, &sk)) {
			skl_return(regs, sk);
			return 0;
		}
	}
	if (rule && rule->match.action == SKL_ACTION_REDIRECT)
		return family == AF_INET ? (unsigned long)skl_tcp4_lookup_redirect :
					   (unsigned long)skl_tcp6_lookup_redirect;
	if (skl_match_later(rs, &l))
		return family == AF_INET ? (unsigned long)skl_tcp4_lookup_later :
					   (unsigned long)skl_tcp6_lookup_later;
	return 0;
}

/**
 * skl_steer_tcp() - the TCP listener lookup hook
 * @regs: the registers at the hooked function's entry
 * @family: AF_INET or AF_INET6
 *
 * A first-phase rule answers here, without the lookup running, unless it redirects. A
 * redirect, or a rule of a later phase, sends the lookup through the wrapper, which
 * asks the kernel.
 */
void skl_steer_tcp(struct skl_hook_regs *regs, u8 family)
{
	const struct skl_ruleset *rs;
	unsigned long wrapper = 0;
	struct net *net;

	net = (struct net *)skl_hook_arg(regs, SKL_TCP_ARG_NET);
	if (!skl_is_tcp_lookup(net, regs))
		return;
	/* A namespace without rules costs this much: nothing is read before. */
	rcu_read_lock();
	rs = rcu_dereference(skl_net_rcu(net)->rules);
	/*
	 * Only a lookup for a packet is steered (see skl_steer_udp()); without one it is a
	 * question about the kernel's own sockets: a TCP-MD5 or TCP-AO reset's (which so
	 * signs with the kernel's listener's key, not a label socket's), socket diag's, or a
	 * BPF helper's. TPROXY and the socket match pass the packet, and are steered.
	 */
	if (rs && skl_hook_arg(regs, SKL_TCP_ARG_SKB))
		wrapper = skl_steer_tcp_rules(regs, family, rs);
	rcu_read_unlock();
	if (wrapper)
		skl_hook_set_ip(regs, wrapper);
}

static __always_inline struct sock *skl_udp4(enum skl_first_phase first, struct net *net,
					     __be32 saddr, __be16 sport, __be32 daddr,
					     __be16 dport, int dif, int sdif,
					     SKL_UDP_TABLE_PARAM struct sk_buff *skb)
{
	struct skl_lookup l;
	struct sock *found;
	unsigned long outer;
	bool first_done = first == SKL_FIRST_DONE;

	skl_fault_pause();
	skl_lookup_fill(&l, net, IPPROTO_UDP, AF_INET, (__force u32)saddr, sport,
			(__force u32)daddr, ntohs(dport), dif, sdif, skb, sizeof(struct udphdr));
	l.table = SKL_UDP_TABLE_SAVE;
	if (first == SKL_FIRST_REDIRECT && skl_decide_first(&l, true, &found, &first_done))
		return found;
	outer = skl_module_call_begin();
	found = __udp4_lib_lookup(net, saddr, sport, daddr, dport, dif, sdif,
				  SKL_UDP_TABLE_ARG skb);
	skl_module_call_end(outer);
	return skl_decide_after(&l, found, first_done);
}

static __always_inline struct sock *skl_udp6(enum skl_first_phase first, struct net *net,
					     const struct in6_addr *saddr, __be16 sport,
					     const struct in6_addr *daddr, __be16 dport, int dif,
					     int sdif, SKL_UDP_TABLE_PARAM struct sk_buff *skb)
{
	struct skl_lookup l;
	struct sock *found;
	unsigned long outer;
	bool first_done = first == SKL_FIRST_DONE;

	skl_fault_pause();
	skl_lookup_fill(&l, net, IPPROTO_UDP, AF_INET6, (unsigned long)saddr, sport,
			(unsigned long)daddr, ntohs(dport), dif, sdif, skb, sizeof(struct udphdr));
	l.table = SKL_UDP_TABLE_SAVE;
	if (first == SKL_FIRST_REDIRECT && skl_decide_first(&l, true, &found, &first_done))
		return found;
	outer = skl_module_call_begin();
	found = __udp6_lib_lookup(net, saddr, sport, daddr, dport, dif, sdif,
				  SKL_UDP_TABLE_ARG skb);
	skl_module_call_end(outer);
	return skl_decide_after(&l, found, first_done);
}

/* Every phase after the kernel's lookup. */
static noinline struct sock *skl_udp4_lookup(struct net *net, __be32 saddr, __be16 sport,
					     __be32 daddr, __be16 dport, int dif, int sdif,
					     SKL_UDP_TABLE_PARAM struct sk_buff *skb)
{
	return skl_udp4(SKL_FIRST_AFTER, net, saddr, sport, daddr, dport, dif, sdif,
			SKL_UDP_TABLE_ARG skb);
}

static noinline struct sock *skl_udp6_lookup(struct net *net, const struct in6_addr *saddr,
					     __be16 sport, const struct in6_addr *daddr,
					     __be16 dport, int dif, int sdif,
					     SKL_UDP_TABLE_PARAM struct sk_buff *skb)
{
	return skl_udp6(SKL_FIRST_AFTER, net, saddr, sport, daddr, dport, dif, sdif,
			SKL_UDP_TABLE_ARG skb);
}

/*
 * A first-phase redirect where no socket is bound to the port: the kernel's own lookup
 * cannot find a connected one there, so the redirect goes first, as for TCP, and the
 * kernel's lookup of the original destination runs only when the redirect found nothing.
 */
static noinline struct sock *skl_udp4_lookup_redirect(struct net *net, __be32 saddr,
						      __be16 sport, __be32 daddr, __be16 dport,
						      int dif, int sdif,
						      SKL_UDP_TABLE_PARAM struct sk_buff *skb)
{
	return skl_udp4(SKL_FIRST_REDIRECT, net, saddr, sport, daddr, dport, dif, sdif,
			SKL_UDP_TABLE_ARG skb);
}

static noinline struct sock *skl_udp6_lookup_redirect(struct net *net,
						      const struct in6_addr *saddr,
						      __be16 sport, const struct in6_addr *daddr,
						      __be16 dport, int dif, int sdif,
						      SKL_UDP_TABLE_PARAM struct sk_buff *skb)
{
	return skl_udp6(SKL_FIRST_REDIRECT, net, saddr, sport, daddr, dport, dif, sdif,
			SKL_UDP_TABLE_ARG skb);
}

/* The phases after the first, which the callback already tried. */
static noinline struct sock *skl_udp4_lookup_later(struct net *net, __be32 saddr,
						   __be16 sport, __be32 daddr, __be16 dport,
						   int dif, int sdif,
						   SKL_UDP_TABLE_PARAM struct sk_buff *skb)
{
	return skl_udp4(SKL_FIRST_DONE, net, saddr, sport, daddr, dport, dif, sdif,
			SKL_UDP_TABLE_ARG skb);
}

static noinline struct sock *skl_udp6_lookup_later(struct net *net,
						   const struct in6_addr *saddr, __be16 sport,
						   const struct in6_addr *daddr, __be16 dport,
						   int dif, int sdif,
						   SKL_UDP_TABLE_PARAM struct sk_buff *skb)
{
	return skl_udp6(SKL_FIRST_DONE, net, saddr, sport, daddr, dport, dif, sdif,
			SKL_UDP_TABLE_ARG skb);
}

/*
 * The UDP hook's decision where the namespace has rules, for a lookup with a packet:
 * apart from skl_steer_udp() as skl_steer_tcp_rules() is from skl_steer_tcp(). Returns
 * the wrapper to send the lookup to, or 0.
 */
static noinline unsigned long skl_steer_udp_rules(struct skl_hook_regs *regs, u8 family,
						  struct net *net,
						  const struct skl_ruleset *rs)
{
	struct skl_rule *rule;
	struct skl_lookup l;
	struct sock *sk;
	__be16 dport;

	dport = (__force __be16)(u16)skl_hook_arg(regs, SKL_UDP_ARG_DPORT);
	skl_lookup_fill_key(&l, rs, regs, IPPROTO_UDP, family,
			    skl_hook_arg(regs, SKL_UDP_ARG_SADDR),
			    skl_hook_arg(regs, SKL_UDP_ARG_DADDR), ntohs(dport),
			    SKL_UDP_ARG_DIF, SKL_UDP_ARG_SDIF);
	rule = skl_match_phase(rs, &l, SKL_PHASE_FIRST);
	if (rule && !skl_udp_port_slot_count(net, l.key.dport)) {
		if (rule->match.action == SKL_ACTION_REDIRECT)
			return family == AF_INET ? (unsigned long)skl_udp4_lookup_redirect :
						   (unsigned long)skl_udp6_lookup_redirect;
		skl_lookup_fill_hit(&l, (__force __be16)(u16)skl_hook_arg(regs, SKL_UDP_ARG_SPORT),
				    (struct sk_buff *)skl_hook_arg(regs, SKL_UDP_ARG_SKB),
				    sizeof(struct udphdr));
		if (skl_rule_decide(rule, &l, &sk)) {
			skl_return(regs, sk);
			return 0;
		}
		if (skl_match_later(rs, &l))
			return family == AF_INET ? (unsigned long)skl_udp4_lookup_later :
						   (unsigned long)skl_udp6_lookup_later;
		return 0;
	}
	if (rule || skl_match_later(rs, &l))
		return family == AF_INET ? (unsigned long)skl_udp4_lookup :
					   (unsigned long)skl_udp6_lookup;
	return 0;
}

/**
 * skl_steer_udp() - the UDP socket lookup hook
 * @regs: the registers at the hooked function's entry
 * @family: AF_INET or AF_INET6
 *
 * A connected socket keeps its datagrams, so a decision needs the kernel's answer
 * first, which the wrapper asks for. But when no socket at all is bound to the port,
 * none is connected there: a first-phase rule then answers here, as for TCP, without the
 * lookup running, and a first-phase redirect (which needs a kernel lookup, which only a
 * wrapper makes) goes before the kernel's lookup of the original destination.
 */
void skl_steer_udp(struct skl_hook_regs *regs, u8 family)
{
	const struct skl_ruleset *rs;
	unsigned long wrapper = 0;
	struct net *net;

	net = (struct net *)skl_hook_arg(regs, SKL_UDP_ARG_NET);
	if (!skl_is_udp_lookup(net, regs))
		return;
	/* A namespace without rules costs this much: nothing is read before. */
	rcu_read_lock();
	rs = rcu_dereference(skl_net_rcu(net)->rules);
	/*
	 * Every lookup for a packet to deliver passes it. The lookups without one ask which
	 * socket the kernel holds for a tuple: an ICMP error's, whose socket is the one that
	 * sent the datagram, GRO's (which only picks how to merge: see skl_udp_kept()),
	 * socket diag's, UDP TPROXY's and the UDP socket match's, and BPF helpers'.
	 * Steering them would hand a sender's errors to a label's socket.
	 */
	if (rs && skl_hook_arg(regs, SKL_UDP_ARG_SKB))
		wrapper = skl_steer_udp_rules(regs, family, net, rs);
	rcu_read_unlock();
	if (wrapper)
		skl_hook_set_ip(regs, wrapper);
}

/**
 * skl_steer_explain() - decide a flow as the receive path would, without delivering it
 * @net: the namespace whose rules and sockets decide
 * @q: the flow
 * @trace: filled in; the caller releases it with skl_trace_release()
 *
 * The same decision as a packet's, phase by phase; counters do not move. No packet
 * exists, so a reuseport group's program is not run: the group chooses by hash.
 */
void skl_steer_explain(struct net *net, const struct skl_explain_query *q,
		       struct skl_trace *trace)
{
	struct skl_lookup l = {
		.net = net,
		.key = q->key,
		.sport = q->sport,
		.proto = q->proto,
		.family = q->family,
		.doff = q->proto == IPPROTO_UDP ? sizeof(struct udphdr) : sizeof(struct tcphdr),
		.trace = trace,
	};
	bool decided_first, first_done;
	struct sock *sk;

	memset(trace, 0, sizeof(*trace));
	trace->key = q->key;
	l.src = &l.key.src;
	l.table = q->proto == IPPROTO_TCP ? skl_tcp_table_of(net) : skl_udp_table_of(net);

	rcu_read_lock();
	decided_first = q->proto == IPPROTO_TCP && skl_decide_first(&l, false, &sk, &first_done);
	/* After a first-phase decision only to tell what the rule overrides. */
	trace->found = skl_kernel_lookup(&l, &l.key.dst, l.key.dport);
	if (!decided_first)
		sk = skl_decide_after(&l, trace->found, q->proto == IPPROTO_TCP);
	if (trace->found && !refcount_inc_not_zero(&trace->found->sk_refcnt))
		trace->found = NULL;
	if (sk && !refcount_inc_not_zero(&sk->sk_refcnt))
		sk = NULL;
	trace->sk = sk;
	rcu_read_unlock();
}

/**
 * skl_trace_release() - drop the socket references skl_steer_explain() took
 * @trace: as filled in
 */
void skl_trace_release(struct skl_trace *trace)
{
	if (trace->found)
		sock_put(trace->found);
	if (trace->sk)
		sock_put(trace->sk);
}
