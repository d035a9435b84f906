// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "sklookup": the only way user space talks to the module.
 * The protocol is documented in include/sklookup.h.
 */
#include <linux/module.h>
#include <net/genetlink.h>
#include <net/netlink.h>

#include "sklookup.h"
#include "hooks.h"
#include "netlink.h"
#include "version.h"

static struct genl_family skl_genl_family;

/* STATUS_GET takes no attributes; the policy exists so that any attribute is refused. */
static const struct nla_policy skl_status_get_policy[SKL_A_STATUS_MAX + 1] = {
	[SKL_A_STATUS_VERSION] = { .type = NLA_REJECT },
	[SKL_A_STATUS_HOOK] = { .type = NLA_REJECT },
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
	genlmsg_end(reply, hdr);
	return genlmsg_reply(reply, info);

err_free:
	nlmsg_free(reply);
	return err;
}

static const struct genl_ops skl_genl_ops[] = {
	{
		.cmd = SKL_CMD_STATUS_GET,
		.doit = skl_cmd_status_get,
		.policy = skl_status_get_policy,
		.maxattr = SKL_A_STATUS_MAX,
	},
};

static struct genl_family skl_genl_family __ro_after_init = {
	.name = SKL_GENL_NAME,
	.version = SKL_GENL_VERSION,
	.module = THIS_MODULE,
	.netnsok = true,
	.ops = skl_genl_ops,
	.n_ops = ARRAY_SIZE(skl_genl_ops),
};

/**
 * skl_netlink_register() - make the family available to user space
 *
 * Return: 0 or a negative error from the generic netlink core.
 */
int skl_netlink_register(void)
{
	return genl_register_family(&skl_genl_family);
}

/**
 * skl_netlink_unregister() - withdraw the family
 *
 * Returns once no request is being handled any more.
 */
void skl_netlink_unregister(void)
{
	genl_unregister_family(&skl_genl_family);
}
