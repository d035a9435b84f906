/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where a hooked lookup "returns" when a rule decided in the ftrace callback (x86-64):
 * the callback put the answer in the saved %rdi (the first argument) and this address in
 * the saved %rip, so the trampoline lands here and the caller gets the answer without the
 * lookup running. The first argument rather than %rax, because a BPF trampoline that
 * shares the function runs in between: it clobbers %rax but restores the argument
 * registers.
 * ftrace's trampoline, or a BPF trampoline of fentry programs only, returns here; one
 * with fexit programs calls here indirectly, which the ENDBR (on IBT kernels) admits;
 * it also tells objtool that the address is taken on purpose. RET goes through the
 * return thunk on kernels built with one.
 */
#include <linux/linkage.h>
#include <asm/linkage.h>
#if __has_include(<asm/ibt.h>)
#include <asm/ibt.h>
#endif

#ifndef RET
#define RET ret
#endif
#ifndef ENDBR
#define ENDBR
#endif

SYM_FUNC_START(skl_return_stub)
	ENDBR
	movq %rdi, %rax
	RET
SYM_FUNC_END(skl_return_stub)
