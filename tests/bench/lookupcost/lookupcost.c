// SPDX-License-Identifier: GPL-2.0
/*
 * A test module for the bench's "cost" configuration (tests/bench/guest.sh): what one call
 * of a hooked lookup costs, measured from inside the kernel, so that the parts of a
 * steered lookup (ftrace's entry, sklookup's callback, the rules, the kernel's own hash
 * walk) can be told apart where the whole-workload figures only show their sum.
 *
 * Writing "udp N" or "tcp N" to /proc/lookupcost calls __udp4_lib_lookup or
 * __inet_lookup_listener N times in the writer's network namespace for the bench's flow
 * (198.18.0.1:40000 -> 192.0.2.7:5000 on the loopback device, with an skb, since
 * sklookup steers only lookups that carry one), inside local_bh_disable() and
 * rcu_read_lock() as the receive path calls them; then the same loop calling an empty
 * function of the same arguments. Reading the file gives
 *   PROTO N LOOKUP_NS EMPTY_NS PORT SAME
 * the guest clock's nanoseconds of each loop (under QEMU -icount a count of
 * instructions), the local port of the socket found (0: none, -1: an error pointer) and
 * whether every call found that same socket.
 *
 * With hook=1 the module also puts an ftrace ops with an empty callback on both
 * functions, with the flags sklookup's ops use: what ftrace's entry alone costs.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bottom_half.h>
#include <linux/ftrace.h>
#include <linux/ip.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/version.h>
#include <net/inet_hashtables.h>
#include <net/inet_sock.h>
#include <net/net_namespace.h>
#include <net/udp.h>

static bool hook;
module_param(hook, bool, 0444);
MODULE_PARM_DESC(hook, "put an ftrace ops with an empty callback on both lookups");

#define LC_SADDR	htonl(0xc6120001)	/* 198.18.0.1 */
#define LC_SPORT	htons(40000)
#define LC_DADDR	htonl(0xc0000207)	/* 192.0.2.7 */
#define LC_DPORT	5000
#define LC_DIF		1			/* the loopback device, in every namespace */
#define LC_MAX_CALLS	10000000

/*
 * The lookups as the receive path calls them, with its tables: UDP's became per namespace
 * in 6.2 (9804985bf27f); 7.1 dropped the argument (68aeb21ef0e1), as 6.18 dropped TCP's
 * hashinfo (cb16f4b6c73d). Kernel versions rather than probes: a test module, and
 * changes of this size are not backported.
 */
static __always_inline struct sock *lc_udp4(struct net *net, struct sk_buff *skb)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(7, 1, 0)
	return __udp4_lib_lookup(net, LC_SADDR, LC_SPORT, LC_DADDR, htons(LC_DPORT), LC_DIF, 0,
				 skb);
#elif LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
	return __udp4_lib_lookup(net, LC_SADDR, LC_SPORT, LC_DADDR, htons(LC_DPORT), LC_DIF, 0,
				 net->ipv4.udp_table, skb);
#else
	return __udp4_lib_lookup(net, LC_SADDR, LC_SPORT, LC_DADDR, htons(LC_DPORT), LC_DIF, 0,
				 &udp_table, skb);
#endif
}

static __always_inline struct sock *lc_tcp4(struct net *net, struct sk_buff *skb)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 18, 0)
	return __inet_lookup_listener(net, skb, sizeof(struct tcphdr), LC_SADDR, LC_SPORT,
				      LC_DADDR, LC_DPORT, LC_DIF, 0);
#else
	return __inet_lookup_listener(net, net->ipv4.tcp_death_row.hashinfo, skb,
				      sizeof(struct tcphdr), LC_SADDR, LC_SPORT, LC_DADDR,
				      LC_DPORT, LC_DIF, 0);
#endif
}

static DEFINE_MUTEX(lc_lock);
static char lc_result[128];

/* The empty loop's callee: a real call with the lookup's arguments, which does nothing. */
static noinline struct sock *lc_empty(struct net *net, __be32 saddr, __be16 sport,
				      __be32 daddr, __be16 dport, int dif, int sdif,
				      struct sk_buff *skb)
{
	asm volatile("" : : "r"(net), "r"(skb) : "memory");
	return NULL;
}

/* One timed loop; *sk is the last socket found, *same whether every call found it. */
static u64 lc_loop(int what, struct net *net, struct sk_buff *skb, unsigned int n,
		   struct sock **sk, bool *same)
{
	struct sock *first = NULL, *found = NULL;
	unsigned int i, other = 0;
	u64 t0, t1;

	local_bh_disable();
	rcu_read_lock();
	t0 = ktime_get_ns();
	for (i = 0; i < n; i++) {
		switch (what) {
		case IPPROTO_UDP:
			found = lc_udp4(net, skb);
			break;
		case IPPROTO_TCP:
			found = lc_tcp4(net, skb);
			break;
		default:
			found = lc_empty(net, LC_SADDR, LC_SPORT, LC_DADDR, htons(LC_DPORT),
					 LC_DIF, 0, skb);
		}
		if (i == 0)
			first = found;
		else if (found != first)
			other++;
	}
	t1 = ktime_get_ns();
	rcu_read_unlock();
	local_bh_enable();
	*sk = found;
	*same = !other;
	return t1 - t0;
}

/* A datagram or segment of the bench's flow, as the receive path would hand it over. */
static struct sk_buff *lc_skb(int proto)
{
	struct sk_buff *skb = alloc_skb(256, GFP_KERNEL);
	struct iphdr *iph;

	if (!skb)
		return NULL;
	skb_reserve(skb, 64);
	skb_reset_network_header(skb);
	iph = skb_put_zero(skb, sizeof(*iph));
	iph->version = 4;
	iph->ihl = 5;
	iph->ttl = 64;
	iph->protocol = proto;
	iph->saddr = LC_SADDR;
	iph->daddr = LC_DADDR;
	skb_set_transport_header(skb, sizeof(*iph));
	if (proto == IPPROTO_UDP) {
		struct udphdr *uh = skb_put_zero(skb, sizeof(*uh));

		uh->source = LC_SPORT;
		uh->dest = htons(LC_DPORT);
		uh->len = htons(sizeof(*uh));
	} else {
		struct tcphdr *th = skb_put_zero(skb, sizeof(*th));

		th->source = LC_SPORT;
		th->dest = htons(LC_DPORT);
		th->doff = sizeof(*th) / 4;
		th->syn = 1;
	}
	iph->tot_len = htons(skb->len);
	skb->protocol = htons(ETH_P_IP);
	return skb;
}

static ssize_t lc_write(struct file *file, const char __user *ubuf, size_t len, loff_t *off)
{
	struct net *net = current->nsproxy->net_ns;
	u64 lookup_ns, empty_ns;
	char buf[32], name[8];
	struct sk_buff *skb;
	struct sock *sk;
	unsigned int n;
	bool same, esame;
	int proto, port;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = 0;
	if (sscanf(buf, "%7s %u", name, &n) != 2 || !n || n > LC_MAX_CALLS)
		return -EINVAL;
	if (!strcmp(name, "udp"))
		proto = IPPROTO_UDP;
	else if (!strcmp(name, "tcp"))
		proto = IPPROTO_TCP;
	else
		return -EINVAL;
	skb = lc_skb(proto);
	if (!skb)
		return -ENOMEM;
	mutex_lock(&lc_lock);
	empty_ns = lc_loop(0, net, skb, n, &sk, &esame);
	lookup_ns = lc_loop(proto, net, skb, n, &sk, &same);
	/* The socket is not used past this point; only its port is reported. */
	if (IS_ERR(sk))
		port = -1;
	else
		port = sk ? inet_sk(sk)->inet_num : 0;
	snprintf(lc_result, sizeof(lc_result), "%s %u %llu %llu %d %d\n", name, n, lookup_ns,
		 empty_ns, port, same);
	mutex_unlock(&lc_lock);
	kfree_skb(skb);
	return len;
}

static int lc_show(struct seq_file *m, void *v)
{
	mutex_lock(&lc_lock);
	seq_puts(m, lc_result);
	mutex_unlock(&lc_lock);
	return 0;
}

static int lc_open(struct inode *inode, struct file *file)
{
	return single_open(file, lc_show, NULL);
}

static const struct proc_ops lc_proc_ops = {
	.proc_open = lc_open,
	.proc_read = seq_read,
	.proc_write = lc_write,
	.proc_lseek = seq_lseek,
	.proc_release = single_release,
};

/* The flags of sklookup's ops (module/compat/compat.h), by kernel version here. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 11, 0)
#define lc_ftrace_regs	ftrace_regs
#define LC_UNGUARDED	0
#else
#define lc_ftrace_regs	pt_regs
#define LC_UNGUARDED	FTRACE_OPS_FL_RECURSION_SAFE
#endif
#ifdef CONFIG_DYNAMIC_FTRACE_WITH_ARGS
#define LC_REGS		0
#else
#define LC_REGS		FTRACE_OPS_FL_SAVE_REGS
#endif

static void notrace lc_callback(unsigned long ip, unsigned long parent_ip,
				struct ftrace_ops *ops, struct lc_ftrace_regs *regs)
{
}

static struct ftrace_ops lc_ops[2];
static bool lc_hooked[2];

static unsigned long lc_target(int i)
{
	return i ? (unsigned long)__udp4_lib_lookup : (unsigned long)__inet_lookup_listener;
}

static void lc_unhook(void)
{
	int i;

	for (i = 0; i < 2; i++) {
		if (!lc_hooked[i])
			continue;
		unregister_ftrace_function(&lc_ops[i]);
		ftrace_set_filter_ip(&lc_ops[i], lc_target(i), 1, 0);
		lc_hooked[i] = false;
	}
}

static int lc_hook(void)
{
	int i, err;

	for (i = 0; i < 2; i++) {
		lc_ops[i].func = lc_callback;
		lc_ops[i].flags = LC_REGS | FTRACE_OPS_FL_IPMODIFY | LC_UNGUARDED;
		err = ftrace_set_filter_ip(&lc_ops[i], lc_target(i), 0, 0);
		if (!err) {
			err = register_ftrace_function(&lc_ops[i]);
			if (err)
				ftrace_set_filter_ip(&lc_ops[i], lc_target(i), 1, 0);
		}
		if (err) {
			pr_err("cannot hook %ps (%d)\n", (void *)lc_target(i), err);
			lc_unhook();
			return err;
		}
		lc_hooked[i] = true;
	}
	return 0;
}

static int __init lc_init(void)
{
	int err;

	if (hook) {
		err = lc_hook();
		if (err)
			return err;
	}
	if (!proc_create("lookupcost", 0600, NULL, &lc_proc_ops)) {
		lc_unhook();
		return -ENOMEM;
	}
	return 0;
}

static void __exit lc_exit(void)
{
	remove_proc_entry("lookupcost", NULL);
	lc_unhook();
}

module_init(lc_init);
module_exit(lc_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("sklookup bench: instructions per call of the hooked lookups");
