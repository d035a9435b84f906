// SPDX-License-Identifier: GPL-2.0
/*
 * Detects: ftrace direct calls registered through an ftrace_ops whose filter names the
 * functions (upstream 6.3, the _multi functions renamed; unregister frees the filter when
 * asked).
 */
#include <linux/ftrace.h>

#ifndef CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS
#error "no ftrace direct calls"
#endif

int (*probe_register)(struct ftrace_ops *ops, unsigned long addr) = register_ftrace_direct;
int (*probe_unregister)(struct ftrace_ops *ops, unsigned long addr,
			bool free_filters) = unregister_ftrace_direct;
