/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SKL_RULES_H
#define SKL_RULES_H

#include <linux/if.h>
#include <linux/rcupdate.h>

#include "counters.h"
#include "match.h"

struct skl_net;
struct netlink_ext_ack;
struct skl_label;

/**
 * struct skl_rule - what a rule does, beyond what the matcher compares
 * @match: the rule as the matcher knows it; @match.priv points back here
 * @label: the label it steers to (a reference is held), or NULL for drop and redirect
 * @flags: SKL_RULE_F_*
 * @hits: lookups this rule matched and decided, but for @misses (skl_rule_hits() adds
 *	them): each lookup counts in one counter. A steer rule's feeds its label's
 *	delivered
 * @redirect_addr: where a redirect rule sends the kernel's lookup
 * @redirect_port: and to which port, host order; 0 keeps the packet's
 * @misses: a redirect rule's lookups that found no socket there; a steer rule's that
 *	found no live socket of its label, feeding the label's misses
 * @comment: the user's note, owned and freed with the rule, or NULL; no lookup reads it
 * @ifname: the device the packet must arrive on, by name, "" for any; @match.ifindex
 *	is that device's index now (skl_ruleset_publish(), skl_rules_netdev_event())
 */
struct skl_rule {
	struct skl_match_rule match;
	struct skl_label *label;
	u32 flags;
	struct skl_counter hits;
	union skl_match_addr redirect_addr;
	u16 redirect_port;
	struct skl_counter misses;
	const char *comment;
	char ifname[IFNAMSIZ];
};

/**
 * struct skl_ruleset - one namespace's rules, as lookups see them; never changed in place
 * @rcu: frees it once no lookup can be using it
 * @ndev: number of rules that name a device
 * @nsrc: number of rules with a source prefix; with @ndev, what of a lookup's key the
 *	matcher reads
 * @tables: the compiled rules of each kind, indexed by skl_match_table_index()
 * @count: number of rules
 * @ndead: number of @dead rules
 * @dead: rules this set was the last to hold, freed with it
 * @rules: all rules, oldest first
 */
struct skl_ruleset {
	struct rcu_head rcu;
	/* A lookup reads these two, then its table: the first tables share their line. */
	u32 ndev;
	u32 nsrc;
	struct skl_match_table *tables[SKL_MATCH_NR_TABLES];
	u32 count;
	u32 ndead;
	struct skl_rule **dead;
	struct skl_rule *rules[];
};

int skl_rules_add(struct skl_net *sn, const struct skl_rule *tmpl, const char *label,
		  u64 *id, struct netlink_ext_ack *extack);
int skl_rules_del(struct skl_net *sn, u64 id);
void skl_rules_flush(struct skl_net *sn);
int skl_rules_init(void);
void skl_rules_exit(void);
int skl_rules_netdev_register(void);
void skl_rules_netdev_unregister(void);
struct skl_rule *skl_rules_find(struct skl_net *sn, u64 id);
u64 skl_rule_hits(const struct skl_rule *rule);
struct skl_rule *skl_rules_find_words(struct skl_net *sn, const struct skl_rule *tmpl,
				      const char *label);

/* Refusal of a rule whose words a rule in force has; the extack cookie holds its id. */
#define SKL_RULE_EXISTS	"the same rule exists already"

struct skl_staged_rule;
int skl_rules_replace(struct skl_net *sn, struct skl_staged_rule *staged, u32 count,
		      struct netlink_ext_ack *extack);

#endif /* SKL_RULES_H */
