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
#include <linux/ptrace.h>
#include <net/inet_hashtables.h>
#include <net/net_namespace.h>
#include <net/tcp.h>
#include <net/udp.h>

#include "features.h"

/*
 * What sklookup cannot do without, said at build time rather than as a failed load: the
 * hooks redirect a function's return through saved registers (x86-64 only, and only with
 * a trampoline that lets the callback change them). Kernels before 5.10 are refused by
 * dkms.conf (BUILD_EXCLUSIVE_KERNEL): their lookup functions are not the ones the hooks
 * know.
 */
#ifndef CONFIG_X86_64
#error "sklookup supports x86-64 kernels only"
#endif
#if !defined(CONFIG_DYNAMIC_FTRACE_WITH_REGS) && !defined(CONFIG_HAVE_DYNAMIC_FTRACE_WITH_ARGS)
#error "sklookup needs a kernel built with CONFIG_DYNAMIC_FTRACE_WITH_REGS"
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
 * and the stack past the sixth) and may set %rax and %rip. Where the architecture hands
 * callbacks their arguments in struct ftrace_regs (CONFIG_HAVE_DYNAMIC_FTRACE_WITH_ARGS,
 * x86-64 from 5.11), the lighter trampoline saves exactly those, with the stack pointer
 * that the stack arguments are read from (it has filled RSP since it came in 5.11), and
 * returns through the %rax and %rip the callback left, which livepatch relies on too.
 * Only 5.10 needs the regs-saving one, which also saves the callee-saved registers and
 * pushes and pops the flags on every call.
 */
#ifdef CONFIG_HAVE_DYNAMIC_FTRACE_WITH_ARGS
#define SKL_FTRACE_OPS_FL_REGS	0
#else
#define SKL_FTRACE_OPS_FL_REGS	FTRACE_OPS_FL_SAVE_REGS
#endif

/*
 * The saved registers as a struct pt_regs. With the lighter trampoline only the fields
 * named above are valid, which is all skl_hook_arg(),
 * regs_set_return_value() and instruction_pointer_set() use; ftrace_get_regs() would
 * say NULL for it.
 */
static inline struct pt_regs *skl_regs(struct skl_ftrace_regs *fregs)
{
#if defined(HAVE_ARCH_FTRACE_REGS)
	return &arch_ftrace_regs(fregs)->regs;
#elif defined(CONFIG_HAVE_DYNAMIC_FTRACE_WITH_ARGS)
	return &fregs->regs;
#elif defined(HAVE_FTRACE_REGS_CALLBACK)
	return ftrace_get_regs(fregs);
#else
	return fregs;
#endif
}

#define SKL_REG_ARGS	6

/**
 * skl_hook_arg() - argument @n of the hooked lookup, at its entry
 * @regs: the registers the trampoline saved
 * @n: the argument's position, from 0
 *
 * Return: the argument, as an unsigned long.
 */
static __always_inline unsigned long skl_hook_arg(struct pt_regs *regs, unsigned int n)
{
	/*
	 * x86-64 passes six arguments in registers and the rest on the stack, just above
	 * the return address that the saved stack pointer points at. The caller's frame is
	 * live: read it directly. regs_get_kernel_argument() reads only slots in the same
	 * THREAD_SIZE-aligned block as the stack pointer, and softirq receive runs on the
	 * per-CPU IRQ stack, which is page-aligned, not THREAD_SIZE-aligned: a frame across
	 * such a boundary would read as 0.
	 */
	if (n < SKL_REG_ARGS)
		return regs_get_kernel_argument(regs, n);
	return READ_ONCE(((unsigned long *)kernel_stack_pointer(regs))[n - SKL_REG_ARGS + 1]);
}

/* Defined in stub.S: returns the first argument it is entered with. */
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
 */
static __always_inline void skl_hook_return(struct pt_regs *regs, unsigned long val)
{
	regs->di = val;
	instruction_pointer_set(regs, (unsigned long)skl_return_stub);
}

/*
 * Positions of the arguments of the hooked lookups (x86-64: the seventh and later are on
 * the stack).
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
static inline bool skl_is_tcp_lookup(const struct net *net, struct pt_regs *regs)
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

static inline bool skl_is_udp_lookup(const struct net *net, struct pt_regs *regs)
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
