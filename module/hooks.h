/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SKL_HOOKS_H
#define SKL_HOOKS_H

#include <linux/percpu.h>
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

/*
 * The module's own calls of a hooked lookup (its wrappers, redirects) must pass the hook
 * untouched. The hook knows them by the caller's return address, but with hook=direct a
 * kretprobe or the function_graph tracer on the lookup has replaced that address with its
 * own trampoline before ftrace calls ours. So the module also notes, per CPU, its stack
 * pointer just before such a call: the lookup's return address slot lies a few bytes
 * below it, on the same stack. Another task's lookup is on another stack; a lookup on
 * another CPU finds its own note; a call that migrated between note and entry is decided
 * once more and noted again on the new CPU.
 */
DECLARE_PER_CPU(unsigned long, skl_module_call_sp);

/* Around the module's own call of a hooked lookup. */
static __always_inline void skl_module_call_begin(void)
{
	if (skl_hook_direct)
		this_cpu_write(skl_module_call_sp, current_stack_pointer);
}

static __always_inline void skl_module_call_end(void)
{
	if (skl_hook_direct)
		this_cpu_write(skl_module_call_sp, 0);
}

int skl_hooks_mode(void);
int skl_hooks_install(bool tcp, bool udp, bool ipv6);
void skl_hooks_remove(void);
void skl_hook_info(enum skl_hook_id id, struct skl_hook_info *info);

#endif /* SKL_HOOKS_H */
