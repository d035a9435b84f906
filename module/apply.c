// SPDX-License-Identifier: GPL-2.0
/*
 * Replacing a namespace's whole rule set at once (sklookupctl apply).
 *
 * A client opens a staged set (RULE_BEGIN), sends its rules into it (RULE_ADD with
 * SKL_A_RULE_STAGE), and commits (RULE_COMMIT): the new set is published in one pointer
 * swap, so no lookup sees part of it. A staged set belongs to the netlink socket that
 * opened it and is dropped when that socket closes, so a client that dies half way
 * changes nothing and leaves nothing behind.
 *
 * A set is keyed by the socket itself, held by a reference, not by its netlink port id:
 * the kernel frees the port id before it tells of the close, so another socket can take
 * the id in between, and would otherwise find (or lose) a set that is not its own.
 */
#include <linux/mm.h>
#include <linux/netlink.h>
#include <linux/llist.h>
#include <linux/notifier.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <net/netlink.h>
#include <net/sock.h>

#include "apply.h"
#include "charge.h"
#include "fault.h"
#include "limits.h"
#include "netns.h"
#include "rules.h"

struct skl_staging {
	struct list_head node;
	struct rcu_head rcu;
	struct llist_node dead;
	struct sock *sk;
	u32 count;
	u32 capacity;
	struct skl_staged_rule *rules;
};

static struct skl_staging *skl_staging_find(struct skl_net *sn, const struct sock *sk)
{
	struct skl_staging *st;

	list_for_each_entry(st, &sn->stagings, node) {
		if (st->sk == sk)
			return st;
	}
	return NULL;
}

/*
 * The release notifier may still be looking at a set's socket: it is let go of a grace
 * period later, and in process context, since the last reference may be this one, and
 * freeing a netlink socket may end a dump, whose done() may sleep.
 */
static LLIST_HEAD(skl_stagings_dead);

static void skl_stagings_put(struct work_struct *work)
{
	struct llist_node *dead = llist_del_all(&skl_stagings_dead);
	struct skl_staging *st, *tmp;

	llist_for_each_entry_safe(st, tmp, dead, dead) {
		sock_put(st->sk);
		kfree(st);
	}
}

static DECLARE_WORK(skl_stagings_put_work, skl_stagings_put);

static void skl_staging_free_rcu(struct rcu_head *head)
{
	struct skl_staging *st = container_of(head, struct skl_staging, rcu);

	if (llist_add(&st->dead, &skl_stagings_dead))
		queue_work(system_unbound_wq, &skl_stagings_put_work);
}

static void skl_staging_free(struct skl_net *sn, struct skl_staging *st)
{
	u32 i;

	/* A commit took over the comments of the rules it made; the rest are freed here. */
	for (i = 0; i < st->count; i++) {
		kfree(st->rules[i].rule.comment);
		if (!(i % 1024))
			cond_resched();
	}
	list_del_rcu(&st->node);
	atomic_dec(&sn->nr_stagings);
	atomic_sub(st->count, &skl_totals.staged);
	kvfree(st->rules);
	st->rules = NULL;
	call_rcu(&st->rcu, skl_staging_free_rcu);
}

/**
 * skl_apply_begin() - open an empty staged set for the socket @sk
 * @sn: the namespace's state, locked
 * @sk: the client's netlink socket, sending the request; a set it had open already is
 *	dropped
 *
 * Return: 0 or -ENOMEM.
 */
int skl_apply_begin(struct skl_net *sn, struct sock *sk)
{
	struct skl_staging *st = skl_staging_find(sn, sk);

	if (st)
		skl_staging_free(sn, st);
	st = SKL_FALLIBLE(kzalloc(sizeof(*st), SKL_GFP_CHARGED));
	if (!st)
		return -ENOMEM;
	/* Held until the set goes: no other socket can come to have this address. */
	sock_hold(sk);
	st->sk = sk;
	list_add_rcu(&st->node, &sn->stagings);
	atomic_inc(&sn->nr_stagings);
	return 0;
}

/**
 * skl_apply_stage() - add a validated rule to the socket's staged set
 * @sn: the namespace's state, locked
 * @sk: the client's netlink socket
 * @rule: the rule; its comment is copied
 * @label: its label, or NULL for a drop rule
 * @extack: why it is refused
 *
 * Return: 0, -ENOENT without an open set, -ENOSPC, -ENOMEM (the set is dropped).
 */
int skl_apply_stage(struct skl_net *sn, const struct sock *sk, const struct skl_rule *rule,
		    const char *label, struct netlink_ext_ack *extack)
{
	struct skl_staging *st = skl_staging_find(sn, sk);
	struct skl_staged_rule *bigger, *slot;
	const char *comment = NULL;
	u32 capacity;

	if (!st) {
		NL_SET_ERR_MSG(extack, "no staged rule set: send SKL_CMD_RULE_BEGIN first");
		return -ENOENT;
	}
	if (st->count >= READ_ONCE(skl_max_rules)) {
		NL_SET_ERR_MSG(extack, SKL_MAX_RULES_REACHED);
		return -ENOSPC;
	}
	if (st->count == st->capacity) {
		capacity = max_t(u32, 64, st->capacity * 2);
		bigger = skl_alloc_charged(capacity, sizeof(*bigger));
		if (!bigger) {
			/*
			 * A set missing a rule must never be committed; drop it now, which
			 * also gives its memory back to the caller's cgroup at once.
			 */
			skl_staging_free(sn, st);
			NL_SET_ERR_MSG(extack, "out of memory for the staged rules (all dropped)"
				       SKL_CHARGED_HINT);
			return -ENOMEM;
		}
		if (st->count)
			memcpy(bigger, st->rules, st->count * sizeof(*bigger));
		kvfree(st->rules);
		st->rules = bigger;
		st->capacity = capacity;
	}
	if (rule->comment) {
		comment = SKL_FALLIBLE(kstrdup(rule->comment, SKL_GFP_CHARGED));
		if (!comment) {
			skl_staging_free(sn, st);
			NL_SET_ERR_MSG(extack, "out of memory for the staged rules (all dropped)"
				       SKL_CHARGED_HINT);
			return -ENOMEM;
		}
	}
	slot = &st->rules[st->count++];
	atomic_inc(&skl_totals.staged);
	slot->rule = *rule;
	slot->rule.comment = comment;
	strscpy(slot->label, label ? label : "", sizeof(slot->label));
	return 0;
}

/**
 * skl_apply_commit() - replace the namespace's rules with the socket's staged set
 * @sn: the namespace's state, locked
 * @sk: the client's netlink socket
 * @count: the number of rules now in force
 * @extack: why it is refused
 *
 * The staged set is consumed whether or not the replacement succeeds.
 *
 * Return: 0, or a negative error with the old rules still in force.
 */
int skl_apply_commit(struct skl_net *sn, const struct sock *sk, u32 *count,
		     struct netlink_ext_ack *extack)
{
	struct skl_staging *st = skl_staging_find(sn, sk);
	int err;

	if (!st) {
		NL_SET_ERR_MSG(extack, "no staged rule set: send SKL_CMD_RULE_BEGIN first");
		return -ENOENT;
	}
	err = skl_rules_replace(sn, st->rules, st->count, extack);
	*count = st->count;
	skl_staging_free(sn, st);
	if (err == -ENOMEM)
		NL_SET_ERR_MSG(extack, "out of memory for the new rule set" SKL_CHARGED_HINT);
	return err;
}

/**
 * skl_apply_destroy() - drop every staged set of a namespace that goes away
 * @sn: the namespace's state, locked
 */
void skl_apply_destroy(struct skl_net *sn)
{
	struct skl_staging *st, *tmp;

	list_for_each_entry_safe(st, tmp, &sn->stagings, node)
		skl_staging_free(sn, st);
}

/**
 * skl_apply_drop() - drop the socket's staged set, if it has one
 * @sn: the namespace's state, locked
 * @sk: the client's netlink socket
 */
void skl_apply_drop(struct skl_net *sn, const struct sock *sk)
{
	struct skl_staging *st = skl_staging_find(sn, sk);

	if (st)
		skl_staging_free(sn, st);
}

/*
 * A generic netlink socket closed: drop what it had staged in its namespace. The notice
 * carries only the port id, which may belong to another socket already; the closed
 * socket is the one netlink_release() orphaned (SOCK_DEAD) before telling.
 */
static int skl_apply_release(struct notifier_block *nb, unsigned long event, void *ptr)
{
	struct netlink_notify *n = ptr;
	struct skl_staging *st, *tmp;
	struct skl_net *sn;
	bool dead = false;

	if (event != NETLINK_URELEASE || n->protocol != NETLINK_GENERIC)
		return NOTIFY_DONE;
	sn = skl_net(n->net);
	/*
	 * Every generic netlink socket of the host that closes comes here; most never
	 * staged anything. A set is opened in a request of its own socket, before that
	 * socket can close, so a closing socket's set is listed already. Only a closing
	 * set's owner waits for the lock, which a commit may hold for seconds; any other
	 * tool's close() in the namespace goes on.
	 */
	if (!atomic_read(&sn->nr_stagings))
		return NOTIFY_DONE;
	rcu_read_lock();
	list_for_each_entry_rcu(st, &sn->stagings, node) {
		if (sock_flag(st->sk, SOCK_DEAD)) {
			dead = true;
			break;
		}
	}
	rcu_read_unlock();
	if (!dead)
		return NOTIFY_DONE;
	mutex_lock(&sn->lock);
	list_for_each_entry_safe(st, tmp, &sn->stagings, node) {
		if (sock_flag(st->sk, SOCK_DEAD))
			skl_staging_free(sn, st);
	}
	mutex_unlock(&sn->lock);
	return NOTIFY_DONE;
}

static struct notifier_block skl_apply_notifier = {
	.notifier_call = skl_apply_release,
};

/**
 * skl_apply_register() - follow netlink sockets closing
 *
 * Return: 0 or a negative error.
 */
int skl_apply_register(void)
{
	return netlink_register_notifier(&skl_apply_notifier);
}

/**
 * skl_apply_unregister() - stop following netlink sockets
 */
void skl_apply_unregister(void)
{
	netlink_unregister_notifier(&skl_apply_notifier);
}

/**
 * skl_apply_exit() - let go of the sockets of the last staged sets, at unload
 *
 * Call after rcu_barrier(), once no set can be dropped any more.
 */
void skl_apply_exit(void)
{
	flush_work(&skl_stagings_put_work);
}
