/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where a hooked lookup "returns" when a rule decided in the ftrace callback (arm64): the
 * callback put the answer in the saved x0 and this address in the saved pc. ftrace's
 * trampoline restores x0-x8, the caller's frame pointer, link register and stack pointer,
 * and branches here with RET, so the caller gets x0 without the lookup running: x0 is both
 * the first argument and the return value, so there is nothing to move. A BPF trampoline
 * that shares the function calls here as its "function" (fexit) with BLR: SYM_FUNC_START
 * begins with the BTI landing pad on kernels built with BTI.
 */
#include <linux/linkage.h>

SYM_FUNC_START(skl_return_stub)
	ret
SYM_FUNC_END(skl_return_stub)
