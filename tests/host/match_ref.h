/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A deliberately naive rule matcher: every lookup scans every rule and applies the
 * precedence order of match.h literally. It shares only the data types with match.c, so
 * that the two agreeing means something.
 */
#ifndef SKL_MATCH_REF_H
#define SKL_MATCH_REF_H

#include "match.h"

/* Does @rule match the lookup @key of the given kind? Every field is checked. */
bool skl_ref_matches(const struct skl_match_rule *rule, u8 proto, u8 family, u8 phase,
		     const struct skl_match_key *key);

/* Is @a to be preferred to @b (both matching the same lookup)? */
bool skl_ref_better(const struct skl_match_rule *a, const struct skl_match_rule *b);

/* The winning rule among @rules[0..n), or NULL. */
const struct skl_match_rule *skl_ref_lookup(const struct skl_match_rule *rules, u32 n,
					    u8 proto, u8 family, u8 phase,
					    const struct skl_match_key *key);

/* All matching rules, best first, into @out (room for @n); returns how many. */
u32 skl_ref_all(const struct skl_match_rule *rules, u32 n, u8 proto, u8 family, u8 phase,
		const struct skl_match_key *key, const struct skl_match_rule **out);

#endif /* SKL_MATCH_REF_H */
