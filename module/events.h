/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SKL_EVENTS_H
#define SKL_EVENTS_H

#include <linux/in6.h>
#include <linux/types.h>

struct net;
struct sk_buff;
struct skl_rule;

/**
 * struct skl_sock_id - a registered socket as it was when it was registered
 * @ino: its inode number
 * @addr: the bound local address (4 or 16 bytes, by @family)
 * @port: the bound local port, host order
 * @proto: IPPROTO_TCP or IPPROTO_UDP
 * @family: AF_INET or AF_INET6
 * @stale: a sweep found it not live, but not closed: released at the next sweep
 * @release: set by a sweep to why it lets go of it (enum skl_release_reason), or 0
 *
 * A closed socket no longer knows its port or inode; its release is reported with this.
 */
struct skl_sock_id {
	u64 ino;
	struct in6_addr addr;
	u16 port;
	u8 proto;
	u8 family;
	bool stale;
	u8 release;
};

void skl_events_enable(bool on);
struct sk_buff *skl_event_rule_new(struct net *net, u8 type, const struct skl_rule *rule);
void skl_event_send(struct net *net, struct sk_buff *skb);
void skl_event_count(struct net *net, u8 type, u32 count);
void skl_event_socket(struct net *net, u8 type, const char *label,
		      const struct skl_sock_id *id, u8 reason);
void skl_event_label_empty(struct net *net, const char *label);
void skl_event_netns_gone(struct net *net, u32 rules, u32 labels);

#endif /* SKL_EVENTS_H */
