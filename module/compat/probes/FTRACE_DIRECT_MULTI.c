// SPDX-License-Identifier: GPL-2.0
/*
 * Detects: ftrace direct calls registered through an ftrace_ops, under the names of their
 * first version (upstream 5.16 to 6.2, register_ftrace_direct_multi()).
 */
#include <linux/ftrace.h>

#ifndef CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS
#error "no ftrace direct calls"
#endif

int (*probe_register)(struct ftrace_ops *ops, unsigned long addr) =
	register_ftrace_direct_multi;
int (*probe_unregister)(struct ftrace_ops *ops, unsigned long addr) =
	unregister_ftrace_direct_multi;
void (*probe_free)(struct ftrace_ops *ops) = ftrace_free_filter;
