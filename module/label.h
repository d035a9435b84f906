/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SKL_LABEL_H
#define SKL_LABEL_H

#include <linux/list.h>
#include <linux/rcupdate.h>
#include <net/sock.h>

#include "sklookup.h"
#include "events.h"

struct skl_net;

/*
 * The sockets of a label as lookups see them: replaced whole, never changed in place.
 * @id, in the same allocation after @sk, is for the control path only (under the
 * namespace's lock): what each socket was when it was registered.
 */
struct skl_socks {
	struct rcu_head rcu;
	unsigned int count;
	struct skl_sock_id *id;
	struct sock *sk[];
};

struct skl_label_stats {
	u64 lookups;
	u64 delivered;
	u64 misses;
};

/**
 * struct skl_label - a service's name, with the sockets registered under it
 * @node: in skl_net.labels
 * @rcu: frees the label after lookups that may hold it are done
 * @name: what rules and users call it
 * @rule_refs: rules that steer to it; it lives while this or its sockets are non-zero
 * @socks: the registered sockets, each with a reference held
 * @stats: per-CPU counters, written by lookups
 */
struct skl_label {
	struct list_head node;
	struct rcu_head rcu;
	char name[SKL_LABEL_NAME_MAX];
	unsigned int rule_refs;
	struct skl_socks __rcu *socks;
	struct skl_label_stats __percpu *stats;
};

struct skl_label *skl_label_find(struct skl_net *sn, const char *name);
struct skl_label *skl_label_get(struct skl_net *sn, const char *name);
void skl_label_put(struct skl_net *sn, struct skl_label *label);
int skl_label_add_socket(struct skl_net *sn, const char *name, struct sock *sk, u64 ino,
			 struct netlink_ext_ack *extack);
int skl_label_release(struct skl_net *sn, struct skl_label *label, u8 reason);
bool skl_label_sweep(struct skl_net *sn);
void skl_labels_destroy(struct skl_net *sn);
struct sock *skl_label_pick(const struct skl_label *label, u8 proto, u8 family, u32 hash);
void skl_label_stats(const struct skl_label *label, struct skl_label_stats *sum);

#endif /* SKL_LABEL_H */
