// SPDX-License-Identifier: GPL-2.0
/*
 * A test module for the guest test 56-coexist: another module that wants the functions
 * sklookup hooks with an IP-modifying ftrace ops, as a livepatch or a second hooking
 * module would. Its callback changes nothing. ftrace lets only one IP-modifying ops hold a
 * function, so whichever of the two modules comes second must fail to load, cleanly.
 * @funcs picks the functions by bit, in sklookup's order: 1 __inet_lookup_listener,
 * 2 inet6_lookup_listener, 4 __udp4_lib_lookup, 8 __udp6_lib_lookup.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ftrace.h>
#include <linux/module.h>
#include <linux/version.h>
#include <net/inet6_hashtables.h>
#include <net/inet_hashtables.h>
#include <net/udp.h>

static unsigned int funcs = 0xf;
module_param(funcs, uint, 0444);
MODULE_PARM_DESC(funcs, "which lookup functions to hold (bit mask, default all four)");

#define SKL_IPM_COUNT 4

static const char * const skl_ipm_names[SKL_IPM_COUNT] = {
	"__inet_lookup_listener", "inet6_lookup_listener",
	"__udp4_lib_lookup", "__udp6_lib_lookup",
};

static struct ftrace_ops skl_ipm_ops[SKL_IPM_COUNT];

/*
 * IPMODIFY asks for the regs-saving trampoline where there is one; arm64 from 6.2 has only
 * the arguments one (DYNAMIC_FTRACE_WITH_ARGS), where ftrace refuses SAVE_REGS with
 * -EINVAL and takes IPMODIFY alone, as sklookup's own hooks do.
 */
#ifdef CONFIG_DYNAMIC_FTRACE_WITH_REGS
#define SKL_IPM_FLAGS	(FTRACE_OPS_FL_SAVE_REGS | FTRACE_OPS_FL_IPMODIFY)
#else
#define SKL_IPM_FLAGS	FTRACE_OPS_FL_IPMODIFY
#endif
static bool skl_ipm_registered[SKL_IPM_COUNT];

/*
 * The callback got a struct pt_regs up to 5.10; from 5.11 a struct ftrace_regs on every
 * architecture, whether or not it has DYNAMIC_FTRACE_WITH_ARGS (arm64 6.1 has not).
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 11, 0)
#define skl_ipm_regs ftrace_regs
#else
#define skl_ipm_regs pt_regs
#endif

static void notrace skl_ipm_callback(unsigned long ip, unsigned long parent_ip,
				     struct ftrace_ops *ops, struct skl_ipm_regs *regs)
{
}

static unsigned long skl_ipm_target(int i)
{
	switch (i) {
	case 0:
		return (unsigned long)__inet_lookup_listener;
	case 1:
		return (unsigned long)inet6_lookup_listener;
	case 2:
		return (unsigned long)__udp4_lib_lookup;
	default:
		return (unsigned long)__udp6_lib_lookup;
	}
}

static void skl_ipm_remove(void)
{
	int i;

	for (i = 0; i < SKL_IPM_COUNT; i++) {
		if (!skl_ipm_registered[i])
			continue;
		unregister_ftrace_function(&skl_ipm_ops[i]);
		ftrace_set_filter_ip(&skl_ipm_ops[i], skl_ipm_target(i), 1, 0);
		skl_ipm_registered[i] = false;
	}
}

static int __init skl_ipm_init(void)
{
	int i, err;

	for (i = 0; i < SKL_IPM_COUNT; i++) {
		if (!(funcs & (1U << i)))
			continue;
		skl_ipm_ops[i].func = skl_ipm_callback;
		skl_ipm_ops[i].flags = SKL_IPM_FLAGS;
		err = ftrace_set_filter_ip(&skl_ipm_ops[i], skl_ipm_target(i), 0, 0);
		if (err) {
			pr_err("no call site for %s (%d)\n", skl_ipm_names[i], err);
			goto fail;
		}
		err = register_ftrace_function(&skl_ipm_ops[i]);
		if (err) {
			pr_err("register_ftrace_function(%s) = %d\n", skl_ipm_names[i], err);
			ftrace_set_filter_ip(&skl_ipm_ops[i], skl_ipm_target(i), 1, 0);
			goto fail;
		}
		skl_ipm_registered[i] = true;
		pr_info("holds %s\n", skl_ipm_names[i]);
	}
	return 0;
fail:
	skl_ipm_remove();
	return err;
}

static void __exit skl_ipm_exit(void)
{
	skl_ipm_remove();
}

module_init(skl_ipm_init);
module_exit(skl_ipm_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("sklookup test: another IP-modifying ftrace user of the lookups");
