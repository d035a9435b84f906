// SPDX-License-Identifier: GPL-2.0
/*
 * Detects: struct ftrace_regs is opaque, and the architecture's saved registers are
 * reached through arch_ftrace_regs() (upstream 7888af4166d4, "ftrace: Make ftrace_regs
 * abstract from direct use", v6.13; in Debian's 6.12 from 6.12.85).
 */
#include <linux/ftrace.h>

static struct pt_regs *probe_regs(struct ftrace_regs *fregs)
{
	return &arch_ftrace_regs(fregs)->regs;
}

void *probe_ptr = probe_regs;
