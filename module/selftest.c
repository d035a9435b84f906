// SPDX-License-Identifier: GPL-2.0
/*
 * Self-tests of the test build (make SKL_FAULT_INJECTION=y), run when it loads: checks of
 * mechanisms that the guest tests cannot reach on purpose, only by chance.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gfp.h>
#include <linux/init.h>
#include <linux/mm.h>
#include <linux/ptrace.h>
#include <linux/string.h>

#include "compat/compat.h"
#include "selftest.h"

#define SKL_SELFTEST_MARK	0x5c1000UL

/*
 * Lay out a frame whose stack pointer at the function's entry is @sp, then read the first
 * four stack arguments through skl_stack_arg(). Where the frame lies within one
 * THREAD_SIZE block and the kernel reads stack arguments itself (x86-64; arm64's
 * regs_get_kernel_argument() reads only x0-x7), the kernel's reader must agree with ours,
 * which ties our layout to the kernel's convention.
 */
static bool __init skl_selftest_frame(unsigned long *sp, unsigned long *boundary)
{
	struct pt_regs regs;
	unsigned int n, slot;
	unsigned long want;
	bool ok = true;

	memset(&regs, 0, sizeof(regs));
	regs.sp = (unsigned long)sp;
	for (n = 0; n < 8; n++)
		sp[n] = SKL_SELFTEST_MARK + n;
	for (n = SKL_REG_ARGS; n < SKL_REG_ARGS + 4; n++) {
		slot = n - SKL_REG_ARGS + SKL_STACK_ARG_SLOT;
		want = SKL_SELFTEST_MARK + slot;
		if (SKL_KERNEL_READS_STACK_ARGS && sp + slot < boundary &&
		    regs_get_kernel_argument(&regs, n) != want) {
			pr_err("self-test: the kernel reads stack argument %u as %#lx, not %#lx: the frame's layout is not the kernel's\n",
			       n + 1, regs_get_kernel_argument(&regs, n), want);
			ok = false;
		}
		if (skl_stack_arg(regs.sp, n) != want) {
			pr_err("self-test: stack argument %u read as %#lx, not %#lx, with the stack pointer %td bytes below a THREAD_SIZE boundary\n",
			       n + 1, skl_stack_arg(regs.sp, n), want,
			       (boundary - sp) * (ptrdiff_t)sizeof(*sp));
			ok = false;
		}
	}
	return ok;
}

/*
 * The lookups' stack arguments, read where a frame lies across a THREAD_SIZE boundary.
 * Softirq receive runs on the per-CPU IRQ stack, which is page-aligned but not always
 * THREAD_SIZE-aligned: a lookup entered just below such a boundary has its stack
 * arguments above it, which the kernel's regs_get_kernel_argument() reads as 0. Here a
 * frame is laid out that way in pages of our own, so that every run meets the case.
 */
static int __init skl_selftest_stack_args(void)
{
	unsigned int order = get_order(2 * THREAD_SIZE);
	unsigned long *boundary, *sp;
	bool ok = true;
	void *stack;

	stack = (void *)__get_free_pages(GFP_KERNEL | __GFP_NOWARN, order);
	if (!stack) {
		pr_err("self-test: no memory for a frame of %lu bytes\n", 2 * THREAD_SIZE);
		return -ENOMEM;
	}
	/* The direct map keeps a block's natural alignment, so this is a boundary. */
	boundary = stack + THREAD_SIZE;
	/* Well inside one block, then every place that puts arguments across it. */
	ok &= skl_selftest_frame(boundary - 16, boundary);
	for (sp = boundary - 4; sp <= boundary; sp++)
		ok &= skl_selftest_frame(sp, boundary);
	free_pages((unsigned long)stack, order);
	return ok ? 0 : -EINVAL;
}

/**
 * skl_selftest() - run the test build's self-tests
 *
 * Return: 0 when every one passed; each failure is in the kernel log.
 */
int __init skl_selftest(void)
{
	int err = skl_selftest_stack_args();

	if (!err)
		pr_info("self-tests passed\n");
	return err;
}
