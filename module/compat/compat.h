/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernels sklookup supports, in one place. Logic files test the
 * named capabilities below, never a version number. The HAVE_* macros come from
 * features.h, which module/compat/probe.sh writes by compiling a small test per feature
 * against the target kernel's headers (see module/compat/probes/).
 */
#ifndef SKL_COMPAT_H
#define SKL_COMPAT_H

#include <linux/ftrace.h>
#include <linux/module.h>
#include <linux/ptrace.h>
#include <linux/string.h>
#include <net/inet_hashtables.h>
#include <net/net_namespace.h>
#include <net/tcp.h>
#include <net/udp.h>

#include "features.h"

/*
 * What sklookup cannot do without, said at build time rather than as a failed load: the
 * hooks redirect a function's return through saved registers (x86-64 and arm64, each with
 * its own return stub in module/stub-$(SRCARCH).S, and only with a trampoline that lets
 * the callback change them). Kernels before 5.10 are refused by dkms.conf
 * (BUILD_EXCLUSIVE_KERNEL): their lookup functions are not the ones the hooks know.
 */
#if !defined(CONFIG_X86_64) && !defined(CONFIG_ARM64)
#error "sklookup supports x86-64 and arm64 kernels only"
#endif
#if !defined(CONFIG_DYNAMIC_FTRACE_WITH_REGS) && !defined(CONFIG_DYNAMIC_FTRACE_WITH_ARGS)
#error "sklookup needs a kernel with CONFIG_DYNAMIC_FTRACE_WITH_REGS or _WITH_ARGS"
#endif

/*
 * ftrace callbacks received a struct pt_regs until the callbacks were given a struct
 * ftrace_regs, which the regs-saving trampoline fills completely.
 */
#ifdef HAVE_FTRACE_REGS_CALLBACK
#define skl_ftrace_regs ftrace_regs
#else
#define skl_ftrace_regs pt_regs
#endif

/*
 * Our callbacks never call a function they hook, so they need no recursion guard. The
 * flag that says so was inverted: older kernels guard unless told RECURSION_SAFE, newer
 * kernels guard only when asked with FTRACE_OPS_FL_RECURSION.
 */
#ifdef HAVE_FTRACE_OPS_FL_RECURSION
#define SKL_FTRACE_OPS_FL_UNGUARDED	0
#else
#define SKL_FTRACE_OPS_FL_UNGUARDED	FTRACE_OPS_FL_RECURSION_SAFE
#endif

/*
 * Which of ftrace's trampolines the hooks take. The hooks read the arguments (registers,
 * and the stack past the sixth on x86-64, the eighth on arm64) and may set the first
 * argument register and the address the trampoline returns to. Where the architecture
 * hands callbacks their arguments in struct ftrace_regs (CONFIG_DYNAMIC_FTRACE_WITH_ARGS,
 * x86-64 from 5.11, arm64 from 6.2), the lighter trampoline saves exactly those, with the
 * stack pointer that the stack arguments are read from, and returns through the argument
 * registers and the address the callback left, which livepatch relies on too. Older
 * kernels need the regs-saving one, which also saves the callee-saved registers.
 */
#ifdef CONFIG_DYNAMIC_FTRACE_WITH_ARGS
#define SKL_FTRACE_OPS_FL_REGS	0
#else
#define SKL_FTRACE_OPS_FL_REGS	FTRACE_OPS_FL_SAVE_REGS
#endif

/*
 * What the hooks work on: a struct pt_regs where the trampoline fills one (x86-64, whose
 * ftrace_regs wraps one, and the regs-saving trampoline everywhere), and arm64's own
 * struct ftrace_regs otherwise (x0-x8, fp, lr, sp, pc: no pt_regs inside), through its
 * accessors.
 */
#if defined(CONFIG_ARM64) && defined(CONFIG_DYNAMIC_FTRACE_WITH_ARGS)
#define SKL_HOOK_FTRACE_REGS	1
#define skl_hook_regs		ftrace_regs
#else
#define skl_hook_regs		pt_regs
#endif

/*
 * The saved registers the hooks work on. With the lighter trampoline on x86-64 only the
 * fields named above are valid, which is all skl_hook_arg(), skl_hook_set_first_arg() and
 * skl_hook_set_ip() use; ftrace_get_regs() would say NULL for it.
 */
static inline struct skl_hook_regs *skl_regs(struct skl_ftrace_regs *fregs)
{
#if defined(SKL_HOOK_FTRACE_REGS)
	return fregs;
#elif defined(HAVE_FTRACE_REGS_OPAQUE)
	return &arch_ftrace_regs(fregs)->regs;
#elif defined(CONFIG_DYNAMIC_FTRACE_WITH_ARGS)
	return &fregs->regs;
#elif defined(HAVE_FTRACE_REGS_CALLBACK)
	return ftrace_get_regs(fregs);
#else
	return fregs;
#endif
}

/*
 * Where the calling convention puts arguments: x86-64 passes six in registers, the rest
 * on the stack just above the return address that the stack pointer points at; arm64
 * (AAPCS64) passes eight in x0-x7, the rest in 8-byte slots from the stack pointer up
 * (the return address is in the link register). SKL_STACK_ARG_SLOT is the slot, counted
 * from the stack pointer at the function's entry, of the first stack argument;
 * SKL_PT_REGS_ARG0 the first argument's register in a struct pt_regs. Only x86-64's
 * regs_get_kernel_argument() reads stack arguments (arm64's says 0 past x7), which
 * SKL_KERNEL_READS_STACK_ARGS tells the self-test comparing it with ours.
 */
#if defined(CONFIG_X86_64)
#define SKL_REG_ARGS			6
#define SKL_STACK_ARG_SLOT		1
#define SKL_PT_REGS_ARG0(r)		((r)->di)
#define SKL_KERNEL_READS_STACK_ARGS	1
#define SKL_ARG_REG_NAMES		"%rdi", "%rsi", "%rdx", "%rcx", "%r8", "%r9"
#else
#define SKL_REG_ARGS			8
#define SKL_STACK_ARG_SLOT		0
#define SKL_PT_REGS_ARG0(r)		((r)->regs[0])
#define SKL_KERNEL_READS_STACK_ARGS	0
#define SKL_ARG_REG_NAMES		"x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7"
#endif

/*
 * Where argument @n arrives, for messages: its register, or its stack slot counted from
 * the stack pointer at the function's entry.
 */
static inline const char *skl_arg_place(unsigned int n, char *buf, size_t len)
{
	static const char * const regs[SKL_REG_ARGS] = { SKL_ARG_REG_NAMES };

	if (n < SKL_REG_ARGS)
		return regs[n];
	snprintf(buf, len, "[sp + %u]", (n - SKL_REG_ARGS + SKL_STACK_ARG_SLOT) * 8);
	return buf;
}

/**
 * skl_stack_arg() - argument @n (>= SKL_REG_ARGS) of a function, at its entry
 * @sp: the stack pointer at the function's entry
 * @n: the argument's position, from 0
 *
 * The caller's frame is live: read it directly. x86-64's regs_get_kernel_argument()
 * reads only slots in the same THREAD_SIZE-aligned block as the stack pointer, and
 * softirq receive runs on the per-CPU IRQ stack, which is page-aligned, not
 * THREAD_SIZE-aligned: a frame across such a boundary would read as 0. arm64's reads no
 * stack argument at all.
 *
 * Return: the argument, as an unsigned long.
 */
static __always_inline unsigned long skl_stack_arg(unsigned long sp, unsigned int n)
{
	return READ_ONCE(((unsigned long *)sp)[n - SKL_REG_ARGS + SKL_STACK_ARG_SLOT]);
}

/**
 * skl_hook_arg() - argument @n of the hooked lookup, at its entry
 * @regs: the registers the trampoline saved
 * @n: the argument's position, from 0
 *
 * Return: the argument, as an unsigned long.
 */
static __always_inline unsigned long skl_hook_arg(struct skl_hook_regs *regs, unsigned int n)
{
#ifdef SKL_HOOK_FTRACE_REGS
	if (n < SKL_REG_ARGS)
		return ftrace_regs_get_argument(regs, n);
	return skl_stack_arg(ftrace_regs_get_stack_pointer(regs), n);
#else
	if (n < SKL_REG_ARGS)
		return regs_get_kernel_argument(regs, n);
	return skl_stack_arg(kernel_stack_pointer(regs), n);
#endif
}

/*
 * Make the trampoline return to @ip instead of the hooked function's body, with the
 * arguments (and the stack and return address) as the function was entered with.
 */
static __always_inline void skl_hook_set_ip(struct skl_hook_regs *regs, unsigned long ip)
{
#ifdef SKL_HOOK_FTRACE_REGS
	ftrace_regs_set_instruction_pointer(regs, ip);
#else
	instruction_pointer_set(regs, ip);
#endif
}

/*
 * Set the first argument register (%rdi; x0 on arm64, which is also the return value
 * register), which the trampoline restores before it returns.
 */
static __always_inline void skl_hook_set_first_arg(struct skl_hook_regs *regs,
						   unsigned long val)
{
#ifdef SKL_HOOK_FTRACE_REGS
	/* arm64's: x0, the first argument's register as well as the return value's. */
	ftrace_regs_set_return_value(regs, val);
#else
	SKL_PT_REGS_ARG0(regs) = val;
#endif
}

/* Defined in stub-$(SRCARCH).S: returns the first argument it is entered with. */
void skl_return_stub(void);

/**
 * skl_hook_return() - make the hooked function return @val without running
 * @regs: the registers the trampoline saved
 * @val: what its caller gets
 *
 * ftrace's trampoline returns into skl_return_stub instead of the function's body. The
 * answer travels in the first argument's register rather than the return register: from
 * 6.0 a BPF trampoline (fentry, fexit) may share the function and run in between, and it
 * clobbers %rax but hands the argument registers it was entered with on to the stub.
 * On arm64 the two are one register, x0, and the stub a bare return.
 */
static __always_inline void skl_hook_return(struct skl_hook_regs *regs, unsigned long val)
{
	skl_hook_set_first_arg(regs, val);
	skl_hook_set_ip(regs, (unsigned long)skl_return_stub);
}

/*
 * The direct hook (hook=direct): ftrace calls a trampoline of the module's own
 * (module/direct-$(SRCARCH).S) at the function's entry instead of its ops trampoline and
 * callback. The trampoline saves the argument registers in a struct pt_regs, as ftrace's
 * does, so that the hooks and the check at load use the same accessors above in both
 * modes. Written for x86-64 only so far; arm64 keeps the ops hook. The API to register
 * one came in three forms: by the function's address (5.10, 6.1), by an ftrace_ops
 * under the name _multi (6.1), and by an ftrace_ops under the plain name (6.3 on).
 */
#if defined(CONFIG_X86_64) && defined(CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS) && \
	(defined(HAVE_FTRACE_DIRECT_OPS) || defined(HAVE_FTRACE_DIRECT_MULTI) || \
	 defined(HAVE_FTRACE_DIRECT_IP))
#define SKL_HAVE_DIRECT_HOOK	1
#endif

#ifdef SKL_HAVE_DIRECT_HOOK
/* One function's direct call: its ftrace_ops (unused by the address form). Elsewhere stubs. */
struct skl_direct {
	struct ftrace_ops ops;
	unsigned long ip;
	unsigned long tramp;
};

/**
 * skl_direct_register() - make @ip's ftrace call site call @tramp
 * @d: zeroed, or unregistered since it was last registered
 * @ip: the function
 * @tramp: the trampoline
 *
 * Return: 0, -EBUSY when another direct caller (a BPF trampoline, another module) or an
 * IP-modifying ftrace user holds @ip, or another error of ftrace's.
 */
static inline int skl_direct_register(struct skl_direct *d, unsigned long ip,
				      unsigned long tramp)
{
	int err;

	memset(d, 0, sizeof(*d));
	d->ip = ip;
	d->tramp = tramp;
#if defined(HAVE_FTRACE_DIRECT_OPS) || defined(HAVE_FTRACE_DIRECT_MULTI)
	err = ftrace_set_filter_ip(&d->ops, ip, 0, 0);
	if (err)
		return err;
#ifdef HAVE_FTRACE_DIRECT_OPS
	err = register_ftrace_direct(&d->ops, tramp);
#else
	err = register_ftrace_direct_multi(&d->ops, tramp);
#endif
	if (err)
		ftrace_free_filter(&d->ops);
#else
	err = register_ftrace_direct(ip, tramp);
#endif
	return err;
}

/*
 * Undo skl_direct_register(). ftrace returns once no task can be inside the trampoline
 * or what it called: the ops forms shut the module's (dynamic) ops down with the
 * RCU-tasks waits, the address form waits for RCU-tasks when the trampoline's last site
 * goes, which each of ours is.
 */
static inline void skl_direct_unregister(struct skl_direct *d)
{
#if defined(HAVE_FTRACE_DIRECT_OPS)
	unregister_ftrace_direct(&d->ops, d->tramp, true);
#elif defined(HAVE_FTRACE_DIRECT_MULTI)
	unregister_ftrace_direct_multi(&d->ops, d->tramp);
	ftrace_free_filter(&d->ops);
#else
	unregister_ftrace_direct(d->ip, d->tramp);
#endif
}

/* In direct-$(SRCARCH).S: one trampoline per hooked function, one for the check. */
void skl_direct_tcp4(void);
void skl_direct_tcp6(void);
void skl_direct_udp4(void);
void skl_direct_udp6(void);
void skl_direct_verify(void);

/* What they call, with the saved registers and the trampoline's id. */
void skl_direct_hook(struct pt_regs *regs, unsigned int id);
void skl_verify_direct(struct pt_regs *regs, unsigned int id);

/* A trampoline, where they are built. */
#define SKL_DIRECT_FN(fn)	(fn)

/* The address the hooked function returns to its caller through: the caller's. */
static __always_inline unsigned long skl_direct_parent_ip(struct pt_regs *regs)
{
	return *(unsigned long *)kernel_stack_pointer(regs);
}
#else
#define SKL_DIRECT_FN(fn)	NULL

struct skl_direct {
	int unused;
};

static inline int skl_direct_register(struct skl_direct *d, unsigned long ip,
				      unsigned long tramp)
{
	return -EOPNOTSUPP;
}

static inline void skl_direct_unregister(struct skl_direct *d)
{
}
#endif /* SKL_HAVE_DIRECT_HOOK */

/* Why hook=direct cannot work on this kernel, for the refusal to load. */
#if defined(SKL_HAVE_DIRECT_HOOK) && defined(CONFIG_PREEMPT_RT)
/* skl_module_call_begin() keeps the CPU by disabling preemption; RT's lookups may sleep. */
#define SKL_DIRECT_MISSING	"the kernel is PREEMPT_RT, where the lookups sklookup calls itself would run with preemption off"
#elif defined(SKL_HAVE_DIRECT_HOOK)
#define SKL_DIRECT_MISSING	NULL
#elif !defined(CONFIG_X86_64)
#define SKL_DIRECT_MISSING	"sklookup has no direct-call trampoline for this architecture yet"
#else
#define SKL_DIRECT_MISSING	"the kernel has no ftrace direct calls (CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS)"
#endif

/*
 * Where @mod's text lies, its init text aside: every function of the module that is
 * not __init, whatever section the compiler put it in.
 */
static inline void skl_module_text(const struct module *mod, unsigned long *start,
				   unsigned long *size)
{
#ifdef HAVE_MODULE_MEM
	*start = (unsigned long)mod->mem[MOD_TEXT].base;
	*size = mod->mem[MOD_TEXT].size;
#else
	*start = (unsigned long)mod->core_layout.base;
	*size = mod->core_layout.text_size;
#endif
}

/*
 * Positions of the arguments of the hooked lookups (x86-64: the seventh and later are on
 * the stack; arm64: the ninth and later).
 *
 * __inet_lookup_listener / inet6_lookup_listener:
 *	(net, [hashinfo,] skb, doff, saddr, sport, daddr, hnum, dif, sdif)
 * __udp4_lib_lookup / __udp6_lib_lookup:
 *	(net, saddr, sport, daddr, dport, dif, sdif, [udptable,] skb)
 */
#ifdef HAVE_INET_LOOKUP_LISTENER_HASHINFO
#define SKL_TCP_ARG_SHIFT	1
#else
#define SKL_TCP_ARG_SHIFT	0
#endif
#define SKL_TCP_ARG_NET		0
#define SKL_TCP_ARG_HASHINFO	1
#define SKL_TCP_ARG_SKB		(1 + SKL_TCP_ARG_SHIFT)
#define SKL_TCP_ARG_DOFF	(2 + SKL_TCP_ARG_SHIFT)
#define SKL_TCP_ARG_SADDR	(3 + SKL_TCP_ARG_SHIFT)
#define SKL_TCP_ARG_SPORT	(4 + SKL_TCP_ARG_SHIFT)
#define SKL_TCP_ARG_DADDR	(5 + SKL_TCP_ARG_SHIFT)
#define SKL_TCP_ARG_HNUM	(6 + SKL_TCP_ARG_SHIFT)
#define SKL_TCP_ARG_DIF		(7 + SKL_TCP_ARG_SHIFT)
#define SKL_TCP_ARG_SDIF	(8 + SKL_TCP_ARG_SHIFT)

#define SKL_UDP_ARG_NET		0
#define SKL_UDP_ARG_SADDR	1
#define SKL_UDP_ARG_SPORT	2
#define SKL_UDP_ARG_DADDR	3
#define SKL_UDP_ARG_DPORT	4
#define SKL_UDP_ARG_DIF		5
#define SKL_UDP_ARG_SDIF	6
#define SKL_UDP_ARG_TABLE	7
#ifdef HAVE_UDP_LIB_LOOKUP_TABLE
#define SKL_UDP_ARG_SKB		8
#else
#define SKL_UDP_ARG_SKB		7
#endif

/*
 * The listener lookups also serve DCCP, and the UDP lookups UDP-Lite, with their own
 * tables: only TCP's and UDP's are ours to steer.
 */
static inline bool skl_is_tcp_lookup(const struct net *net, struct skl_hook_regs *regs)
{
#if !defined(HAVE_INET_LOOKUP_LISTENER_HASHINFO)
	return true;
#elif defined(HAVE_NETNS_TCP_HASHINFO)
	return (void *)skl_hook_arg(regs, SKL_TCP_ARG_HASHINFO) ==
	       net->ipv4.tcp_death_row.hashinfo;
#else
	return (void *)skl_hook_arg(regs, SKL_TCP_ARG_HASHINFO) == &tcp_hashinfo;
#endif
}

static inline bool skl_is_udp_lookup(const struct net *net, struct skl_hook_regs *regs)
{
#if !defined(HAVE_UDP_LIB_LOOKUP_TABLE)
	return true;
#elif defined(HAVE_NETNS_UDP_TABLE)
	return (void *)skl_hook_arg(regs, SKL_UDP_ARG_TABLE) == net->ipv4.udp_table;
#else
	return (void *)skl_hook_arg(regs, SKL_UDP_ARG_TABLE) == &udp_table;
#endif
}

/*
 * The lookups' parameters and arguments that differ between kernels, for the wrappers
 * that stand in for them: they are entered with the arguments in place, and call them.
 */
/*
 * A redirect calls the same lookup with another destination: _SAVE keeps the table the
 * wrapper was given (NULL where the lookup takes none), _FROM passes it on.
 */
#ifdef HAVE_INET_LOOKUP_LISTENER_HASHINFO
#define SKL_TCP_HASHINFO_PARAM	struct inet_hashinfo *hashinfo,
#define SKL_TCP_HASHINFO_ARG	hashinfo,
#define SKL_TCP_HASHINFO_SAVE	hashinfo
#define SKL_TCP_HASHINFO_FROM(table)	((struct inet_hashinfo *)(table)),
#else
#define SKL_TCP_HASHINFO_PARAM
#define SKL_TCP_HASHINFO_ARG
#define SKL_TCP_HASHINFO_SAVE	NULL
#define SKL_TCP_HASHINFO_FROM(table)
#endif

/* The table the kernel's own TCP lookup of @net uses, for lookups the module starts. */
static inline void *skl_tcp_table_of(const struct net *net)
{
#if !defined(HAVE_INET_LOOKUP_LISTENER_HASHINFO)
	return NULL;
#elif defined(HAVE_NETNS_TCP_HASHINFO)
	return net->ipv4.tcp_death_row.hashinfo;
#else
	return &tcp_hashinfo;
#endif
}

/* The same for UDP. */
static inline void *skl_udp_table_of(const struct net *net)
{
#if !defined(HAVE_UDP_LIB_LOOKUP_TABLE)
	return NULL;
#elif defined(HAVE_NETNS_UDP_TABLE)
	return net->ipv4.udp_table;
#else
	return &udp_table;
#endif
}

/*
 * The UDP sockets in the hash slot of local port @hnum of @net's table; sockets of other
 * ports and namespaces may share the slot, so 0 means that none is bound to the port.
 */
static inline int skl_udp_port_slot_count(const struct net *net, u16 hnum)
{
#ifdef HAVE_NETNS_UDP_TABLE
	struct udp_table *table = net->ipv4.udp_table;
#else
	struct udp_table *table = &udp_table;
#endif
	return READ_ONCE(udp_hashslot(table, (struct net *)net, hnum)->count);
}

#ifdef HAVE_UDP_LIB_LOOKUP_TABLE
#define SKL_UDP_TABLE_PARAM	struct udp_table *udptable,
#define SKL_UDP_TABLE_ARG	udptable,
#define SKL_UDP_TABLE_SAVE	udptable
#define SKL_UDP_TABLE_FROM(table)	((struct udp_table *)(table)),
#else
#define SKL_UDP_TABLE_PARAM
#define SKL_UDP_TABLE_ARG
#define SKL_UDP_TABLE_SAVE	NULL
#define SKL_UDP_TABLE_FROM(table)
#endif

/*
 * Joining the events group needs CAP_NET_ADMIN over the namespace's user namespace, as
 * the requests that read do. Generic netlink checks it at join time from the group's
 * flags: GENL_MCAST_CAP_NET_ADMIN, or GENL_UNS_ADMIN_PERM where the check was
 * backported before that flag existed. A kernel with neither checks nothing.
 */
#if defined(HAVE_GENL_MCAST_CAP_NET_ADMIN)
#define SKL_GENL_MCGRP_NET_ADMIN	GENL_MCAST_CAP_NET_ADMIN
#elif defined(HAVE_GENL_MCGRP_UNS_ADMIN_PERM)
#define SKL_GENL_MCGRP_NET_ADMIN	GENL_UNS_ADMIN_PERM
#else
#define SKL_GENL_MCGRP_NET_ADMIN	0
#endif

#endif /* SKL_COMPAT_H */
