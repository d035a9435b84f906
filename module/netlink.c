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
#include <net/ipv6.h>
#include <net/netlink.h>
#include <net/sock.h>
#include <net/tcp_states.h>

#include "sklookup.h"
#include "compat/compat.h"
#include "apply.h"
#include "charge.h"
#include "events.h"
#include "fault.h"
#include "hooks.h"
#include "label.h"
#include "limits.h"
#include "netlink.h"
#include "netns.h"
#include "rules.h"
#include "steer.h"
#include "version.h"

/* STATUS_GET takes no attributes; the policy exists so that any attribute is refused. */
static const struct nla_policy skl_status_get_policy[SKL_A_STATUS_MAX + 1] = {
	[SKL_A_STATUS_VERSION] = { .type = NLA_REJECT },
	[SKL_A_STATUS_HOOK] = { .type = NLA_REJECT },
	[SKL_A_STATUS_NAMESPACES] = { .type = NLA_REJECT },
	[SKL_A_STATUS_RULES] = { .type = NLA_REJECT },
	[SKL_A_STATUS_LABELS] = { .type = NLA_REJECT },
	[SKL_A_STATUS_SOCKETS] = { .type = NLA_REJECT },
	[SKL_A_STATUS_GENERATION] = { .type = NLA_REJECT },
};

static int skl_put_hook(struct sk_buff *skb, enum skl_hook_id id, bool counters)
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
	    (counters &&
	     nla_put_u64_64bit(skb, SKL_A_HOOK_CALLS, info.calls, SKL_A_HOOK_PAD))) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/*
 * STATUS_GET needs no privilege: the version, the hooks installed and the limits are the
 * module's, and visible in sysfs too. The hooks' call counts and the live objects add
 * up every namespace (a rate of the host's connections and datagrams, and how many rules
 * other tenants hold), so only a caller with CAP_NET_ADMIN over the initial user
 * namespace gets them.
 */
static int skl_cmd_status_get(struct sk_buff *skb, struct genl_info *info)
{
	bool counters = netlink_capable(skb, CAP_NET_ADMIN);
	struct net *net = genl_info_net(info);
	/* When the rules last changed is as much the rules' business as the rules. */
	bool generation = netlink_ns_capable(skb, net->user_ns, CAP_NET_ADMIN);
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
		err = skl_put_hook(reply, id, counters);
		if (err)
			goto err_free;
	}
	err = -EMSGSIZE;
	if ((counters &&
	     (nla_put_u32(reply, SKL_A_STATUS_NAMESPACES, atomic_read(&skl_totals.namespaces)) ||
	      nla_put_u32(reply, SKL_A_STATUS_RULES, atomic_read(&skl_totals.rules)) ||
	      nla_put_u32(reply, SKL_A_STATUS_LABELS, atomic_read(&skl_totals.labels)) ||
	      nla_put_u32(reply, SKL_A_STATUS_SOCKETS, atomic_read(&skl_totals.sockets)) ||
	      nla_put_u32(reply, SKL_A_STATUS_STAGED, atomic_read(&skl_totals.staged)))) ||
	    nla_put_u32(reply, SKL_A_STATUS_MAX_RULES, READ_ONCE(skl_max_rules)) ||
	    nla_put_u32(reply, SKL_A_STATUS_MAX_SOCKETS, READ_ONCE(skl_max_sockets)) ||
	    (generation &&
	     nla_put_u64_64bit(reply, SKL_A_STATUS_GENERATION,
			       skl_netns_generation(skl_net(net)), SKL_A_STATUS_PAD)))
		goto err_free;
	genlmsg_end(reply, hdr);
	return genlmsg_reply(reply, info);

err_free:
	nlmsg_free(reply);
	return err;
}

/*
 * A rule's attributes, as RULE_ADD takes them and RULE_DEL takes them to name a rule by
 * its words: one list for both, so that the two cannot come to disagree. The comment and
 * the device's name are checked by skl_parse_comment() and skl_parse_ifname(), whose
 * refusals say what is wrong; a comment is not one of the rule's words. The comment's
 * bound is also the policy's, so that a policy dump shows it: the kernel refuses a longer
 * one itself, naming the attribute and the bound in the extended ack.
 */
#define SKL_RULE_WORDS_POLICY \
	[SKL_A_RULE_PROTO] = { .type = NLA_U8 }, \
	[SKL_A_RULE_FAMILY] = { .type = NLA_U8 }, \
	[SKL_A_RULE_DST] = { .type = NLA_BINARY, .len = sizeof(struct in6_addr) }, \
	[SKL_A_RULE_DST_PREFIXLEN] = NLA_POLICY_MAX(NLA_U8, 128), \
	[SKL_A_RULE_SRC] = { .type = NLA_BINARY, .len = sizeof(struct in6_addr) }, \
	[SKL_A_RULE_SRC_PREFIXLEN] = NLA_POLICY_MAX(NLA_U8, 128), \
	[SKL_A_RULE_PORT_MIN] = { .type = NLA_U16 }, \
	[SKL_A_RULE_PORT_MAX] = { .type = NLA_U16 }, \
	[SKL_A_RULE_IFINDEX] = { .type = NLA_U32 }, \
	[SKL_A_RULE_PHASE] = NLA_POLICY_MAX(NLA_U8, SKL_PHASE_MAX), \
	[SKL_A_RULE_ACTION] = NLA_POLICY_RANGE(NLA_U8, SKL_ACTION_STEER, SKL_ACTION_MAX), \
	[SKL_A_RULE_LABEL] = { .type = NLA_NUL_STRING, .len = SKL_LABEL_NAME_MAX - 1 }, \
	[SKL_A_RULE_FLAGS] = { .type = NLA_U32 }, \
	[SKL_A_RULE_HITS] = { .type = NLA_REJECT }, \
	[SKL_A_RULE_COUNT] = { .type = NLA_REJECT }, \
	[SKL_A_RULE_REDIRECT_ADDR] = { .type = NLA_BINARY, .len = sizeof(struct in6_addr) }, \
	[SKL_A_RULE_REDIRECT_PORT] = { .type = NLA_U16 }, \
	[SKL_A_RULE_MISSES] = { .type = NLA_REJECT }, \
	[SKL_A_RULE_COMMENT] = { .type = NLA_BINARY, .len = SKL_RULE_COMMENT_MAX }, \
	[SKL_A_RULE_IFNAME] = { .type = NLA_BINARY }, \
	[SKL_A_RULE_WORDS] = { .type = NLA_REJECT }

static const struct nla_policy skl_rule_add_policy[SKL_A_RULE_MAX + 1] = {
	SKL_RULE_WORDS_POLICY,
	[SKL_A_RULE_ID] = { .type = NLA_REJECT },
	[SKL_A_RULE_STAGE] = { .type = NLA_FLAG },
};

/* A rule to delete: its id, or its words as RULE_ADD takes them. */
static const struct nla_policy skl_rule_del_policy[SKL_A_RULE_MAX + 1] = {
	SKL_RULE_WORDS_POLICY,
	[SKL_A_RULE_ID] = { .type = NLA_U64 },
	[SKL_A_RULE_STAGE] = { .type = NLA_REJECT },
};

static const struct nla_policy skl_rule_none_policy[SKL_A_RULE_MAX + 1] = {
	[SKL_A_RULE_ID] = { .type = NLA_REJECT },
};

static const struct nla_policy skl_rule_commit_policy[SKL_A_RULE_MAX + 1] = {
	[SKL_A_RULE_GENERATION] = { .type = NLA_U64 },
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

/*
 * Whether a label name's attribute holds a good name; if not, says why. The policy
 * guarantees a NUL within the attribute, so a lone NUL byte passes it: an empty name.
 */
static bool skl_label_name_ok(const struct nlattr *attr, struct netlink_ext_ack *extack)
{
	const char *why = skl_label_name_invalid(nla_data(attr));

	if (why)
		skl_reject(extack, attr, why);
	return !why;
}

static bool skl_require(struct genl_info *info, int type, const char *msg)
{
	if (info->attrs[type])
		return true;
	skl_reject(info->extack, NULL, msg);
	return false;
}

static bool skl_dev_exists(struct net *net, int ifindex)
{
	bool exists;

	rcu_read_lock();
	exists = ifindex > 0 && dev_get_by_index_rcu(net, ifindex);
	rcu_read_unlock();
	return exists;
}

/*
 * The device a rule names, kept as a name (the rules follow the device that has it). The
 * kernel's own rules for a name: shorter than IFNAMSIZ, and what dev_valid_name() takes.
 */
static int skl_parse_ifname(struct genl_info *info, struct skl_rule *rule)
{
	const struct nlattr *attr = info->attrs[SKL_A_RULE_IFNAME];
	const char *name = nla_data(attr);
	int len = nla_len(attr);

	if (len < 1 || len > IFNAMSIZ || name[len - 1] || strnlen(name, len) != len - 1) {
		skl_reject(info->extack, attr,
			   "SKL_A_RULE_IFNAME must be one NUL-terminated name shorter than IFNAMSIZ (16)");
		return -EINVAL;
	}
	if (!dev_valid_name(name)) {
		skl_reject(info->extack, attr,
			   "SKL_A_RULE_IFNAME is not a device name: empty, \".\", \"..\", or with '/', ':' or white space");
		return -EINVAL;
	}
	strscpy(rule->ifname, name, sizeof(rule->ifname));
	/* Bound to a device; skl_rules_add() and _replace() find which one is there. */
	rule->match.ifindex = SKL_MATCH_IFINDEX_ABSENT;
	return 0;
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

/*
 * A redirect's target. The kernel's lookup runs in the packet's family, so the target
 * has the rule's; the unspecified address would match only wildcard sockets, which is
 * never what a redirect means.
 */
static int skl_parse_redirect(struct genl_info *info, struct skl_rule *rule)
{
	struct nlattr **tb = info->attrs;
	const struct nlattr *addr = tb[SKL_A_RULE_REDIRECT_ADDR];
	u8 family = rule->match.family;

	if (rule->match.action != SKL_ACTION_REDIRECT) {
		if (addr || tb[SKL_A_RULE_REDIRECT_PORT]) {
			skl_reject(info->extack, addr ?: tb[SKL_A_RULE_REDIRECT_PORT],
				   "only a redirect rule takes SKL_A_RULE_REDIRECT_ADDR and _PORT");
			return -EINVAL;
		}
		return 0;
	}
	if (!skl_require(info, SKL_A_RULE_REDIRECT_ADDR,
			 "a redirect rule needs SKL_A_RULE_REDIRECT_ADDR"))
		return -EINVAL;
	if (nla_len(addr) != (family == AF_INET ? 4 : 16)) {
		skl_reject(info->extack, addr,
			   family == AF_INET ? "redirect address must be 4 bytes for AF_INET" :
			   "redirect address must be 16 bytes for AF_INET6");
		return -EINVAL;
	}
	memcpy(&rule->redirect_addr, nla_data(addr), nla_len(addr));
	if (family == AF_INET ? !rule->redirect_addr.ip :
	    ipv6_addr_any(&rule->redirect_addr.ip6)) {
		skl_reject(info->extack, addr,
			   "redirect address must not be the unspecified address");
		return -EINVAL;
	}
	if (tb[SKL_A_RULE_REDIRECT_PORT])
		rule->redirect_port = nla_get_u16(tb[SKL_A_RULE_REDIRECT_PORT]);
	return 0;
}

/*
 * A rule's comment: text as a label's name is (show, monitor and JSON print it as it
 * is), NUL-terminated. It stays in the request's message; skl_rules_add() and
 * skl_apply_stage() copy it.
 */
static int skl_parse_comment(struct genl_info *info, struct skl_rule *rule)
{
	const struct nlattr *attr = info->attrs[SKL_A_RULE_COMMENT];
	const char *text = nla_data(attr), *why = NULL;
	int len = nla_len(attr);
	enum skl_text_fault bad_text = len > 1 ? skl_text_check(text, len - 1) : SKL_TEXT_OK;

	/* The policy refused more than SKL_RULE_COMMENT_MAX bytes. */
	if (!len || text[len - 1])
		why = "SKL_A_RULE_COMMENT not NUL-terminated";
	else if (strnlen(text, len) != len - 1)
		why = "SKL_A_RULE_COMMENT with a NUL byte before its end";
	else if (len == 1)
		why = "SKL_A_RULE_COMMENT empty";
	else if (bad_text == SKL_TEXT_NOT_UTF8)
		why = "SKL_A_RULE_COMMENT not valid UTF-8";
	else if (bad_text == SKL_TEXT_CONTROL)
		why = "SKL_A_RULE_COMMENT with a control character";
	if (why) {
		skl_reject(info->extack, attr, why);
		return -EINVAL;
	}
	rule->comment = text;
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
	/*
	 * sklookupctl writes "any" for 0-65535 and otherwise ports from 1: a range from 0
	 * that it cannot write would make a dump that apply refuses.
	 */
	if (!m->port_lo && m->port_hi != 65535) {
		skl_reject(info->extack, tb[SKL_A_RULE_PORT_MIN] ?: tb[SKL_A_RULE_PORT_MAX],
			   "port 0 only as part of any port (0-65535): ports are 1 to 65535");
		return -EINVAL;
	}
	/*
	 * An index named one device for good, gone with it; a rule now names a device.
	 * Refused rather than read as a name, so an old client learns of it.
	 */
	if (tb[SKL_A_RULE_IFINDEX]) {
		skl_reject(info->extack, tb[SKL_A_RULE_IFINDEX],
			   "SKL_A_RULE_IFINDEX is no longer taken: name the device with SKL_A_RULE_IFNAME");
		return -EINVAL;
	}
	if (tb[SKL_A_RULE_IFNAME]) {
		err = skl_parse_ifname(info, rule);
		if (err)
			return err;
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
	if (tb[SKL_A_RULE_LABEL] && !skl_label_name_ok(tb[SKL_A_RULE_LABEL], info->extack))
		return -EINVAL;
	if (tb[SKL_A_RULE_COMMENT]) {
		err = skl_parse_comment(info, rule);
		if (err)
			return err;
	}
	if (action != SKL_ACTION_STEER && (rule->flags & SKL_RULE_F_NOREUSEPORT)) {
		skl_reject(info->extack, tb[SKL_A_RULE_FLAGS],
			   "SKL_RULE_F_NOREUSEPORT goes with a steer rule only");
		return -EINVAL;
	}
	if (action != SKL_ACTION_STEER && (rule->flags & SKL_RULE_F_ELSE_DROP)) {
		skl_reject(info->extack, tb[SKL_A_RULE_FLAGS],
			   "SKL_RULE_F_ELSE_DROP goes with a steer rule only");
		return -EINVAL;
	}
	return skl_parse_redirect(info, rule);
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
		err = skl_apply_stage(sn, NETLINK_CB(skb).sk, &rule, label, info->extack);
		mutex_unlock(&sn->lock);
		return err;
	}
	reply = SKL_FALLIBLE(genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL));
	if (!reply)
		return -ENOMEM;

	mutex_lock(&sn->lock);
	err = skl_rules_add(sn, &rule, label, &id, info->extack);
	if (!err) {
		skl_netns_changed(sn);
		skl_event_send(sn->net, skl_event_rule_new(sn->net, SKL_EVENT_RULE_ADDED,
							   skl_rules_find(sn, id)));
	}
	mutex_unlock(&sn->lock);
	if (err) {
		if (err == -ENOMEM)
			NL_SET_ERR_MSG(info->extack,
				       "out of memory for the new rule" SKL_CHARGED_HINT);
		nlmsg_free(reply);
		return err;
	}
	return skl_reply_number(reply, info, SKL_CMD_RULE_ADD, SKL_A_RULE_ID, id);
}

/*
 * The id of the rule a delete request names: SKL_A_RULE_ID, or the rule's words (the
 * attributes of RULE_ADD, validated as there) that a rule in force must have exactly.
 */
static int skl_rule_del_id(struct skl_net *sn, struct genl_info *info, u64 *id)
{
	struct nlattr *id_attr = info->attrs[SKL_A_RULE_ID];
	const struct skl_rule *found;
	struct skl_rule rule;
	const char *label;
	int type, err;

	for (type = SKL_A_RULE_ID + 1; type <= SKL_A_RULE_MAX; type++) {
		if (id_attr && info->attrs[type]) {
			skl_reject(info->extack, info->attrs[type],
				   "SKL_A_RULE_ID or the rule's attributes, not both");
			return -EINVAL;
		}
	}
	if (id_attr) {
		*id = nla_get_u64(id_attr);
		return 0;
	}
	if (!info->attrs[SKL_A_RULE_PROTO] && !info->attrs[SKL_A_RULE_ACTION]) {
		skl_reject(info->extack, NULL,
			   "missing SKL_A_RULE_ID (or the rule's attributes)");
		return -EINVAL;
	}
	err = skl_parse_rule(info, &rule);
	if (err)
		return err;
	label = info->attrs[SKL_A_RULE_LABEL] ? nla_data(info->attrs[SKL_A_RULE_LABEL]) : NULL;
	found = skl_rules_find_words(sn, &rule, label);
	if (!found) {
		skl_reject(info->extack, NULL, "no rule in force has these words");
		return -ENOENT;
	}
	*id = found->match.id;
	return 0;
}

static int skl_cmd_rule_del(struct sk_buff *skb, struct genl_info *info)
{
	struct skl_net *sn = skl_net_to_change(info);
	struct sk_buff *event;
	u64 id;
	int err;

	if (!sn)
		return -EPERM;
	mutex_lock(&sn->lock);
	/* Found and deleted under one lock: no other writer comes in between. */
	err = skl_rule_del_id(sn, info, &id);
	if (err) {
		mutex_unlock(&sn->lock);
		return err;
	}
	/* Built first: the rule is gone afterwards. */
	event = skl_event_rule_new(sn->net, SKL_EVENT_RULE_DELETED, skl_rules_find(sn, id));
	err = skl_rules_del(sn, id);
	if (err) {
		nlmsg_free(event);
	} else {
		skl_netns_changed(sn);
		skl_event_send(sn->net, event);
	}
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
	/* The socket that sent the request: its own staged set, whatever its port id. */
	err = skl_apply_begin(sn, NETLINK_CB(skb).sk);
	mutex_unlock(&sn->lock);
	return err;
}

/*
 * The commit's generation check: the client read the rules at generation @attr, and they
 * must not have changed since.
 */
static int skl_check_generation(struct skl_net *sn, struct genl_info *info)
{
	const struct nlattr *attr = info->attrs[SKL_A_RULE_GENERATION];

	if (!attr)
		return 0;
	if (nla_get_u64(attr) == sn->generation)
		return 0;
	skl_reject(info->extack, attr,
		   "SKL_A_RULE_GENERATION: the rules changed since this generation was read");
	return -ESTALE;
}

static int skl_cmd_rule_commit(struct sk_buff *skb, struct genl_info *info)
{
	struct skl_net *sn = skl_net_to_change(info);
	struct sk_buff *reply;
	void *hdr;
	u32 count = 0;
	u64 generation = 0;
	int err;

	if (!sn)
		return -EPERM;
	reply = SKL_FALLIBLE(genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL));
	if (!reply)
		return -ENOMEM;
	mutex_lock(&sn->lock);
	err = skl_check_generation(sn, info);
	if (err)
		skl_apply_drop(sn, NETLINK_CB(skb).sk);
	else
		err = skl_apply_commit(sn, NETLINK_CB(skb).sk, &count, info->extack);
	if (!err) {
		generation = skl_netns_changed(sn);
		skl_event_count(sn->net, SKL_EVENT_RULES_REPLACED, count);
	}
	mutex_unlock(&sn->lock);
	if (err) {
		nlmsg_free(reply);
		return err;
	}
	hdr = genlmsg_put_reply(reply, info, &skl_genl_family, 0, SKL_CMD_RULE_COMMIT);
	if (!hdr || nla_put_u32(reply, SKL_A_RULE_COUNT, count) ||
	    nla_put_u64_64bit(reply, SKL_A_RULE_GENERATION, generation, SKL_A_RULE_PAD)) {
		nlmsg_free(reply);
		return -EMSGSIZE;
	}
	genlmsg_end(reply, hdr);
	return genlmsg_reply(reply, info);
}

static int skl_cmd_rule_flush(struct sk_buff *skb, struct genl_info *info)
{
	struct skl_net *sn = skl_net_to_change(info);

	if (!sn)
		return -EPERM;
	mutex_lock(&sn->lock);
	skl_rules_flush(sn);
	skl_netns_changed(sn);
	skl_event_count(sn->net, SKL_EVENT_RULES_FLUSHED, 0);
	mutex_unlock(&sn->lock);
	return 0;
}

static int skl_put_addr(struct sk_buff *skb, int type, u8 family,
			const union skl_match_addr *addr)
{
	return nla_put(skb, type, family == AF_INET ? 4 : 16, addr);
}

/*
 * What skl_nl_put_rule_attrs() puts that is not a rule's word: every other attribute it
 * puts is one, so that SKL_A_RULE_WORDS tells a reader built before a word was added that
 * it holds a rule it cannot write back. A non-word added there and not here shows as an
 * unknown word to older readers, which refuse to save the rule: the safe way to be wrong.
 */
#define SKL_RULE_NOT_WORDS \
	(BIT_ULL(SKL_A_RULE_PAD) | BIT_ULL(SKL_A_RULE_ID) | BIT_ULL(SKL_A_RULE_COMMENT))

/* Which word attributes the message holds from @start on: those just put. */
static u64 skl_rule_words_put(const struct sk_buff *skb, unsigned int start)
{
	const struct nlattr *nla;
	u64 words = 0;
	int rem;

	BUILD_BUG_ON(SKL_A_RULE_MAX >= 64);
	nla_for_each_attr(nla, (const struct nlattr *)(skb->data + start), skb->len - start, rem)
		if (nla_type(nla) < 64)
			words |= BIT_ULL(nla_type(nla));
	return (words & ~SKL_RULE_NOT_WORDS) | skl_fault_extra_words();
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
	unsigned int start = skb->len;

	if (nla_put_u64_64bit(skb, SKL_A_RULE_ID, m->id, SKL_A_RULE_PAD) ||
	    nla_put_u8(skb, SKL_A_RULE_PROTO, m->proto) ||
	    nla_put_u8(skb, SKL_A_RULE_FAMILY, m->family) ||
	    skl_put_addr(skb, SKL_A_RULE_DST, m->family, &m->dst) ||
	    nla_put_u8(skb, SKL_A_RULE_DST_PREFIXLEN, m->dst_len) ||
	    (m->src_len && (skl_put_addr(skb, SKL_A_RULE_SRC, m->family, &m->src) ||
			    nla_put_u8(skb, SKL_A_RULE_SRC_PREFIXLEN, m->src_len))) ||
	    nla_put_u16(skb, SKL_A_RULE_PORT_MIN, m->port_lo) ||
	    nla_put_u16(skb, SKL_A_RULE_PORT_MAX, m->port_hi) ||
	    (rule->ifname[0] && nla_put_string(skb, SKL_A_RULE_IFNAME, rule->ifname)) ||
	    nla_put_u8(skb, SKL_A_RULE_PHASE, m->phase) ||
	    nla_put_u8(skb, SKL_A_RULE_ACTION, m->action) ||
	    (rule->label && nla_put_string(skb, SKL_A_RULE_LABEL, rule->label->name)) ||
	    nla_put_u32(skb, SKL_A_RULE_FLAGS, rule->flags) ||
	    (rule->comment && nla_put_string(skb, SKL_A_RULE_COMMENT, rule->comment)))
		return -EMSGSIZE;
	if (m->action == SKL_ACTION_REDIRECT &&
	    (skl_put_addr(skb, SKL_A_RULE_REDIRECT_ADDR, m->family, &rule->redirect_addr) ||
	     (rule->redirect_port &&
	      nla_put_u16(skb, SKL_A_RULE_REDIRECT_PORT, rule->redirect_port))))
		return -EMSGSIZE;
	return nla_put_u64_64bit(skb, SKL_A_RULE_WORDS, skl_rule_words_put(skb, start),
				 SKL_A_RULE_PAD);
}

static int skl_put_rule(struct sk_buff *skb, const struct skl_rule *rule, u32 portid, u32 seq)
{
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &skl_genl_family, NLM_F_MULTI, SKL_CMD_RULE_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (skl_nl_put_rule_attrs(skb, rule) ||
	    nla_put_u64_64bit(skb, SKL_A_RULE_HITS, skl_rule_hits(rule), SKL_A_RULE_PAD))
		goto err_cancel;
	if (rule->match.action == SKL_ACTION_REDIRECT &&
	    nla_put_u64_64bit(skb, SKL_A_RULE_MISSES, skl_counter_read(&rule->misses),
			      SKL_A_RULE_PAD))
		goto err_cancel;
	genlmsg_end(skb, hdr);
	return 0;

err_cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

/* cb->args[0]: index of the next rule to dump. */
static int skl_cmd_rule_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct skl_net *sn = skl_net(sock_net(skb->sk));
	const struct skl_ruleset *rs;
	u32 i;

	/* The counters as of the dump's start: a dump costs one hand-over from the CPUs. */
	if (!cb->args[0] && READ_ONCE(sn->nr_rules))
		skl_counters_sync();
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
	if (!skl_label_name_ok(info->attrs[SKL_A_LABEL_NAME], info->extack))
		return -EINVAL;
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

static int skl_put_socket(struct sk_buff *skb, int type, const struct sock *sk)
{
	struct nlattr *nest = nla_nest_start(skb, type);
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

/*
 * Put @label into one message of a dump, from its socket @from on: the counters with the
 * first message of a label only, then as many sockets as fit. A label with more sockets
 * than a message holds goes on in the next messages, each naming it.
 *
 * Return: the socket to go on from (the label's socket count when it is all out), or
 * -EMSGSIZE when not even the name fitted.
 */
static int skl_put_label(struct sk_buff *skb, struct skl_net *sn, const struct skl_label *label,
			 unsigned int from, u32 portid, u32 seq)
{
	const struct skl_socks *socks;
	struct skl_label_stats stats;
	unsigned int i, count;
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &skl_genl_family, NLM_F_MULTI, SKL_CMD_LABEL_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_string(skb, SKL_A_LABEL_NAME, label->name))
		goto cancel;
	if (!from) {
		skl_label_stats(label, &stats);
		if (nla_put_u64_64bit(skb, SKL_A_LABEL_LOOKUPS, stats.lookups, SKL_A_LABEL_PAD) ||
		    nla_put_u64_64bit(skb, SKL_A_LABEL_DELIVERED, stats.delivered,
				      SKL_A_LABEL_PAD) ||
		    nla_put_u64_64bit(skb, SKL_A_LABEL_MISSES, stats.misses, SKL_A_LABEL_PAD))
			goto cancel;
	}
	socks = rcu_dereference_protected(label->socks, lockdep_is_held(&sn->lock));
	count = socks ? socks->count : 0;
	for (i = from; i < count; i++) {
		if (skl_put_socket(skb, SKL_A_LABEL_SOCKET, socks->sk[i]))
			break;
	}
	/* Each message carries a socket where one is left, so that a dump goes forward. */
	if (i == from && from < count)
		goto cancel;
	genlmsg_end(skb, hdr);
	return i;
cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

/*
 * cb->args[0]: how many labels were dumped whole; cb->args[1]: how many sockets of the
 * next one were. Sockets may come and go between two parts of a dump, as rules between
 * two parts of a rule dump: each part is consistent in itself.
 */
static int skl_cmd_label_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct skl_net *sn = skl_net(sock_net(skb->sk));
	const struct skl_socks *socks;
	const struct skl_label *label;
	bool full = false;
	long i = 0;
	int next;

	if (!cb->args[0] && !cb->args[1] && READ_ONCE(sn->nr_labels))
		skl_counters_sync();
	mutex_lock(&sn->lock);
	list_for_each_entry(label, &sn->labels, node) {
		if (i++ < cb->args[0])
			continue;
		next = skl_put_label(skb, sn, label, cb->args[1], NETLINK_CB(cb->skb).portid,
				     cb->nlh->nlmsg_seq);
		socks = rcu_dereference_protected(label->socks, lockdep_is_held(&sn->lock));
		if (next < 0 || (socks && next < socks->count)) {
			if (next > 0)
				cb->args[1] = next;
			full = true;
			i--;
			break;
		}
		cb->args[1] = 0;
	}
	mutex_unlock(&sn->lock);
	cb->args[0] = i;
	/* Nothing fitted an empty message: say so rather than end the dump early. */
	if (full && !skb->len)
		return -EMSGSIZE;
	return skb->len;
}

static const struct nla_policy skl_explain_policy[SKL_A_EXPLAIN_MAX + 1] = {
	[SKL_A_EXPLAIN_PROTO] = { .type = NLA_U8 },
	[SKL_A_EXPLAIN_FAMILY] = { .type = NLA_U8 },
	[SKL_A_EXPLAIN_DST] = { .type = NLA_BINARY, .len = sizeof(struct in6_addr) },
	[SKL_A_EXPLAIN_DPORT] = { .type = NLA_U16 },
	[SKL_A_EXPLAIN_SRC] = { .type = NLA_BINARY, .len = sizeof(struct in6_addr) },
	[SKL_A_EXPLAIN_SPORT] = { .type = NLA_U16 },
	[SKL_A_EXPLAIN_IFINDEX] = { .type = NLA_U32 },
	[SKL_A_EXPLAIN_VERDICT] = { .type = NLA_REJECT },
	[SKL_A_EXPLAIN_RULE_ID] = { .type = NLA_REJECT },
	[SKL_A_EXPLAIN_PHASE] = { .type = NLA_REJECT },
	[SKL_A_EXPLAIN_SOCKET] = { .type = NLA_REJECT },
	[SKL_A_EXPLAIN_KERNEL_SOCKET] = { .type = NLA_REJECT },
	[SKL_A_EXPLAIN_MATCH] = { .type = NLA_REJECT },
	[SKL_A_EXPLAIN_TRUNCATED] = { .type = NLA_REJECT },
};

static int skl_parse_explain(struct genl_info *info, struct skl_explain_query *q)
{
	struct nlattr **tb = info->attrs;
	u8 family;
	int err;

	memset(q, 0, sizeof(*q));
	if (!skl_require(info, SKL_A_EXPLAIN_PROTO, "missing SKL_A_EXPLAIN_PROTO") ||
	    !skl_require(info, SKL_A_EXPLAIN_FAMILY, "missing SKL_A_EXPLAIN_FAMILY") ||
	    !skl_require(info, SKL_A_EXPLAIN_DST, "missing SKL_A_EXPLAIN_DST") ||
	    !skl_require(info, SKL_A_EXPLAIN_DPORT, "missing SKL_A_EXPLAIN_DPORT"))
		return -EINVAL;
	q->proto = nla_get_u8(tb[SKL_A_EXPLAIN_PROTO]);
	if (q->proto != IPPROTO_TCP && q->proto != IPPROTO_UDP) {
		skl_reject(info->extack, tb[SKL_A_EXPLAIN_PROTO],
			   "protocol must be IPPROTO_TCP or IPPROTO_UDP");
		return -EINVAL;
	}
	family = nla_get_u8(tb[SKL_A_EXPLAIN_FAMILY]);
	if (family != AF_INET && family != AF_INET6) {
		skl_reject(info->extack, tb[SKL_A_EXPLAIN_FAMILY],
			   "family must be AF_INET or AF_INET6");
		return -EINVAL;
	}
	q->family = family;
	err = skl_parse_prefix(info, SKL_A_EXPLAIN_DST, family, family == AF_INET ? 32 : 128,
			       &q->key.dst);
	if (err)
		return err;
	if (tb[SKL_A_EXPLAIN_SRC]) {
		err = skl_parse_prefix(info, SKL_A_EXPLAIN_SRC, family,
				       family == AF_INET ? 32 : 128, &q->key.src);
		if (err)
			return err;
	}
	q->key.dport = nla_get_u16(tb[SKL_A_EXPLAIN_DPORT]);
	if (tb[SKL_A_EXPLAIN_SPORT])
		q->sport = htons(nla_get_u16(tb[SKL_A_EXPLAIN_SPORT]));
	if (tb[SKL_A_EXPLAIN_IFINDEX]) {
		q->key.dif = nla_get_u32(tb[SKL_A_EXPLAIN_IFINDEX]);
		if (!skl_dev_exists(genl_info_net(info), q->key.dif)) {
			skl_reject(info->extack, tb[SKL_A_EXPLAIN_IFINDEX],
				   "no such device in this network namespace");
			return -ENODEV;
		}
	}
	return 0;
}

/* One matching rule of a phase, with what the decision made of it. */
struct skl_explain_visit {
	struct sk_buff *skb;
	const struct skl_trace *trace;
	unsigned int phase;
};

static int skl_put_explain_match(const struct skl_match_rule *match, void *arg)
{
	struct skl_explain_visit *v = arg;
	const struct skl_trace *t = v->trace;
	struct nlattr *nest;
	u8 outcome;

	if (match->priv == t->decided)
		outcome = SKL_OUTCOME_DECIDED;
	else if (!t->consulted[v->phase])
		outcome = SKL_OUTCOME_NOT_REACHED;
	else if (match->priv == t->chosen[v->phase] && t->empty[v->phase])
		outcome = SKL_OUTCOME_NO_SOCKET;
	else
		outcome = SKL_OUTCOME_OUTRANKED;
	/* Leave room for SKL_A_EXPLAIN_TRUNCATED. */
	if (skb_tailroom(v->skb) < 64)
		return -EMSGSIZE;
	nest = nla_nest_start(v->skb, SKL_A_EXPLAIN_MATCH);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u64_64bit(v->skb, SKL_A_EXPLAIN_MATCH_RULE_ID, match->id,
			      SKL_A_EXPLAIN_MATCH_PAD) ||
	    nla_put_u8(v->skb, SKL_A_EXPLAIN_MATCH_PHASE, v->phase) ||
	    nla_put_u8(v->skb, SKL_A_EXPLAIN_MATCH_OUTCOME, outcome)) {
		nla_nest_cancel(v->skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(v->skb, nest);
	return 0;
}

static u8 skl_explain_verdict(const struct skl_trace *t)
{
	const struct skl_rule *rule = t->decided;

	if (rule)
		return rule->match.action == SKL_ACTION_DROP ||
		       (!t->sk && (rule->flags & SKL_RULE_F_ELSE_DROP)) ? SKL_VERDICT_DROP :
									SKL_VERDICT_RULE;
	return t->sk ? SKL_VERDICT_KERNEL : SKL_VERDICT_NONE;
}

static int skl_put_explain(struct sk_buff *reply, const struct skl_explain_query *q,
			   const struct skl_trace *t, const struct skl_ruleset *rs)
{
	struct skl_explain_visit v = { .skb = reply, .trace = t };
	const struct skl_rule *rule = t->decided;
	const struct skl_match_table *table;

	if (nla_put_u8(reply, SKL_A_EXPLAIN_VERDICT, skl_explain_verdict(t)) ||
	    (rule && (nla_put_u64_64bit(reply, SKL_A_EXPLAIN_RULE_ID, rule->match.id,
					SKL_A_EXPLAIN_PAD) ||
		      nla_put_u8(reply, SKL_A_EXPLAIN_PHASE, rule->match.phase))) ||
	    (t->sk && skl_put_socket(reply, SKL_A_EXPLAIN_SOCKET, t->sk)) ||
	    (rule && t->found && t->found != t->sk &&
	     skl_put_socket(reply, SKL_A_EXPLAIN_KERNEL_SOCKET, t->found)))
		return -EMSGSIZE;
	if (!rs)
		return 0;
	for (v.phase = 0; v.phase <= SKL_PHASE_MAX; v.phase++) {
		table = rs->tables[skl_match_table_index(q->proto, q->family, v.phase)];
		if (skl_match_visit_matches(table, &t->key, skl_put_explain_match, &v))
			return nla_put_flag(reply, SKL_A_EXPLAIN_TRUNCATED);
	}
	return 0;
}

static int skl_cmd_explain(struct sk_buff *skb, struct genl_info *info)
{
	struct skl_net *sn = skl_net(genl_info_net(info));
	struct skl_explain_query q;
	struct skl_trace trace;
	struct sk_buff *reply;
	void *hdr;
	int err;

	err = skl_parse_explain(info, &q);
	if (err)
		return err;
	/* Room for the verdict and a few hundred matching rules; more are cut off. */
	reply = genlmsg_new(4 * NLMSG_GOODSIZE, GFP_KERNEL);
	if (!reply)
		return -ENOMEM;
	hdr = genlmsg_put_reply(reply, info, &skl_genl_family, 0, SKL_CMD_EXPLAIN);
	if (!hdr) {
		nlmsg_free(reply);
		return -EMSGSIZE;
	}
	/* The lock keeps the rule set, and the rules the trace points to, in place. */
	mutex_lock(&sn->lock);
	skl_steer_explain(genl_info_net(info), &q, &trace);
	err = skl_put_explain(reply, &q, &trace,
			      rcu_dereference_protected(sn->rules, lockdep_is_held(&sn->lock)));
	mutex_unlock(&sn->lock);
	skl_trace_release(&trace);
	if (err) {
		nlmsg_free(reply);
		return err;
	}
	genlmsg_end(reply, hdr);
	return genlmsg_reply(reply, info);
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
		.policy = skl_rule_del_policy,
		.maxattr = SKL_A_RULE_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = SKL_CMD_RULE_GET,
		.dumpit = skl_cmd_rule_dump,
		.policy = skl_rule_none_policy,
		.maxattr = SKL_A_RULE_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
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
		.flags = GENL_UNS_ADMIN_PERM,
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
		.policy = skl_rule_commit_policy,
		.maxattr = SKL_A_RULE_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = SKL_CMD_EXPLAIN,
		.doit = skl_cmd_explain,
		.policy = skl_explain_policy,
		.maxattr = SKL_A_EXPLAIN_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
};

/*
 * Reading needs CAP_NET_ADMIN over the namespace's user namespace, as nftables asks to
 * list (GENL_UNS_ADMIN_PERM on the reading commands): the rules, the labels' sockets and
 * their counters are a tenant's business. An event tells what a dump shows, so
 * listening needs the same, and reaches only listeners of the namespace it happened in.
 */
static const struct genl_multicast_group skl_genl_mcgrps[] = {
	[SKL_MCGRP_EVENTS] = { .name = SKL_GENL_MCGRP_EVENTS, .flags = SKL_GENL_MCGRP_NET_ADMIN },
};

struct genl_family skl_genl_family __ro_after_init = {
	.name = SKL_GENL_NAME,
	.version = SKL_GENL_VERSION,
	.module = THIS_MODULE,
	.netnsok = true,
	/*
	 * Not under the kernel's genl_mutex, which every generic netlink family's lookup
	 * (CTRL_CMD_GETFAMILY) takes too: a namespace's big commit or flush would stall the
	 * whole host's generic netlink. Each namespace's state has its own lock; what is
	 * shared among namespaces is atomic or locked on its own.
	 */
	.parallel_ops = true,
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
