/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The direct hook's trampolines (hook=direct, x86-64): ftrace makes the hooked function's
 * call site call one of these at the function's entry, or, while another ftrace user
 * shares the function, ftrace's regs trampoline returns into it with the same stack. On
 * entry the arguments are in place, 0(%rsp) holds the return address into the function's
 * body and 8(%rsp) the one into its caller, arguments 7 on above it.
 *
 * Each saves the argument registers into a struct pt_regs on its stack, with the stack
 * pointer of the function's entry (pointing at the caller's return address) and the body
 * address as the instruction pointer, exactly the fields ftrace's trampoline hands the ops
 * callback, and calls the same C decision with it. Afterwards it restores the argument
 * registers (the first may have been replaced with the answer) and returns to the saved
 * instruction pointer: the body (the function runs), skl_return_stub (the caller gets the
 * answer) or a wrapper of steer.c. Changing the return address rather than jumping keeps
 * every branch direct or a RET, which the return thunk covers on mitigated kernels.
 *
 * ENDBR on IBT kernels: ftrace takes the address (it calls, and IBT would not check). Call depth
 * tracking: the fentry call bypasses the call thunks, so the trampoline accounts itself,
 * as the kernel's own direct-call sample does. The frame is a standard one (push %rbp),
 * so objtool's ORC data and frame-pointer unwinding see the hooked function above it.
 */
#include <linux/linkage.h>
#include <asm/linkage.h>
#include <asm/ptrace-abi.h>
#include <asm/nospec-branch.h>
#if __has_include(<asm/ibt.h>)
#include <asm/ibt.h>
#endif

#include "compat/features.h"

/* As compat.h's SKL_HAVE_DIRECT_HOOK: what the C side of the hook is built with. */
#if defined(CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS) && \
	(defined(HAVE_FTRACE_DIRECT_OPS) || defined(HAVE_FTRACE_DIRECT_MULTI) || \
	 defined(HAVE_FTRACE_DIRECT_IP))

#ifndef RET
#define RET ret
#endif
#ifndef ENDBR
#define ENDBR
#endif

/* The macro CALL_DEPTH_ACCOUNT comes with call depth tracking, as INCREMENT_CALL_DEPTH. */
#ifndef INCREMENT_CALL_DEPTH
.macro CALL_DEPTH_ACCOUNT
.endm
#endif

/*
 * The pt_regs and nothing more: the kernel keeps the stack 8-byte aligned only
 * (-mpreferred-stack-boundary=3), so no padding would make the C call better aligned.
 */
#define SKL_DIRECT_FRAME	FRAME_SIZE

.macro SKL_DIRECT_TRAMPOLINE name:req, decide:req, id:req
SYM_FUNC_START(\name)
	ENDBR
	CALL_DEPTH_ACCOUNT
	pushq	%rbp
	movq	%rsp, %rbp
	subq	$SKL_DIRECT_FRAME, %rsp
	movq	%rdi, RDI(%rsp)
	movq	%rsi, RSI(%rsp)
	movq	%rdx, RDX(%rsp)
	movq	%rcx, RCX(%rsp)
	movq	%r8, R8(%rsp)
	movq	%r9, R9(%rsp)
	movq	8(%rbp), %rax
	movq	%rax, RIP(%rsp)
	leaq	16(%rbp), %rax
	movq	%rax, RSP(%rsp)

	movq	%rsp, %rdi
	movl	$\id, %esi
	call	\decide

	movq	RIP(%rsp), %rax
	movq	%rax, 8(%rbp)
	movq	RDI(%rsp), %rdi
	movq	RSI(%rsp), %rsi
	movq	RDX(%rsp), %rdx
	movq	RCX(%rsp), %rcx
	movq	R8(%rsp), %r8
	movq	R9(%rsp), %r9
	leave
	RET
SYM_FUNC_END(\name)
.endm

/* Ids: enum skl_hook_id (hooks.h), checked at build time in hooks.c. */
SKL_DIRECT_TRAMPOLINE skl_direct_tcp4, skl_direct_hook, 0
SKL_DIRECT_TRAMPOLINE skl_direct_tcp6, skl_direct_hook, 1
SKL_DIRECT_TRAMPOLINE skl_direct_udp4, skl_direct_hook, 2
SKL_DIRECT_TRAMPOLINE skl_direct_udp6, skl_direct_hook, 3
/* The check at load (verify.c): the same code, with its own decision. */
SKL_DIRECT_TRAMPOLINE skl_direct_verify, skl_verify_direct, 0

#endif
