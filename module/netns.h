/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SKL_NETNS_H
#define SKL_NETNS_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

struct skl_ruleset;
struct skl_socks;

/* Live objects of the whole module, for status: a leak shows as a count that stays up. */
struct skl_totals {
	atomic_t namespaces;	/* namespaces that hold rules or labels */
	atomic_t rules;
	atomic_t labels;
	atomic_t sockets;
	atomic_t staged;	/* rules in staged sets not committed yet */
};

extern struct skl_totals skl_totals;

/**
 * struct skl_net - sklookup's state in one network namespace
 * @rules: the rule set lookups see; NULL when there are no rules. Replaced under @lock
 *	and @dev_lock both: either keeps it alive
 * @net: the namespace this state belongs to
 * @lock: serialises every change to this namespace's rules and labels
 * @dev_lock: serialises bringing the rules' device indexes up to date (the netdevice
 *	notifier, under RTNL, and publishing a set, under @lock); taken after both, and
 *	held for no more than that
 * @dev_events: devices of the namespace registered, unregistered or renamed, under
 *	@dev_lock: a set resolved before the count moved is resolved again
 * @labels: all labels, under @lock, in the order they were made (for dumps)
 * @label_hash: the same labels by name, under @lock; NULL while there are none
 * @label_buckets: size of @label_hash, a power of two
 * @label_seed: of the hash of names, so that a tenant cannot aim at one bucket
 * @with_socks: the labels that have sockets, under @lock
 * @retired: socket arrays that pre_exit unpublished, released by exit after the grace
 *	period the pernet core waits between the two
 * @next_rule_id: id of the next rule added; ids are never reused
 * @nr_rules: number of rules, under @lock
 * @nr_sockets: number of sockets held, under @lock
 * @nr_labels: number of labels, under @lock
 * @counted: counted in skl_totals.namespaces, under @lock
 * @stagings: rule sets clients are sending for an atomic replace, changed under @lock,
 *	read under RCU by the netlink release notifier
 * @nr_stagings: number of @stagings, changed under @lock, read without it
 * @generation: bumped by every change to the rules in force, under @lock
 * @gc: releases sockets their owners closed, so they do not pin the namespace
 */
struct skl_net {
	/*
	 * Every lookup of the namespace reads @rules: its cache line holds nothing that is
	 * written but @rules itself, so that a writer taking the locks, or the counts and
	 * the work below, never takes the line from the CPUs that read it.
	 */
	struct skl_ruleset __rcu *rules ____cacheline_aligned_in_smp;
	struct net *net;
	struct mutex lock ____cacheline_aligned_in_smp;	/* never taken by lookups */
	struct mutex dev_lock;	/* see above: device indexes, after @lock and RTNL */
	unsigned long dev_events;
	struct list_head labels;
	struct hlist_head *label_hash;
	unsigned int label_buckets;
	u32 label_seed;
	struct list_head with_socks;
	struct skl_socks *retired;
	u64 next_rule_id;
	unsigned int nr_rules;
	unsigned int nr_sockets;
	unsigned int nr_labels;
	bool counted;
	struct list_head stagings;
	atomic_t nr_stagings;
	u64 generation;
	struct delayed_work gc;
};

extern unsigned int skl_net_id;

static inline struct skl_net *skl_net(const struct net *net)
{
	return net_generic(net, skl_net_id);
}

/*
 * skl_net() for the lookups, which hold an RCU read lock already: net_generic() takes
 * one of its own, and on PREEMPT_RCU kernels (Debian's) that is a call each way, on
 * every lookup of the host.
 */
static inline struct skl_net *skl_net_rcu(const struct net *net)
{
	return rcu_dereference(net->gen)->ptr[skl_net_id];
}

/**
 * skl_netns_changed() - the rules in force changed: bump the generation
 * @sn: the namespace's state, locked
 *
 * Return: the new generation.
 */
static inline u64 skl_netns_changed(struct skl_net *sn)
{
	lockdep_assert_held(&sn->lock);
	WRITE_ONCE(sn->generation, sn->generation + 1);
	return sn->generation;
}

/**
 * skl_netns_generation() - the generation of @sn's rules, read without its lock
 * @sn: the namespace's state
 *
 * Return: the generation, as of some moment during the call.
 */
static inline u64 skl_netns_generation(const struct skl_net *sn)
{
	return READ_ONCE(sn->generation);
}

int skl_netns_register(void);
void skl_netns_unregister(void);
void skl_netns_schedule_gc(struct skl_net *sn);
void skl_netns_account(struct skl_net *sn);

#endif /* SKL_NETNS_H */
