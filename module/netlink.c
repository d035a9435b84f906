// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "sklookup": the only way user space talks to the module.
 * The protocol is documented in include/sklookup.h.
 */
#include <linux/file.h>
#include <linux/in.h>
#include <linux/module.h>
#include <linux/net.h>
#include <linux/netdevice.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <net/sock.h>
#include <net/tcp_states.h>

#include "sklookup.h"
#include "apply.h"
#include "events.h"
#include "fault.h"
#include "hooks.h"
#include "label.h"
#include "limits.h"
#include "netlink.h"
#include "netns.h"
#include "rules.h"
#include "version.h"

/* STATUS_GET takes no attributes; the policy exists so that any attribute is refused. */
static const struct nla_policy skl_status_get_policy[SKL_A_STATUS_MAX + 1] = {
	[SKL_A_STATUS_VERSION] = { .type = NLA_REJECT },
	[SKL_A_STATUS_HOOK] = { .type = NLA_REJECT },
	[SKL_A_STATUS_NAMESPACES] = { .type = NLA_REJECT },
	[SKL_A_STATUS_RULES] = { .type = NLA_REJECT },
	[SKL_A_STATUS_LABELS] = { .type = NLA_REJECT },
	[SKL_A_STATUS_SOCKETS] = { .type = NLA_REJECT },
};

static int skl_put_hook(struct sk_buff *skb, enum skl_hook_id id)
{
	struct skl_hook_info info;
	struct nlattr *nest;

	skl_hook_info(id, &info);
	nest = nla_nest_start(skb, SKL_A_STATUS_HOOK);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_string(skb, SKL_A_HOOK_NAME, info.name) ||
	    nla_put_u8(skb, SKL_A_HOOK_PROTO, info.proto) ||
	    nla_put_u8(skb, SKL_A_HOOK_FAMILY, info.family) ||
	    nla_put_u8(skb, SKL_A_HOOK_ACTIVE, info.active) ||
	    nla_put_u64_64bit(skb, SKL_A_HOOK_CALLS, info.calls, SKL_A_HOOK_PAD)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int skl_cmd_status_get(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *reply;
	void *hdr;
	int id, err = -EMSGSIZE;

	reply = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!reply)
		return -ENOMEM;
	hdr = genlmsg_put_reply(reply, info, &skl_genl_family, 0, SKL_CMD_STATUS_GET);
	if (!hdr)
		goto err_free;
	if (nla_put_string(reply, SKL_A_STATUS_VERSION, SKL_VERSION))
		goto err_free;
	for (id = 0; id < SKL_HOOK_COUNT; id++) {
		err = skl_put_hook(reply, id);
		if (err)
			goto err_free;
	}
	err = -EMSGSIZE;
	if (nla_put_u32(reply, SKL_A_STATUS_NAMESPACES, atomic_read(&skl_totals.namespaces)) ||
	    nla_put_u32(reply, SKL_A_STATUS_RULES, atomic_read(&skl_totals.rules)) ||
	    nla_put_u32(reply, SKL_A_STATUS_LABELS, atomic_read(&skl_totals.labels)) ||
	    nla_put_u32(reply, SKL_A_STATUS_SOCKETS, atomic_read(&skl_totals.sockets)) ||
	    nla_put_u32(reply, SKL_A_STATUS_STAGED, atomic_read(&skl_totals.staged)) ||
	    nla_put_u32(reply, SKL_A_STATUS_MAX_RULES, READ_ONCE(skl_max_rules)) ||
	    nla_put_u32(reply, SKL_A_STATUS_MAX_SOCKETS, READ_ONCE(skl_max_sockets)))
		goto err_free;
	genlmsg_end(reply, hdr);
	return genlmsg_reply(reply, info);

err_free:
	nlmsg_free(reply);
	return err;
}

static const struct nla_policy skl_rule_add_policy[SKL_A_RULE_MAX + 1] = {
	[SKL_A_RULE_ID] = { .type = NLA_REJECT },
	[SKL_A_RULE_PROTO] = { .type = NLA_U8 },
	[SKL_A_RULE_FAMILY] = { .type = NLA_U8 },
	[SKL_A_RULE_DST] = { .type = NLA_BINARY, .len = sizeof(struct in6_addr) },
	[SKL_A_RULE_DST_PREFIXLEN] = NLA_POLICY_MAX(NLA_U8, 128),
	[SKL_A_RULE_SRC] = { .type = NLA_BINARY, .len = sizeof(struct in6_addr) },
	[SKL_A_RULE_SRC_PREFIXLEN] = NLA_POLICY_MAX(NLA_U8, 128),
	[SKL_A_RULE_PORT_MIN] = { .type = NLA_U16 },
	[SKL_A_RULE_PORT_MAX] = { .type = NLA_U16 },
	[SKL_A_RULE_IFINDEX] = { .type = NLA_U32 },
	[SKL_A_RULE_PHASE] = NLA_POLICY_MAX(NLA_U8, SKL_PHASE_MAX),
	[SKL_A_RULE_ACTION] = NLA_POLICY_RANGE(NLA_U8, SKL_ACTION_STEER, SKL_ACTION_MAX),
	[SKL_A_RULE_LABEL] = { .type = NLA_NUL_STRING, .len = SKL_LABEL_NAME_MAX - 1 },
	[SKL_A_RULE_FLAGS] = { .type = NLA_U32 },
	[SKL_A_RULE_HITS] = { .type = NLA_REJECT },
	[SKL_A_RULE_STAGE] = { .type = NLA_FLAG },
	[SKL_A_RULE_COUNT] = { .type = NLA_REJECT },
};

static const struct nla_policy skl_rule_id_policy[SKL_A_RULE_MAX + 1] = {
	[SKL_A_RULE_ID] = { .type = NLA_U64 },
};

static const struct nla_policy skl_rule_none_policy[SKL_A_RULE_MAX + 1] = {
	[SKL_A_RULE_ID] = { .type = NLA_REJECT },
};

static const struct nla_policy skl_socket_add_policy[SKL_A_LABEL_MAX + 1] = {
	[SKL_A_LABEL_NAME] = { .type = NLA_NUL_STRING, .len = SKL_LABEL_NAME_MAX - 1 },
	[SKL_A_LABEL_FD] = { .type = NLA_U32 },
};

static const struct nla_policy skl_label_del_policy[SKL_A_LABEL_MAX + 1] = {
	[SKL_A_LABEL_NAME] = { .type = NLA_NUL_STRING, .len = SKL_LABEL_NAME_MAX - 1 },
};

static const struct nla_policy skl_label_get_policy[SKL_A_LABEL_MAX + 1] = {
	[SKL_A_LABEL_NAME] = { .type = NLA_REJECT },
};

/*
 * Refuse a request, naming the attribute at fault (NULL: one that is missing). @msg must
 * be a string that lives for ever.
 */
static void skl_reject(struct netlink_ext_ack *extack, const struct nlattr *attr,
		       const char *msg)
{
	if (!extack)
		return;
	extack->_msg = msg;
	NL_SET_BAD_ATTR(extack, attr);
}

static bool skl_require(struct genl_info *info, int type, const char *msg)
{
	if (info->attrs[type])
		return true;
	skl_reject(info->extack, NULL, msg);
	return false;
}

/* A prefix attribute into @addr, checked against @family and @plen. */
static int skl_parse_prefix(struct genl_info *info, int addr_type, u8 family, u8 plen,
			    union skl_match_addr *addr)
{
	const struct nlattr *attr = info->attrs[addr_type];
	unsigned int alen = family == AF_INET ? 4 : 16;
	unsigned int i;
	const u8 *bytes;

	if (nla_len(attr) != alen) {
		skl_reject(info->extack, attr,
			   family == AF_INET ? "address must be 4 bytes for AF_INET" :
			   "address must be 16 bytes for AF_INET6");
		return -EINVAL;
	}
	if (plen > alen * 8) {
		skl_reject(info->extack, attr, "prefix length too long for the family");
		return -EINVAL;
	}
	bytes = nla_data(attr);
	for (i = plen; i < alen * 8; i++) {
		if (bytes[i / 8] & (0x80 >> (i % 8))) {
			skl_reject(info->extack, attr,
				   "address has bits set beyond the prefix length");
			return -EINVAL;
		}
	}
	memset(addr, 0, sizeof(*addr));
	memcpy(addr, bytes, alen);
	return 0;
}

static int skl_parse_rule(struct genl_info *info, struct skl_rule *rule)
{
	struct nlattr **tb = info->attrs;
	struct skl_match_rule *m = &rule->match;
	u8 action;
	int err;

	memset(rule, 0, sizeof(*rule));
	if (!skl_require(info, SKL_A_RULE_PROTO, "missing SKL_A_RULE_PROTO") ||
	    !skl_require(info, SKL_A_RULE_FAMILY, "missing SKL_A_RULE_FAMILY") ||
	    !skl_require(info, SKL_A_RULE_DST, "missing SKL_A_RULE_DST") ||
	    !skl_require(info, SKL_A_RULE_DST_PREFIXLEN, "missing SKL_A_RULE_DST_PREFIXLEN") ||
	    !skl_require(info, SKL_A_RULE_ACTION, "missing SKL_A_RULE_ACTION"))
		return -EINVAL;

	m->proto = nla_get_u8(tb[SKL_A_RULE_PROTO]);
	if (m->proto != IPPROTO_TCP && m->proto != IPPROTO_UDP) {
		skl_reject(info->extack, tb[SKL_A_RULE_PROTO],
			   "protocol must be IPPROTO_TCP or IPPROTO_UDP");
		return -EINVAL;
	}
	m->family = nla_get_u8(tb[SKL_A_RULE_FAMILY]);
	if (m->family != AF_INET && m->family != AF_INET6) {
		skl_reject(info->extack, tb[SKL_A_RULE_FAMILY],
			   "family must be AF_INET or AF_INET6");
		return -EINVAL;
	}
	m->dst_len = nla_get_u8(tb[SKL_A_RULE_DST_PREFIXLEN]);
	err = skl_parse_prefix(info, SKL_A_RULE_DST, m->family, m->dst_len, &m->dst);
	if (err)
		return err;
	if (tb[SKL_A_RULE_SRC] || tb[SKL_A_RULE_SRC_PREFIXLEN]) {
		if (!skl_require(info, SKL_A_RULE_SRC,
				 "SKL_A_RULE_SRC_PREFIXLEN without SKL_A_RULE_SRC") ||
		    !skl_require(info, SKL_A_RULE_SRC_PREFIXLEN,
				 "SKL_A_RULE_SRC without SKL_A_RULE_SRC_PREFIXLEN"))
			return -EINVAL;
		m->src_len = nla_get_u8(tb[SKL_A_RULE_SRC_PREFIXLEN]);
		err = skl_parse_prefix(info, SKL_A_RULE_SRC, m->family, m->src_len, &m->src);
		if (err)
			return err;
	}
	m->port_lo = tb[SKL_A_RULE_PORT_MIN] ? nla_get_u16(tb[SKL_A_RULE_PORT_MIN]) : 0;
	m->port_hi = tb[SKL_A_RULE_PORT_MAX] ? nla_get_u16(tb[SKL_A_RULE_PORT_MAX]) : 65535;
	if (m->port_lo > m->port_hi) {
		skl_reject(info->extack, tb[SKL_A_RULE_PORT_MIN],
			   "lowest port is above the highest port");
		return -EINVAL;
	}
	if (tb[SKL_A_RULE_IFINDEX]) {
		m->ifindex = nla_get_u32(tb[SKL_A_RULE_IFINDEX]);
		if (m->ifindex <= 0 || !__dev_get_by_index(genl_info_net(info), m->ifindex)) {
			skl_reject(info->extack, tb[SKL_A_RULE_IFINDEX],
				   "no such device in this network namespace");
			return -ENODEV;
		}
	}
	m->phase = tb[SKL_A_RULE_PHASE] ? nla_get_u8(tb[SKL_A_RULE_PHASE]) : SKL_PHASE_FIRST;
	rule->flags = tb[SKL_A_RULE_FLAGS] ? nla_get_u32(tb[SKL_A_RULE_FLAGS]) : 0;
	if (rule->flags & ~SKL_RULE_F_ALL) {
		skl_reject(info->extack, tb[SKL_A_RULE_FLAGS], "unknown flag bits");
		return -EINVAL;
	}
	action = nla_get_u8(tb[SKL_A_RULE_ACTION]);
	m->action = action;
	if (action == SKL_ACTION_STEER && !tb[SKL_A_RULE_LABEL]) {
		skl_reject(info->extack, tb[SKL_A_RULE_ACTION],
			   "a steer rule needs SKL_A_RULE_LABEL");
		return -EINVAL;
	}
	if (action != SKL_ACTION_STEER && tb[SKL_A_RULE_LABEL]) {
		skl_reject(info->extack, tb[SKL_A_RULE_LABEL],
			   "only a steer rule takes a label");
		return -EINVAL;
	}
	if (tb[SKL_A_RULE_LABEL] && !nla_len(tb[SKL_A_RULE_LABEL])) {
		skl_reject(info->extack, tb[SKL_A_RULE_LABEL], "empty label name");
		return -EINVAL;
	}
	return 0;
}

/*
 * Answer a change with one number. @reply was allocated before the change was made, so
 * that answering cannot fail for lack of memory once it is done.
 */
static int skl_reply_number(struct sk_buff *reply, struct genl_info *info, u8 cmd,
			    int type, u64 value)
{
	void *hdr = genlmsg_put_reply(reply, info, &skl_genl_family, 0, cmd);
	int err;

	if (!hdr) {
		nlmsg_free(reply);
		return -EMSGSIZE;
	}
	if (type == SKL_A_RULE_ID)
		err = nla_put_u64_64bit(reply, type, value, SKL_A_RULE_PAD);
	else
		err = nla_put_u32(reply, type, value);
	if (err) {
		nlmsg_free(reply);
		return err;
	}
	genlmsg_end(reply, hdr);
	return genlmsg_reply(reply, info);
}

/*
 * The state of the namespace a change request acts on, or NULL when that namespace may
 * not be changed through sklookup. GENL_UNS_ADMIN_PERM has checked CAP_NET_ADMIN over it;
 * a namespace that an unprivileged user created (with its own user namespace) is left
 * alone unless the administrator allowed it, since any user could otherwise make the
 * module allocate and hold sockets.
 */
static struct skl_net *skl_net_to_change(struct genl_info *info)
{
	struct net *net = genl_info_net(info);

	if (net->user_ns != &init_user_ns && !READ_ONCE(skl_allow_userns)) {
		NL_SET_ERR_MSG(info->extack,
			       "this network namespace belongs to a user namespace other than the initial one; the module parameter allow_userns is off");
		return NULL;
	}
	return skl_net(net);
}

static int skl_cmd_rule_add(struct sk_buff *skb, struct genl_info *info)
{
	struct skl_net *sn = skl_net_to_change(info);
	struct sk_buff *reply;
	struct skl_rule rule;
	const char *label;
	u64 id;
	int err;

	if (!sn)
		return -EPERM;
	err = skl_parse_rule(info, &rule);
	if (err)
		return err;
	label = info->attrs[SKL_A_RULE_LABEL] ? nla_data(info->attrs[SKL_A_RULE_LABEL]) : NULL;
	if (info->attrs[SKL_A_RULE_STAGE]) {
		mutex_lock(&sn->lock);
		err = skl_apply_stage(sn, info->snd_portid, &rule, label, info->extack);
		mutex_unlock(&sn->lock);
		return err;
	}
	reply = SKL_FALLIBLE(genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL));
	if (!reply)
		return -ENOMEM;

	mutex_lock(&sn->lock);
	err = skl_rules_add(sn, &rule, label, &id, info->extack);
	if (!err)
		skl_event_send(sn->net, skl_event_rule_new(sn->net, SKL_EVENT_RULE_ADDED,
							   skl_rules_find(sn, id)));
	mutex_unlock(&sn->lock);
	if (err) {
		nlmsg_free(reply);
		return err;
	}
	return skl_reply_number(reply, info, SKL_CMD_RULE_ADD, SKL_A_RULE_ID, id);
}

static int skl_cmd_rule_del(struct sk_buff *skb, struct genl_info *info)
{
	struct skl_net *sn = skl_net_to_change(info);
	struct sk_buff *event;
	u64 id;
	int err;

	if (!sn)
		return -EPERM;
	if (!skl_require(info, SKL_A_RULE_ID, "missing SKL_A_RULE_ID"))
		return -EINVAL;
	id = nla_get_u64(info->attrs[SKL_A_RULE_ID]);
	mutex_lock(&sn->lock);
	/* Built first: the rule is gone afterwards. */
	event = skl_event_rule_new(sn->net, SKL_EVENT_RULE_DELETED, skl_rules_find(sn, id));
	err = skl_rules_del(sn, id);
	if (err)
		nlmsg_free(event);
	else
		skl_event_send(sn->net, event);
	mutex_unlock(&sn->lock);
	if (err == -ENOENT)
		skl_reject(info->extack, info->attrs[SKL_A_RULE_ID], "no rule with this id");
	return err;
}

static int skl_cmd_rule_begin(struct sk_buff *skb, struct genl_info *info)
{
	struct skl_net *sn = skl_net_to_change(info);
	int err;

	if (!sn)
		return -EPERM;
	mutex_lock(&sn->lock);
	err = skl_apply_begin(sn, info->snd_portid);
	mutex_unlock(&sn->lock);
	return err;
}

static int skl_cmd_rule_commit(struct sk_buff *skb, struct genl_info *info)
{
	struct skl_net *sn = skl_net_to_change(info);
	struct sk_buff *reply;
	u32 count = 0;
	int err;

	if (!sn)
		return -EPERM;
	reply = SKL_FALLIBLE(genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL));
	if (!reply)
		return -ENOMEM;
	mutex_lock(&sn->lock);
	err = skl_apply_commit(sn, info->snd_portid, &count, info->extack);
	if (!err)
		skl_event_count(sn->net, SKL_EVENT_RULES_REPLACED, count);
	mutex_unlock(&sn->lock);
	if (err) {
		nlmsg_free(reply);
		return err;
	}
	return skl_reply_number(reply, info, SKL_CMD_RULE_COMMIT, SKL_A_RULE_COUNT, count);
}

static int skl_cmd_rule_flush(struct sk_buff *skb, struct genl_info *info)
{
	struct skl_net *sn = skl_net_to_change(info);

	if (!sn)
		return -EPERM;
	mutex_lock(&sn->lock);
	skl_rules_flush(sn);
	skl_event_count(sn->net, SKL_EVENT_RULES_FLUSHED, 0);
	mutex_unlock(&sn->lock);
	return 0;
}

static int skl_put_addr(struct sk_buff *skb, int type, u8 family,
			const union skl_match_addr *addr)
{
	return nla_put(skb, type, family == AF_INET ? 4 : 16, addr);
}

/**
 * skl_nl_put_rule_attrs() - a rule's attributes, as dumps and events carry them
 * @skb: the message
 * @rule: the rule, under its namespace's lock
 *
 * Return: 0 or -EMSGSIZE.
 */
int skl_nl_put_rule_attrs(struct sk_buff *skb, const struct skl_rule *rule)
{
	const struct skl_match_rule *m = &rule->match;

	if (nla_put_u64_64bit(skb, SKL_A_RULE_ID, m->id, SKL_A_RULE_PAD) ||
	    nla_put_u8(skb, SKL_A_RULE_PROTO, m->proto) ||
	    nla_put_u8(skb, SKL_A_RULE_FAMILY, m->family) ||
	    skl_put_addr(skb, SKL_A_RULE_DST, m->family, &m->dst) ||
	    nla_put_u8(skb, SKL_A_RULE_DST_PREFIXLEN, m->dst_len) ||
	    (m->src_len && (skl_put_addr(skb, SKL_A_RULE_SRC, m->family, &m->src) ||
			    nla_put_u8(skb, SKL_A_RULE_SRC_PREFIXLEN, m->src_len))) ||
	    nla_put_u16(skb, SKL_A_RULE_PORT_MIN, m->port_lo) ||
	    nla_put_u16(skb, SKL_A_RULE_PORT_MAX, m->port_hi) ||
	    (m->ifindex && nla_put_u32(skb, SKL_A_RULE_IFINDEX, m->ifindex)) ||
	    nla_put_u8(skb, SKL_A_RULE_PHASE, m->phase) ||
	    nla_put_u8(skb, SKL_A_RULE_ACTION, m->action) ||
	    (rule->label && nla_put_string(skb, SKL_A_RULE_LABEL, rule->label->name)) ||
	    nla_put_u32(skb, SKL_A_RULE_FLAGS, rule->flags))
		return -EMSGSIZE;
	return 0;
}

static int skl_put_rule(struct sk_buff *skb, const struct skl_rule *rule, u32 portid, u32 seq)
{
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &skl_genl_family, NLM_F_MULTI, SKL_CMD_RULE_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (skl_nl_put_rule_attrs(skb, rule) ||
	    nla_put_u64_64bit(skb, SKL_A_RULE_HITS, skl_counter_read(&rule->hits),
			      SKL_A_RULE_PAD)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/* cb->args[0]: index of the next rule to dump. */
static int skl_cmd_rule_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct skl_net *sn = skl_net(sock_net(skb->sk));
	const struct skl_ruleset *rs;
	u32 i;

	mutex_lock(&sn->lock);
	rs = rcu_dereference_protected(sn->rules, lockdep_is_held(&sn->lock));
	for (i = cb->args[0]; rs && i < rs->count; i++) {
		if (skl_put_rule(skb, rs->rules[i], NETLINK_CB(cb->skb).portid,
				 cb->nlh->nlmsg_seq))
			break;
	}
	mutex_unlock(&sn->lock);
	cb->args[0] = i;
	return skb->len;
}

/* Why @sk cannot be registered, or NULL if it can. */
static const char *skl_socket_refusal(const struct sock *sk, const struct net *net)
{
	if (sk->sk_family != AF_INET && sk->sk_family != AF_INET6)
		return "not an IPv4 or IPv6 socket";
	if (!(sk->sk_type == SOCK_STREAM && sk->sk_protocol == IPPROTO_TCP) &&
	    !(sk->sk_type == SOCK_DGRAM && sk->sk_protocol == IPPROTO_UDP))
		return "not a TCP or UDP socket";
	if (!net_eq(sock_net(sk), net))
		return "the socket belongs to another network namespace";
	if (sk->sk_protocol == IPPROTO_TCP && sk->sk_state != TCP_LISTEN)
		return "the TCP socket is not listening: call listen() first";
	if (sk->sk_protocol == IPPROTO_UDP && sk->sk_state == TCP_ESTABLISHED)
		return "the UDP socket is connected";
	if (sk->sk_protocol == IPPROTO_UDP && sk_unhashed(sk))
		return "the UDP socket is not bound: bind it first";
	if (!sock_flag(sk, SOCK_RCU_FREE))
		return "the socket is not freed under RCU";
	return NULL;
}

static int skl_cmd_socket_add(struct sk_buff *skb, struct genl_info *info)
{
	struct skl_net *sn = skl_net_to_change(info);
	struct nlattr *fd_attr = info->attrs[SKL_A_LABEL_FD];
	const char *why;
	struct socket *sock;
	int err;

	if (!sn)
		return -EPERM;
	if (!skl_require(info, SKL_A_LABEL_NAME, "missing SKL_A_LABEL_NAME") ||
	    !skl_require(info, SKL_A_LABEL_FD, "missing SKL_A_LABEL_FD"))
		return -EINVAL;
	if (!nla_len(info->attrs[SKL_A_LABEL_NAME]) ||
	    !*(char *)nla_data(info->attrs[SKL_A_LABEL_NAME])) {
		skl_reject(info->extack, info->attrs[SKL_A_LABEL_NAME], "empty label name");
		return -EINVAL;
	}
	sock = sockfd_lookup(nla_get_u32(fd_attr), &err);
	if (!sock) {
		skl_reject(info->extack, fd_attr,
			   err == -ENOTSOCK ? "not a socket" : "not an open file descriptor");
		return err;
	}
	lock_sock(sock->sk);
	why = skl_socket_refusal(sock->sk, genl_info_net(info));
	release_sock(sock->sk);
	if (why) {
		skl_reject(info->extack, fd_attr, why);
		err = -EINVAL;
		goto out;
	}
	mutex_lock(&sn->lock);
	err = skl_label_add_socket(sn, nla_data(info->attrs[SKL_A_LABEL_NAME]), sock->sk,
				   sock_i_ino(sock->sk), info->extack);
	mutex_unlock(&sn->lock);
out:
	sockfd_put(sock);
	return err;
}

static int skl_cmd_label_del(struct sk_buff *skb, struct genl_info *info)
{
	struct skl_net *sn = skl_net_to_change(info);
	struct skl_label *label;
	int err = 0;

	if (!sn)
		return -EPERM;
	if (!skl_require(info, SKL_A_LABEL_NAME, "missing SKL_A_LABEL_NAME"))
		return -EINVAL;
	mutex_lock(&sn->lock);
	label = skl_label_find(sn, nla_data(info->attrs[SKL_A_LABEL_NAME]));
	if (!label || !rcu_access_pointer(label->socks)) {
		skl_reject(info->extack, info->attrs[SKL_A_LABEL_NAME],
			   "no socket is registered under this label");
		err = -ENOENT;
	} else {
		skl_label_release(sn, label, SKL_RELEASE_UNREGISTERED);
	}
	mutex_unlock(&sn->lock);
	return err;
}

static int skl_put_socket(struct sk_buff *skb, const struct sock *sk)
{
	struct nlattr *nest = nla_nest_start(skb, SKL_A_LABEL_SOCKET);
	int err;

	if (!nest)
		return -EMSGSIZE;
	if (sk->sk_family == AF_INET)
		err = nla_put_in_addr(skb, SKL_A_SOCKET_ADDR, sk->sk_rcv_saddr);
	else
		err = nla_put_in6_addr(skb, SKL_A_SOCKET_ADDR, &sk->sk_v6_rcv_saddr);
	if (err ||
	    nla_put_u64_64bit(skb, SKL_A_SOCKET_INODE, sock_i_ino((struct sock *)sk),
			      SKL_A_SOCKET_PAD) ||
	    nla_put_u8(skb, SKL_A_SOCKET_PROTO, sk->sk_protocol) ||
	    nla_put_u8(skb, SKL_A_SOCKET_FAMILY, sk->sk_family) ||
	    nla_put_u16(skb, SKL_A_SOCKET_PORT, sk->sk_num)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int skl_put_label(struct sk_buff *skb, struct skl_net *sn, const struct skl_label *label,
			 u32 portid, u32 seq)
{
	const struct skl_socks *socks;
	struct skl_label_stats stats;
	unsigned int i;
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &skl_genl_family, NLM_F_MULTI, SKL_CMD_LABEL_GET);
	if (!hdr)
		return -EMSGSIZE;
	skl_label_stats(label, &stats);
	if (nla_put_string(skb, SKL_A_LABEL_NAME, label->name) ||
	    nla_put_u64_64bit(skb, SKL_A_LABEL_LOOKUPS, stats.lookups, SKL_A_LABEL_PAD) ||
	    nla_put_u64_64bit(skb, SKL_A_LABEL_DELIVERED, stats.delivered, SKL_A_LABEL_PAD) ||
	    nla_put_u64_64bit(skb, SKL_A_LABEL_MISSES, stats.misses, SKL_A_LABEL_PAD))
		goto cancel;
	socks = rcu_dereference_protected(label->socks, lockdep_is_held(&sn->lock));
	for (i = 0; socks && i < socks->count; i++) {
		if (skl_put_socket(skb, socks->sk[i]))
			goto cancel;
	}
	genlmsg_end(skb, hdr);
	return 0;
cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

/* cb->args[0]: how many labels were dumped already. */
static int skl_cmd_label_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct skl_net *sn = skl_net(sock_net(skb->sk));
	const struct skl_label *label;
	long i = 0;

	mutex_lock(&sn->lock);
	list_for_each_entry(label, &sn->labels, node) {
		if (i++ < cb->args[0])
			continue;
		if (skl_put_label(skb, sn, label, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq)) {
			i--;
			break;
		}
	}
	mutex_unlock(&sn->lock);
	cb->args[0] = i;
	return skb->len;
}

static const struct genl_ops skl_genl_ops[] = {
	{
		.cmd = SKL_CMD_STATUS_GET,
		.doit = skl_cmd_status_get,
		.policy = skl_status_get_policy,
		.maxattr = SKL_A_STATUS_MAX,
	},
	{
		.cmd = SKL_CMD_RULE_ADD,
		.doit = skl_cmd_rule_add,
		.policy = skl_rule_add_policy,
		.maxattr = SKL_A_RULE_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = SKL_CMD_RULE_DEL,
		.doit = skl_cmd_rule_del,
		.policy = skl_rule_id_policy,
		.maxattr = SKL_A_RULE_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = SKL_CMD_RULE_GET,
		.dumpit = skl_cmd_rule_dump,
		.policy = skl_rule_none_policy,
		.maxattr = SKL_A_RULE_MAX,
	},
	{
		.cmd = SKL_CMD_RULE_FLUSH,
		.doit = skl_cmd_rule_flush,
		.policy = skl_rule_none_policy,
		.maxattr = SKL_A_RULE_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = SKL_CMD_SOCKET_ADD,
		.doit = skl_cmd_socket_add,
		.policy = skl_socket_add_policy,
		.maxattr = SKL_A_LABEL_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = SKL_CMD_LABEL_DEL,
		.doit = skl_cmd_label_del,
		.policy = skl_label_del_policy,
		.maxattr = SKL_A_LABEL_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = SKL_CMD_LABEL_GET,
		.dumpit = skl_cmd_label_dump,
		.policy = skl_label_get_policy,
		.maxattr = SKL_A_LABEL_MAX,
	},
	{
		.cmd = SKL_CMD_RULE_BEGIN,
		.doit = skl_cmd_rule_begin,
		.policy = skl_rule_none_policy,
		.maxattr = SKL_A_RULE_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = SKL_CMD_RULE_COMMIT,
		.doit = skl_cmd_rule_commit,
		.policy = skl_rule_none_policy,
		.maxattr = SKL_A_RULE_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
};

/*
 * Listening needs no privilege, as reading does not: an event tells what a dump shows,
 * and only to listeners of the namespace it happened in.
 */
static const struct genl_multicast_group skl_genl_mcgrps[] = {
	[SKL_MCGRP_EVENTS] = { .name = SKL_GENL_MCGRP_EVENTS },
};

struct genl_family skl_genl_family __ro_after_init = {
	.name = SKL_GENL_NAME,
	.version = SKL_GENL_VERSION,
	.module = THIS_MODULE,
	.netnsok = true,
	.ops = skl_genl_ops,
	.n_ops = ARRAY_SIZE(skl_genl_ops),
	.mcgrps = skl_genl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(skl_genl_mcgrps),
};

/**
 * skl_netlink_register() - make the family available to user space
 *
 * Return: 0 or a negative error from the generic netlink core.
 */
int skl_netlink_register(void)
{
	int err = genl_register_family(&skl_genl_family);

	if (!err)
		skl_events_enable(true);
	return err;
}

/**
 * skl_netlink_unregister() - withdraw the family
 *
 * Returns once no request is being handled any more.
 */
void skl_netlink_unregister(void)
{
	skl_events_enable(false);
	genl_unregister_family(&skl_genl_family);
}
