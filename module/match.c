// SPDX-License-Identifier: GPL-2.0
/*
 * Compiled rule tables.
 *
 * A table holds the rules of one (protocol, family, phase). Rules with the same destination
 * prefix form an entry. Entries are kept in one open-addressing hash table (linear probing)
 * per destination prefix length present (a level), keyed by the prefix; a lookup masks the
 * packet's destination with the lengths present, longest first, until a probe finds an
 * entry. Every entry links to its parent, the entry of the next shorter prefix that
 * contains it, so when no rule of an entry matches (port, source or device) the lookup
 * follows that link instead of probing the remaining lengths again.
 *
 * Most destinations match no rule at all, and probing every length to learn that would
 * make a miss the most expensive lookup. A filter, indexed by a window of 4 to 16 address
 * bits, gives for each window value the set of levels that have an entry there, so a
 * lookup probes only those. For IPv4 the window is the top of the address; IPv6 rules
 * usually share a long prefix, so there the window starts after the prefix common to the
 * entries of the largest level, and a second filter on the top bits serves destinations
 * outside that prefix.
 *
 * Inside an entry the rules are resolved by port when the table is built. An entry with one
 * rule (the common case: one rule per address) keeps its rule and port range in its slot.
 * Otherwise the entry owns a sorted run of port segments, found by binary search (entries
 * with many segments also get an index by the port's high byte); a segment names its rule,
 * or lists, in precedence order, the entry's rules that cover all of its ports, up to the
 * first that takes any source on any device (the rules after it can never win there).
 * Every candidate is checked in full (port, source, device), so a coarse segment is never
 * wrong, only slower: an entry whose rules overlap so much that resolving them would cost
 * too much memory or time gets one segment listing all its rules.
 *
 * The cost of a lookup therefore depends on the prefix lengths present near the
 * destination and on how rules share a prefix, not on how many rules there are.
 *
 * A table is one allocation and is never changed after it is built, but for the device
 * index of a rule bound to a device by name, which follows the device (skl_match_set_ifindex()):
 * lookups read it under RCU without locks, and the caller replaces it whole.
 */

#include "match.h"

/* skl_match_entry.ref of a free slot. */
#define SKL_MATCH_EMPTY		U32_MAX
/* skl_match_entry.ref holds a segment index rather than a rule index. */
#define SKL_MATCH_REF_SEGS	0x80000000U
/* skl_match_seg.ref holds the offset of a candidate list rather than a rule index. */
#define SKL_MATCH_REF_LIST	0x80000000U
/* No entry: a missing parent, or a failed probe. */
#define SKL_MATCH_NONE		U32_MAX

/*
 * Building one entry's segments may cost this many steps per rule, plus a constant,
 * before the entry falls back to a single segment; it also bounds the candidates stored.
 */
#define SKL_MATCH_SWEEP_BUDGET(k)	(32 * (u64)(k) + 1024)

/*
 * An entry with more segments than this has an index by the port's high byte in front of
 * them: 256 u32, the last segment starting at or below each multiple of 256.
 */
#define SKL_MATCH_PORT_INDEX_MIN	64
#define SKL_MATCH_PORT_INDEX_SEGS	(256 * sizeof(u32) / sizeof(struct skl_match_seg))

/* Filters have at most 2^16 buckets of a u64 each. */
#define SKL_MATCH_FILTER_MAX_BITS	16

/**
 * struct skl_match_entry - the rules of one destination prefix
 * @ref: index of the only rule, or SKL_MATCH_REF_SEGS | index of the first segment
 * @parent: slot of the next shorter prefix containing this one, or SKL_MATCH_NONE
 * @lo: lowest port of the only rule
 * @hi: highest port of the only rule
 * @nseg: number of segments
 */
struct skl_match_entry {
	u32 ref;
	u32 parent;
	union {
		struct {
			u16 lo;
			u16 hi;
		};
		u32 nseg;
	};
};

/* Slots begin with their entry, so that an entry is found from a slot index alone. */
struct skl_match_slot4 {
	struct skl_match_entry e;
	__be32 addr;
};

struct skl_match_slot6 {
	struct skl_match_entry e;
	u32 pad;
	u64 addr[2];	/* the address's bytes as two words, for masking and comparing */
};

/**
 * struct skl_match_seg - ports of one entry that have the same candidate rules
 * @lo: lowest port
 * @hi: highest port
 * @ref: index of the only candidate, or SKL_MATCH_REF_LIST | offset in
 *	skl_match_table.cands of a list: its length, then the candidates
 */
struct skl_match_seg {
	u16 lo;
	u16 hi;
	u32 ref;
};

/**
 * struct skl_match_filter - the levels worth probing, by a window of address bits
 * @levels: 2^@bits buckets, each a set of skl_match_level_bit()
 * @shift: the window starts this many bits into the address
 * @bits: width of the window, 0 to SKL_MATCH_FILTER_MAX_BITS
 */
struct skl_match_filter {
	const u64 *levels;
	u8 shift;
	u8 bits;
};

/**
 * struct skl_match_level - the hash table of one destination prefix length
 * @mask6: the prefix mask as two words, IPv6
 * @mask4: the prefix mask, IPv4
 * @offset: first slot
 * @size: number of slots, always more than the entries
 * @len: the prefix length
 */
struct skl_match_level {
	u64 mask6[2];
	__be32 mask4;
	u32 offset;
	u32 size;
	u8 len;
};

/**
 * struct skl_match_table - compiled rules of one (protocol, family, phase)
 * @slots: hash slots of all levels, struct skl_match_slot4 or skl_match_slot6
 * @segs: port segments (and port indexes) of all entries with more than one rule
 * @cands: candidate lists of all segments with more than one candidate
 * @inside: filter for destinations within @common
 * @outside: filter for the other destinations
 * @common: the prefix common to the largest level, as a 128-bit number (IPv4 in the top)
 * @common_mask: its mask
 * @rules: copies of the rules, in precedence order (and grouped by destination prefix);
 *	after them, the number of those that name a device (ifindex not 0) and their
 *	positions, u32s (skl_match_dev_rules()), kept out of the fields lookups read
 * @bytes: size of the allocation
 * @nrules: number of rules
 * @nlevels: number of prefix lengths present
 * @seed: hash seed
 * @slot_shift: log2 of the size of a slot
 * @proto: IPPROTO_TCP or IPPROTO_UDP
 * @family: AF_INET or AF_INET6
 * @phase: an enum skl_phase
 * @levels: the prefix lengths present, longest first
 */
struct skl_match_table {
	const void *slots;
	const struct skl_match_seg *segs;
	const u32 *cands;
	const struct skl_match_rule *rules;
	struct skl_match_filter inside;
	struct skl_match_filter outside;
	u64 common[2];
	u64 common_mask[2];
	size_t bytes;
	u32 nrules;
	u32 nlevels;
	u32 seed;
	u8 slot_shift;
	u8 proto;
	u8 family;
	u8 phase;
	struct skl_match_level levels[];
};

static inline __be32 skl_match_mask4(int len)
{
	if (len <= 0)
		return 0;
	if (len >= 32)
		return (__force __be32)~0U;
	return cpu_to_be32(~0U << (32 - len));
}

static inline bool skl_match_prefix4_has(__be32 prefix, int len, __be32 addr)
{
	return !((prefix ^ addr) & skl_match_mask4(len));
}

static bool skl_match_prefix6_has(const struct in6_addr *prefix, int len,
				  const struct in6_addr *addr)
{
	int i;

	for (i = 0; len > 0; i++, len -= 32)
		if ((prefix->s6_addr32[i] ^ addr->s6_addr32[i]) & skl_match_mask4(len))
			return false;
	return true;
}

/* The matching predicate, except for the destination, which the caller has checked. */
static inline bool skl_match_rule_hits(const struct skl_match_rule *rule,
				       const struct skl_match_key *key, bool v6)
{
	int ifindex = READ_ONCE(rule->ifindex);

	if (key->dport < rule->port_lo || key->dport > rule->port_hi)
		return false;
	if (ifindex && ifindex != key->dif && ifindex != key->sdif)
		return false;
	if (!rule->src_len)
		return true;
	if (v6)
		return skl_match_prefix6_has(&rule->src.ip6, rule->src_len, &key->src.ip6);
	return skl_match_prefix4_has(rule->src.ip, rule->src_len, key->src.ip);
}

/* A 64-bit finaliser (MurmurHash3's): every input bit changes about half the output bits. */
static inline u64 skl_match_mix(u64 x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static inline u32 skl_match_hash4(__be32 addr, u32 seed)
{
	return skl_match_mix(((u64)seed << 32) | (__force u32)addr) >> 32;
}

static inline u32 skl_match_hash6(u64 a0, u64 a1, u32 seed)
{
	return skl_match_mix((a0 ^ seed) * 0x9e3779b97f4a7c15ULL ^ a1) >> 32;
}

/* Bit l of a filter bucket stands for level l; the last bit for that level and all after. */
static inline u64 skl_match_level_bit(u32 l)
{
	return 1ULL << (l < 63 ? l : 63);
}

/* Maps a uniform 32-bit hash onto 0..size-1 without a division. */
static inline u32 skl_match_reduce(u32 hash, u32 size)
{
	return ((u64)hash * size) >> 32;
}

static inline const struct skl_match_entry *
skl_match_entry_at(const struct skl_match_table *table, u32 slot)
{
	return (const void *)((const char *)table->slots + ((size_t)slot << table->slot_shift));
}

static inline void skl_match_load6(const struct in6_addr *addr, u64 *a0, u64 *a1)
{
	memcpy(a0, &addr->s6_addr[0], sizeof(*a0));
	memcpy(a1, &addr->s6_addr[8], sizeof(*a1));
}

static u32 skl_match_find4(const struct skl_match_table *table,
			   const struct skl_match_level *level, __be32 addr)
{
	const struct skl_match_slot4 *slots = table->slots;
	u32 end = level->offset + level->size;
	u32 i = level->offset + skl_match_reduce(skl_match_hash4(addr, table->seed), level->size);

	for (;;) {
		if (slots[i].e.ref == SKL_MATCH_EMPTY)
			return SKL_MATCH_NONE;
		if (slots[i].addr == addr)
			return i;
		if (++i == end)
			i = level->offset;
	}
}

static u32 skl_match_find6(const struct skl_match_table *table,
			   const struct skl_match_level *level, u64 a0, u64 a1)
{
	const struct skl_match_slot6 *slots = table->slots;
	u32 end = level->offset + level->size;
	u32 i = level->offset + skl_match_reduce(skl_match_hash6(a0, a1, table->seed),
						 level->size);

	for (;;) {
		if (slots[i].e.ref == SKL_MATCH_EMPTY)
			return SKL_MATCH_NONE;
		if (slots[i].addr[0] == a0 && slots[i].addr[1] == a1)
			return i;
		if (++i == end)
			i = level->offset;
	}
}

/* An address as a 128-bit number, IPv4 in the top 32 bits. */
static inline void skl_match_number(u8 family, const union skl_match_addr *addr, u64 *hi,
				    u64 *lo)
{
	__be64 word;

	if (family == AF_INET) {
		*hi = (u64)be32_to_cpu(addr->ip) << 32;
		*lo = 0;
		return;
	}
	memcpy(&word, &addr->ip6.s6_addr[0], sizeof(word));
	*hi = be64_to_cpu(word);
	memcpy(&word, &addr->ip6.s6_addr[8], sizeof(word));
	*lo = be64_to_cpu(word);
}

/* The @bits bits of a 128-bit number that start @shift bits in; @shift + @bits <= 128. */
static inline u32 skl_match_window(u64 hi, u64 lo, unsigned int shift, unsigned int bits)
{
	u64 top;

	if (!bits)
		return 0;
	if (!shift)
		top = hi;
	else if (shift < 64)
		top = hi << shift | lo >> (64 - shift);
	else
		top = lo << (shift - 64);
	return top >> (64 - bits);
}

static inline u32 skl_match_probe(const struct skl_match_table *table, u32 l,
				  const union skl_match_addr *dst, u64 a0, u64 a1)
{
	const struct skl_match_level *level = &table->levels[l];

	if (table->family == AF_INET)
		return skl_match_find4(table, level, dst->ip & level->mask4);
	return skl_match_find6(table, level, a0 & level->mask6[0], a1 & level->mask6[1]);
}

/* The slot of the longest destination prefix that contains @dst, or SKL_MATCH_NONE. */
static u32 skl_match_first(const struct skl_match_table *table, const union skl_match_addr *dst)
{
	const struct skl_match_filter *filter = &table->inside;
	u64 hi, lo, a0 = 0, a1 = 0, levels;
	u32 l, slot;

	skl_match_number(table->family, dst, &hi, &lo);
	if (((hi ^ table->common[0]) & table->common_mask[0]) |
	    ((lo ^ table->common[1]) & table->common_mask[1]))
		filter = &table->outside;
	levels = filter->levels[skl_match_window(hi, lo, filter->shift, filter->bits)];
	if (table->family == AF_INET6)
		skl_match_load6(&dst->ip6, &a0, &a1);
	for (; levels; levels &= levels - 1) {
		l = skl_match_ffs64(levels);
		if (l == 63)
			break;
		slot = skl_match_probe(table, l, dst, a0, a1);
		if (slot != SKL_MATCH_NONE)
			return slot;
	}
	/* Bit 63 stands for all the remaining levels. */
	for (l = 63; levels && l < table->nlevels; l++) {
		slot = skl_match_probe(table, l, dst, a0, a1);
		if (slot != SKL_MATCH_NONE)
			return slot;
	}
	return SKL_MATCH_NONE;
}

/* The best rule of one entry that matches, or NULL. */
static const struct skl_match_rule *
skl_match_entry_lookup(const struct skl_match_table *table, const struct skl_match_entry *e,
		       const struct skl_match_key *key, bool v6)
{
	const struct skl_match_rule *rule;
	const struct skl_match_seg *seg;
	const u32 *index, *list;
	u32 n, half, i, from;

	if (!(e->ref & SKL_MATCH_REF_SEGS)) {
		if (key->dport < e->lo || key->dport > e->hi)
			return NULL;
		rule = &table->rules[e->ref];
		return skl_match_rule_hits(rule, key, v6) ? rule : NULL;
	}

	seg = &table->segs[e->ref & ~SKL_MATCH_REF_SEGS];
	n = e->nseg;
	if (n > SKL_MATCH_PORT_INDEX_MIN) {
		/* The answer lies between the index entries around the port. */
		index = (const u32 *)(seg - SKL_MATCH_PORT_INDEX_SEGS);
		i = key->dport >> 8;
		from = index[i];
		n = (i < 255 ? index[i + 1] : n - 1) - from + 1;
		seg += from;
	}
	/* The last segment that starts at or below the port. */
	for (; n > 1; n -= half) {
		half = n / 2;
		if (seg[half].lo <= key->dport)
			seg += half;
	}
	if (key->dport < seg->lo || key->dport > seg->hi)
		return NULL;
	if (!(seg->ref & SKL_MATCH_REF_LIST)) {
		rule = &table->rules[seg->ref];
		return skl_match_rule_hits(rule, key, v6) ? rule : NULL;
	}
	list = &table->cands[seg->ref & ~SKL_MATCH_REF_LIST];
	for (i = 1; i <= list[0]; i++) {
		rule = &table->rules[list[i]];
		if (skl_match_rule_hits(rule, key, v6))
			return rule;
	}
	return NULL;
}

/**
 * skl_match_lookup() - the rule that decides a lookup
 * @table: the table of the lookup's protocol, family and phase, or NULL if it has no rules
 * @key: what is looked up
 *
 * Safe in any context, under the RCU read lock that protects @table: no locks, no
 * allocation, no writes to shared memory.
 *
 * Return: the matching rule that takes precedence, or NULL if none matches. The rule lives
 * in @table and is valid as long as the table is.
 */
const struct skl_match_rule *skl_match_lookup(const struct skl_match_table *table,
					      const struct skl_match_key *key)
{
	const struct skl_match_rule *rule;
	const struct skl_match_entry *e;
	bool v6;
	u32 slot;

	if (!table)
		return NULL;
	v6 = table->family == AF_INET6;
	for (slot = skl_match_first(table, &key->dst); slot != SKL_MATCH_NONE; slot = e->parent) {
		e = skl_match_entry_at(table, slot);
		rule = skl_match_entry_lookup(table, e, key, v6);
		if (rule)
			return rule;
	}
	return NULL;
}

static bool skl_match_same_dst(const struct skl_match_rule *a, const struct skl_match_rule *b)
{
	if (a->dst_len != b->dst_len)
		return false;
	if (a->family == AF_INET)
		return a->dst.ip == b->dst.ip;
	return !memcmp(&a->dst.ip6, &b->dst.ip6, sizeof(a->dst.ip6));
}

/* The rules of an entry: a run of the table's rules, which are grouped by prefix. */
static void skl_match_entry_rules(const struct skl_match_table *table,
				  const struct skl_match_entry *e, u32 *from, u32 *to)
{
	const struct skl_match_rule *rules = table->rules;
	u32 i;

	if (!(e->ref & SKL_MATCH_REF_SEGS)) {
		*from = e->ref;
		*to = e->ref + 1;
		return;
	}
	/* Every segment has a candidate, and every candidate is a rule of the entry. */
	i = table->segs[e->ref & ~SKL_MATCH_REF_SEGS].ref;
	if (i & SKL_MATCH_REF_LIST)
		i = table->cands[(i & ~SKL_MATCH_REF_LIST) + 1];
	*from = i;
	while (*from > 0 && skl_match_same_dst(&rules[*from - 1], &rules[i]))
		(*from)--;
	*to = i + 1;
	while (*to < table->nrules && skl_match_same_dst(&rules[*to], &rules[i]))
		(*to)++;
}

/**
 * skl_match_visit_matches() - visit every rule that matches a lookup, best first
 * @table: the table of the lookup's protocol, family and phase, or NULL if it has no rules
 * @key: what is looked up
 * @visit: called for each matching rule in precedence order; a non-zero return stops
 * @arg: passed to @visit
 *
 * For explaining a decision, not for the packet path: it costs time linear in the rules
 * of the destination prefixes that contain @key->dst.
 *
 * Return: the first non-zero value @visit returned, or 0.
 */
int skl_match_visit_matches(const struct skl_match_table *table,
			    const struct skl_match_key *key,
			    int (*visit)(const struct skl_match_rule *rule, void *arg),
			    void *arg)
{
	const struct skl_match_entry *e;
	u32 slot, from, to, i;
	int ret;

	if (!table)
		return 0;
	for (slot = skl_match_first(table, &key->dst); slot != SKL_MATCH_NONE; slot = e->parent) {
		e = skl_match_entry_at(table, slot);
		skl_match_entry_rules(table, e, &from, &to);
		for (i = from; i < to; i++) {
			if (!skl_match_rule_hits(&table->rules[i], key, table->family == AF_INET6))
				continue;
			ret = visit(&table->rules[i], arg);
			if (ret)
				return ret;
		}
	}
	return 0;
}

/**
 * skl_match_rules() - the rules a table was built from
 * @table: a table, or NULL
 * @count: set to the number of rules
 *
 * The rules come in precedence order, as far as precedence orders rules regardless of the
 * packet: grouped by destination prefix, longest first. Passing them, changed, to
 * skl_match_build() is how a caller that keeps no other copy adds and removes rules; if
 * they are still in this order (rules only removed) the build skips its sort.
 *
 * Return: the rules, valid as long as @table is; NULL if @table is NULL.
 */
const struct skl_match_rule *skl_match_rules(const struct skl_match_table *table, u32 *count)
{
	*count = table ? table->nrules : 0;
	return table ? table->rules : NULL;
}

/**
 * skl_match_dev_rules() - which of a table's rules name a device
 * @table: a table, or NULL
 * @count: set to the number of them
 *
 * A device event need not read the other rules, however many.
 *
 * Return: their positions in skl_match_rules(), ascending.
 */
const u32 *skl_match_dev_rules(const struct skl_match_table *table, u32 *count)
{
	const u32 *devs;

	if (!table) {
		*count = 0;
		return NULL;
	}
	devs = (const u32 *)(table->rules + table->nrules);
	*count = devs[0];
	return devs + 1;
}

/**
 * skl_match_set_ifindex() - move a built table's rule to another device
 * @table: a table, perhaps in use by lookups
 * @index: the rule's position in skl_match_rules()
 * @ifindex: its device's index now, or SKL_MATCH_IFINDEX_ABSENT; 0 (any device) only if
 *	the rule had 0, and not 0 if it had not
 *
 * A rule that names a device follows whichever device has the name. The table orders a
 * rule bound to a device before one that is not, but never by which device, so this one
 * field may change under lookups, which see the old index or the new one.
 */
void skl_match_set_ifindex(struct skl_match_table *table, u32 index, int ifindex)
{
	struct skl_match_rule *rules = (struct skl_match_rule *)table->rules;

	WRITE_ONCE(rules[index].ifindex, ifindex);
}

/**
 * skl_match_table_bytes() - memory a table takes
 * @table: a table, or NULL
 *
 * Return: the size of the table's allocation in bytes, 0 for NULL.
 */
size_t skl_match_table_bytes(const struct skl_match_table *table)
{
	return table ? table->bytes : 0;
}

/**
 * skl_match_free() - free a table
 * @table: a table from skl_match_build(), or NULL
 *
 * The caller must make sure that no lookup can still be reading the table, e.g. by
 * unpublishing it and waiting for an RCU grace period.
 */
void skl_match_free(struct skl_match_table *table)
{
	skl_match_free_mem(table);
}

static bool skl_match_prefix_clean(const union skl_match_addr *addr, int len, u8 family)
{
	int i;

	if (family == AF_INET)
		return !(addr->ip & ~skl_match_mask4(len));
	for (i = 0; i < 4; i++, len -= 32)
		if (addr->ip6.s6_addr32[i] & ~skl_match_mask4(len))
			return false;
	return true;
}

/**
 * skl_match_rule_validate() - check that a rule can be compiled
 * @rule: the rule
 * @why: if not NULL, set to a description of the first problem found
 *
 * Return: 0, or -EINVAL if a field is out of range or a prefix has bits set beyond its
 * length (the matcher does not mask them away, so that a rule means what it says).
 */
int skl_match_rule_validate(const struct skl_match_rule *rule, const char **why)
{
	const char *problem = NULL;
	int max_len;

	if (skl_match_table_index(rule->proto, rule->family, rule->phase) < 0) {
		problem = "unknown protocol, family or phase";
	} else {
		max_len = rule->family == AF_INET ? 32 : 128;
		if (rule->dst_len > max_len)
			problem = "destination prefix length too long";
		else if (rule->src_len > max_len)
			problem = "source prefix length too long";
		else if (!skl_match_prefix_clean(&rule->dst, rule->dst_len, rule->family))
			problem = "destination address has bits set beyond the prefix length";
		else if (!skl_match_prefix_clean(&rule->src, rule->src_len, rule->family))
			problem = "source address has bits set beyond the prefix length";
		else if (rule->port_lo > rule->port_hi)
			problem = "port range ends before it starts";
		else if (rule->ifindex < 0 && rule->ifindex != SKL_MATCH_IFINDEX_ABSENT)
			problem = "negative device index";
	}
	if (why)
		*why = problem;
	return problem ? -EINVAL : 0;
}

/* Precedence order, as far as it does not depend on the packet; rules grouped by prefix. */
static int skl_match_order_cmp(const void *pa, const void *pb)
{
	const struct skl_match_rule *a = *(const struct skl_match_rule *const *)pa;
	const struct skl_match_rule *b = *(const struct skl_match_rule *const *)pb;
	int wa = a->port_hi - a->port_lo, wb = b->port_hi - b->port_lo;
	int diff;

	if (a->dst_len != b->dst_len)
		return a->dst_len > b->dst_len ? -1 : 1;
	diff = memcmp(&a->dst, &b->dst, a->family == AF_INET ? sizeof(a->dst.ip) :
		      sizeof(a->dst.ip6));
	if (diff)
		return diff;
	if (wa != wb)
		return wa < wb ? -1 : 1;
	if (a->src_len != b->src_len)
		return a->src_len > b->src_len ? -1 : 1;
	if (!a->ifindex != !b->ifindex)
		return a->ifindex ? -1 : 1;
	if (a->id != b->id)
		return a->id < b->id ? -1 : 1;
	return 0;
}

/* A rule that matches any source on any device: no rule after it in its entry can win. */
static inline bool skl_match_takes_all(const struct skl_match_rule *rule)
{
	return !rule->src_len && !rule->ifindex;
}

static int skl_match_u32_cmp(const void *pa, const void *pb)
{
	u32 a = *(const u32 *)pa, b = *(const u32 *)pb;

	return a < b ? -1 : a > b;
}

static int skl_match_u64_cmp(const void *pa, const void *pb)
{
	u64 a = *(const u64 *)pa, b = *(const u64 *)pb;

	return a < b ? -1 : a > b;
}

/**
 * struct skl_match_builder - state of one skl_match_build()
 * @order: the input rules, sorted by skl_match_order_cmp()
 * @count: number of rules
 * @ndevs: number of rules that name a device, listed after the table's rules
 * @family: AF_INET or AF_INET6
 * @points: scratch for one entry: port boundaries
 * @starts: scratch for one entry: (first port << 32 | rule) of each rule
 * @active: scratch for one entry: rules covering the current segment, in order
 * @prev: scratch for one entry: candidates of the previous segment
 * @nentries: number of entries
 * @noutside: number of entries the outside filter must know
 * @level_of: level index of each prefix length
 * @entries: entries of each prefix length
 * @first: index in @order of the first entry of each prefix length
 * @last: index in @order of the last entry of each prefix length
 */
struct skl_match_builder {
	const struct skl_match_rule **order;
	u32 count;
	u32 ndevs;
	u8 family;
	u32 *points;
	u64 *starts;
	u32 *active;
	u32 *prev;
	u32 nentries;
	u32 noutside;
	u8 level_of[129];
	u32 entries[129];
	u32 first[129];
	u32 last[129];
};

/*
 * Resolves the ports of one entry, whose k rules (k > 1) are order[0..k-1] and will be the
 * table's rules first.. first + k - 1. With segs and cands NULL it only counts; otherwise
 * it writes the segments and their candidate lists, which start at offset cand_off in
 * cands. Returns false if the entry's rules overlap too much to be worth it.
 */
static bool skl_match_sweep(struct skl_match_builder *b, const struct skl_match_rule **order,
			    u32 k, u32 first, struct skl_match_seg *segs, u32 *cands,
			    u32 cand_off, u32 *nsegp, u32 *ncandp)
{
	u32 *points = b->points, *active = b->active, *prev = b->prev;
	u32 npoints = 0, nactive = 0, nprev = 0, nseg = 0, ncand = 0;
	u64 work = 0, budget = SKL_MATCH_SWEEP_BUDGET(k);
	u32 i, j, n, pos, keep, lo, hi, next = 0;
	bool adjacent = false;

	for (j = 0; j < k; j++) {
		points[npoints++] = order[j]->port_lo;
		points[npoints++] = order[j]->port_hi + 1;
		b->starts[j] = (u64)order[j]->port_lo << 32 | j;
	}
	skl_match_sort(points, npoints, sizeof(*points), skl_match_u32_cmp);
	skl_match_sort(b->starts, k, sizeof(*b->starts), skl_match_u64_cmp);
	for (i = 1, n = 1; i < npoints; i++)
		if (points[i] != points[n - 1])
			points[n++] = points[i];
	npoints = n;

	/* Each pair of consecutive boundaries is a segment; every boundary starts one. */
	for (i = 0; i + 1 < npoints; i++) {
		lo = points[i];
		hi = points[i + 1] - 1;
		for (j = 0, keep = 0; j < nactive; j++)
			if (order[active[j]]->port_hi >= lo)
				active[keep++] = active[j];
		nactive = keep;
		while (next < k && b->starts[next] >> 32 == lo) {
			j = (u32)b->starts[next++];
			for (pos = nactive; pos && active[pos - 1] > j; pos--)
				active[pos] = active[pos - 1];
			active[pos] = j;
			nactive++;
			work += nactive;
		}
		work += nactive;
		if (work > budget)
			return false;
		if (!nactive) {
			adjacent = false;
			continue;
		}

		for (n = 0; n < nactive; n++) {
			if (skl_match_takes_all(order[active[n]])) {
				n++;
				break;
			}
		}

		if (adjacent && n == nprev && !memcmp(active, prev, n * sizeof(*active))) {
			if (segs)
				segs[nseg - 1].hi = hi;
			continue;
		}
		if (segs) {
			segs[nseg].lo = lo;
			segs[nseg].hi = hi;
			if (n == 1) {
				segs[nseg].ref = first + active[0];
			} else {
				segs[nseg].ref = SKL_MATCH_REF_LIST | (cand_off + ncand);
				cands[cand_off + ncand] = n;
				for (j = 0; j < n; j++)
					cands[cand_off + ncand + 1 + j] = first + active[j];
			}
		}
		memcpy(prev, active, n * sizeof(*active));
		nprev = n;
		nseg++;
		if (n > 1)
			ncand += 1 + n;
		adjacent = true;
	}
	*nsegp = nseg;
	*ncandp = ncand;
	return true;
}

/*
 * Segments of an entry of k > 1 rules: resolved by port, or one that lists them all.
 * Counts them, or with @segs writes them (after their port index, if they get one).
 * Returns the number of segment slots taken, port index included.
 */
static u32 skl_match_entry_segs(struct skl_match_builder *b, const struct skl_match_rule **order,
				u32 k, u32 first, struct skl_match_seg *segs, u32 *cands,
				u32 cand_off, u32 *nsegp, u32 *ncandp)
{
	u32 *index, i, j;

	/* A sweep that runs out of budget has written part of its output: count first. */
	if (!skl_match_sweep(b, order, k, first, NULL, NULL, 0, nsegp, ncandp)) {
		if (segs) {
			segs[0].lo = 0;
			segs[0].hi = 0xffff;
			segs[0].ref = SKL_MATCH_REF_LIST | cand_off;
			cands[cand_off] = k;
			for (j = 0; j < k; j++)
				cands[cand_off + 1 + j] = first + j;
		}
		*nsegp = 1;
		*ncandp = 1 + k;
		return 1;
	}
	if (*nsegp <= SKL_MATCH_PORT_INDEX_MIN) {
		if (segs)
			skl_match_sweep(b, order, k, first, segs, cands, cand_off, nsegp, ncandp);
		return *nsegp;
	}
	if (segs) {
		index = (u32 *)segs;
		segs += SKL_MATCH_PORT_INDEX_SEGS;
		skl_match_sweep(b, order, k, first, segs, cands, cand_off, nsegp, ncandp);
		for (i = 0, j = 0; i < 256; i++) {
			while (j + 1 < *nsegp && segs[j + 1].lo <= i << 8)
				j++;
			index[i] = j;
		}
	}
	return SKL_MATCH_PORT_INDEX_SEGS + *nsegp;
}

/* Number of rules from order[i] on that share its destination prefix. */
static u32 skl_match_group(const struct skl_match_builder *b, u32 i)
{
	u32 k = 1;

	while (i + k < b->count && skl_match_same_dst(b->order[i], b->order[i + k]))
		k++;
	return k;
}

static void skl_match_insert(struct skl_match_table *table, const struct skl_match_level *level,
			     const union skl_match_addr *addr, const struct skl_match_entry *e)
{
	struct skl_match_slot4 *slots4 = (void *)table->slots;
	struct skl_match_slot6 *slots6 = (void *)table->slots;
	u32 end = level->offset + level->size;
	u64 a0, a1;
	u32 i;

	if (table->family == AF_INET) {
		i = level->offset + skl_match_reduce(skl_match_hash4(addr->ip, table->seed),
						     level->size);
		while (slots4[i].e.ref != SKL_MATCH_EMPTY)
			if (++i == end)
				i = level->offset;
		slots4[i].e = *e;
		slots4[i].addr = addr->ip;
		return;
	}
	skl_match_load6(&addr->ip6, &a0, &a1);
	i = level->offset + skl_match_reduce(skl_match_hash6(a0, a1, table->seed), level->size);
	while (slots6[i].e.ref != SKL_MATCH_EMPTY)
		if (++i == end)
			i = level->offset;
	slots6[i].e = *e;
	slots6[i].pad = 0;
	slots6[i].addr[0] = a0;
	slots6[i].addr[1] = a1;
}

/* Links every entry to the entry of the next shorter prefix containing it. */
static void skl_match_link_parents(struct skl_match_table *table)
{
	struct skl_match_slot4 *slots4 = (void *)table->slots;
	struct skl_match_slot6 *slots6 = (void *)table->slots;
	const struct skl_match_level *level, *shorter;
	struct skl_match_entry *e;
	u32 l, s, m, parent;
	u64 a0, a1;

	for (l = 0; l + 1 < table->nlevels; l++) {
		level = &table->levels[l];
		for (s = level->offset; s < level->offset + level->size; s++) {
			e = table->family == AF_INET ? &slots4[s].e : &slots6[s].e;
			if (e->ref == SKL_MATCH_EMPTY)
				continue;
			parent = SKL_MATCH_NONE;
			for (m = l + 1; m < table->nlevels && parent == SKL_MATCH_NONE; m++) {
				shorter = &table->levels[m];
				if (table->family == AF_INET) {
					parent = skl_match_find4(table, shorter,
								 slots4[s].addr & shorter->mask4);
					continue;
				}
				a0 = slots6[s].addr[0] & shorter->mask6[0];
				a1 = slots6[s].addr[1] & shorter->mask6[1];
				parent = skl_match_find6(table, shorter, a0, a1);
			}
			e->parent = parent;
			if (!(s & 0xfff))
				skl_match_resched();
		}
	}
}

/* Mask of the first @len bits of a 128-bit number. */
static void skl_match_mask128(unsigned int len, u64 *hi, u64 *lo)
{
	*hi = len >= 64 ? ~0ULL : len ? ~0ULL << (64 - len) : 0;
	*lo = len >= 128 ? ~0ULL : len > 64 ? ~0ULL << (128 - len) : 0;
}

/*
 * Filter window width for a number of entries: about four buckets per entry, and at least
 * 16 buckets, so that even a small table tells most destinations apart from its rules.
 */
static u8 skl_match_filter_bits(u32 entries)
{
	u8 bits = 4;

	if (!entries)
		return 0;
	while (bits < SKL_MATCH_FILTER_MAX_BITS && (1U << bits) < 4 * entries)
		bits++;
	return bits;
}

/* Marks level @l in the buckets of filter @f that prefix (@hi, @lo)/@len covers. */
static void skl_match_filter_add(const struct skl_match_filter *f, u64 hi, u64 lo,
				 unsigned int len, u32 l)
{
	u64 *levels = (u64 *)f->levels;
	u32 first, count, i;

	if (len >= f->shift + f->bits) {
		first = skl_match_window(hi, lo, f->shift, f->bits);
		count = 1;
	} else if (len <= f->shift) {
		first = 0;
		count = 1U << f->bits;
	} else {
		/* the bits beyond the prefix are zero: the first bucket of a run */
		first = skl_match_window(hi, lo, f->shift, f->bits);
		count = 1U << (f->shift + f->bits - len);
	}
	for (i = 0; i < count; i++)
		levels[first + i] |= skl_match_level_bit(l);
}

/*
 * Does an entry lie within the common prefix (so that the inside filter must know it) or
 * can it match destinations outside (so that the outside filter must)?
 */
static void skl_match_filters_of(const struct skl_match_table *table, u64 hi, u64 lo,
				 unsigned int len, unsigned int common_len, bool *inside,
				 bool *outside)
{
	u64 mask_hi, mask_lo;

	skl_match_mask128(len < common_len ? len : common_len, &mask_hi, &mask_lo);
	*inside = !(((hi ^ table->common[0]) & mask_hi) | ((lo ^ table->common[1]) & mask_lo));
	*outside = !*inside || len < common_len;
}

/* Fills both filters from the entries in the slots. */
static void skl_match_fill_filters(struct skl_match_table *table)
{
	const struct skl_match_slot4 *slots4 = table->slots;
	const struct skl_match_slot6 *slots6 = table->slots;
	unsigned int common_len = table->inside.shift;
	const struct skl_match_level *level;
	union skl_match_addr addr;
	bool inside, outside;
	u64 hi, lo;
	u32 l, s;

	for (l = 0; l < table->nlevels; l++) {
		level = &table->levels[l];
		for (s = level->offset; s < level->offset + level->size; s++) {
			if (table->family == AF_INET) {
				if (slots4[s].e.ref == SKL_MATCH_EMPTY)
					continue;
				addr.ip = slots4[s].addr;
			} else {
				if (slots6[s].e.ref == SKL_MATCH_EMPTY)
					continue;
				memcpy(&addr.ip6.s6_addr[0], &slots6[s].addr[0], 8);
				memcpy(&addr.ip6.s6_addr[8], &slots6[s].addr[1], 8);
			}
			skl_match_number(table->family, &addr, &hi, &lo);
			skl_match_filters_of(table, hi, lo, level->len, common_len, &inside,
					     &outside);
			if (inside)
				skl_match_filter_add(&table->inside, hi, lo, level->len, l);
			if (outside)
				skl_match_filter_add(&table->outside, hi, lo, level->len, l);
		}
		skl_match_resched();
	}
}

/*
 * Chooses where the inside filter's window starts. IPv4: at the top, where 16 bits
 * already tell networks apart. IPv6: after the prefix that the entries of the largest
 * level share (they are sorted, so the first and the last tell), but early enough that
 * each of them falls into one bucket.
 */
static void skl_match_choose_common(struct skl_match_builder *b, struct skl_match_table *table,
				    u8 bits)
{
	u64 hi0, lo0, hi1, lo1, x;
	unsigned int len = 0, common = 0;
	int l;

	table->common[0] = 0;
	table->common[1] = 0;
	table->common_mask[0] = 0;
	table->common_mask[1] = 0;
	if (b->family == AF_INET)
		return;
	for (l = 128; l >= 0; l--)
		if (b->entries[l] > b->entries[len])
			len = l;
	skl_match_number(b->family, &b->order[b->first[len]]->dst, &hi0, &lo0);
	skl_match_number(b->family, &b->order[b->last[len]]->dst, &hi1, &lo1);
	/* the leading zeroes of the difference */
	x = hi0 ^ hi1;
	while (common < 64 && !(x & (1ULL << (63 - common))))
		common++;
	x = lo0 ^ lo1;
	while (common >= 64 && common < 128 && !(x & (1ULL << (127 - common))))
		common++;
	if (common > len)
		common = len;
	if (common + bits > len)
		common = len > bits ? len - bits : 0;
	skl_match_mask128(common, &table->common_mask[0], &table->common_mask[1]);
	table->common[0] = hi0 & table->common_mask[0];
	table->common[1] = lo0 & table->common_mask[1];
	table->inside.shift = common;
}

/* Counts the entries the outside filter must know about. */
static void skl_match_count_outside(struct skl_match_builder *b,
				    const struct skl_match_table *table)
{
	bool inside, outside;
	u32 i, k;
	u64 hi, lo;

	b->noutside = 0;
	if (!table->inside.shift)
		return;
	for (i = 0; i < b->count; i += k) {
		k = skl_match_group(b, i);
		skl_match_number(b->family, &b->order[i]->dst, &hi, &lo);
		skl_match_filters_of(table, hi, lo, b->order[i]->dst_len, table->inside.shift,
				     &inside, &outside);
		b->noutside += outside;
	}
}

static void skl_match_init_level(struct skl_match_level *level, u8 len, u32 offset, u32 size)
{
	struct in6_addr mask;
	int i;

	for (i = 0; i < 4; i++)
		mask.s6_addr32[i] = skl_match_mask4(len - 32 * i);
	memcpy(&level->mask6[0], &mask.s6_addr[0], sizeof(level->mask6[0]));
	memcpy(&level->mask6[1], &mask.s6_addr[8], sizeof(level->mask6[1]));
	level->mask4 = skl_match_mask4(len);
	level->offset = offset;
	level->size = size;
	level->len = len;
}

/* Fills the table's slots, segments, candidates and rules from the sorted rules. */
static void skl_match_fill(struct skl_match_builder *b, struct skl_match_table *table)
{
	struct skl_match_seg *segs = (void *)table->segs;
	struct skl_match_rule *rules = (void *)table->rules;
	u32 *cands = (void *)table->cands, *devs = (void *)(rules + b->count);
	u32 i, k, nseg = 0, ncand = 0, taken, n, c;
	struct skl_match_entry e;

	for (i = 0, n = 0; i < b->count; i++) {
		rules[i] = *b->order[i];
		if (rules[i].ifindex)
			devs[1 + n++] = i;
	}
	devs[0] = n;
	for (i = 0; i < b->count; i += k) {
		k = skl_match_group(b, i);
		e.parent = SKL_MATCH_NONE;
		if (k == 1) {
			e.ref = i;
			e.lo = rules[i].port_lo;
			e.hi = rules[i].port_hi;
		} else {
			taken = skl_match_entry_segs(b, &b->order[i], k, i, segs + nseg, cands,
						     ncand, &n, &c);
			e.ref = SKL_MATCH_REF_SEGS | (nseg + taken - n);
			e.nseg = n;
			nseg += taken;
			ncand += c;
		}
		skl_match_insert(table, &table->levels[b->level_of[rules[i].dst_len]],
				 &rules[i].dst, &e);
		skl_match_resched();
	}
}

static void *skl_match_align(void *p, size_t align)
{
	return (void *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
}

/*
 * Sizes the table, allocates it and lays out its parts. Slots start on a cache line; the
 * allocation has room for that.
 */
static struct skl_match_table *skl_match_alloc_table(struct skl_match_builder *b, u32 nseg,
						     u32 ncand)
{
	size_t slot_size = b->family == AF_INET ? sizeof(struct skl_match_slot4) :
			   sizeof(struct skl_match_slot6);
	u8 inside_bits = skl_match_filter_bits(b->nentries);
	struct skl_match_table *table, head;
	u32 nlevels = 0, nslots = 0, size;
	size_t bytes, at, nbuckets;
	u8 outside_bits;
	int len;
	char *p;

	for (len = 128; len >= 0; len--)
		if (b->entries[len]) {
			nlevels++;
			/* At most two thirds full: short probe runs even for a miss. */
			nslots += b->entries[len] + b->entries[len] / 2 + 1;
		}

	/* The filters' layout depends on the common prefix: choose it first. */
	memset(&head, 0, sizeof(head));
	head.family = b->family;
	skl_match_choose_common(b, &head, inside_bits);
	skl_match_count_outside(b, &head);
	outside_bits = skl_match_filter_bits(b->noutside);
	nbuckets = (1U << inside_bits) + (1U << outside_bits);

	/* Every count is bounded by SKL_MATCH_MAX_RULES, so none of this overflows. */
	at = sizeof(*table) + nlevels * sizeof(table->levels[0]);
	bytes = at + 64 + (size_t)nslots * slot_size + nbuckets * sizeof(u64) +
		(size_t)nseg * sizeof(struct skl_match_seg) + (size_t)ncand * sizeof(u32) + 8 +
		(size_t)b->count * sizeof(struct skl_match_rule) +
		(1 + (size_t)b->ndevs) * sizeof(u32);
	table = skl_match_alloc_array(1, bytes);
	if (!table)
		return NULL;

	memcpy(table, &head, sizeof(*table));
	p = skl_match_align((char *)table + at, 64);
	memset(p, 0xff, (size_t)nslots * slot_size);
	table->slots = p;
	p += (size_t)nslots * slot_size;
	memset(p, 0, nbuckets * sizeof(u64));
	table->inside.levels = (void *)p;
	table->inside.bits = inside_bits;
	p += ((size_t)1 << inside_bits) * sizeof(u64);
	table->outside.levels = (void *)p;
	table->outside.bits = outside_bits;
	table->outside.shift = 0;
	p += ((size_t)1 << outside_bits) * sizeof(u64);
	table->segs = (void *)p;
	p += (size_t)nseg * sizeof(struct skl_match_seg);
	table->cands = (void *)p;
	p = skl_match_align(p + (size_t)ncand * sizeof(u32), 8);
	table->rules = (void *)p;
	table->bytes = bytes;
	table->nrules = b->count;
	table->nlevels = nlevels;
	table->seed = 0x9e3779b9U ^ b->count;
	table->slot_shift = b->family == AF_INET ? 4 : 5;
	table->proto = b->order[0]->proto;
	table->phase = b->order[0]->phase;

	nlevels = 0;
	nslots = 0;
	for (len = 128; len >= 0; len--) {
		if (!b->entries[len])
			continue;
		size = b->entries[len] + b->entries[len] / 2 + 1;
		skl_match_init_level(&table->levels[nlevels], len, nslots, size);
		b->level_of[len] = nlevels++;
		nslots += size;
	}
	return table;
}

static void skl_match_free_builder(struct skl_match_builder *b)
{
	skl_match_free_mem(b->order);
	skl_match_free_mem(b->points);
	skl_match_free_mem(b->starts);
	skl_match_free_mem(b->active);
	skl_match_free_mem(b->prev);
	skl_match_free_mem(b);
}

/**
 * skl_match_build() - compile rules into a table
 * @rules: the rules, all of the same protocol, family and phase, with unique ids
 * @count: number of rules
 * @tablep: set to the new table, or to NULL if @count is 0
 *
 * The table copies the rules; @rules may be freed afterwards. Runs in process context
 * (it allocates with GFP_KERNEL and may reschedule) and takes O(n log n) time.
 *
 * Return: 0; -EINVAL if a rule fails skl_match_rule_validate() or differs in kind from
 * the first; -E2BIG for more than SKL_MATCH_MAX_RULES rules; -ENOMEM.
 */
int skl_match_build(const struct skl_match_rule *rules, u32 count,
		    struct skl_match_table **tablep)
{
	struct skl_match_builder *b;
	struct skl_match_table *table;
	u32 i, k, max_k = 1, nseg = 0, ncand = 0, n, c;
	bool sorted = true;
	u8 len;
	int err;

	*tablep = NULL;
	if (!count)
		return 0;
	if (count > SKL_MATCH_MAX_RULES)
		return -E2BIG;
	for (i = 0; i < count; i++) {
		err = skl_match_rule_validate(&rules[i], NULL);
		if (err)
			return err;
		if (rules[i].proto != rules[0].proto || rules[i].family != rules[0].family ||
		    rules[i].phase != rules[0].phase)
			return -EINVAL;
	}

	b = skl_match_alloc_array(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	memset(b, 0, sizeof(*b));
	b->count = count;
	b->family = rules[0].family;
	err = -ENOMEM;
	b->order = skl_match_alloc_array(count, sizeof(*b->order));
	if (!b->order)
		goto out;
	for (i = 0; i < count; i++) {
		b->order[i] = &rules[i];
		b->ndevs += !!rules[i].ifindex;
		if (i && sorted && skl_match_order_cmp(&b->order[i - 1], &b->order[i]) > 0)
			sorted = false;
	}
	if (!sorted)
		skl_match_sort(b->order, count, sizeof(*b->order), skl_match_order_cmp);

	for (i = 0; i < count; i += k) {
		k = skl_match_group(b, i);
		len = b->order[i]->dst_len;
		if (!b->entries[len]++)
			b->first[len] = i;
		b->last[len] = i;
		b->nentries++;
		if (k > max_k)
			max_k = k;
	}
	if (max_k > 1) {
		b->points = skl_match_alloc_array(2 * max_k, sizeof(*b->points));
		b->starts = skl_match_alloc_array(max_k, sizeof(*b->starts));
		b->active = skl_match_alloc_array(max_k, sizeof(*b->active));
		b->prev = skl_match_alloc_array(max_k, sizeof(*b->prev));
		if (!b->points || !b->starts || !b->active || !b->prev)
			goto out;
		for (i = 0; i < count; i += k) {
			k = skl_match_group(b, i);
			if (k == 1)
				continue;
			nseg += skl_match_entry_segs(b, &b->order[i], k, i, NULL, NULL, 0, &n, &c);
			ncand += c;
			skl_match_resched();
		}
	}

	table = skl_match_alloc_table(b, nseg, ncand);
	if (!table)
		goto out;
	skl_match_fill(b, table);
	skl_match_link_parents(table);
	skl_match_fill_filters(table);
	*tablep = table;
	err = 0;
out:
	skl_match_free_builder(b);
	return err;
}
