// SPDX-License-Identifier: GPL-2.0
/*
 * Detects: ftrace callbacks take a struct pt_regs (before upstream d19ad0775dcd, v5.11).
 * With FTRACE_REGS_CALLBACK, one of the two callback types the hooks know: a kernel with
 * neither is refused at build time.
 */
#include <linux/ftrace.h>

static void probe_cb(unsigned long ip, unsigned long parent_ip, struct ftrace_ops *op,
		     struct pt_regs *regs)
{
}

struct ftrace_ops probe_ops = { .func = probe_cb };
