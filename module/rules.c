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
#include <linux/jhash.h>
#include <linux/log2.h>
#include <linux/netdevice.h>
#include <linux/random.h>
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

/*
 * A rule's words: what the user wrote, which makes two rules the same rule (sklookupctl's
 * rule_cmp() is the same test). Its id and counters are not words; nor is anything that
 * only describes the rule, such as a comment: leave such fields out here, the one place
 * that says what "the same rule" is. Laid out with no room for padding to differ, so that
 * two rules' words compare and hash as bytes.
 */
struct skl_rule_words {
	union skl_match_addr src;
	union skl_match_addr dst;
	union skl_match_addr redirect_addr;
	char ifname[IFNAMSIZ];
	u32 flags;
	u32 action;
	u16 port_lo;
	u16 port_hi;
	u16 redirect_port;
	u8 src_len;
	u8 dst_len;
	u8 proto;
	u8 family;
	u8 phase;
	u8 zero;
};

static void skl_rule_words(const struct skl_rule *rule, struct skl_rule_words *w)
{
	const struct skl_match_rule *m = &rule->match;
	size_t alen = m->family == AF_INET ? sizeof(m->dst.ip) : sizeof(m->dst.ip6);

	memset(w, 0, sizeof(*w));
	memcpy(&w->src, &m->src, alen);
	memcpy(&w->dst, &m->dst, alen);
	if (m->action == SKL_ACTION_REDIRECT) {
		memcpy(&w->redirect_addr, &rule->redirect_addr, alen);
		w->redirect_port = rule->redirect_port;
	}
	strscpy(w->ifname, rule->ifname, sizeof(w->ifname));
	w->flags = rule->flags;
	w->action = m->action;
	w->port_lo = m->port_lo;
	w->port_hi = m->port_hi;
	w->src_len = m->src_len;
	w->dst_len = m->dst_len;
	w->proto = m->proto;
	w->family = m->family;
	w->phase = m->phase;
}

/* The name of the label a rule in force steers to, "" for none, as a staged rule has it. */
static const char *skl_rule_label_name(const struct skl_rule *rule)
{
	return rule->label ? rule->label->name : "";
}

static bool skl_rule_words_equal(const struct skl_rule_words *a, const char *alabel,
				 const struct skl_rule_words *b, const char *blabel)
{
	return !memcmp(a, b, sizeof(*a)) && !strcmp(alabel, blabel);
}

static u32 skl_rule_words_hash(const struct skl_rule_words *w, const char *label, u32 seed)
{
	return jhash(label, strlen(label), jhash(w, sizeof(*w), seed));
}

/* The rule in force in @rs with the words of @w and @label, or NULL. */
static struct skl_rule *skl_ruleset_find_words(const struct skl_ruleset *rs,
					       const struct skl_rule_words *w,
					       const char *label)
{
	struct skl_rule_words other;
	u32 i;

	for (i = 0; rs && i < rs->count; i++) {
		skl_rule_words(rs->rules[i], &other);
		if (skl_rule_words_equal(w, label, &other, skl_rule_label_name(rs->rules[i])))
			return rs->rules[i];
		/* Called under the lock with up to a million rules. */
		if (!(i & 0xffff))
			cond_resched();
	}
	return NULL;
}

/**
 * skl_rules_find_words() - the rule in force with the same words as @tmpl
 * @sn: the namespace's state, locked
 * @tmpl: a rule as the request parser fills it
 * @label: its label's name, or NULL for none
 *
 * Return: the rule, or NULL.
 */
struct skl_rule *skl_rules_find_words(struct skl_net *sn, const struct skl_rule *tmpl,
				      const char *label)
{
	struct skl_rule_words w;

	skl_rule_words(tmpl, &w);
	return skl_ruleset_find_words(rcu_dereference_protected(sn->rules,
								lockdep_is_held(&sn->lock)),
				      &w, label ?: "");
}

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
	const u32 *devs;
	u32 d, i, n, ndevs;

	lockdep_assert_held(&sn->dev_lock);
	for (kind = 0; kind < SKL_MATCH_NR_TABLES; kind++) {
		if (kinds && !kinds[kind])
			continue;
		rules = skl_match_rules(rs->tables[kind], &n);
		/* Called under RTNL for each device event: only the rules naming a device. */
		devs = skl_match_dev_rules(rs->tables[kind], &ndevs);
		for (d = 0; d < ndevs; d++) {
			if (!(d & 1023))
				cond_resched();
			i = devs[d];
			rule = rules[i].priv;
			if (dev && rules[i].ifindex != dev->ifindex &&
			    strncmp(rule->ifname, dev->name, IFNAMSIZ))
				continue;
			ifindex = skl_dev_resolve(sn->net, rule->ifname);
			if (rules[i].ifindex != ifindex)
				skl_match_set_ifindex(rs->tables[kind], i, ifindex);
			WRITE_ONCE(rule->match.ifindex, ifindex);
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
	/* The template's comment is the caller's: it copies it or hands it over. */
	rule->comment = NULL;
	skl_counter_init(&rule->hits);
	skl_counter_init(&rule->misses);
	return rule;
}

/*
 * A steer rule's lookups count once, in the rule's counters, which feed its label's:
 * hits the label's delivered, misses the label's misses (see struct skl_rule).
 */
static void skl_rule_feed_label(struct skl_rule *rule)
{
	skl_counter_feed(&rule->hits, &rule->label->delivered);
	skl_counter_feed(&rule->misses, &rule->label->misses);
}

/**
 * skl_rule_hits() - the lookups a rule matched and decided, as of the last sync
 * @rule: the rule
 *
 * Return: its hits, which include its misses.
 */
u64 skl_rule_hits(const struct skl_rule *rule)
{
	return skl_counter_read(&rule->hits) + skl_counter_read(&rule->misses);
}

/*
 * The rule's label reference is the caller's business. A rule that lookups could reach
 * is freed only through skl_rules_free_reached().
 */
static void skl_rule_free(struct skl_rule *rule)
{
	kfree(rule->comment);
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
	for (i = 0; i < rs->count; i++) {
		rs->ndev += !!rs->rules[i]->ifname[0];
		rs->nsrc += !!rs->rules[i]->match.src_len;
	}
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
 * @tmpl: the rule; its id and back pointer are filled in here, its comment copied
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
	/*
	 * As ip route add: the same rule twice is a mistake, and says which rule. Checked
	 * before the limit: at the limit too, the rule is there already, nothing is missing.
	 */
	rule = skl_rules_find_words(sn, tmpl, label);
	if (rule) {
		NL_SET_ERR_MSG(extack, SKL_RULE_EXISTS);
		BUILD_BUG_ON(sizeof(rule->match.id) > NETLINK_MAX_COOKIE_LEN);
		if (extack) {
			memcpy(extack->cookie, &rule->match.id, sizeof(rule->match.id));
			extack->cookie_len = sizeof(rule->match.id);
		}
		return -EEXIST;
	}
	if (count >= READ_ONCE(skl_max_rules)) {
		NL_SET_ERR_MSG(extack, SKL_MAX_RULES_REACHED);
		return -ENOSPC;
	}
	rule = skl_rule_new(tmpl);
	if (!rule)
		return -ENOMEM;
	if (tmpl->comment) {
		rule->comment = SKL_FALLIBLE(kstrdup(tmpl->comment, SKL_GFP_CHARGED));
		if (!rule->comment) {
			err = -ENOMEM;
			goto err_rule;
		}
	}
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
		skl_rule_feed_label(rule);
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

/*
 * Which rules of the old set a new set keeps: a chained hash of the rules' words, over
 * the old rules (entries 0 to nold - 1) and the staged ones that are new (nold + index).
 */
struct skl_rules_match {
	u32 nold;
	u32 mask;
	u32 seed;	/* a set built offline to share one bucket costs its builder only */
	u32 *bucket;	/* mask + 1 heads */
	u32 *next;	/* per entry */
	u32 *hash;	/* per entry, so that most of a chain is passed over unread */
	u32 *kept_by;	/* per old rule: the staged rule that keeps it, or U32_MAX */
	u32 *keeps;	/* per staged rule: the old rule it keeps, or U32_MAX */
};

#define SKL_NO_ENTRY	U32_MAX

static void skl_rules_match_free(struct skl_rules_match *m)
{
	kvfree(m->bucket);
	kvfree(m->next);
	kvfree(m->hash);
	kvfree(m->kept_by);
	kvfree(m->keeps);
}

static void skl_rules_match_link(struct skl_rules_match *m, u32 entry, u32 hash)
{
	m->hash[entry] = hash;
	m->next[entry] = m->bucket[hash & m->mask];
	m->bucket[hash & m->mask] = entry;
}

/*
 * Pair each staged rule with the old rule of the same words, if any: O(old + staged).
 * Return: the number of old rules kept, or -ENOMEM, or -EEXIST when two staged rules are
 * the same rule.
 */
static long skl_rules_match(struct skl_rules_match *m, const struct skl_ruleset *old,
			    const struct skl_staged_rule *staged, u32 count)
{
	struct skl_rule_words w, other;
	u32 i, e, nold = old ? old->count : 0, hash;
	u32 buckets = roundup_pow_of_two(max_t(u32, nold + count, 1));
	const char *label;
	long kept = 0;

	memset(m, 0, sizeof(*m));
	m->nold = nold;
	m->mask = buckets - 1;
	m->bucket = skl_alloc_charged(buckets, sizeof(*m->bucket));
	m->next = skl_alloc_charged(max_t(u32, nold + count, 1), sizeof(*m->next));
	m->hash = skl_alloc_charged(max_t(u32, nold + count, 1), sizeof(*m->hash));
	m->kept_by = skl_alloc_charged(max_t(u32, nold, 1), sizeof(*m->kept_by));
	m->keeps = skl_alloc_charged(max_t(u32, count, 1), sizeof(*m->keeps));
	if (!m->bucket || !m->next || !m->hash || !m->kept_by || !m->keeps) {
		skl_rules_match_free(m);
		return -ENOMEM;
	}
	m->seed = get_random_u32();
	memset(m->bucket, 0xff, buckets * sizeof(*m->bucket));
	memset(m->kept_by, 0xff, max_t(u32, nold, 1) * sizeof(*m->kept_by));
	for (i = 0; i < nold; i++) {
		skl_rule_words(old->rules[i], &w);
		hash = skl_rule_words_hash(&w, skl_rule_label_name(old->rules[i]), m->seed);
		skl_rules_match_link(m, i, hash);
		if (!(i & 0xffff))
			cond_resched();
	}
	for (i = 0; i < count; i++) {
		m->keeps[i] = SKL_NO_ENTRY;
		skl_rule_words(&staged[i].rule, &w);
		hash = skl_rule_words_hash(&w, staged[i].label, m->seed);
		for (e = m->bucket[hash & m->mask]; e != SKL_NO_ENTRY; e = m->next[e]) {
			cond_resched();
			if (m->hash[e] != hash)
				continue;
			if (e < nold) {
				skl_rule_words(old->rules[e], &other);
				label = skl_rule_label_name(old->rules[e]);
			} else {
				skl_rule_words(&staged[e - nold].rule, &other);
				label = staged[e - nold].label;
			}
			if (!skl_rule_words_equal(&w, staged[i].label, &other, label))
				continue;
			if (e >= nold || m->kept_by[e] != SKL_NO_ENTRY) {
				skl_rules_match_free(m);
				return -EEXIST;
			}
			m->kept_by[e] = i;
			m->keeps[i] = e;
			kept++;
			break;
		}
		if (m->keeps[i] == SKL_NO_ENTRY)
			skl_rules_match_link(m, nold + i, hash);
		if (!(i & 0xffff))
			cond_resched();
	}
	return kept;
}

/**
 * skl_rules_replace() - replace every rule of the namespace at once
 * @sn: the namespace's state, locked
 * @staged: the new rules, validated, with the names of their labels
 * @count: how many
 * @extack: why the set is refused
 *
 * A rule of the old set with the same words as a staged one stays in force as it is:
 * the same object, so its id and counters go on, and a lookup counting on it at this
 * moment counts on the rule that stays. The other staged rules get fresh ids, in their
 * order, after the kept ones; the other old rules go. Every rule of the new set takes
 * its staged rule's comment, kept ones too once the new set is in force (a comment is
 * not part of a rule's words; no lookup reads it, and readers hold the lock). Only the
 * tables of kinds that gain or lose a rule are built again. Lookups see the old set or
 * the new one, never a mix.
 *
 * Return: 0, or a negative error (-EEXIST: the same rule is staged twice) with the old
 * rules still in force.
 */
int skl_rules_replace(struct skl_net *sn, struct skl_staged_rule *staged, u32 count,
		      struct netlink_ext_ack *extack)
{
	bool changed[SKL_MATCH_NR_TABLES] = { false };
	struct skl_ruleset_retired *retired;
	struct skl_ruleset *old, *rs = NULL;
	struct skl_rules_match m;
	unsigned long dev_events;
	struct skl_rule *rule;
	u32 i, n, nold, made = 0, fresh = 0, ndead;
	long kept;
	int err = -ENOMEM;

	dev_events = skl_dev_events(sn);
	old = rcu_dereference_protected(sn->rules, lockdep_is_held(&sn->lock));
	nold = old ? old->count : 0;
	kept = skl_rules_match(&m, old, staged, count);
	if (kept == -EEXIST) {
		NL_SET_ERR_MSG(extack, "the staged set holds the same rule twice");
		return -EEXIST;
	}
	if (kept < 0)
		return kept;
	ndead = nold - kept;
	if (count) {
		rs = skl_ruleset_alloc(count);
		if (!rs)
			goto err_match;
		/* Kept rules first, in their order: the set stays ordered by id. */
		for (i = 0, n = 0; i < nold; i++) {
			if (m.kept_by[i] != SKL_NO_ENTRY)
				rs->rules[n++] = old->rules[i];
		}
		made = n;
		for (i = 0; i < count; i++) {
			if (m.keeps[i] != SKL_NO_ENTRY)
				continue;
			rule = skl_rule_new(&staged[i].rule);
			if (!rule)
				goto err_rules;
			if (rule->ifname[0])
				rule->match.ifindex = skl_dev_resolve(sn->net, rule->ifname);
			if (staged[i].rule.match.action == SKL_ACTION_STEER) {
				rule->label = skl_label_get(sn, staged[i].label);
				if (!rule->label) {
					skl_rule_free(rule);
					goto err_rules;
				}
				skl_rule_feed_label(rule);
			}
			rule->comment = staged[i].rule.comment;
			staged[i].rule.comment = NULL;
			rule->match.id = sn->next_rule_id + fresh++;
			rule->match.priv = rule;
			rs->rules[made++] = rule;
			changed[skl_rule_kind(rule)] = true;
			/* Up to a million rules and labels, under the lock: let the CPU go. */
			cond_resched();
		}
	}
	for (i = 0; i < nold; i++) {
		if (m.kept_by[i] == SKL_NO_ENTRY)
			changed[skl_rule_kind(old->rules[i])] = true;
	}
	if (!rs)
		memset(changed, true, sizeof(changed));
	if (rs) {
		err = skl_ruleset_compile(rs, old, changed);
		if (err)
			goto err_rules;
	}
	err = -ENOMEM;
	if (old) {
		/* The old set frees the rules it alone held with itself, after the grace period. */
		old->dead = skl_alloc_charged(max_t(u32, ndead, 1), sizeof(*old->dead));
		if (!old->dead)
			goto err_compiled;
	}
	err = skl_ruleset_publish(sn, rs, changed, &retired, dev_events);
	if (err)
		goto err_dead;
	sn->next_rule_id += fresh;
	for (i = 0; i < count; i++) {
		if (m.keeps[i] == SKL_NO_ENTRY)
			continue;
		rule = old->rules[m.keeps[i]];
		kfree(rule->comment);
		rule->comment = staged[i].rule.comment;
		staged[i].rule.comment = NULL;
	}
	for (i = 0, n = 0; i < nold; i++) {
		if (m.kept_by[i] != SKL_NO_ENTRY)
			continue;
		old->dead[n++] = old->rules[i];
		if (old->rules[i]->label)
			skl_label_put(sn, old->rules[i]->label);
		cond_resched();
	}
	if (old)
		old->ndead = n;
	skl_ruleset_retire(retired);
	skl_rules_match_free(&m);
	return 0;

err_dead:
	if (old) {
		kvfree(old->dead);
		old->dead = NULL;
	}
err_compiled:
	for (i = 0; rs && i < SKL_MATCH_NR_TABLES; i++) {
		if (changed[i])
			skl_match_free(rs->tables[i]);
	}
err_rules:
	/* Only the rules made here; the kept ones stay the old set's. */
	for (i = kept; rs && i < made; i++) {
		if (rs->rules[i]->label)
			skl_label_put(sn, rs->rules[i]->label);
		skl_rule_free(rs->rules[i]);
		cond_resched();
	}
	kvfree(rs);
err_match:
	skl_rules_match_free(&m);
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
	/* Unless a subsystem made a device in a namespace's init before ours ran. */
	if (!sn)
		return NOTIFY_DONE;
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
