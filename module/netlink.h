/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SKL_NETLINK_H
#define SKL_NETLINK_H

struct genl_family;
struct sk_buff;
struct skl_rule;

/* Multicast groups of the family, in the order of its mcgrps array. */
enum skl_mcgrp {
	SKL_MCGRP_EVENTS,
};

extern struct genl_family skl_genl_family;

int skl_netlink_register(void);
void skl_netlink_unregister(void);
int skl_nl_put_rule_attrs(struct sk_buff *skb, const struct skl_rule *rule);

#endif /* SKL_NETLINK_H */
