// SPDX-License-Identifier: GPL-2.0
/*
 * Detects: ftrace direct calls registered by the function's address (upstream 5.5 to
 * 6.2); unregistering the last user of a trampoline waits for RCU-tasks.
 */
#include <linux/ftrace.h>

#ifndef CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS
#error "no ftrace direct calls"
#endif

int (*probe_register)(unsigned long ip, unsigned long addr) = register_ftrace_direct;
int (*probe_unregister)(unsigned long ip, unsigned long addr) = unregister_ftrace_direct;
