// SPDX-License-Identifier: GPL-2.0
/*
 * Events: what changed, multicast to the listeners of the namespace where it changed.
 *
 * Every event is sent from process context (a request's handler or a namespace's sweep
 * work), never from a lookup. Nothing is built when nobody listens.
 */
#include <linux/rwsem.h>
#include <net/genetlink.h>
#include <net/net_namespace.h>
#include <net/netlink.h>

#include "sklookup.h"
#include "events.h"
#include "netlink.h"
#include "rules.h"

/*
 * Whether the family is registered. Held for reading while an event is sent, so that
 * unregistering the family waits for senders (a sweep may run while the module unloads).
 */
static DECLARE_RWSEM(skl_events_lock);
static bool skl_events_on;

/**
 * skl_events_enable() - start or stop sending events
 * @on: true once the family is registered, false before it is unregistered
 */
void skl_events_enable(bool on)
{
	down_write(&skl_events_lock);
	skl_events_on = on;
	up_write(&skl_events_lock);
}

/* A new event message, or NULL when nobody in @net listens or memory is short. */
static struct sk_buff *skl_event_alloc(struct net *net, u8 type, void **hdr)
{
	struct sk_buff *skb;

	down_read(&skl_events_lock);
	if (!skl_events_on ||
	    !genl_has_listeners(&skl_genl_family, net, SKL_MCGRP_EVENTS)) {
		up_read(&skl_events_lock);
		return NULL;
	}
	up_read(&skl_events_lock);
	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return NULL;
	*hdr = genlmsg_put(skb, 0, 0, &skl_genl_family, 0, SKL_CMD_EVENT);
	if (!*hdr || nla_put_u8(skb, SKL_A_EVENT_TYPE, type)) {
		nlmsg_free(skb);
		return NULL;
	}
	return skb;
}

/* Finish @skb and hand it to @net's listeners; a listener whose buffer is full loses it. */
static void skl_event_finish(struct net *net, struct sk_buff *skb, void *hdr)
{
	genlmsg_end(skb, hdr);
	skl_event_send(net, skb);
}

/**
 * skl_event_send() - multicast a finished event message
 * @net: the namespace whose listeners get it
 * @skb: from skl_event_rule_new(), or NULL (nothing is sent)
 */
void skl_event_send(struct net *net, struct sk_buff *skb)
{
	if (!skb)
		return;
	down_read(&skl_events_lock);
	if (skl_events_on)
		genlmsg_multicast_netns(&skl_genl_family, net, skb, 0, SKL_MCGRP_EVENTS,
					GFP_KERNEL);
	else
		nlmsg_free(skb);
	up_read(&skl_events_lock);
}

/**
 * skl_event_rule_new() - an event about one rule, ready to send
 * @net: the rule's namespace
 * @type: SKL_EVENT_RULE_ADDED or SKL_EVENT_RULE_DELETED
 * @rule: the rule, under its namespace's lock
 *
 * Built before a deletion, sent after it succeeded (or freed with nlmsg_free()).
 *
 * Return: the message, or NULL when nobody listens or memory is short.
 */
struct sk_buff *skl_event_rule_new(struct net *net, u8 type, const struct skl_rule *rule)
{
	struct nlattr *nest;
	struct sk_buff *skb;
	void *hdr;

	if (!rule)
		return NULL;
	skb = skl_event_alloc(net, type, &hdr);
	if (!skb)
		return NULL;
	nest = nla_nest_start(skb, SKL_A_EVENT_RULE);
	if (!nest || skl_nl_put_rule_attrs(skb, rule)) {
		nlmsg_free(skb);
		return NULL;
	}
	nla_nest_end(skb, nest);
	genlmsg_end(skb, hdr);
	return skb;
}

/**
 * skl_event_count() - the rule set was replaced or flushed
 * @net: its namespace
 * @type: SKL_EVENT_RULES_REPLACED or SKL_EVENT_RULES_FLUSHED
 * @count: the rules in force now
 */
void skl_event_count(struct net *net, u8 type, u32 count)
{
	struct sk_buff *skb;
	void *hdr;

	skb = skl_event_alloc(net, type, &hdr);
	if (!skb)
		return;
	if (nla_put_u32(skb, SKL_A_EVENT_COUNT, count)) {
		nlmsg_free(skb);
		return;
	}
	skl_event_finish(net, skb, hdr);
}

static int skl_put_sock_id(struct sk_buff *skb, const struct skl_sock_id *id)
{
	struct nlattr *nest = nla_nest_start(skb, SKL_A_EVENT_SOCKET);

	if (!nest ||
	    nla_put(skb, SKL_A_SOCKET_ADDR, id->family == AF_INET ? 4 : 16, &id->addr) ||
	    nla_put_u64_64bit(skb, SKL_A_SOCKET_INODE, id->ino, SKL_A_SOCKET_PAD) ||
	    nla_put_u8(skb, SKL_A_SOCKET_PROTO, id->proto) ||
	    nla_put_u8(skb, SKL_A_SOCKET_FAMILY, id->family) ||
	    nla_put_u16(skb, SKL_A_SOCKET_PORT, id->port))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

/**
 * skl_event_socket() - a socket was registered or released
 * @net: its namespace
 * @type: SKL_EVENT_SOCKET_REGISTERED or SKL_EVENT_SOCKET_RELEASED
 * @label: the label it is or was registered under
 * @id: the socket as it was registered
 * @reason: for a release, enum skl_release_reason; 0 otherwise
 */
void skl_event_socket(struct net *net, u8 type, const char *label,
		      const struct skl_sock_id *id, u8 reason)
{
	struct sk_buff *skb;
	void *hdr;

	skb = skl_event_alloc(net, type, &hdr);
	if (!skb)
		return;
	if (nla_put_string(skb, SKL_A_EVENT_LABEL, label) || skl_put_sock_id(skb, id) ||
	    (reason && nla_put_u8(skb, SKL_A_EVENT_REASON, reason))) {
		nlmsg_free(skb);
		return;
	}
	skl_event_finish(net, skb, hdr);
}

/**
 * skl_event_label_empty() - the last socket of a label was released
 * @net: its namespace
 * @label: the label's name
 */
void skl_event_label_empty(struct net *net, const char *label)
{
	struct sk_buff *skb;
	void *hdr;

	skb = skl_event_alloc(net, SKL_EVENT_LABEL_EMPTY, &hdr);
	if (!skb)
		return;
	if (nla_put_string(skb, SKL_A_EVENT_LABEL, label)) {
		nlmsg_free(skb);
		return;
	}
	skl_event_finish(net, skb, hdr);
}

/**
 * skl_event_netns_gone() - a namespace that held rules or labels is being destroyed
 * @net: the namespace
 * @rules: the rules it held
 * @labels: the labels it held
 *
 * Its own listeners are gone already (each would have kept it alive): the listeners of
 * the initial namespace are told.
 */
void skl_event_netns_gone(struct net *net, u32 rules, u32 labels)
{
	struct sk_buff *skb;
	void *hdr;

	if (net_eq(net, &init_net))
		return;
	skb = skl_event_alloc(&init_net, SKL_EVENT_NETNS_GONE, &hdr);
	if (!skb)
		return;
	if (nla_put_u32(skb, SKL_A_EVENT_NETNS, net->ns.inum) ||
	    nla_put_u32(skb, SKL_A_EVENT_COUNT, rules) ||
	    nla_put_u32(skb, SKL_A_EVENT_LABELS, labels)) {
		nlmsg_free(skb);
		return;
	}
	skl_event_finish(&init_net, skb, hdr);
}
