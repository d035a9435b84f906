/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SKL_HOOKS_H
#define SKL_HOOKS_H

#include <linux/types.h>

/* The kernel lookup functions sklookup hooks, in the order status reports them. */
enum skl_hook_id {
	SKL_HOOK_TCP4,
	SKL_HOOK_TCP6,
	SKL_HOOK_UDP4,
	SKL_HOOK_UDP6,
	SKL_HOOK_COUNT
};

/**
 * struct skl_hook_info - what status reports about one hook
 * @name: the hooked kernel function
 * @proto: IPPROTO_TCP or IPPROTO_UDP
 * @family: AF_INET or AF_INET6
 * @active: the hook is installed
 * @calls: lookups seen since load, summed over all CPUs
 */
struct skl_hook_info {
	const char *name;
	u8 proto;
	u8 family;
	bool active;
	u64 calls;
};

/* The lookups are hooked by ftrace direct calls (hook=direct), not ftrace_ops. */
extern bool skl_hook_direct;

int skl_hooks_mode(void);
int skl_hooks_install(bool tcp, bool udp, bool ipv6);
void skl_hooks_remove(void);
void skl_hook_info(enum skl_hook_id id, struct skl_hook_info *info);

#endif /* SKL_HOOKS_H */
