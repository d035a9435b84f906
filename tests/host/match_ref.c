// SPDX-License-Identifier: GPL-2.0
/* The naive reference matcher; see match_ref.h. */

#include "match_ref.h"

/* Bit @i (0 = most significant bit of the first byte) of an address. */
static int ref_bit(const union skl_match_addr *addr, int i)
{
	const u8 *bytes = (const u8 *)addr;

	return (bytes[i / 8] >> (7 - i % 8)) & 1;
}

/* The first @len bits of @prefix and @addr agree, compared one bit at a time. */
static bool ref_in_prefix(const union skl_match_addr *prefix, int len,
			  const union skl_match_addr *addr)
{
	int i;

	for (i = 0; i < len; i++)
		if (ref_bit(prefix, i) != ref_bit(addr, i))
			return false;
	return true;
}

bool skl_ref_matches(const struct skl_match_rule *rule, u8 proto, u8 family, u8 phase,
		     const struct skl_match_key *key)
{
	if (rule->proto != proto || rule->family != family || rule->phase != phase)
		return false;
	if (!ref_in_prefix(&rule->dst, rule->dst_len, &key->dst))
		return false;
	if (!ref_in_prefix(&rule->src, rule->src_len, &key->src))
		return false;
	if (!(rule->port_lo <= key->dport && key->dport <= rule->port_hi))
		return false;
	if (rule->ifindex != 0 && rule->ifindex != key->dif && rule->ifindex != key->sdif)
		return false;
	return true;
}

bool skl_ref_better(const struct skl_match_rule *a, const struct skl_match_rule *b)
{
	/* 1. longest destination prefix */
	if (a->dst_len != b->dst_len)
		return a->dst_len > b->dst_len;
	/* 2. narrowest port range */
	if (a->port_hi - a->port_lo != b->port_hi - b->port_lo)
		return a->port_hi - a->port_lo < b->port_hi - b->port_lo;
	/* 3. longest source prefix */
	if (a->src_len != b->src_len)
		return a->src_len > b->src_len;
	/* 4. bound to a device */
	if ((a->ifindex != 0) != (b->ifindex != 0))
		return a->ifindex != 0;
	/* 5. oldest */
	return a->id < b->id;
}

const struct skl_match_rule *skl_ref_lookup(const struct skl_match_rule *rules, u32 n,
					    u8 proto, u8 family, u8 phase,
					    const struct skl_match_key *key)
{
	const struct skl_match_rule *best = NULL;
	u32 i;

	for (i = 0; i < n; i++)
		if (skl_ref_matches(&rules[i], proto, family, phase, key) &&
		    (!best || skl_ref_better(&rules[i], best)))
			best = &rules[i];
	return best;
}

u32 skl_ref_all(const struct skl_match_rule *rules, u32 n, u8 proto, u8 family, u8 phase,
		const struct skl_match_key *key, const struct skl_match_rule **out)
{
	u32 i, j, count = 0;

	for (i = 0; i < n; i++) {
		if (!skl_ref_matches(&rules[i], proto, family, phase, key))
			continue;
		/* insertion sort: shift every worse rule one place on */
		for (j = count; j > 0 && skl_ref_better(&rules[i], out[j - 1]); j--)
			out[j] = out[j - 1];
		out[j] = &rules[i];
		count++;
	}
	return count;
}
