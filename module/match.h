/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The rule matcher: which rule, if any, steers a new TCP connection or UDP datagram.
 *
 * Rules are compiled into immutable tables, one per (protocol, family, phase), so that a
 * change to one kind of rule rebuilds only that table. The caller owns the table pointers:
 * it builds a new table, publishes it with rcu_assign_pointer() and frees the old one after
 * a grace period. A kind without rules is a NULL table, and a lookup in it is one pointer
 * test. Lookups take no lock, allocate nothing and write no shared memory.
 *
 * Precedence among the rules that match a lookup, first difference wins:
 *  1. the longer destination prefix;
 *  2. the narrower port range (smaller port_hi - port_lo);
 *  3. the longer source prefix;
 *  4. a rule bound to a device over one that is not (a rule whose device is absent,
 *     SKL_MATCH_IFINDEX_ABSENT, is bound to one);
 *  5. the older rule (smaller id).
 */
#ifndef SKL_MATCH_H
#define SKL_MATCH_H

#include "match_env.h"

/* The phases are the netlink API's (enum skl_phase). */
#include "sklookup.h"
#define SKL_PHASE_COUNT	(SKL_PHASE_MAX + 1)

/* Tables a namespace can have: {TCP, UDP} x {IPv4, IPv6} x phases. */
#define SKL_MATCH_NR_TABLES	(2 * 2 * SKL_PHASE_COUNT)

/*
 * Upper bound on the rules of one table: rule indexes and candidate list offsets (at most
 * about 100 per rule) must leave the top bit of a u32 free.
 */
#define SKL_MATCH_MAX_RULES	(16U << 20)

/**
 * union skl_match_addr - an address in network byte order
 * @ip: IPv4 address; the other bytes of the union are ignored
 * @ip6: IPv6 address
 */
union skl_match_addr {
	__be32 ip;
	struct in6_addr ip6;
};

/**
 * struct skl_match_rule - one steering rule
 * @src: source prefix; bits beyond @src_len must be zero
 * @ifindex: device the packet must arrive on (the lookup's dif or sdif), 0 for any,
 *	SKL_MATCH_IFINDEX_ABSENT for a device that does not exist: the rule matches nothing.
 *	The only field that may change in a built table (skl_match_set_ifindex())
 * @port_lo: lowest destination port, host order; 0 is allowed so that 0-65535 means any
 * @port_hi: highest destination port, host order, at least @port_lo
 * @src_len: source prefix length, 0 for any source
 * @dst_len: destination prefix length, 0 for any destination
 * @proto: IPPROTO_TCP or IPPROTO_UDP
 * @family: AF_INET or AF_INET6
 * @phase: an enum skl_phase
 * @dst: destination prefix; bits beyond @dst_len must be zero
 * @id: unique, and increasing with the rule's age: the smaller id is the older rule
 * @priv: the caller's, never looked at
 * @action: the caller's, never looked at
 *
 * The fields a lookup compares come first, so that they share a cache line.
 */
struct skl_match_rule {
	union skl_match_addr src;
	int ifindex;
	u16 port_lo;
	u16 port_hi;
	u8 src_len;
	u8 dst_len;
	u8 proto;
	u8 family;
	u8 phase;
	union skl_match_addr dst;
	u64 id;
	void *priv;
	u32 action;
};

/**
 * struct skl_match_key - what a lookup asks about
 * @dst: destination address of the packet
 * @src: source address of the packet
 * @dport: destination port, host order
 * @dif: the lookup's device index
 * @sdif: the lookup's L3 master device index (VRF), 0 if none
 */
struct skl_match_key {
	union skl_match_addr dst;
	union skl_match_addr src;
	u16 dport;
	int dif;
	int sdif;
};

/*
 * skl_match_rule.ifindex of a rule bound to a device that is not there (a name no device
 * has): a bound rule, ranked as one, that no lookup's device can match.
 */
#define SKL_MATCH_IFINDEX_ABSENT	(-1)

struct skl_match_table;

/**
 * skl_match_table_index() - slot of a (protocol, family, phase) in an array of tables
 * @proto: IPPROTO_TCP or IPPROTO_UDP
 * @family: AF_INET or AF_INET6
 * @phase: an enum skl_phase
 *
 * Return: 0 to SKL_MATCH_NR_TABLES - 1, or -EINVAL for an unknown kind.
 */
static inline int skl_match_table_index(u8 proto, u8 family, unsigned int phase)
{
	int index;

	if (proto == IPPROTO_TCP)
		index = 0;
	else if (proto == IPPROTO_UDP)
		index = 1;
	else
		return -EINVAL;
	if (family == AF_INET6)
		index += 2;
	else if (family != AF_INET)
		return -EINVAL;
	if (phase >= SKL_PHASE_COUNT)
		return -EINVAL;
	return index * SKL_PHASE_COUNT + phase;
}

int skl_match_rule_validate(const struct skl_match_rule *rule, const char **why);
int skl_match_build(const struct skl_match_rule *rules, u32 count,
		    struct skl_match_table **tablep);
void skl_match_free(struct skl_match_table *table);
const struct skl_match_rule *skl_match_lookup(const struct skl_match_table *table,
					      const struct skl_match_key *key);
int skl_match_visit_matches(const struct skl_match_table *table,
			    const struct skl_match_key *key,
			    int (*visit)(const struct skl_match_rule *rule, void *arg), void *arg);
const struct skl_match_rule *skl_match_rules(const struct skl_match_table *table, u32 *count);
const u32 *skl_match_dev_rules(const struct skl_match_table *table, u32 *count);
size_t skl_match_table_bytes(const struct skl_match_table *table);
void skl_match_set_ifindex(struct skl_match_table *table, u32 index, int ifindex);

#endif /* SKL_MATCH_H */
