/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SKL_LABEL_H
#define SKL_LABEL_H

#include <linux/cache.h>
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/rcupdate.h>
#include <net/sock.h>

#include "sklookup.h"
#include "counters.h"
#include "events.h"

struct skl_net;
struct skl_lookup;

/*
 * Where a lookup looks for a socket of a label: one group per protocol and family, and a
 * group of the dual-stack (not IPV6_V6ONLY) IPv6 sockets, which may answer IPv4 lookups.
 */
enum skl_pick_group {
	SKL_GROUP_TCP4,
	SKL_GROUP_TCP6,
	SKL_GROUP_TCP_DUAL,
	SKL_GROUP_UDP4,
	SKL_GROUP_UDP6,
	SKL_GROUP_UDP_DUAL,
	SKL_GROUP_NR,
};

/**
 * struct skl_socks - the sockets of a label as lookups see them
 * @count: number of registered sockets
 * @group: group g is @pick[@group[g]] to @pick[@group[g + 1] - 1]
 * @rcu: frees it once no lookup can be using it
 * @next: chains arrays that teardown unpublished, until their sockets are released
 * @sk: the registered sockets, in the order of registration, for the control path
 * @id: what each of @sk was when it was registered, for the control path
 * @pick: the sockets again, by enum skl_pick_group; a dual-stack socket is in two groups
 *
 * Built on the control path (under the namespace's lock) and replaced whole, never
 * changed in place, so a lookup decides on one consistent snapshot; only @id's sweep
 * marks change in place, and lookups never read them. @sk and @id point into the same
 * allocation, after @pick.
 */
struct skl_socks {
	unsigned int count;
	u32 group[SKL_GROUP_NR + 1];
	struct rcu_head rcu;
	struct skl_socks *next;
	struct sock **sk;
	struct skl_sock_id *id;
	struct sock *pick[];
};

struct skl_label_stats {
	u64 lookups;
	u64 delivered;
	u64 misses;
};

/**
 * struct skl_label - a service's name, with the sockets registered under it
 * @node: in skl_net.labels
 * @hnode: in skl_net.label_hash, by name
 * @with_socks: in skl_net.with_socks while @socks is not NULL
 * @rcu: frees the label after lookups that may hold it are done
 * @dead: then in the list of labels whose counters are let go of before they are freed
 * @name: what rules and users call it
 * @rule_refs: rules that steer to it; it lives while this or its sockets are non-zero
 * @socks: the registered sockets, each with a reference held
 * @delivered: rule matches answered with one of its sockets
 * @misses: matches with no live socket to answer
 *
 * The matches that chose the label are these two added: each match counts in exactly
 * one. Lookups never count in them directly: the rules that steer here count their
 * hits and misses, which feed these (skl_counter_feed()), so a lookup that hits the
 * label moves one counter in all, the rule's.
 */
struct skl_label {
	struct list_head node;
	struct hlist_node hnode;
	struct list_head with_socks;
	struct rcu_head rcu;
	struct llist_node dead;
	char name[SKL_LABEL_NAME_MAX];
	unsigned int rule_refs;
	struct skl_socks __rcu *socks;
	/* Written by hand-overs from every CPU; @socks is read by every pick. */
	struct skl_counter delivered ____cacheline_aligned_in_smp;
	struct skl_counter misses;
};

/* What skl_text_check() finds wrong with a text, if anything. */
enum skl_text_fault {
	SKL_TEXT_OK,
	SKL_TEXT_NOT_UTF8,
	SKL_TEXT_CONTROL,
};

enum skl_text_fault skl_text_check(const char *text, int len);
const char *skl_label_name_invalid(const char *name);
struct skl_label *skl_label_find(struct skl_net *sn, const char *name);
struct skl_label *skl_label_get(struct skl_net *sn, const char *name);
void skl_label_put(struct skl_net *sn, struct skl_label *label);
int skl_label_add_socket(struct skl_net *sn, const char *name, struct sock *sk, u64 ino,
			 struct netlink_ext_ack *extack);
int skl_label_release(struct skl_net *sn, struct skl_label *label, u8 reason);
bool skl_label_sweep(struct skl_net *sn);
void skl_labels_unpublish(struct skl_net *sn);
void skl_labels_destroy(struct skl_net *sn);
struct sock *skl_label_pick(const struct skl_label *label, u8 proto, u8 family,
			    const struct skl_lookup *l);
void skl_label_stats(const struct skl_label *label, struct skl_label_stats *sum);
void skl_labels_exit(void);

#endif /* SKL_LABEL_H */
