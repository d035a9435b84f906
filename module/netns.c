// SPDX-License-Identifier: GPL-2.0
/*
 * Per-namespace state. Every namespace gets an (empty) skl_net from the pernet core; it
 * costs lookups in a namespace without rules one pointer test.
 */
#include <linux/random.h>
#include <linux/slab.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "apply.h"
#include "events.h"
#include "label.h"
#include "netns.h"
#include "rules.h"

unsigned int skl_net_id __read_mostly;
struct skl_totals skl_totals;

/**
 * skl_netns_account() - count @sn among the namespaces with state, or not
 * @sn: the namespace's state, locked, after a change to its rules or labels
 */
void skl_netns_account(struct skl_net *sn)
{
	bool has_state = sn->nr_rules || sn->nr_labels;

	if (has_state == sn->counted)
		return;
	sn->counted = has_state;
	if (has_state)
		atomic_inc(&skl_totals.namespaces);
	else
		atomic_dec(&skl_totals.namespaces);
}

/* How often closed sockets are looked for while a namespace holds any. */
#define SKL_GC_INTERVAL	(HZ / 2)

static void skl_netns_gc(struct work_struct *work)
{
	struct skl_net *sn = container_of(to_delayed_work(work), struct skl_net, gc);
	bool again;

	mutex_lock(&sn->lock);
	again = skl_label_sweep(sn);
	mutex_unlock(&sn->lock);
	if (again)
		schedule_delayed_work(&sn->gc, SKL_GC_INTERVAL);
}

/**
 * skl_netns_schedule_gc() - make sure closed sockets of @sn will be released
 * @sn: a namespace that holds sockets
 */
void skl_netns_schedule_gc(struct skl_net *sn)
{
	schedule_delayed_work(&sn->gc, SKL_GC_INTERVAL);
}

static int __net_init skl_net_init(struct net *net)
{
	struct skl_net *sn = skl_net(net);

	mutex_init(&sn->lock);
	mutex_init(&sn->dev_lock);
	sn->net = net;
	INIT_LIST_HEAD(&sn->labels);
	INIT_LIST_HEAD(&sn->with_socks);
	sn->label_seed = get_random_u32();
	INIT_LIST_HEAD(&sn->stagings);
	INIT_DELAYED_WORK(&sn->gc, skl_netns_gc);
	sn->next_rule_id = 1;
	sn->generation = 1;
	return 0;
}

/*
 * Lookups in a namespace that goes away stop seeing its sockets here; the pernet core
 * waits for a grace period before exit, for every namespace of the batch (or all of
 * them, at unload) at once, and exit then lets go of them without waiting again.
 */
static void __net_exit skl_net_pre_exit(struct net *net)
{
	struct skl_net *sn = skl_net(net);

	cancel_delayed_work_sync(&sn->gc);
	mutex_lock(&sn->lock);
	skl_labels_unpublish(sn);
	mutex_unlock(&sn->lock);
}

static void __net_exit skl_net_exit(struct net *net)
{
	struct skl_net *sn = skl_net(net);

	cancel_delayed_work_sync(&sn->gc);
	mutex_lock(&sn->lock);
	if (sn->counted)
		skl_event_netns_gone(net, sn->nr_rules, sn->nr_labels);
	skl_apply_destroy(sn);
	skl_rules_flush(sn);
	skl_labels_destroy(sn);
	mutex_unlock(&sn->lock);
}

static struct pernet_operations skl_net_ops = {
	.init = skl_net_init,
	.pre_exit = skl_net_pre_exit,
	.exit = skl_net_exit,
	.id = &skl_net_id,
	.size = sizeof(struct skl_net),
};

/**
 * skl_netns_register() - give every namespace, present and future, its state
 *
 * Return: 0 or a negative error.
 */
int skl_netns_register(void)
{
	int err = register_pernet_subsys(&skl_net_ops);

	/* After the pernet state exists: the notifier's first calls replay every device. */
	if (!err) {
		err = skl_rules_netdev_register();
		if (err)
			unregister_pernet_subsys(&skl_net_ops);
	}
	return err;
}

/**
 * skl_netns_unregister() - release everything held in every namespace
 */
void skl_netns_unregister(void)
{
	skl_rules_netdev_unregister();
	unregister_pernet_subsys(&skl_net_ops);
	/*
	 * Labels are freed by RCU callbacks, which are module code, and so are the callbacks
	 * that queue the freeing of replaced rule sets (skl_rules_exit() waits for that).
	 */
	rcu_barrier();
}
