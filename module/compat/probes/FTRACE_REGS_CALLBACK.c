// SPDX-License-Identifier: GPL-2.0
/*
 * Detects: ftrace callbacks take a struct ftrace_regs instead of a struct pt_regs
 * (upstream d19ad0775dcd, "ftrace: Have the callbacks receive a struct ftrace_regs
 * instead of pt_regs", v5.11).
 */
#include <linux/ftrace.h>

static void probe_cb(unsigned long ip, unsigned long parent_ip, struct ftrace_ops *op,
		     struct ftrace_regs *fregs)
{
}

struct ftrace_ops probe_ops = { .func = probe_cb };
