// SPDX-License-Identifier: GPL-2.0
/*
 * BPF sk_lookup doing the steering sklookup's rules do in the benchmark: the destination
 * port and address looked up in an LPM trie (port first, then the address prefix, so one
 * entry is a rule "dst PREFIX port N"), whose value names a label; the label's socket of
 * the packet's protocol comes from a sockmap at label * 2 (TCP) or label * 2 + 1 (UDP).
 */
#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define AF_INET 2

struct rule_key {
	__u32 prefixlen;	/* 16 port bits + the address prefix length */
	__be16 port;
	__be32 addr;
	__u16 pad;
} __attribute__((packed));

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 1 << 21);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct rule_key);
	__type(value, __u32);
} rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SOCKMAP);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} socks SEC(".maps");

SEC("sk_lookup")
int steer(struct bpf_sk_lookup *ctx)
{
	struct rule_key key = { .prefixlen = 48 };
	struct bpf_sock *sk;
	__u32 *label, idx;

	if (ctx->family != AF_INET)
		return SK_PASS;
	key.port = bpf_htons((__u16)ctx->local_port);
	key.addr = ctx->local_ip4;
	label = bpf_map_lookup_elem(&rules, &key);
	if (!label)
		return SK_PASS;
	idx = *label * 2 + (ctx->protocol == IPPROTO_UDP);
	sk = bpf_map_lookup_elem(&socks, &idx);
	if (!sk)
		return SK_PASS;
	bpf_sk_assign(ctx, sk, 0);
	bpf_sk_release(sk);
	return SK_PASS;
}

char _license[] SEC("license") = "GPL";
