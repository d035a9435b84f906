// SPDX-License-Identifier: GPL-2.0
/*
 * A namespace's rule set. Every change builds a new skl_ruleset, recompiling only the
 * tables whose kind of rule changed, publishes it and frees the old one after a grace
 * period: a lookup sees either the old rules or the new ones, never a mix.
 *
 * A rule may name the device the packet arrives on. It holds the name; the compiled tables
 * hold the index of the device that has the name now, which a netdevice notifier changes in
 * place when a device of that name comes, goes or is renamed, so that a lookup compares
 * an int as for any rule.
 */
#include <linux/netdevice.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/static_key.h>
#include <linux/workqueue.h>
#include <net/netlink.h>

#include "apply.h"
#include "charge.h"
#include "fault.h"
#include "label.h"
#include "limits.h"
#include "netns.h"
#include "rules.h"
#include "steer.h"

/* The index of the device of @net whose name is @name, now. */
static int skl_dev_resolve(struct net *net, const char *name)
{
	int ifindex = SKL_MATCH_IFINDEX_ABSENT;
	struct net_device *dev;

	rcu_read_lock();
	dev = dev_get_by_name_rcu(net, name);
	/* It also finds alternative names: a rule, like nftables' iifname, names the name. */
	if (dev && !strncmp(dev->name, name, IFNAMSIZ))
		ifindex = dev->ifindex;
	rcu_read_unlock();
	return ifindex;
}

/*
 * The namespace's device events so far. Taken before a change resolves its new rules and
 * copies the others' indexes, and handed to skl_ruleset_publish(), which resolves the set
 * again if a device came, went or was renamed since.
 */
static unsigned long skl_dev_events(struct skl_net *sn)
{
	unsigned long events;

	mutex_lock(&sn->dev_lock);
	events = sn->dev_events;
	mutex_unlock(&sn->dev_lock);
	return events;
}

/*
 * Bring the device indexes of @rs's rules that name a device up to date, in its tables
 * (which lookups may be using) and in the rules the next compile copies. Only the rules
 * naming @dev (by its name, or by its index: its old name) when @dev is given; only the
 * tables of the kinds in @kinds when that is given.
 */
static void skl_ruleset_resolve(struct skl_net *sn, struct skl_ruleset *rs,
				const struct net_device *dev, const bool *kinds)
{
	const struct skl_match_rule *rules;
	struct skl_rule *rule;
	int kind, ifindex;
	u32 i, n;

	lockdep_assert_held(&sn->dev_lock);
	for (kind = 0; kind < SKL_MATCH_NR_TABLES; kind++) {
		if (kinds && !kinds[kind])
			continue;
		rules = skl_match_rules(rs->tables[kind], &n);
		for (i = 0; i < n; i++) {
			rule = rules[i].priv;
			if (!rule->ifname[0])
				continue;
			if (dev && strncmp(rule->ifname, dev->name, IFNAMSIZ) &&
			    rules[i].ifindex != dev->ifindex)
				continue;
			ifindex = skl_dev_resolve(sn->net, rule->ifname);
			if (rules[i].ifindex != ifindex)
				skl_match_set_ifindex(rs->tables[kind], i, ifindex);
			WRITE_ONCE(rule->match.ifindex, ifindex);
			if (!(i & 1023))
				cond_resched();
		}
	}
}

static struct skl_rule *skl_rule_new(const struct skl_rule *tmpl)
{
	struct skl_rule *rule;

	rule = SKL_FALLIBLE(kmemdup(tmpl, sizeof(*tmpl), SKL_GFP_CHARGED));
	if (!rule)
		return NULL;
	rule->label = NULL;
	skl_counter_init(&rule->hits);
	skl_counter_init(&rule->misses);
	return rule;
}

/*
 * The rule's label reference is the caller's business. A rule that lookups could reach
 * is freed only through skl_rules_free_reached().
 */
static void skl_rule_free(struct skl_rule *rule)
{
	kfree(rule);
}

/* Free @count rules that lookups could reach, whose last lookup was a grace period ago. */
static void skl_rules_free_reached(struct skl_rule **rules, u32 count)
{
	u32 i;

	for (i = 0; i < count; i++) {
		skl_counter_retire(&rules[i]->hits);
		skl_counter_retire(&rules[i]->misses);
		cond_resched();
	}
	if (count)
		skl_counters_purge();
	/* A million frees and nothing that sleeps: let the CPU go now and then. */
	for (i = 0; i < count; i++) {
		skl_rule_free(rules[i]);
		cond_resched();
	}
}

static void skl_ruleset_free(struct skl_ruleset *rs, bool free_tables_of[SKL_MATCH_NR_TABLES])
{
	u32 i;

	for (i = 0; i < SKL_MATCH_NR_TABLES; i++) {
		if (!free_tables_of || free_tables_of[i])
			skl_match_free(rs->tables[i]);
	}
	skl_rules_free_reached(rs->dead, rs->ndead);
	/* A flushed set's dead rules are its own rules. */
	if (rs->dead != rs->rules)
		kvfree(rs->dead);
	kvfree(rs);
}

/*
 * Replaced sets are freed in process context after a grace period, not in an RCU
 * callback: a set may hold a million rules, too long a loop for softirq context.
 */
static struct workqueue_struct *skl_retire_wq;

/* An old set's tables that the new set did not take over are marked in ->free_table. */
struct skl_ruleset_retired {
	struct rcu_work rwork;
	struct skl_ruleset *rs;
	bool free_table[SKL_MATCH_NR_TABLES];
};

static void skl_ruleset_retired_free(struct work_struct *work)
{
	struct skl_ruleset_retired *r = container_of(to_rcu_work(work),
						     struct skl_ruleset_retired, rwork);

	skl_ruleset_free(r->rs, r->free_table);
	kfree(r);
}

/**
 * skl_rules_init() - set up what freeing replaced rule sets needs
 *
 * Return: 0 or -ENOMEM.
 */
int skl_rules_init(void)
{
	skl_retire_wq = alloc_workqueue("sklookup_retire", WQ_UNBOUND, 0);
	return skl_retire_wq ? 0 : -ENOMEM;
}

/**
 * skl_rules_exit() - wait until every replaced rule set is freed
 *
 * Call after the last change, with rcu_barrier() done: the grace periods have queued
 * every pending free, which this runs to the end.
 */
void skl_rules_exit(void)
{
	destroy_workqueue(skl_retire_wq);
}

static struct skl_ruleset *skl_ruleset_alloc(u32 count)
{
	struct skl_ruleset *rs;

	rs = skl_zalloc_charged(1, struct_size(rs, rules, count));
	if (rs)
		rs->count = count;
	return rs;
}

static int skl_rule_kind(const struct skl_rule *rule)
{
	return skl_match_table_index(rule->match.proto, rule->match.family, rule->match.phase);
}

/*
 * Compile the tables of the kinds marked in @changed from @rs's rules; take the others
 * over from @old.
 */
static int skl_ruleset_compile(struct skl_ruleset *rs, const struct skl_ruleset *old,
			       const bool changed[SKL_MATCH_NR_TABLES])
{
	struct skl_match_rule *buf;
	u32 i, n;
	int kind, err = 0;

	buf = skl_alloc_charged(max_t(u32, rs->count, 1), sizeof(*buf));
	if (!buf)
		return -ENOMEM;
	for (i = 0; i < rs->count; i++)
		rs->ndev += !!rs->rules[i]->ifname[0];
	for (kind = 0; kind < SKL_MATCH_NR_TABLES; kind++) {
		if (!changed[kind]) {
			rs->tables[kind] = old ? old->tables[kind] : NULL;
			continue;
		}
		for (i = 0, n = 0; i < rs->count; i++) {
			if (skl_rule_kind(rs->rules[i]) != kind)
				continue;
			buf[n] = rs->rules[i]->match;
			/* The notifier may be changing it (under dev_lock). */
			buf[n++].ifindex = READ_ONCE(rs->rules[i]->match.ifindex);
		}
		rs->tables[kind] = NULL;
		if (!n)
			continue;
		err = skl_match_build(buf, n, &rs->tables[kind]);
		if (err)
			break;
	}
	kvfree(buf);
	if (err) {
		for (kind = 0; kind < SKL_MATCH_NR_TABLES; kind++) {
			if (changed[kind])
				skl_match_free(rs->tables[kind]);
			rs->tables[kind] = NULL;
		}
	}
	return err;
}

/*
 * Publish @rs (NULL when empty) in place of the current set. The old set is handed back
 * in *@retiredp: the caller may still read it (to collect its dead rules and labels) and
 * then passes it to skl_ruleset_retire(), which frees it after a grace period.
 * @dev_events: skl_dev_events() before the new rules were resolved and the set compiled.
 */
static int skl_ruleset_publish(struct skl_net *sn, struct skl_ruleset *rs,
			       const bool changed[SKL_MATCH_NR_TABLES],
			       struct skl_ruleset_retired **retiredp, unsigned long dev_events)
{
	struct skl_ruleset_retired *retired = NULL;
	struct skl_ruleset *old;
	int kind;

	old = rcu_dereference_protected(sn->rules, lockdep_is_held(&sn->lock));
	if (old) {
		retired = SKL_FALLIBLE(kzalloc(sizeof(*retired), SKL_GFP_CHARGED));
		if (!retired)
			return -ENOMEM;
	}
	if (rs && !old)
		skl_steer_ruleset_added();
	mutex_lock(&sn->dev_lock);
	/*
	 * A device event since then may have missed the tables compiled here; the tables
	 * taken over from @old followed it. Events from now on find the new set.
	 */
	if (rs && rs->ndev && sn->dev_events != dev_events)
		skl_ruleset_resolve(sn, rs, NULL, changed);
	rcu_assign_pointer(sn->rules, rs);
	mutex_unlock(&sn->dev_lock);
	if (!rs && old)
		skl_steer_ruleset_removed();
	atomic_add((int)(rs ? rs->count : 0) - (int)sn->nr_rules, &skl_totals.rules);
	sn->nr_rules = rs ? rs->count : 0;
	skl_netns_account(sn);
	if (old) {
		retired->rs = old;
		for (kind = 0; kind < SKL_MATCH_NR_TABLES; kind++)
			retired->free_table[kind] = changed[kind];
	}
	*retiredp = retired;
	return 0;
}

/* Free a set skl_ruleset_publish() replaced, once no lookup can be using it. */
static void skl_ruleset_retire(struct skl_ruleset_retired *retired)
{
	if (retired) {
		INIT_RCU_WORK(&retired->rwork, skl_ruleset_retired_free);
		queue_rcu_work(skl_retire_wq, &retired->rwork);
	}
}

/**
 * skl_rules_add() - add one rule
 * @sn: the namespace's state, locked
 * @tmpl: the rule; its id and back pointer are filled in here
 * @label: the label it steers to, or NULL for a drop rule
 * @id: the new rule's id
 * @extack: why the rule is refused
 *
 * Return: 0 or a negative error; on error nothing changed.
 */
int skl_rules_add(struct skl_net *sn, const struct skl_rule *tmpl, const char *label,
		  u64 *id, struct netlink_ext_ack *extack)
{
	bool changed[SKL_MATCH_NR_TABLES] = { false };
	struct skl_ruleset_retired *retired;
	struct skl_ruleset *old, *rs;
	unsigned long dev_events;
	struct skl_rule *rule;
	u32 count;
	int err;

	old = rcu_dereference_protected(sn->rules, lockdep_is_held(&sn->lock));
	count = old ? old->count : 0;
	if (count >= READ_ONCE(skl_max_rules)) {
		NL_SET_ERR_MSG(extack, SKL_MAX_RULES_REACHED);
		return -ENOSPC;
	}
	rule = skl_rule_new(tmpl);
	if (!rule)
		return -ENOMEM;
	dev_events = skl_dev_events(sn);
	if (rule->ifname[0])
		rule->match.ifindex = skl_dev_resolve(sn->net, rule->ifname);
	rs = skl_ruleset_alloc(count + 1);
	if (!rs) {
		err = -ENOMEM;
		goto err_rule;
	}
	if (label) {
		rule->label = skl_label_get(sn, label);
		if (!rule->label) {
			err = -ENOMEM;
			goto err_rs;
		}
	}
	rule->match.id = sn->next_rule_id;
	rule->match.priv = rule;
	if (count)
		memcpy(rs->rules, old->rules, count * sizeof(rs->rules[0]));
	rs->rules[count] = rule;
	changed[skl_rule_kind(rule)] = true;

	err = skl_ruleset_compile(rs, old, changed);
	if (err)
		goto err_label;
	err = skl_ruleset_publish(sn, rs, changed, &retired, dev_events);
	if (err)
		goto err_compiled;
	skl_ruleset_retire(retired);
	sn->next_rule_id++;
	*id = rule->match.id;
	return 0;

err_compiled:
	skl_match_free(rs->tables[skl_rule_kind(rule)]);
err_label:
	if (rule->label)
		skl_label_put(sn, rule->label);
err_rs:
	kvfree(rs);
err_rule:
	skl_rule_free(rule);
	return err;
}

/**
 * skl_rules_del() - delete the rule with id @id
 * @sn: the namespace's state, locked
 * @id: the rule's id
 *
 * Return: 0, -ENOENT if there is no such rule, or -ENOMEM; on error nothing changed.
 */
int skl_rules_del(struct skl_net *sn, u64 id)
{
	bool changed[SKL_MATCH_NR_TABLES] = { false };
	struct skl_ruleset_retired *retired;
	struct skl_ruleset *old, *rs = NULL;
	struct skl_rule *rule = NULL;
	unsigned long dev_events;
	u32 i, n;
	int err;

	dev_events = skl_dev_events(sn);
	old = rcu_dereference_protected(sn->rules, lockdep_is_held(&sn->lock));
	for (i = 0; old && i < old->count; i++) {
		if (old->rules[i]->match.id == id) {
			rule = old->rules[i];
			break;
		}
	}
	if (!rule)
		return -ENOENT;

	if (old->count > 1) {
		rs = skl_ruleset_alloc(old->count - 1);
		if (!rs)
			return -ENOMEM;
		for (i = 0, n = 0; i < old->count; i++) {
			if (old->rules[i] != rule)
				rs->rules[n++] = old->rules[i];
		}
		changed[skl_rule_kind(rule)] = true;
		err = skl_ruleset_compile(rs, old, changed);
		if (err)
			goto err_rs;
	} else {
		memset(changed, true, sizeof(changed));
	}
	/* The old set frees the rule with itself, after the grace period. */
	old->dead = SKL_FALLIBLE(kmalloc(sizeof(*old->dead), SKL_GFP_CHARGED));
	if (!old->dead) {
		err = -ENOMEM;
		goto err_compiled;
	}
	err = skl_ruleset_publish(sn, rs, changed, &retired, dev_events);
	if (err)
		goto err_dead;
	old->dead[0] = rule;
	old->ndead = 1;
	if (rule->label)
		skl_label_put(sn, rule->label);
	skl_ruleset_retire(retired);
	return 0;

err_dead:
	kvfree(old->dead);
	old->dead = NULL;
err_compiled:
	if (rs)
		skl_match_free(rs->tables[skl_rule_kind(rule)]);
err_rs:
	kvfree(rs);
	return err;
}

/**
 * skl_rules_replace() - replace every rule of the namespace at once
 * @sn: the namespace's state, locked
 * @staged: the new rules, validated, with the names of their labels
 * @count: how many
 *
 * The new rules get fresh ids in their order. Lookups see the old set or the new one,
 * never a mix.
 *
 * Return: 0, or a negative error with the old rules still in force.
 */
int skl_rules_replace(struct skl_net *sn, const struct skl_staged_rule *staged, u32 count)
{
	bool changed[SKL_MATCH_NR_TABLES];
	struct skl_ruleset_retired *retired;
	struct skl_ruleset *old, *rs = NULL;
	unsigned long dev_events;
	struct skl_rule *rule;
	u32 i, made = 0;
	int err = -ENOMEM;

	memset(changed, true, sizeof(changed));
	dev_events = skl_dev_events(sn);
	old = rcu_dereference_protected(sn->rules, lockdep_is_held(&sn->lock));
	if (count) {
		rs = skl_ruleset_alloc(count);
		if (!rs)
			return -ENOMEM;
		for (made = 0; made < count; made++) {
			rule = skl_rule_new(&staged[made].rule);
			if (!rule)
				goto err_rules;
			if (rule->ifname[0])
				rule->match.ifindex = skl_dev_resolve(sn->net, rule->ifname);
			if (staged[made].rule.match.action == SKL_ACTION_STEER) {
				rule->label = skl_label_get(sn, staged[made].label);
				if (!rule->label) {
					skl_rule_free(rule);
					goto err_rules;
				}
			}
			rule->match.id = sn->next_rule_id + made;
			rule->match.priv = rule;
			rs->rules[made] = rule;
			/* Up to a million rules and labels, under the lock: let the CPU go. */
			cond_resched();
		}
		err = skl_ruleset_compile(rs, NULL, changed);
		if (err)
			goto err_rules;
	}
	if (old) {
		/* The old set frees its rules with itself, after the grace period. */
		old->dead = skl_alloc_charged(max_t(u32, old->count, 1), sizeof(*old->dead));
		if (!old->dead)
			goto err_compiled;
	}
	err = skl_ruleset_publish(sn, rs, changed, &retired, dev_events);
	if (err)
		goto err_dead;
	sn->next_rule_id += count;
	if (old) {
		for (i = 0; i < old->count; i++) {
			old->dead[i] = old->rules[i];
			if (old->rules[i]->label)
				skl_label_put(sn, old->rules[i]->label);
			cond_resched();
		}
		old->ndead = old->count;
	}
	skl_ruleset_retire(retired);
	return 0;

err_dead:
	if (old) {
		kvfree(old->dead);
		old->dead = NULL;
	}
err_compiled:
	for (i = 0; rs && i < SKL_MATCH_NR_TABLES; i++)
		skl_match_free(rs->tables[i]);
err_rules:
	for (i = 0; i < made; i++) {
		if (rs->rules[i]->label)
			skl_label_put(sn, rs->rules[i]->label);
		skl_rule_free(rs->rules[i]);
		cond_resched();
	}
	kvfree(rs);
	return err;
}

/**
 * skl_rules_find() - the rule with id @id
 * @sn: the namespace's state, locked
 * @id: the rule's id
 *
 * The newest rule is last, so finding the one just added costs one comparison.
 *
 * Return: the rule, or NULL.
 */
struct skl_rule *skl_rules_find(struct skl_net *sn, u64 id)
{
	const struct skl_ruleset *rs;
	u32 i;

	rs = rcu_dereference_protected(sn->rules, lockdep_is_held(&sn->lock));
	for (i = rs ? rs->count : 0; i > 0; i--) {
		if (rs->rules[i - 1]->match.id == id)
			return rs->rules[i - 1];
	}
	return NULL;
}

/**
 * skl_rules_flush() - delete every rule
 * @sn: the namespace's state, locked
 *
 * The rules are freed after a grace period by the retire work, as a replaced set's are:
 * neither the wait nor a million frees hold the namespace's lock. Cannot fail: without
 * memory to defer the freeing, it waits and frees here.
 */
void skl_rules_flush(struct skl_net *sn)
{
	struct skl_ruleset_retired *retired;
	bool changed[SKL_MATCH_NR_TABLES];
	struct skl_ruleset *old;
	u32 i;

	old = rcu_dereference_protected(sn->rules, lockdep_is_held(&sn->lock));
	if (!old)
		return;
	memset(changed, true, sizeof(changed));
	if (!skl_ruleset_publish(sn, NULL, changed, &retired, 0)) {
		for (i = 0; i < old->count; i++) {
			if (old->rules[i]->label)
				skl_label_put(sn, old->rules[i]->label);
			cond_resched();
		}
		old->dead = old->rules;
		old->ndead = old->count;
		skl_ruleset_retire(retired);
		return;
	}
	mutex_lock(&sn->dev_lock);
	rcu_replace_pointer(sn->rules, NULL, lockdep_is_held(&sn->lock));
	mutex_unlock(&sn->dev_lock);
	skl_steer_ruleset_removed();
	atomic_sub(sn->nr_rules, &skl_totals.rules);
	sn->nr_rules = 0;
	skl_netns_account(sn);
	synchronize_rcu();
	for (i = 0; i < old->count; i++) {
		if (old->rules[i]->label)
			skl_label_put(sn, old->rules[i]->label);
		cond_resched();
	}
	skl_rules_free_reached(old->rules, old->count);
	skl_ruleset_free(old, NULL);
}

/*
 * A device came, went or was renamed: the rules of its namespace that name it, by its
 * name now or (its old name, or a device going away) by its index, follow it. The device
 * is already listed under its new name, or no longer listed, when this is called.
 */
static int skl_rules_netdev_event(struct notifier_block *nb, unsigned long event, void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);
	struct skl_ruleset *rs;
	struct skl_net *sn;

	if (event != NETDEV_REGISTER && event != NETDEV_UNREGISTER &&
	    event != NETDEV_CHANGENAME)
		return NOTIFY_DONE;
	/*
	 * The namespace's state lives from before its first device registers until after
	 * its last one is gone: the pernet core runs devices' exits before ours.
	 */
	sn = skl_net(dev_net(dev));
	mutex_lock(&sn->dev_lock);
	sn->dev_events++;
	rs = rcu_dereference_protected(sn->rules, lockdep_is_held(&sn->dev_lock));
	if (rs && rs->ndev)
		skl_ruleset_resolve(sn, rs, dev, NULL);
	mutex_unlock(&sn->dev_lock);
	return NOTIFY_DONE;
}

static struct notifier_block skl_rules_netdev_notifier = {
	.notifier_call = skl_rules_netdev_event,
};

/**
 * skl_rules_netdev_register() - make rules that name a device follow it
 *
 * Call once every namespace has its state.
 *
 * Return: 0 or a negative error.
 */
int skl_rules_netdev_register(void)
{
	return register_netdevice_notifier(&skl_rules_netdev_notifier);
}

/**
 * skl_rules_netdev_unregister() - stop following devices
 *
 * Unregistering replays every device's removal: rules naming one then match nothing, so
 * call it once lookups no longer consult the rules.
 */
void skl_rules_netdev_unregister(void)
{
	unregister_netdevice_notifier(&skl_rules_netdev_notifier);
}
