// SPDX-License-Identifier: GPL-2.0
/*
 * ftrace hooks on the kernel's socket lookup functions.
 *
 * One ftrace_ops per function, each with a filter of exactly that function. The callback
 * runs on every lookup in every network namespace of the host: while no namespace has a
 * rule it only counts; otherwise steer.c decides. Steering changes where the hooked
 * function returns to, so the ops claim IPMODIFY, and a livepatch or another hooking
 * module that holds the function makes loading fail. Other ftrace users share the
 * functions: tracers, kprobes and kretprobes, and BPF trampolines (fentry, fexit) where
 * the kernel lets them share with IPMODIFY (from 6.0) and take more than six arguments
 * (x86-64 from 6.6); ftrace runs those after our callback, and skl_return() says how an
 * answer decided there gets past them.
 *
 * hook=direct (x86-64) replaces each ops with an ftrace direct call to a trampoline of the
 * module's own (direct-x86.S), which saves less and calls the same decision. It is the
 * mechanism of BPF trampolines, and ftrace allows one direct caller per function: while
 * it is in place a BPF fentry/fexit program on the lookups cannot attach, and one
 * attached first makes loading fail. Hence opt-in.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ftrace.h>
#include <linux/module.h>
#include <linux/in.h>
#include <linux/percpu.h>
#include <linux/socket.h>
#include <net/inet6_hashtables.h>
#include <net/inet_hashtables.h>
#include <net/udp.h>

#include "compat/compat.h"
#include "hooks.h"
#include "steer.h"

struct skl_hook {
	const char *name;
	void *target;
	u8 proto;
	u8 family;
	bool active;
	u64 __percpu *calls;
	struct ftrace_ops ops;
	void (*tramp)(void);
	struct skl_direct direct;
};

/* How the hooks are installed, from the module parameter hook=. */
static char *skl_hook_mode = "ops";
module_param_named(hook, skl_hook_mode, charp, 0444);
MODULE_PARM_DESC(hook,
		 "How the lookups are hooked: ops (ftrace callback, default) or direct (ftrace direct call to a trampoline of the module; x86-64; keeps BPF fentry/fexit off the lookups)");

bool skl_hook_direct;
DEFINE_PER_CPU(unsigned long, skl_module_call_sp);

/*
 * The module's text, where its wrappers and redirects call the lookups from. One range
 * to compare every lookup's caller with: within_module() walks every region of the
 * module (from 6.4, seven of them), on every lookup of the host. The load-time check,
 * the only caller in init text, runs before the hooks are installed.
 */
static unsigned long skl_text_start __read_mostly;
static unsigned long skl_text_size __read_mostly;

static struct skl_hook skl_hooks[SKL_HOOK_COUNT] = {
	[SKL_HOOK_TCP4] = {
		.name = "__inet_lookup_listener",
		.target = __inet_lookup_listener,
		.proto = IPPROTO_TCP,
		.family = AF_INET,
		.tramp = SKL_DIRECT_FN(skl_direct_tcp4),
	},
	[SKL_HOOK_TCP6] = {
		.name = "inet6_lookup_listener",
		.target = inet6_lookup_listener,
		.proto = IPPROTO_TCP,
		.family = AF_INET6,
		.tramp = SKL_DIRECT_FN(skl_direct_tcp6),
	},
	[SKL_HOOK_UDP4] = {
		.name = "__udp4_lib_lookup",
		.target = __udp4_lib_lookup,
		.proto = IPPROTO_UDP,
		.family = AF_INET,
		.tramp = SKL_DIRECT_FN(skl_direct_udp4),
	},
	[SKL_HOOK_UDP6] = {
		.name = "__udp6_lib_lookup",
		.target = __udp6_lib_lookup,
		.proto = IPPROTO_UDP,
		.family = AF_INET6,
		.tramp = SKL_DIRECT_FN(skl_direct_udp6),
	},
};

/* The decision for one lookup, from the ops callback or the direct trampoline. */
static __always_inline void skl_hook_run(struct skl_hook *hook, unsigned long parent_ip,
					 struct skl_hook_regs *regs)
{
	/* Our own wrappers call the original lookup: let that call run it. */
	if (parent_ip - skl_text_start < skl_text_size)
		return;
	this_cpu_inc(*hook->calls);
	if (!static_branch_unlikely(&skl_steer_any_rules))
		return;
	if (hook->proto == IPPROTO_TCP)
		skl_steer_tcp(regs, hook->family);
	else
		skl_steer_udp(regs, hook->family);
}

static void notrace skl_hook_callback(unsigned long ip, unsigned long parent_ip,
				      struct ftrace_ops *ops, struct skl_ftrace_regs *fregs)
{
	skl_hook_run(container_of(ops, struct skl_hook, ops), parent_ip, skl_regs(fregs));
}

#ifdef SKL_HAVE_DIRECT_HOOK
/**
 * skl_direct_hook() - the decision the direct trampolines call
 * @regs: the argument registers, the stack pointer and the return address into the
 *	function's body, as the trampoline saved them; it restores them from here
 * @id: which hook (enum skl_hook_id)
 */
void notrace skl_direct_hook(struct pt_regs *regs, unsigned int id)
{
	/* Our own call, whatever its return address now says (see hooks.h). */
	if (skl_module_call_noted(kernel_stack_pointer(regs)))
		return;
	skl_hook_run(&skl_hooks[id], skl_direct_parent_ip(regs), regs);
}
#endif

static int skl_hook_install_direct(struct skl_hook *hook)
{
	int err;

	/* direct-x86.S passes these ids. */
	BUILD_BUG_ON(SKL_HOOK_TCP4 != 0 || SKL_HOOK_TCP6 != 1 || SKL_HOOK_UDP4 != 2 ||
		     SKL_HOOK_UDP6 != 3);
	err = skl_direct_register(&hook->direct, (unsigned long)hook->target,
				  (unsigned long)hook->tramp);
	if (err == -EBUSY)
		pr_err("cannot hook %s with hook=direct: another direct caller (a BPF fentry/fexit program or another module's trampoline) or a livepatch holds it; load with hook=ops to share it with BPF programs\n",
		       hook->name);
	else if (err)
		pr_err("cannot hook %s with hook=direct: ftrace refused the direct call (%d)\n",
		       hook->name, err);
	return err;
}

/**
 * skl_hooks_mode() - take the hook= parameter
 *
 * Return: 0, or -EINVAL after a kernel log line saying why.
 */
int skl_hooks_mode(void)
{
	const char *missing = SKL_DIRECT_MISSING;

	if (!strcmp(skl_hook_mode, "ops")) {
		skl_hook_direct = false;
		return 0;
	}
	if (strcmp(skl_hook_mode, "direct")) {
		pr_err("hook=%s: unknown; say hook=ops or hook=direct\n", skl_hook_mode);
		return -EINVAL;
	}
	if (missing) {
		pr_err("hook=direct not available: %s; load with hook=ops\n", missing);
		return -EINVAL;
	}
	skl_hook_direct = true;
	return 0;
}

static int skl_hook_install(struct skl_hook *hook)
{
	unsigned long target = (unsigned long)hook->target;
	int err;

	hook->calls = alloc_percpu(u64);
	if (!hook->calls)
		return -ENOMEM;
	if (skl_hook_direct) {
		err = skl_hook_install_direct(hook);
		if (err)
			goto free_calls;
		hook->active = true;
		return 0;
	}

	hook->ops.func = skl_hook_callback;
	hook->ops.flags = SKL_FTRACE_OPS_FL_REGS | FTRACE_OPS_FL_IPMODIFY |
			  SKL_FTRACE_OPS_FL_UNGUARDED;

	/* An IPMODIFY ops with an empty filter is refused: set the filter first. */
	err = ftrace_set_filter_ip(&hook->ops, target, 0, 0);
	if (err) {
		pr_err("cannot hook %s: ftrace has no call site for it (%d); is the kernel built with CONFIG_DYNAMIC_FTRACE?\n",
		       hook->name, err);
		goto free_calls;
	}

	err = register_ftrace_function(&hook->ops);
	if (err) {
		if (err == -EBUSY)
			pr_err("cannot hook %s: another ftrace user that redirects it (a livepatch or another hooking module) holds it\n",
			       hook->name);
		else
			pr_err("cannot hook %s: ftrace refused the hook (%d)\n", hook->name, err);
		goto remove_filter;
	}

	hook->active = true;
	return 0;

remove_filter:
	ftrace_set_filter_ip(&hook->ops, target, 1, 0);
free_calls:
	free_percpu(hook->calls);
	hook->calls = NULL;
	return err;
}

static void skl_hook_remove(struct skl_hook *hook)
{
	if (!hook->active)
		return;

	/* Returns once no CPU can still be inside the callback or the trampoline. */
	if (skl_hook_direct) {
		skl_direct_unregister(&hook->direct);
	} else {
		unregister_ftrace_function(&hook->ops);
		ftrace_set_filter_ip(&hook->ops, (unsigned long)hook->target, 1, 0);
	}
	free_percpu(hook->calls);
	hook->calls = NULL;
	hook->active = false;
}

/**
 * skl_hooks_install() - hook the lookup functions that are switched on
 * @tcp: hook the TCP listener lookups
 * @udp: hook the UDP socket lookups
 * @ipv6: hook the IPv6 variants too
 *
 * Either every requested hook is installed, or none is.
 *
 * Return: 0, or the error of the hook that failed.
 */
int skl_hooks_install(bool tcp, bool udp, bool ipv6)
{
	int i, err;

	skl_module_text(THIS_MODULE, &skl_text_start, &skl_text_size);
	for (i = 0; i < SKL_HOOK_COUNT; i++) {
		struct skl_hook *hook = &skl_hooks[i];

		if (hook->proto == IPPROTO_TCP && !tcp)
			continue;
		if (hook->proto == IPPROTO_UDP && !udp)
			continue;
		if (hook->family == AF_INET6 && !ipv6)
			continue;

		err = skl_hook_install(hook);
		if (err) {
			skl_hooks_remove();
			return err;
		}
	}
	return 0;
}

/**
 * skl_hooks_remove() - remove every installed hook
 *
 * On return no CPU runs a hook callback any more.
 */
void skl_hooks_remove(void)
{
	int i;

	for (i = 0; i < SKL_HOOK_COUNT; i++)
		skl_hook_remove(&skl_hooks[i]);
}

/**
 * skl_hook_info() - describe one hook for status reports
 * @id: which hook
 * @info: filled in
 */
void skl_hook_info(enum skl_hook_id id, struct skl_hook_info *info)
{
	const struct skl_hook *hook = &skl_hooks[id];
	int cpu;

	info->name = hook->name;
	info->proto = hook->proto;
	info->family = hook->family;
	info->active = hook->active;
	info->calls = 0;
	if (!hook->active)
		return;
	for_each_possible_cpu(cpu)
		info->calls += *per_cpu_ptr(hook->calls, cpu);
}
