// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark of the rule matcher: nanoseconds per lookup for tables of 10 to 1,000,000
 * rules, build time and memory per rule. Lookup keys are generated beforehand and cycled
 * through in a random order, so that the figures include the cache misses of a large
 * table; "hot" keys revisit 1,024 rules, as traffic to a few busy services would.
 * Beside each table, what one random memory access costs in a buffer of the table's size,
 * the floor of any structure that big: "read", 8 bytes at random offsets in the loop of
 * the lookups (independent reads, which the CPU overlaps, as it may overlap the lookups
 * of different keys), and "chase", a walk of a random cycle through the buffer where
 * each read's address is the value of the one before (one access's full latency, the
 * least a lookup must wait for when its first read already misses).
 *
 * Usage: match_bench [max rules], default 1000000.
 */
#include <stdio.h>
#include <time.h>

#include "match.h"
#include "rng.h"

#define NKEYS		(1u << 20)
#define HOT_RULES	1024


static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

enum shape { HOSTS, PORTS };

static void set_addr(union skl_match_addr *a, u8 family, u64 hi, u64 lo)
{
	memset(a, 0, sizeof(*a));
	if (family == AF_INET) {
		a->ip = htonl((u32)lo);
		return;
	}
	a->ip6.s6_addr32[0] = htonl((u32)(hi >> 32));
	a->ip6.s6_addr32[1] = htonl((u32)hi);
	a->ip6.s6_addr32[2] = htonl((u32)(lo >> 32));
	a->ip6.s6_addr32[3] = htonl((u32)lo);
}

static void mask_addr(union skl_match_addr *a, u8 family, int len)
{
	int bits = family == AF_INET ? 32 : 128, i;
	u8 *b = (u8 *)a;

	for (i = len; i < bits; i++)
		b[i / 8] &= (u8)~(0x80 >> (i % 8));
}

/*
 * HOSTS: 90% host rules (/32, /128) on one of a few ports or a port range, 10% rules on a
 * few hundred shorter prefixes (/16 to /28, /40 to /64), each with several port ranges.
 * PORTS: a few hundred /24 (/64) prefixes, each with many single-port rules and an
 * any-port rule.
 */
static void make_rules(struct skl_match_rule *rules, u32 n, u8 family, enum shape shape)
{
	static const u16 ports[] = { 53, 80, 443 };
	u32 i, nprefix = n / 100 + 1, nhosts = shape == HOSTS ? n - n / 10 : 0;
	u32 per;

	if (nprefix > 300)
		nprefix = 300;
	per = (n - nhosts) / nprefix + 1;
	memset(rules, 0, n * sizeof(*rules));
	for (i = 0; i < n; i++) {
		struct skl_match_rule *r = &rules[i];

		r->proto = IPPROTO_TCP;
		r->family = family;
		r->phase = SKL_PHASE_FIRST;
		r->id = i + 1;
		if (i < nhosts) {
			/* distinct hosts: 10.0.0.0/8 and 2001:db8::/64, spread by a multiplier */
			u64 host = (u64)(i + 1) * 2654435761u % (1u << 24);

			if (family == AF_INET)
				set_addr(&r->dst, family, 0, 0x0a000000 | (u32)host);
			else
				set_addr(&r->dst, family, 0x20010db800000000ULL, host * 977);
			r->dst_len = family == AF_INET ? 32 : 128;
			if (i % 4 == 3) {
				r->port_lo = 8000;
				r->port_hi = 8999;
			} else {
				r->port_lo = r->port_hi = ports[i % 3];
			}
			continue;
		}
		/* shorter prefixes, not all inside the hosts' range */
		u32 p = (i - nhosts) / per, j = (i - nhosts) % per;
		int len = family == AF_INET ? 16 + (int)(p % 13) : 40 + (int)(p % 25);

		if (shape == PORTS)
			len = family == AF_INET ? 24 : 64;
		if (family == AF_INET)
			set_addr(&r->dst, family, 0, (p % 2 ? 0x0a000000u : 0xc0a80000u) + p * 65599u);
		else
			set_addr(&r->dst, family, (p % 2 ? 0x20010db800000000ULL : 0x2001db9ULL << 32) +
				 ((u64)p << 16), 0);
		mask_addr(&r->dst, family, len);
		r->dst_len = (u8)len;
		if (j == 0) {
			r->port_lo = 0;
			r->port_hi = 65535;
		} else if (shape == PORTS) {
			r->port_lo = r->port_hi = (u16)(1 + j * 13 % 65000);
		} else {
			r->port_lo = (u16)(j * 100 % 60000);
			r->port_hi = (u16)(r->port_lo + 9 + j % 50);
		}
	}
}

/* A key inside rule @r, or, with @miss, one that no rule matches. */
static void make_key(struct skl_match_key *k, const struct skl_match_rule *r, u8 family,
		     bool miss)
{
	int bits = family == AF_INET ? 32 : 128, i;
	u8 *b = (u8 *)&k->dst;

	memset(k, 0, sizeof(*k));
	set_addr(&k->src, family, rnd(), rnd());
	if (miss) {
		/* 172.16.0.0/12 and 3fff::/20 hold no rule */
		set_addr(&k->dst, family, 0x3fff000000000000ULL | (rnd() >> 20), rnd());
		if (family == AF_INET)
			k->dst.ip = htonl(0xac100000 | (u32)(rnd() & 0xfffff));
		k->dport = (u16)below(65536);
		return;
	}
	k->dst = r->dst;
	for (i = r->dst_len; i < bits; i++)
		if (rnd() & 1)
			b[i / 8] |= (u8)(0x80 >> (i % 8));
	k->dport = (u16)(r->port_lo + below((u32)r->port_hi - r->port_lo + 1));
}

static u64 sink;

/* Nanoseconds per lookup over the keys, best of three passes. */
static double time_lookups(const struct skl_match_table *t, const struct skl_match_key *keys,
			   u32 nkeys)
{
	double best = 1e9, start, ns;
	u32 pass, i, rounds = 4;
	const struct skl_match_rule *r;

	for (pass = 0; pass < 3; pass++) {
		start = now();
		for (u32 round = 0; round < rounds; round++)
			for (i = 0; i < nkeys; i++) {
				r = skl_match_lookup(t, &keys[i]);
				sink += r ? r->action + 1 : 0;
			}
		ns = (now() - start) * 1e9 / ((double)nkeys * rounds);
		if (ns < best)
			best = ns;
	}
	return best;
}

/*
 * Nanoseconds per read of 8 bytes at the offsets @at of @buf, best of three passes of the
 * same shape as time_lookups(): independent loads, as the lookups of different keys are.
 */
static double time_reads(const u64 *buf, const u32 *at, u32 nkeys)
{
	double best = 1e9, start, ns;
	u32 pass, i, rounds = 4;
	u64 sum = 0;

	for (pass = 0; pass < 3; pass++) {
		start = now();
		for (u32 round = 0; round < rounds; round++)
			for (i = 0; i < nkeys; i++)
				sum += buf[at[i]];
		ns = (now() - start) * 1e9 / ((double)nkeys * rounds);
		if (ns < best)
			best = ns;
	}
	sink += sum;
	return best;
}

/* Nanoseconds per step of a walk through @next, a single cycle: each read waits for the last. */
static double time_chase(const u64 *next, u32 steps)
{
	double best = 1e9, start, ns;
	u32 pass, i;
	u64 at = 0;

	for (pass = 0; pass < 3; pass++) {
		start = now();
		for (i = 0; i < steps; i++)
			at = next[at];
		ns = (now() - start) * 1e9 / steps;
		if (ns < best)
			best = ns;
	}
	sink += at;
	return best;
}

/*
 * What a random read costs in a buffer of @bytes: *@read for independent reads, *@chase
 * for dependent ones. The buffer holds one random cycle through all its words (Sattolo's
 * shuffle), which also maps every page before the timing.
 */
static void random_read_ns(size_t bytes, double *read, double *chase)
{
	u32 words = (u32)(bytes / sizeof(u64)), i, j;
	u64 *buf, tmp;
	u32 *at;

	if (words < 2)
		words = 2;
	buf = malloc((size_t)words * sizeof(u64));
	at = malloc(NKEYS * sizeof(*at));
	if (!buf || !at) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	for (i = 0; i < words; i++)
		buf[i] = i;
	for (i = words - 1; i > 0; i--) {
		j = below(i);
		tmp = buf[i];
		buf[i] = buf[j];
		buf[j] = tmp;
	}
	for (i = 0; i < NKEYS; i++)
		at[i] = below(words);
	*read = time_reads(buf, at, NKEYS);
	*chase = time_chase(buf, NKEYS);
	free(at);
	free(buf);
}

static void bench(u32 n, u8 family, enum shape shape, struct skl_match_key *keys)
{
	struct skl_match_rule *rules = malloc(n * sizeof(*rules));
	struct skl_match_table *t;
	const struct skl_match_rule *table_rules;
	double start, build_ms, hit, hot, miss, read, chase;
	u32 i, count, misses = 0;
	int err;

	make_rules(rules, n, family, shape);
	start = now();
	err = skl_match_build(rules, n, &t);
	build_ms = (now() - start) * 1e3;
	if (err) {
		fprintf(stderr, "build failed: %d\n", err);
		exit(1);
	}
	table_rules = skl_match_rules(t, &count);
	for (i = 0; i < NKEYS; i++)
		make_key(&keys[i], &table_rules[below(count)], family, false);
	for (i = 0; i < NKEYS; i++)
		misses += !skl_match_lookup(t, &keys[i]);
	if (misses) {
		fprintf(stderr, "%u of the hit keys missed\n", misses);
		exit(1);
	}
	hit = time_lookups(t, keys, NKEYS);
	for (i = 0; i < NKEYS; i++)
		make_key(&keys[i], &table_rules[below(count < HOT_RULES ? count : HOT_RULES)],
			 family, false);
	hot = time_lookups(t, keys, NKEYS);
	for (i = 0; i < NKEYS; i++)
		make_key(&keys[i], NULL, family, true);
	miss = time_lookups(t, keys, NKEYS);
	for (i = 0; i < NKEYS; i++)
		if (skl_match_lookup(t, &keys[i]))
			misses++;
	if (misses) {
		fprintf(stderr, "%u of the miss keys hit\n", misses);
		exit(1);
	}
	random_read_ns(skl_match_table_bytes(t), &read, &chase);
	printf("%-5s %-4s %8u %9.1f %9.1f %9.1f %11.1f %10.1f %9.1f %9.1f\n",
	       shape == HOSTS ? "hosts" : "ports", family == AF_INET ? "v4" : "v6", n, hit, hot,
	       miss, build_ms, (double)skl_match_table_bytes(t) / n, read, chase);
	fflush(stdout);
	skl_match_free(t);
	free(rules);
}

int main(int argc, char **argv)
{
	static const u32 sizes[] = { 10, 1000, 10000, 100000, 1000000 };
	static const u8 families[] = { AF_INET, AF_INET6 };
	u32 max = argc > 1 ? (u32)strtoul(argv[1], NULL, 0) : 1000000;
	struct skl_match_key *keys = malloc(NKEYS * sizeof(*keys));
	unsigned int s, f, sh;

	rng_state = 0x5eed;	/* the same rule sets and keys in every run */

	printf("ns per lookup: hit = keys spread over all rules, hot = over %u rules, miss = no rule matches\n",
	       HOT_RULES);
	printf("in a buffer of the table's size: read = a random 8-byte read, chase = the same when each waits for the last\n");
	printf("%-5s %-4s %8s %9s %9s %9s %11s %10s %9s %9s\n", "shape", "fam", "rules",
	       "hit ns", "hot ns", "miss ns", "build ms", "bytes/rule", "read ns", "chase ns");
	for (sh = HOSTS; sh <= PORTS; sh++)
		for (f = 0; f < 2; f++)
			for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
				if (sizes[s] <= max)
					bench(sizes[s], families[f], sh, keys);
	free(keys);
	return sink == 42;
}
