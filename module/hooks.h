/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SKL_HOOKS_H
#define SKL_HOOKS_H

#include <linux/percpu.h>
#include <linux/preempt.h>
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

/*
 * How far below the module's noted stack pointer the lookup's return address slot may
 * lie: the call's stack arguments (up to four) and the return address, with room for
 * the compiler's own adjustments.
 */
#define SKL_MODULE_CALL_SLACK	256

/*
 * Around the module's own call of a hooked lookup. The CPU stays the same from note to
 * lookup, so that no note is left behind on another CPU (explain calls from a task that
 * could migrate; on PREEMPT_RT softirqs are preemptible too), and a call nested in an
 * interrupt puts back the note of the call it interrupted.
 */
static __always_inline unsigned long skl_module_call_begin(void)
{
	unsigned long outer = 0;

	if (skl_hook_direct) {
		preempt_disable_notrace();
		outer = this_cpu_read(skl_module_call_sp);
		this_cpu_write(skl_module_call_sp, current_stack_pointer);
	}
	return outer;
}

static __always_inline void skl_module_call_end(unsigned long outer)
{
	if (skl_hook_direct) {
		this_cpu_write(skl_module_call_sp, outer);
		preempt_enable_notrace();
	}
}

/* Whether a lookup whose return address is at @slot is the module's own noted call. */
static __always_inline bool skl_module_call_noted(unsigned long slot)
{
	unsigned long noted = this_cpu_read(skl_module_call_sp);

	return slot < noted && noted - slot <= SKL_MODULE_CALL_SLACK;
}

int skl_hooks_mode(void);
int skl_hooks_install(bool tcp, bool udp, bool ipv6);
void skl_hooks_remove(void);
void skl_hook_info(enum skl_hook_id id, struct skl_hook_info *info);

#endif /* SKL_HOOKS_H */
