// SPDX-License-Identifier: GPL-2.0
/*
 * sklookup: programmable socket lookup without BPF.
 *
 * Load order matters: per-namespace state exists before a hook can look for it, and the
 * hooks go in before the netlink family appears, so that nothing user space configures
 * can be missed by a lookup path that is not hooked yet; unload runs the other way round.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>

#include "apply.h"
#include "counters.h"
#include "hooks.h"
#include "label.h"
#include "netlink.h"
#include "netns.h"
#include "rules.h"
#include "selftest.h"
#include "steer.h"
#include "verify.h"
#include "version.h"

static bool hook_tcp = true;
module_param(hook_tcp, bool, 0444);
MODULE_PARM_DESC(hook_tcp, "Hook the TCP listener lookups (default: on)");

static bool hook_udp = true;
module_param(hook_udp, bool, 0444);
MODULE_PARM_DESC(hook_udp, "Hook the UDP socket lookups (default: on)");

static bool hook_ipv6 = true;
module_param(hook_ipv6, bool, 0444);
MODULE_PARM_DESC(hook_ipv6, "Hook the IPv6 lookups too (default: on)");

static const char *skl_on_off(bool on)
{
	return on ? "on" : "off";
}

static int __init skl_init(void)
{
	int err;

	err = skl_selftest();
	if (err)
		return err;
	err = skl_hooks_mode();
	if (err)
		return err;
	/* Before anything is hooked: a kernel whose lookups the hooks would misread is refused. */
	err = skl_verify_layout(hook_tcp, hook_udp, hook_ipv6);
	if (err)
		return err;
	skl_steer_init();
	err = skl_counters_init();
	if (err)
		return err;
	err = skl_rules_init();
	if (err)
		goto err_counters;
	err = skl_netns_register();
	if (err)
		goto err_rules;

	err = skl_apply_register();
	if (err)
		goto err_netns;

	err = skl_hooks_install(hook_tcp, hook_udp, hook_ipv6);
	if (err)
		goto err_apply;

	err = skl_netlink_register();
	if (err) {
		pr_err("cannot register the generic netlink family (%d)\n", err);
		goto err_hooks;
	}

	pr_info("version %s loaded (tcp %s, udp %s, ipv6 %s)\n", SKL_VERSION,
		skl_on_off(hook_tcp), skl_on_off(hook_udp), skl_on_off(hook_ipv6));
	if (skl_hook_direct)
		pr_info("lookups hooked by ftrace direct calls to the module's trampolines (hook=direct)\n");
	return 0;

err_hooks:
	skl_hooks_remove();
err_apply:
	skl_apply_unregister();
err_netns:
	skl_netns_unregister();
err_rules:
	skl_rules_exit();
	skl_labels_exit();
	skl_apply_exit();
err_counters:
	skl_counters_exit();
	return err;
}

static void __exit skl_exit(void)
{
	skl_netlink_unregister();
	skl_hooks_remove();
	skl_apply_unregister();
	/* No lookup runs our code any more: release every namespace's rules and sockets. */
	skl_netns_unregister();
	skl_rules_exit();
	skl_labels_exit();
	skl_apply_exit();
	skl_counters_exit();
	pr_info("unloaded\n");
}

module_init(skl_init);
module_exit(skl_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Programmable socket lookup: steer connections and datagrams to sockets by rule");
MODULE_VERSION(SKL_VERSION);
