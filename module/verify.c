// SPDX-License-Identifier: GPL-2.0
/*
 * At load, before any hook is installed: does each lookup to be hooked take its arguments
 * where the hooks read them (compat.h's positions, through skl_hook_arg())? The build
 * checks types against the kernel's headers, but a kernel whose lookup swapped two
 * arguments of one type, or passes one on the stack that was in a register, would build,
 * load and misread every packet. Two checks, and a refusal to load when either fails:
 *
 * - against the kernel's BTF, where it has one: the number of parameters, and each one's
 *   name at the position the hooks read it from;
 * - by a call: each lookup is called with a distinct value in every argument (real
 *   objects of the initial namespace in the pointers, marks in the numbers, so that the
 *   lookup would do no harm should it run after all), through a hook of its own whose
 *   callback reads them back by position, then makes the lookup return a value of its
 *   own without running. This checks what the hooks do on this kernel, register and
 *   stack alike, and the way a hook answers in place of the lookup.
 *
 * The call's hook recognises only the loading task's calls from this module; every other
 * lookup on the host passes through it untouched. The real hooks are installed after it is
 * gone, so their callbacks have nothing to check per packet.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/ftrace.h>
#include <linux/magic.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/utsname.h>
#include <linux/vmalloc.h>
#include <net/inet6_hashtables.h>
#include <net/inet_hashtables.h>
#include <net/ipv6.h>
#include <net/udp.h>
#include <uapi/linux/btf.h>

#include "compat/compat.h"
#include "hooks.h"
#include "verify.h"
#include "version.h"

#define SKL_VERIFY_MAX_ARGS	10
/* Distinct in every argument's low 16 bits, so that a shift shows in any width. */
#define SKL_VERIFY_MARK(n)	(0x5c1e5c1e00005c10UL + (n))
#define SKL_VERIFY_ANSWER	0x5c1e5c1e5c1e0a05UL

/* An argument of a hooked lookup, and how many of its bits the hooks use. */
struct skl_verify_arg {
	const char *name;
	u8 bits;
};

struct skl_verify_fn {
	const char *name;
	u8 proto;
	bool ipv6;
	unsigned int nargs;
	const struct skl_verify_arg *args;
	void *target;
	unsigned long (*call)(const unsigned long *v);
};

/* By position, from the same definitions the hooks read them with. */
static const struct skl_verify_arg skl_tcp4_args[] __initconst = {
	[SKL_TCP_ARG_NET] = { "net", 64 },
#ifdef HAVE_INET_LOOKUP_LISTENER_HASHINFO
	[SKL_TCP_ARG_HASHINFO] = { "hashinfo", 64 },
#endif
	[SKL_TCP_ARG_SKB] = { "skb", 64 },
	[SKL_TCP_ARG_DOFF] = { "doff", 32 },
	[SKL_TCP_ARG_SADDR] = { "saddr", 32 },
	[SKL_TCP_ARG_SPORT] = { "sport", 16 },
	[SKL_TCP_ARG_DADDR] = { "daddr", 32 },
	[SKL_TCP_ARG_HNUM] = { "hnum", 16 },
	[SKL_TCP_ARG_DIF] = { "dif", 32 },
	[SKL_TCP_ARG_SDIF] = { "sdif", 32 },
};

static const struct skl_verify_arg skl_tcp6_args[] __initconst = {
	[SKL_TCP_ARG_NET] = { "net", 64 },
#ifdef HAVE_INET_LOOKUP_LISTENER_HASHINFO
	[SKL_TCP_ARG_HASHINFO] = { "hashinfo", 64 },
#endif
	[SKL_TCP_ARG_SKB] = { "skb", 64 },
	[SKL_TCP_ARG_DOFF] = { "doff", 32 },
	[SKL_TCP_ARG_SADDR] = { "saddr", 64 },
	[SKL_TCP_ARG_SPORT] = { "sport", 16 },
	[SKL_TCP_ARG_DADDR] = { "daddr", 64 },
	[SKL_TCP_ARG_HNUM] = { "hnum", 16 },
	[SKL_TCP_ARG_DIF] = { "dif", 32 },
	[SKL_TCP_ARG_SDIF] = { "sdif", 32 },
};

static const struct skl_verify_arg skl_udp4_args[] __initconst = {
	[SKL_UDP_ARG_NET] = { "net", 64 },
	[SKL_UDP_ARG_SADDR] = { "saddr", 32 },
	[SKL_UDP_ARG_SPORT] = { "sport", 16 },
	[SKL_UDP_ARG_DADDR] = { "daddr", 32 },
	[SKL_UDP_ARG_DPORT] = { "dport", 16 },
	[SKL_UDP_ARG_DIF] = { "dif", 32 },
	[SKL_UDP_ARG_SDIF] = { "sdif", 32 },
#ifdef HAVE_UDP_LIB_LOOKUP_TABLE
	[SKL_UDP_ARG_TABLE] = { "udptable", 64 },
#endif
	[SKL_UDP_ARG_SKB] = { "skb", 64 },
};

static const struct skl_verify_arg skl_udp6_args[] __initconst = {
	[SKL_UDP_ARG_NET] = { "net", 64 },
	[SKL_UDP_ARG_SADDR] = { "saddr", 64 },
	[SKL_UDP_ARG_SPORT] = { "sport", 16 },
	[SKL_UDP_ARG_DADDR] = { "daddr", 64 },
	[SKL_UDP_ARG_DPORT] = { "dport", 16 },
	[SKL_UDP_ARG_DIF] = { "dif", 32 },
	[SKL_UDP_ARG_SDIF] = { "sdif", 32 },
#ifdef HAVE_UDP_LIB_LOOKUP_TABLE
	[SKL_UDP_ARG_TABLE] = { "udptable", 64 },
#endif
	[SKL_UDP_ARG_SKB] = { "skb", 64 },
};

/*
 * The calls pass v[position] for each argument, the position taken from compat.h: when
 * those are right, argument n of the call carries v[n]. The lookup never runs with them.
 */
static noinline unsigned long __init skl_verify_call_tcp4(const unsigned long *v)
{
	struct sock *sk;

	sk = __inet_lookup_listener((struct net *)v[SKL_TCP_ARG_NET],
				    SKL_TCP_HASHINFO_FROM(v[SKL_TCP_ARG_HASHINFO])
				    (struct sk_buff *)v[SKL_TCP_ARG_SKB], (int)v[SKL_TCP_ARG_DOFF],
				    (__force __be32)(u32)v[SKL_TCP_ARG_SADDR],
				    (__force __be16)(u16)v[SKL_TCP_ARG_SPORT],
				    (__force __be32)(u32)v[SKL_TCP_ARG_DADDR],
				    (unsigned short)v[SKL_TCP_ARG_HNUM],
				    (int)v[SKL_TCP_ARG_DIF], (int)v[SKL_TCP_ARG_SDIF]);
	return (unsigned long)sk;
}

static noinline unsigned long __init skl_verify_call_tcp6(const unsigned long *v)
{
	struct sock *sk;

	sk = inet6_lookup_listener((struct net *)v[SKL_TCP_ARG_NET],
				   SKL_TCP_HASHINFO_FROM(v[SKL_TCP_ARG_HASHINFO])
				   (struct sk_buff *)v[SKL_TCP_ARG_SKB], (int)v[SKL_TCP_ARG_DOFF],
				   (const struct in6_addr *)v[SKL_TCP_ARG_SADDR],
				   (__force __be16)(u16)v[SKL_TCP_ARG_SPORT],
				   (const struct in6_addr *)v[SKL_TCP_ARG_DADDR],
				   (unsigned short)v[SKL_TCP_ARG_HNUM],
				   (int)v[SKL_TCP_ARG_DIF], (int)v[SKL_TCP_ARG_SDIF]);
	return (unsigned long)sk;
}

static noinline unsigned long __init skl_verify_call_udp4(const unsigned long *v)
{
	struct sock *sk;

	sk = __udp4_lib_lookup((struct net *)v[SKL_UDP_ARG_NET],
			       (__force __be32)(u32)v[SKL_UDP_ARG_SADDR],
			       (__force __be16)(u16)v[SKL_UDP_ARG_SPORT],
			       (__force __be32)(u32)v[SKL_UDP_ARG_DADDR],
			       (__force __be16)(u16)v[SKL_UDP_ARG_DPORT],
			       (int)v[SKL_UDP_ARG_DIF], (int)v[SKL_UDP_ARG_SDIF],
			       SKL_UDP_TABLE_FROM(v[SKL_UDP_ARG_TABLE])
			       (struct sk_buff *)v[SKL_UDP_ARG_SKB]);
	return (unsigned long)sk;
}

static noinline unsigned long __init skl_verify_call_udp6(const unsigned long *v)
{
	struct sock *sk;

	sk = __udp6_lib_lookup((struct net *)v[SKL_UDP_ARG_NET],
			       (const struct in6_addr *)v[SKL_UDP_ARG_SADDR],
			       (__force __be16)(u16)v[SKL_UDP_ARG_SPORT],
			       (const struct in6_addr *)v[SKL_UDP_ARG_DADDR],
			       (__force __be16)(u16)v[SKL_UDP_ARG_DPORT],
			       (int)v[SKL_UDP_ARG_DIF], (int)v[SKL_UDP_ARG_SDIF],
			       SKL_UDP_TABLE_FROM(v[SKL_UDP_ARG_TABLE])
			       (struct sk_buff *)v[SKL_UDP_ARG_SKB]);
	return (unsigned long)sk;
}

static const struct skl_verify_fn skl_verify_fns[] __initconst = {
	{ "__inet_lookup_listener", IPPROTO_TCP, false, ARRAY_SIZE(skl_tcp4_args),
	  skl_tcp4_args, __inet_lookup_listener, skl_verify_call_tcp4 },
	{ "inet6_lookup_listener", IPPROTO_TCP, true, ARRAY_SIZE(skl_tcp6_args),
	  skl_tcp6_args, inet6_lookup_listener, skl_verify_call_tcp6 },
	{ "__udp4_lib_lookup", IPPROTO_UDP, false, ARRAY_SIZE(skl_udp4_args),
	  skl_udp4_args, __udp4_lib_lookup, skl_verify_call_udp4 },
	{ "__udp6_lib_lookup", IPPROTO_UDP, true, ARRAY_SIZE(skl_udp6_args),
	  skl_udp6_args, __udp6_lib_lookup, skl_verify_call_udp6 },
};

#ifdef SKL_FAULT_INJECTION
/*
 * Test builds: expect the arguments of the named function one position off, in the BTF
 * or in the call, as if the kernel had moved them.
 */
static char *skew_btf = "";
module_param(skew_btf, charp, 0444);
MODULE_PARM_DESC(skew_btf, "Test builds: expect this function's parameters one place off in the BTF");
static char *skew_call = "";
module_param(skew_call, charp, 0444);
MODULE_PARM_DESC(skew_call, "Test builds: read this function's arguments one place off in the check by call");

static unsigned int __init skl_skew(const char *param, const struct skl_verify_fn *fn)
{
	return !strcmp(param, fn->name);
}
#else
#define skl_skew(param, fn)	0U
#endif

static const char * __init skl_kernel(void)
{
	return init_utsname()->release;
}

/*
 * The BTF kinds, numbered as in uapi/linux/btf.h; older headers lack the newer ones, and
 * their BTF_INFO_KIND() keeps four bits of the kind where ENUM64 needs five.
 */
#define SKL_BTF_KIND(info)	(((info) >> 24) & 0x1f)
#define SKL_BTF_VLEN(info)	((info) & 0xffff)
enum {
	SKL_BTF_KIND_INT = 1, SKL_BTF_KIND_PTR, SKL_BTF_KIND_ARRAY, SKL_BTF_KIND_STRUCT,
	SKL_BTF_KIND_UNION, SKL_BTF_KIND_ENUM, SKL_BTF_KIND_FWD, SKL_BTF_KIND_TYPEDEF,
	SKL_BTF_KIND_VOLATILE, SKL_BTF_KIND_CONST, SKL_BTF_KIND_RESTRICT, SKL_BTF_KIND_FUNC,
	SKL_BTF_KIND_FUNC_PROTO, SKL_BTF_KIND_VAR, SKL_BTF_KIND_DATASEC, SKL_BTF_KIND_FLOAT,
	SKL_BTF_KIND_DECL_TAG, SKL_BTF_KIND_TYPE_TAG, SKL_BTF_KIND_ENUM64,
};

/* The bytes that follow a type's common part, or -1 for a kind this code does not know. */
static long __init skl_btf_extra(const struct btf_type *t)
{
	unsigned long vlen = SKL_BTF_VLEN(t->info);

	switch (SKL_BTF_KIND(t->info)) {
	case SKL_BTF_KIND_INT:
	case SKL_BTF_KIND_VAR:
	case SKL_BTF_KIND_DECL_TAG:
		return 4;
	case SKL_BTF_KIND_PTR:
	case SKL_BTF_KIND_FWD:
	case SKL_BTF_KIND_TYPEDEF:
	case SKL_BTF_KIND_VOLATILE:
	case SKL_BTF_KIND_CONST:
	case SKL_BTF_KIND_RESTRICT:
	case SKL_BTF_KIND_FUNC:
	case SKL_BTF_KIND_FLOAT:
	case SKL_BTF_KIND_TYPE_TAG:
		return 0;
	case SKL_BTF_KIND_ARRAY:
		return 12;
	case SKL_BTF_KIND_STRUCT:
	case SKL_BTF_KIND_UNION:
	case SKL_BTF_KIND_DATASEC:
	case SKL_BTF_KIND_ENUM64:
		return vlen * 12;
	case SKL_BTF_KIND_ENUM:
	case SKL_BTF_KIND_FUNC_PROTO:
		return vlen * 8;
	default:
		return -1;
	}
}

/*
 * The part of the BTF header every version has. Newer uapi headers add fields (7.x: the
 * kind layout section), which a BTF without them, whose hdr_len is 24, does not have.
 */
struct skl_btf_header {
	u16 magic;
	u8 version;
	u8 flags;
	u32 hdr_len;
	u32 type_off;
	u32 type_len;
	u32 str_off;
	u32 str_len;
};

struct skl_btf {
	const u8 *types;
	u32 types_len;
	const char *strs;
	u32 strs_len;
};

static const char * __init skl_btf_str(const struct skl_btf *btf, u32 off)
{
	return off < btf->strs_len ? btf->strs + off : NULL;
}

/*
 * Walk the types in id order. Without @protos: find each function's FUNC and note the id
 * of its type in @proto_ids. With: find the types of those ids. Return: 0, or -EPROTO for
 * BTF this code cannot walk.
 */
static int __init skl_btf_walk(const struct skl_btf *btf, const struct skl_verify_fn *const *fns,
			       unsigned int count, u32 *proto_ids, const struct btf_type **protos)
{
	u32 off = 0, id = 1;
	unsigned int i;

	while (off + sizeof(struct btf_type) <= btf->types_len) {
		const struct btf_type *t = (const void *)(btf->types + off);
		long extra = skl_btf_extra(t);
		const char *name;

		if (extra < 0 || off + sizeof(*t) + extra > btf->types_len)
			return -EPROTO;
		for (i = 0; i < count; i++) {
			if (protos) {
				if (id == proto_ids[i])
					protos[i] = t;
			} else if (!proto_ids[i] && SKL_BTF_KIND(t->info) == SKL_BTF_KIND_FUNC) {
				name = skl_btf_str(btf, t->name_off);
				if (name && !strcmp(name, fns[i]->name))
					proto_ids[i] = t->type;
			}
		}
		off += sizeof(*t) + extra;
		id++;
	}
	return 0;
}

/*
 * Check @fn's parameters, @t its FUNC_PROTO in the kernel's BTF. Return: 0 when they
 * match or BTF cannot tell (said in @note), -EOPNOTSUPP after saying why not.
 */
static int __init skl_btf_check_fn(const struct skl_btf *btf, const struct skl_verify_fn *fn,
				   const struct btf_type *t, const char **note)
{
	unsigned int skew = skl_skew(skew_btf, fn);
	const struct btf_param *params;
	unsigned int n, vlen;

	if (!t || SKL_BTF_KIND(t->info) != SKL_BTF_KIND_FUNC_PROTO) {
		pr_info("%s is not described in the kernel's BTF\n", fn->name);
		*note = "a lookup is not described in the kernel's BTF";
		return 0;
	}
	vlen = SKL_BTF_VLEN(t->info);
	if (vlen != fn->nargs) {
		pr_err("kernel %s not supported: %s takes %u arguments, sklookup %s knows it with %u (from the kernel's BTF); not loading\n",
		       skl_kernel(), fn->name, vlen, SKL_VERSION, fn->nargs);
		return -EOPNOTSUPP;
	}
	params = (const struct btf_param *)(t + 1);
	for (n = 0; n < fn->nargs; n++) {
		const char *name = skl_btf_str(btf, params[(n + skew) % vlen].name_off);
		char place[24];

		if (!name || strcmp(name, fn->args[n].name)) {
			pr_err("kernel %s not supported: argument %u of %s is '%s', where sklookup %s reads '%s' from %s (from the kernel's BTF); not loading\n",
			       skl_kernel(), n + 1, fn->name, name ? name : "?", SKL_VERSION,
			       fn->args[n].name, skl_arg_place(n, place, sizeof(place)));
			return -EOPNOTSUPP;
		}
	}
	return 0;
}

#define SKL_BTF_PATH		"/sys/kernel/btf/vmlinux"
#define SKL_BTF_MAX_SIZE	(64 << 20)

/*
 * The kernel's BTF, read from sysfs: the in-kernel copy is not exported to modules on
 * every kernel of the matrix. Return: the file's bytes (vfree() them), or NULL with @note
 * saying why the check is skipped.
 */
static void * __init skl_btf_read(struct skl_btf *btf, const char **note)
{
	const struct skl_btf_header *hdr;
	struct file *file;
	loff_t size, pos = 0;
	void *buf;

	/*
	 * The path is looked up in the loading process's view: in a chroot or a container
	 * it may be another file, or none. Only the kernel's own sysfs file is read.
	 */
	file = filp_open(SKL_BTF_PATH, O_RDONLY | O_NONBLOCK, 0);
	if (IS_ERR(file)) {
		*note = "no " SKL_BTF_PATH;
		return NULL;
	}
	if (!S_ISREG(file_inode(file)->i_mode) ||
	    file_inode(file)->i_sb->s_magic != SYSFS_MAGIC) {
		filp_close(file, NULL);
		*note = SKL_BTF_PATH " is not the kernel's sysfs file here";
		return NULL;
	}
	size = i_size_read(file_inode(file));
	buf = size >= sizeof(*hdr) && size <= SKL_BTF_MAX_SIZE ? vmalloc(size) : NULL;
	while (buf && pos < size) {
		ssize_t got = kernel_read(file, buf + pos, size - pos, &pos);

		if (got <= 0)
			break;
	}
	filp_close(file, NULL);
	if (!buf || pos != size) {
		*note = "the kernel's BTF could not be read";
		vfree(buf);
		return NULL;
	}

	hdr = buf;
	/* Another version may lay its types out otherwise: skip rather than misread. */
	if (hdr->magic != BTF_MAGIC || hdr->version != BTF_VERSION ||
	    hdr->hdr_len < sizeof(*hdr) ||
	    (u64)hdr->hdr_len + hdr->type_off + hdr->type_len > size ||
	    (u64)hdr->hdr_len + hdr->str_off + hdr->str_len > size || !hdr->str_len ||
	    ((const char *)buf)[hdr->hdr_len + hdr->str_off + hdr->str_len - 1] ||
	    (hdr->hdr_len + hdr->type_off) % 4) {
		*note = "the kernel's BTF is not in a form known here";
		vfree(buf);
		return NULL;
	}
	btf->types = buf + hdr->hdr_len + hdr->type_off;
	btf->types_len = hdr->type_len;
	btf->strs = buf + hdr->hdr_len + hdr->str_off;
	btf->strs_len = hdr->str_len;
	return buf;
}

static int __init skl_btf_check(const struct skl_verify_fn *const *fns, unsigned int count,
				const char **note)
{
	const struct btf_type *protos[ARRAY_SIZE(skl_verify_fns)] = {};
	u32 proto_ids[ARRAY_SIZE(skl_verify_fns)] = {};
	struct skl_btf btf;
	unsigned int i;
	int err = 0;
	void *buf;

	buf = skl_btf_read(&btf, note);
	if (!buf)
		return 0;
	if (skl_btf_walk(&btf, fns, count, proto_ids, NULL) ||
	    skl_btf_walk(&btf, fns, count, proto_ids, protos)) {
		*note = "the kernel's BTF has a kind of type not known here";
		goto out;
	}
	for (i = 0; i < count && !err; i++)
		err = skl_btf_check_fn(&btf, fns[i], protos[i], note);
out:
	vfree(buf);
	return err;
}

/* What the call's hook saw; written by the loading task only. */
static struct {
	struct task_struct *task;
	unsigned int nargs;
	unsigned int skew;
	bool seen;
	unsigned long got[SKL_VERIFY_MAX_ARGS];
} skl_verify_seen;

/* @ours: the lookup was called by this module (the hook's test of its caller). */
static __always_inline void skl_verify_regs(bool ours, struct skl_hook_regs *regs)
{
	unsigned int n;

	/*
	 * Only the loading task's own calls, not a lookup of an interrupt or softirq that
	 * runs on its stack: those come from the kernel, not from this module.
	 */
	if (READ_ONCE(skl_verify_seen.task) != current || !ours)
		return;
	for (n = 0; n < skl_verify_seen.nargs; n++)
		skl_verify_seen.got[n] = skl_hook_arg(regs, n + skl_verify_seen.skew);
	skl_verify_seen.seen = true;
	skl_hook_return(regs, SKL_VERIFY_ANSWER);
}

static void notrace skl_verify_callback(unsigned long ip, unsigned long parent_ip,
					struct ftrace_ops *ops, struct skl_ftrace_regs *fregs)
{
	skl_verify_regs(within_module(parent_ip, THIS_MODULE), skl_regs(fregs));
}

#ifdef SKL_HAVE_DIRECT_HOOK
/**
 * skl_verify_direct() - the check's decision, called by its direct trampoline
 * @regs: as the trampoline saved them (see skl_direct_hook())
 * @id: unused: one trampoline serves the check of every lookup, one at a time
 */
void notrace skl_verify_direct(struct pt_regs *regs, unsigned int id)
{
	/* As skl_direct_hook(): a kretprobe may have replaced the return address. */
	skl_verify_regs(within_module(skl_direct_parent_ip(regs), THIS_MODULE) ||
			skl_module_call_noted(kernel_stack_pointer(regs)), regs);
}
#endif

static struct skl_direct skl_verify_direct_call;

static struct ftrace_ops skl_verify_ops = {
	.func = skl_verify_callback,
	.flags = SKL_FTRACE_OPS_FL_REGS | FTRACE_OPS_FL_IPMODIFY | SKL_FTRACE_OPS_FL_UNGUARDED,
};

/*
 * Arguments the lookup could run with, should the hook not answer for it: the initial
 * namespace and its own table, no packet, addresses and ports 0.
 */
/* Two objects, so that the call tells the source address from the destination. */
static struct in6_addr skl_verify_addr6[2] __initdata;

static void __init skl_verify_harmless(const struct skl_verify_fn *fn, unsigned long *v)
{
	memset(v, 0, SKL_VERIFY_MAX_ARGS * sizeof(*v));
	if (fn->proto == IPPROTO_TCP) {
		v[SKL_TCP_ARG_NET] = (unsigned long)&init_net;
		/* Where the lookup takes no table, this is the packet: NULL. */
		v[SKL_TCP_ARG_HASHINFO] = (unsigned long)skl_tcp_table_of(&init_net);
		if (fn->ipv6) {
			v[SKL_TCP_ARG_SADDR] = (unsigned long)&skl_verify_addr6[0];
			v[SKL_TCP_ARG_DADDR] = (unsigned long)&skl_verify_addr6[1];
		}
	} else {
		v[SKL_UDP_ARG_NET] = (unsigned long)&init_net;
		v[SKL_UDP_ARG_TABLE] = (unsigned long)skl_udp_table_of(&init_net);
		if (fn->ipv6) {
			v[SKL_UDP_ARG_SADDR] = (unsigned long)&skl_verify_addr6[0];
			v[SKL_UDP_ARG_DADDR] = (unsigned long)&skl_verify_addr6[1];
		}
	}
}

/* Call @fn with @v through the check's hook. Return: whether the hook answered. */
static bool __init skl_verify_call(const struct skl_verify_fn *fn, const unsigned long *v)
{
	unsigned long answer, outer;

	memset(skl_verify_seen.got, 0, sizeof(skl_verify_seen.got));
	skl_verify_seen.nargs = fn->nargs;
	skl_verify_seen.skew = skl_skew(skew_call, fn);
	skl_verify_seen.seen = false;
	/* The lookups run inside their callers' RCU read sections. */
	rcu_read_lock();
	/*
	 * Noted one call above the lookup: fn->call's frame (saved registers, at most four
	 * stack arguments) lies in between, about 100 bytes of SKL_MODULE_CALL_SLACK's 256.
	 */
	outer = skl_module_call_begin();
	answer = fn->call(v);
	skl_module_call_end(outer);
	rcu_read_unlock();
	if (skl_verify_seen.seen && answer == SKL_VERIFY_ANSWER)
		return true;
	pr_err("kernel %s not supported: %s does not return the answer of sklookup %s's hook (the hook %s); not loading\n",
	       skl_kernel(), fn->name, SKL_VERSION,
	       skl_verify_seen.seen ? "ran" : "did not run: is kernel.ftrace_enabled 0?");
	return false;
}

static int __init skl_call_check_fn(const struct skl_verify_fn *fn)
{
	unsigned long v[SKL_VERIFY_MAX_ARGS];
	unsigned long mask;
	unsigned int n;

	/*
	 * First with zeros in the numbers, which shows the hook answers; then with a mark
	 * in each number. The pointers stay real objects in both, distinct from each other
	 * and from the marks: had ftrace been switched off in between, the lookup would run
	 * with them, and a BPF fentry program on it sees them either way.
	 */
	skl_verify_harmless(fn, v);
	if (!skl_verify_call(fn, v))
		return -EOPNOTSUPP;
	for (n = 0; n < fn->nargs; n++) {
		if (fn->args[n].bits < 64)
			v[n] = SKL_VERIFY_MARK(n);
	}
	if (!skl_verify_call(fn, v))
		return -EOPNOTSUPP;
	for (n = 0; n < fn->nargs; n++) {
		char place[24];

		mask = fn->args[n].bits < 64 ? BIT_ULL(fn->args[n].bits) - 1 : ~0UL;
		if ((skl_verify_seen.got[n] & mask) != (v[n] & mask)) {
			pr_err("kernel %s not supported: %s does not pass argument %u (%s) in %s, where sklookup %s reads it; not loading\n",
			       skl_kernel(), fn->name, n + 1, fn->args[n].name,
			       skl_arg_place(n, place, sizeof(place)), SKL_VERSION);
			return -EOPNOTSUPP;
		}
	}
	return 0;
}

/*
 * One lookup at a time, through the check's hook on that lookup alone: when another
 * IP-modifying ftrace user holds one of them, the refusal names it.
 */
static int __init skl_call_check_one(const struct skl_verify_fn *fn)
{
	int err;

	/* hook=direct: through the same trampoline code and registration as the hooks. */
	if (skl_hook_direct) {
		WRITE_ONCE(skl_verify_seen.task, current);
		err = skl_direct_register(&skl_verify_direct_call, (unsigned long)fn->target,
					  (unsigned long)SKL_DIRECT_FN(skl_direct_verify));
		if (err == -EBUSY) {
			pr_err("cannot hook %s with hook=direct: another direct caller (a BPF fentry/fexit program or another module's trampoline) or a livepatch holds it; load with hook=ops to share it with BPF programs\n",
			       fn->name);
		} else if (err) {
			pr_err("cannot hook %s with hook=direct: ftrace refused the direct call (%d)\n",
			       fn->name, err);
		} else {
			err = skl_call_check_fn(fn);
			skl_direct_unregister(&skl_verify_direct_call);
		}
		WRITE_ONCE(skl_verify_seen.task, NULL);
		return err;
	}

	err = ftrace_set_filter_ip(&skl_verify_ops, (unsigned long)fn->target, 0, 0);
	if (err) {
		pr_err("cannot hook %s: ftrace has no call site for it (%d)\n", fn->name, err);
		return err;
	}
	WRITE_ONCE(skl_verify_seen.task, current);
	err = register_ftrace_function(&skl_verify_ops);
	if (err == -EBUSY) {
		pr_err("cannot hook %s: another ftrace user that redirects it (a livepatch or another hooking module) holds it\n",
		       fn->name);
	} else if (err) {
		pr_err("cannot hook %s: ftrace refused the hook (%d)\n", fn->name, err);
	} else {
		err = skl_call_check_fn(fn);
		/* Returns once no CPU can still be inside the callback. */
		unregister_ftrace_function(&skl_verify_ops);
	}
	WRITE_ONCE(skl_verify_seen.task, NULL);
	ftrace_set_filter_ip(&skl_verify_ops, (unsigned long)fn->target, 1, 0);
	return err;
}

static int __init skl_call_check(const struct skl_verify_fn *const *fns, unsigned int count)
{
	unsigned int i;
	int err;

	for (i = 0; i < count; i++) {
		err = skl_call_check_one(fns[i]);
		if (err)
			return err;
	}
	return 0;
}

/**
 * skl_verify_layout() - check the lookups to be hooked before hooking them
 * @tcp: the TCP listener lookups will be hooked
 * @udp: the UDP socket lookups will be hooked
 * @ipv6: their IPv6 variants too
 *
 * Nothing stays hooked when this returns, whatever it returns.
 *
 * Return: 0 when each lookup takes its arguments where the hooks read them,
 * -EOPNOTSUPP after a kernel log line that names the function and the kernel, or the
 * error that kept the check from running.
 */
int __init skl_verify_layout(bool tcp, bool udp, bool ipv6)
{
	const struct skl_verify_fn *fns[ARRAY_SIZE(skl_verify_fns)];
	const char *note = NULL, *how;
	unsigned int i, count = 0;
	int err;

	for (i = 0; i < ARRAY_SIZE(skl_verify_fns); i++) {
		const struct skl_verify_fn *fn = &skl_verify_fns[i];

		if ((fn->proto == IPPROTO_TCP && !tcp) || (fn->proto == IPPROTO_UDP && !udp) ||
		    (fn->ipv6 && !ipv6))
			continue;
		fns[count++] = fn;
	}
	/* An ops with an empty filter would trace every function. */
	if (!count)
		return 0;

	err = skl_btf_check(fns, count, &note);
	if (err)
		return err;
	err = skl_call_check(fns, count);
	if (err)
		return err;
	how = skl_hook_direct ? "a direct hook" : "a hook";
	if (note)
		pr_info("argument layout of %u lookups verified by a call through %s; parameter names not checked: %s\n",
			count, how, note);
	else
		pr_info("argument layout of %u lookups verified by a call through %s and against the kernel's BTF\n",
			count, how);
	return 0;
}
