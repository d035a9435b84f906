// SPDX-License-Identifier: GPL-2.0
/*
 * Self-tests of the test build (make SKL_FAULT_INJECTION=y), run when it loads: checks of
 * mechanisms that the guest tests cannot reach on purpose, only by chance.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/ptrace.h>
#include <linux/string.h>

#include "compat/compat.h"
#include "selftest.h"

/*
 * The lookups' stack arguments, read where a frame lies across a THREAD_SIZE boundary.
 * Softirq receive runs on the per-CPU IRQ stack, which is page-aligned but not always
 * THREAD_SIZE-aligned: a lookup entered just below such a boundary has its stack
 * arguments above it, which the kernel's regs_get_kernel_argument() reads as 0. Here a
 * frame is laid out that way in pages of our own, so that every run meets the case.
 */
static bool skl_selftest_stack_args(void)
{
	unsigned int order = get_order(2 * THREAD_SIZE);
	unsigned long *boundary, *sp, want;
	struct pt_regs regs;
	unsigned int n;
	bool ok = true;
	void *stack;

	stack = (void *)__get_free_pages(GFP_KERNEL, order);
	if (!stack)
		return false;
	/* The direct map keeps the allocation's natural alignment: 2 * THREAD_SIZE. */
	boundary = stack + THREAD_SIZE;
	memset(&regs, 0, sizeof(regs));
	for (sp = boundary - 3; sp <= boundary; sp++) {
		/* sp points at the return address; argument 7 (n = 6) is the next slot. */
		for (n = 0; n < 8; n++)
			sp[n] = 0x5c1000 + n;
		regs.sp = (unsigned long)sp;
		for (n = 6; n < 10; n++) {
			want = 0x5c1000 + n - 5;
			if (skl_hook_arg(&regs, n) != want) {
				pr_err("self-test: stack argument %u read as %#lx, not %#lx, with the return address %td bytes below a THREAD_SIZE boundary\n",
				       n + 1, skl_hook_arg(&regs, n), want,
				       (boundary - sp) * (ptrdiff_t)sizeof(*sp));
				ok = false;
			}
		}
	}
	free_pages((unsigned long)stack, order);
	return ok;
}

/**
 * skl_selftest() - run the test build's self-tests
 *
 * Return: true when every one passed; each failure is in the kernel log.
 */
bool skl_selftest(void)
{
	bool ok = skl_selftest_stack_args();

	if (ok)
		pr_info("self-tests passed\n");
	return ok;
}
