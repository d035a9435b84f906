// SPDX-License-Identifier: GPL-2.0
/*
 * Labels and the sockets registered under them.
 *
 * Lookups read a label's socket array under RCU and never take a reference: the sockets
 * are listeners or bound UDP sockets, freed only after a grace period (SOCK_RCU_FREE),
 * and the module holds a reference on each until a grace period after it unpublished it.
 * All changes happen under skl_net.lock and replace the array whole.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hash.h>
#include <linux/in.h>
#include <linux/ipv6.h>
#include <linux/mm.h>
#include <linux/nls.h>
#include <linux/reciprocal_div.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/workqueue.h>
#include <net/ipv6.h>
#include <net/netlink.h>
#include <net/sock.h>
#include <net/tcp_states.h>

#include "charge.h"
#include "fault.h"
#include "label.h"
#include "limits.h"
#include "netns.h"
#include "steer.h"

/*
 * Whether @sk can still take what a lookup gives it. @sk_state is read once; the other
 * words read are written by the socket's owner only when it binds, connects or closes.
 */
static bool skl_sock_live(const struct sock *sk, u8 proto)
{
	int state = READ_ONCE(sk->sk_state);

	if (proto == IPPROTO_TCP)
		return state == TCP_LISTEN;
	return state != TCP_ESTABLISHED && !sk_unhashed(sk) && !sock_flag(sk, SOCK_DEAD);
}

static unsigned int skl_group_of(u8 proto, u8 family)
{
	unsigned int group = proto == IPPROTO_UDP ? SKL_GROUP_UDP4 : SKL_GROUP_TCP4;

	return family == AF_INET6 ? group + SKL_GROUP_TCP6 - SKL_GROUP_TCP4 : group;
}

/*
 * The hash chooses a socket of the group; only when that one is not live (it closed,
 * connected or stopped listening since the array was built, and the sweep has not let
 * go of it yet) are the following ones tried, each once, so that a live socket of the
 * group always answers. In the steady state that is one socket looked at, whatever the
 * size of the label.
 */
static struct sock *skl_pick_in(const struct skl_socks *socks, unsigned int group, u8 proto,
				const struct skl_lookup *l)
{
	unsigned int first = socks->group[group];
	unsigned int n = socks->group[group + 1] - first;
	unsigned int at = 0, tried;
	struct sock *sk;

	if (!n)
		return NULL;
	/*
	 * The pick and the socket's reuseport group each scale a hash to their size: the
	 * same hash for both would give a socket picked for a slice of the hashes only that
	 * slice of its group's members. One socket needs no hash at all.
	 */
	if (n > 1)
		at = reciprocal_scale(hash_32(skl_lookup_hash(l), 32), n);
	for (tried = 0; tried < n; tried++) {
		sk = socks->pick[first + at];
		if (likely(skl_sock_live(sk, proto)))
			return sk;
		if (++at == n)
			at = 0;
	}
	return NULL;
}

/**
 * skl_label_pick() - choose the socket of @label that answers a lookup
 * @label: the label a rule named
 * @proto: IPPROTO_TCP or IPPROTO_UDP
 * @family: the packet's family
 * @l: the lookup, whose flow is hashed only when the label has more than one socket to
 *	choose from, so that one flow always gets the same socket
 *
 * Called under RCU from the lookup path. A socket of the packet's family is preferred;
 * an IPv4 packet goes to a dual-stack IPv6 socket only when the label has no live IPv4
 * one. Each socket is looked at once at most, in one array that does not change under
 * the lookup: a change of another socket's state cannot make it miss a live one.
 *
 * Return: a live socket, without a reference taken, or NULL.
 */
struct sock *skl_label_pick(const struct skl_label *label, u8 proto, u8 family,
			    const struct skl_lookup *l)
{
	const struct skl_socks *socks = rcu_dereference(label->socks);
	unsigned int group = skl_group_of(proto, family);
	struct sock *sk;

	if (!socks)
		return NULL;
	sk = skl_pick_in(socks, group, proto, l);
	if (!sk && family == AF_INET)
		sk = skl_pick_in(socks, group + SKL_GROUP_TCP_DUAL - SKL_GROUP_TCP4, proto, l);
	return sk;
}

/**
 * skl_text_check() - whether user text can be printed as it is
 * @text: the bytes, from user space
 * @len: how many
 *
 * show, monitor and every JSON reader print label names and rule comments: such text is
 * UTF-8 with none of the code points skl_text_forbidden() names (the API's header, which
 * sklookupctl checks with too).
 *
 * Return: SKL_TEXT_OK, SKL_TEXT_NOT_UTF8 or SKL_TEXT_CONTROL.
 */
enum skl_text_fault skl_text_check(const char *text, int len)
{
	const u8 *p = (const u8 *)text;
	unicode_t c;
	int n;

	while (len) {
		n = utf8_to_utf32(p, len, &c);
		if (n < 0)
			return SKL_TEXT_NOT_UTF8;
		if (skl_text_forbidden(c))
			return SKL_TEXT_CONTROL;
		p += n;
		len -= n;
	}
	return SKL_TEXT_OK;
}

/**
 * skl_label_name_invalid() - why @name cannot name a label
 * @name: a NUL-terminated string from user space
 *
 * A name is text, as skl_text_check() says, of 1 to 63 bytes.
 *
 * Return: NULL for a good name, else a message for extack.
 */
const char *skl_label_name_invalid(const char *name)
{
	int len = strnlen(name, SKL_LABEL_NAME_MAX);

	if (!len)
		return "empty label name";
	if (len >= SKL_LABEL_NAME_MAX)
		return "label name longer than 63 bytes";
	switch (skl_text_check(name, len)) {
	case SKL_TEXT_NOT_UTF8:
		return "label name not valid UTF-8";
	case SKL_TEXT_CONTROL:
		return "label name with a control character";
	default:
		return NULL;
	}
}

static struct hlist_head *skl_label_bucket(const struct skl_net *sn, const char *name)
{
	return &sn->label_hash[jhash(name, strlen(name), sn->label_seed) &
			       (sn->label_buckets - 1)];
}

/**
 * skl_label_find() - the label called @name
 * @sn: the namespace's state, locked
 * @name: the label's name
 *
 * Return: the label, or NULL.
 */
struct skl_label *skl_label_find(struct skl_net *sn, const char *name)
{
	struct skl_label *label;

	if (!sn->label_hash)
		return NULL;
	hlist_for_each_entry(label, skl_label_bucket(sn, name), hnode) {
		if (!strcmp(label->name, name))
			return label;
	}
	return NULL;
}

#define SKL_LABEL_BUCKETS_MIN	16
#define SKL_LABEL_BUCKETS_MAX	BIT(24)

static struct hlist_head *skl_label_buckets(unsigned int n, gfp_t gfp)
{
	struct hlist_head *buckets;
	unsigned int i;

	buckets = kvmalloc_array(n, sizeof(*buckets), gfp);
	for (i = 0; buckets && i < n; i++)
		INIT_HLIST_HEAD(&buckets[i]);
	return buckets;
}

/*
 * Keep about one label per bucket. Growing is not needed for correctness, only for
 * speed: when it fails, the chains get longer and nothing else changes, so it is not a
 * step that makes the request fail.
 */
static void skl_label_hash_grow(struct skl_net *sn)
{
	unsigned int old_buckets = sn->label_buckets, i;
	struct hlist_head *old = sn->label_hash, *new;
	struct skl_label *label;
	struct hlist_node *tmp;

	if (sn->nr_labels < old_buckets || old_buckets >= SKL_LABEL_BUCKETS_MAX)
		return;
	new = skl_label_buckets(old_buckets * 4, GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!new)
		return;
	sn->label_hash = new;
	sn->label_buckets = old_buckets * 4;
	for (i = 0; i < old_buckets; i++) {
		hlist_for_each_entry_safe(label, tmp, &old[i], hnode) {
			hlist_del(&label->hnode);
			hlist_add_head(&label->hnode, skl_label_bucket(sn, label->name));
		}
		if (!(i % 1024))
			cond_resched();
	}
	kvfree(old);
}

/* The table goes with the last label: a namespace without labels holds nothing. */
static void skl_label_hash_drop(struct skl_net *sn)
{
	if (sn->nr_labels)
		return;
	kvfree(sn->label_hash);
	sn->label_hash = NULL;
	sn->label_buckets = 0;
}

static struct skl_label *skl_label_create(struct skl_net *sn, const char *name)
{
	struct skl_label *label;

	if (!sn->label_hash) {
		sn->label_hash = SKL_FALLIBLE(skl_label_buckets(SKL_LABEL_BUCKETS_MIN,
								SKL_GFP_CHARGED));
		if (!sn->label_hash)
			return NULL;
		sn->label_buckets = SKL_LABEL_BUCKETS_MIN;
	}
	label = SKL_FALLIBLE(kzalloc(sizeof(*label), SKL_GFP_CHARGED));
	if (!label)
		goto err_hash;
	skl_counter_init(&label->delivered);
	skl_counter_init(&label->misses);
	strscpy(label->name, name, sizeof(label->name));
	skl_label_hash_grow(sn);
	hlist_add_head(&label->hnode, skl_label_bucket(sn, name));
	list_add_tail(&label->node, &sn->labels);
	sn->nr_labels++;
	atomic_inc(&skl_totals.labels);
	skl_netns_account(sn);
	return label;

err_hash:
	skl_label_hash_drop(sn);
	return NULL;
}

/*
 * Labels whose last lookup was a grace period ago, freed together in process context:
 * their counters must leave every CPU's cache first, which takes IPIs and may sleep.
 */
static LLIST_HEAD(skl_labels_dead);

static void skl_labels_free_dead(struct work_struct *work)
{
	struct llist_node *dead = llist_del_all(&skl_labels_dead);
	struct skl_label *label, *tmp;

	if (!dead)
		return;
	llist_for_each_entry(label, dead, dead) {
		skl_counter_retire(&label->delivered);
		skl_counter_retire(&label->misses);
	}
	skl_counters_purge();
	llist_for_each_entry_safe(label, tmp, dead, dead) {
		kfree(label);
		cond_resched();
	}
}

static DECLARE_WORK(skl_labels_free_work, skl_labels_free_dead);

static void skl_label_free_rcu(struct rcu_head *head)
{
	struct skl_label *label = container_of(head, struct skl_label, rcu);

	if (llist_add(&label->dead, &skl_labels_dead))
		queue_work(system_unbound_wq, &skl_labels_free_work);
}

/**
 * skl_labels_exit() - free the labels still waiting to be, at unload
 *
 * Call after rcu_barrier(), once no label can be freed any more.
 */
void skl_labels_exit(void)
{
	flush_work(&skl_labels_free_work);
}

/* Frees @label once nothing refers to it any more. */
static void skl_label_maybe_free(struct skl_net *sn, struct skl_label *label)
{
	if (label->rule_refs || rcu_access_pointer(label->socks))
		return;
	list_del(&label->node);
	hlist_del(&label->hnode);
	sn->nr_labels--;
	skl_label_hash_drop(sn);
	atomic_dec(&skl_totals.labels);
	skl_netns_account(sn);
	call_rcu(&label->rcu, skl_label_free_rcu);
}

/**
 * skl_label_get() - the label called @name, created if needed, for a new rule
 * @sn: the namespace's state, locked
 * @name: the label's name
 *
 * Return: the label with a rule reference taken, or NULL when out of memory.
 */
struct skl_label *skl_label_get(struct skl_net *sn, const char *name)
{
	struct skl_label *label = skl_label_find(sn, name);

	if (!label)
		label = skl_label_create(sn, name);
	if (label)
		label->rule_refs++;
	return label;
}

/**
 * skl_label_put() - drop a rule's reference to @label
 * @sn: the namespace's state, locked
 * @label: the label; freed after a grace period if nothing else refers to it
 */
void skl_label_put(struct skl_net *sn, struct skl_label *label)
{
	label->rule_refs--;
	skl_label_maybe_free(sn, label);
}

/*
 * One allocation: the pick groups (room for every socket twice, as a dual-stack socket
 * is in two), then the sockets and their ids in the order of registration. Its size
 * grows with the label's sockets up to max_sockets, past what kmalloc can give: from
 * vmalloc then, without reclaiming hard for a large block under the namespace's lock.
 */
static struct skl_socks *skl_socks_alloc(unsigned int count)
{
	size_t sks = struct_size((struct skl_socks *)NULL, pick, 2 * (size_t)count);
	size_t ids = ALIGN(sks + count * sizeof(struct sock *), __alignof__(struct skl_sock_id));
	struct skl_socks *socks;

	socks = skl_alloc_charged(1, ids + count * sizeof(struct skl_sock_id));
	if (!socks)
		return NULL;
	socks->count = count;
	socks->next = NULL;
	socks->sk = (struct sock **)((char *)socks + sks);
	socks->id = (struct skl_sock_id *)((char *)socks + ids);
	return socks;
}

/*
 * Protocol, family, address and IPV6_V6ONLY are fixed once a socket is bound: so are
 * its groups.
 */
static bool skl_sock_in_group(const struct sock *sk, unsigned int group)
{
	bool udp = group >= SKL_GROUP_UDP4;

	if (sk->sk_protocol != (udp ? IPPROTO_UDP : IPPROTO_TCP))
		return false;
	switch (group - (udp ? SKL_GROUP_UDP4 : SKL_GROUP_TCP4)) {
	case SKL_GROUP_TCP4:
		return sk->sk_family == AF_INET;
	case SKL_GROUP_TCP6:
		/* Bound to a v4-mapped address, it serves IPv4 only, as the kernel's lookup. */
		return sk->sk_family == AF_INET6 &&
		       !ipv6_addr_v4mapped(&sk->sk_v6_rcv_saddr);
	default:
		return sk->sk_family == AF_INET6 && !ipv6_only_sock(sk);
	}
}

/* Sort @socks->sk into the pick groups, before the array is published. */
static void skl_socks_index(struct skl_socks *socks)
{
	unsigned int group, i, n = 0;

	for (group = 0; group < SKL_GROUP_NR; group++) {
		socks->group[group] = n;
		for (i = 0; i < socks->count; i++) {
			if (skl_sock_in_group(socks->sk[i], group))
				socks->pick[n++] = socks->sk[i];
		}
	}
	socks->group[SKL_GROUP_NR] = n;
}

static void skl_sock_id_of(struct skl_sock_id *id, const struct sock *sk, u64 ino)
{
	memset(id, 0, sizeof(*id));
	id->ino = ino;
	id->port = sk->sk_num;
	id->proto = sk->sk_protocol;
	id->family = sk->sk_family;
	if (sk->sk_family == AF_INET)
		memcpy(&id->addr, &sk->sk_rcv_saddr, sizeof(sk->sk_rcv_saddr));
	else
		id->addr = sk->sk_v6_rcv_saddr;
}

/*
 * Publish @socks (NULL for none) as @label's sockets; keeps the list of labels that have
 * sockets, so that finding a socket's label looks at those only, not at every label
 * rules made. Returns the array it replaced.
 */
static struct skl_socks *skl_label_set_socks(struct skl_net *sn, struct skl_label *label,
					     struct skl_socks *socks)
{
	struct skl_socks *old;

	old = rcu_replace_pointer(label->socks, socks, lockdep_is_held(&sn->lock));
	if (!old && socks)
		list_add_tail(&label->with_socks, &sn->with_socks);
	else if (old && !socks)
		list_del(&label->with_socks);
	return old;
}

static struct skl_label *skl_label_of_socket(struct skl_net *sn, const struct sock *sk)
{
	struct skl_label *label;
	const struct skl_socks *socks;
	unsigned int i;

	list_for_each_entry(label, &sn->with_socks, with_socks) {
		socks = rcu_dereference_protected(label->socks, lockdep_is_held(&sn->lock));
		for (i = 0; socks && i < socks->count; i++) {
			if (socks->sk[i] == sk)
				return label;
		}
	}
	return NULL;
}

/**
 * skl_label_add_socket() - register @sk under the label @name
 * @sn: the namespace's state, locked
 * @name: the label, created if needed
 * @sk: a socket the caller validated; a reference is taken on success
 * @ino: its inode number, which it loses when it is closed
 * @extack: where to say why the socket is refused
 *
 * Return: 0, -EEXIST if @sk is registered already, -ENOSPC at the namespace's limit,
 * -ENOMEM.
 */
int skl_label_add_socket(struct skl_net *sn, const char *name, struct sock *sk, u64 ino,
			 struct netlink_ext_ack *extack)
{
	struct skl_socks *old, *new;
	struct skl_label *label;
	unsigned int count;

	label = skl_label_of_socket(sn, sk);
	if (label) {
		NL_SET_ERR_MSG(extack, "socket is already registered under a label");
		return -EEXIST;
	}
	if (sn->nr_sockets >= READ_ONCE(skl_max_sockets)) {
		NL_SET_ERR_MSG(extack,
			       "this namespace holds max_sockets sockets (a module parameter)");
		return -ENOSPC;
	}
	label = skl_label_find(sn, name);
	if (!label)
		label = skl_label_create(sn, name);
	if (!label)
		goto out_of_memory;

	old = rcu_dereference_protected(label->socks, lockdep_is_held(&sn->lock));
	count = old ? old->count : 0;
	new = skl_socks_alloc(count + 1);
	if (!new) {
		skl_label_maybe_free(sn, label);
		goto out_of_memory;
	}
	if (count) {
		memcpy(new->sk, old->sk, count * sizeof(new->sk[0]));
		memcpy(new->id, old->id, count * sizeof(new->id[0]));
	}
	new->sk[count] = sk;
	skl_sock_id_of(&new->id[count], sk, ino);
	skl_socks_index(new);
	sock_hold(sk);
	skl_label_set_socks(sn, label, new);
	if (old)
		kvfree_rcu(old, rcu);
	sn->nr_sockets++;
	atomic_inc(&skl_totals.sockets);
	skl_netns_schedule_gc(sn);
	skl_event_socket(sn->net, SKL_EVENT_SOCKET_REGISTERED, label->name, &new->id[count], 0);
	return 0;

out_of_memory:
	NL_SET_ERR_MSG(extack, "out of memory for the registration" SKL_CHARGED_HINT);
	return -ENOMEM;
}

/* Drop the references of sockets that lookups can no longer see. */
static void skl_put_socks(struct sock **sks, unsigned int count)
{
	unsigned int i;

	for (i = 0; i < count; i++)
		sock_put(sks[i]);
}

/* Unpublish @label's sockets and say so; the caller puts them after a grace period. */
static struct skl_socks *skl_label_unpublish(struct skl_net *sn, struct skl_label *label,
					     u8 reason)
{
	struct skl_socks *socks;
	unsigned int i;

	socks = skl_label_set_socks(sn, label, NULL);
	if (socks) {
		for (i = 0; i < socks->count; i++)
			skl_event_socket(sn->net, SKL_EVENT_SOCKET_RELEASED, label->name,
					 &socks->id[i], reason);
		skl_event_label_empty(sn->net, label->name);
	}
	return socks;
}

/* Release the sockets of an array unpublished a grace period ago, and free it. */
static unsigned int skl_socks_put(struct skl_net *sn, struct skl_socks *socks)
{
	unsigned int count = socks->count;

	skl_put_socks(socks->sk, count);
	sn->nr_sockets -= count;
	atomic_sub(count, &skl_totals.sockets);
	kvfree(socks);
	return count;
}

/**
 * skl_label_release() - release every socket registered under @label
 * @sn: the namespace's state, locked
 * @label: the label; freed if no rule refers to it
 * @reason: why, enum skl_release_reason, for the events
 *
 * Sleeps for a grace period.
 *
 * Return: the number of sockets released.
 */
int skl_label_release(struct skl_net *sn, struct skl_label *label, u8 reason)
{
	struct skl_socks *socks = skl_label_unpublish(sn, label, reason);

	skl_label_maybe_free(sn, label);
	if (!socks)
		return 0;
	synchronize_rcu();
	return skl_socks_put(sn, socks);
}

/*
 * Whether a sweep lets go of a socket that lookups skip already; sets @id->release to
 * why. A socket found not live but not closed is kept until the next sweep: close()
 * unhashes a socket a moment before it marks it dead, and a sweep in between must not
 * report it as stopped listening.
 */
static bool skl_sock_expired(const struct sock *sk, struct skl_sock_id *id)
{
	id->release = SKL_RELEASE_UNSPEC;
	if (skl_sock_live(sk, sk->sk_protocol))
		id->stale = false;
	else if (sock_flag(sk, SOCK_DEAD))
		id->release = SKL_RELEASE_CLOSED;
	else if (id->stale)
		id->release = SKL_RELEASE_NOT_LISTENING;
	else
		id->stale = true;
	return id->release != SKL_RELEASE_UNSPEC;
}

/**
 * skl_label_sweep() - release the sockets that were closed or stopped listening
 * @sn: the namespace's state, locked
 *
 * Lookups skip such sockets already; releasing them drops the module's reference, which
 * would otherwise keep the socket, and with it its network namespace, alive. Runs from
 * the namespace's work item, so the events it sends never come from a lookup.
 *
 * Return: whether any socket is still held.
 */
bool skl_label_sweep(struct skl_net *sn)
{
	struct skl_label *label, *tmp;
	struct sock **dead = NULL;
	unsigned int ndead = 0, i, kept, expired;
	struct skl_socks *old, *new;

	/* Only the labels with sockets: rules may have made a million without. */
	list_for_each_entry_safe(label, tmp, &sn->with_socks, with_socks) {
		old = rcu_dereference_protected(label->socks, lockdep_is_held(&sn->lock));
		for (i = 0, expired = 0; i < old->count; i++)
			expired += skl_sock_expired(old->sk[i], &old->id[i]);
		if (!expired)
			continue;
		kept = old->count - expired;
		/* Out of memory: try again at the next sweep. */
		new = kept ? skl_socks_alloc(kept) : NULL;
		if (kept && !new)
			continue;
		if (!dead) {
			dead = kvmalloc_array(sn->nr_sockets, sizeof(*dead), GFP_KERNEL);
			if (!dead) {
				kvfree(new);
				break;
			}
		}
		for (i = 0, kept = 0; i < old->count; i++) {
			if (old->id[i].release) {
				dead[ndead++] = old->sk[i];
				continue;
			}
			new->sk[kept] = old->sk[i];
			new->id[kept++] = old->id[i];
		}
		if (new)
			skl_socks_index(new);
		skl_label_set_socks(sn, label, new);
		for (i = 0; i < old->count; i++) {
			if (old->id[i].release)
				skl_event_socket(sn->net, SKL_EVENT_SOCKET_RELEASED, label->name,
						 &old->id[i], old->id[i].release);
		}
		if (!new)
			skl_event_label_empty(sn->net, label->name);
		kvfree_rcu(old, rcu);
		skl_label_maybe_free(sn, label);
	}
	if (ndead) {
		synchronize_rcu();
		skl_put_socks(dead, ndead);
		sn->nr_sockets -= ndead;
		atomic_sub(ndead, &skl_totals.sockets);
	}
	kvfree(dead);
	return sn->nr_sockets > 0;
}

/**
 * skl_labels_unpublish() - hide every socket of a namespace that is going away
 * @sn: the namespace's state, locked
 *
 * From the namespace's pre_exit: the pernet core waits for a grace period before it
 * calls exit, where skl_labels_destroy() releases them, so that a namespace (or every
 * namespace, at unload) costs no grace period of its own, however many labels it has.
 */
void skl_labels_unpublish(struct skl_net *sn)
{
	struct skl_label *label, *tmp;
	struct skl_socks *socks;

	list_for_each_entry_safe(label, tmp, &sn->with_socks, with_socks) {
		socks = skl_label_unpublish(sn, label, SKL_RELEASE_NETNS_GONE);
		if (socks) {
			socks->next = sn->retired;
			sn->retired = socks;
		}
	}
}

/**
 * skl_labels_destroy() - release every socket and free every label of a namespace
 * @sn: the namespace's state, locked; no rule refers to a label any more
 *
 * The sockets skl_labels_unpublish() hid a grace period ago are released at once; any
 * other (none, when it ran) costs one grace period for all of them.
 */
void skl_labels_destroy(struct skl_net *sn)
{
	struct skl_socks *retired = sn->retired, *socks;
	struct skl_label *label, *tmp;

	sn->retired = NULL;
	skl_labels_unpublish(sn);
	if (sn->retired) {
		synchronize_rcu();
		for (socks = sn->retired; socks->next; socks = socks->next)
			;
		socks->next = retired;
		retired = sn->retired;
		sn->retired = NULL;
	}
	while (retired) {
		socks = retired;
		retired = socks->next;
		skl_socks_put(sn, socks);
		cond_resched();
	}
	list_for_each_entry_safe(label, tmp, &sn->labels, node) {
		label->rule_refs = 0;
		skl_label_maybe_free(sn, label);
	}
}

/**
 * skl_label_stats() - the label's counters, as of the last skl_counters_sync()
 * @label: the label
 * @sum: filled in
 */
void skl_label_stats(const struct skl_label *label, struct skl_label_stats *sum)
{
	sum->delivered = skl_counter_read(&label->delivered);
	sum->misses = skl_counter_read(&label->misses);
	sum->lookups = sum->delivered + sum->misses;
}
