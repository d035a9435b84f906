// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the rule matcher (module/match.c) and a differential fuzz test against the
 * naive reference (match_ref.c). Prints one "ok - NAME" or "not ok - NAME" line per test,
 * details on "# " lines, and exits non-zero if a test failed.
 *
 * Environment: SKL_SEED (or the first argument) fixes the fuzz seed; SKL_FUZZ_SECONDS
 * bounds the fuzz test (default 10).
 */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "match.h"
#include "rng.h"
#include "match_ref.h"

static int failures;
static int test_failed;
static char details[1 << 16];
static size_t details_len;

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
	va_list ap;
	int n;

	if (details_len >= sizeof(details) - 256)
		return;
	va_start(ap, fmt);
	n = vsnprintf(details + details_len, sizeof(details) - details_len, fmt, ap);
	va_end(ap);
	if (n > 0)
		details_len += (size_t)n < sizeof(details) - details_len ? (size_t)n :
			       sizeof(details) - details_len - 1;
}

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		test_failed = 1;					\
		note("line %d: %s: ", __LINE__, #cond);			\
		note(__VA_ARGS__);					\
		note("\n");						\
	}								\
} while (0)

static void run(const char *name, void (*fn)(void))
{
	char *line, *next;

	test_failed = 0;
	details_len = 0;
	details[0] = 0;
	fn();
	printf("%s - %s\n", test_failed ? "not ok" : "ok", name);
	for (line = details; *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		else
			next = line + strlen(line);
		printf("# %s\n", line);
	}
	fflush(stdout);
	failures += test_failed;
}

/* Rule and key construction */

static u64 next_id = 1;

static void parse_prefix(const char *text, u8 family, union skl_match_addr *addr, u8 *len)
{
	char buf[64];
	char *slash;

	snprintf(buf, sizeof(buf), "%s", text);
	slash = strchr(buf, '/');
	memset(addr, 0, sizeof(*addr));
	*len = family == AF_INET ? 32 : 128;
	if (slash) {
		*slash = 0;
		*len = (u8)atoi(slash + 1);
	}
	if (inet_pton(family, buf, addr) != 1) {
		fprintf(stderr, "bad address %s\n", text);
		exit(2);
	}
}

static struct skl_match_rule mk(u8 proto, u8 family, const char *dst, int lo, int hi,
				const char *src, int ifindex)
{
	struct skl_match_rule r;

	memset(&r, 0, sizeof(r));
	r.proto = proto;
	r.family = family;
	r.phase = SKL_PHASE_FIRST;
	parse_prefix(dst, family, &r.dst, &r.dst_len);
	parse_prefix(src ? src : (family == AF_INET ? "0.0.0.0/0" : "::/0"), family, &r.src,
		     &r.src_len);
	r.port_lo = (u16)lo;
	r.port_hi = (u16)hi;
	r.ifindex = ifindex;
	r.id = next_id++;
	r.action = (u32)r.id;
	return r;
}

static struct skl_match_rule r4(const char *dst, int lo, int hi, const char *src, int ifindex)
{
	return mk(IPPROTO_TCP, AF_INET, dst, lo, hi, src, ifindex);
}

static struct skl_match_rule r6(const char *dst, int lo, int hi, const char *src, int ifindex)
{
	return mk(IPPROTO_TCP, AF_INET6, dst, lo, hi, src, ifindex);
}

static struct skl_match_key mkkey(u8 family, const char *dst, int port, const char *src,
				  int dif, int sdif)
{
	struct skl_match_key k;
	u8 len;

	memset(&k, 0, sizeof(k));
	parse_prefix(dst, family, &k.dst, &len);
	parse_prefix(src ? src : (family == AF_INET ? "192.0.2.1" : "2001:db8::1"), family,
		     &k.src, &len);
	k.dport = (u16)port;
	k.dif = dif;
	k.sdif = sdif;
	return k;
}

static struct skl_match_key k4(const char *dst, int port, const char *src, int dif, int sdif)
{
	return mkkey(AF_INET, dst, port, src, dif, sdif);
}

static struct skl_match_key k6(const char *dst, int port, const char *src, int dif, int sdif)
{
	return mkkey(AF_INET6, dst, port, src, dif, sdif);
}

static const char *fmt_rule(const struct skl_match_rule *r, char *buf, size_t size)
{
	char dst[INET6_ADDRSTRLEN], src[INET6_ADDRSTRLEN];

	if (!r) {
		snprintf(buf, size, "(none)");
		return buf;
	}
	inet_ntop(r->family, &r->dst, dst, sizeof(dst));
	inet_ntop(r->family, &r->src, src, sizeof(src));
	snprintf(buf, size, "id %llu %s %s phase %u dst %s/%u ports %u-%u src %s/%u dev %d",
		 (unsigned long long)r->id, r->proto == IPPROTO_TCP ? "tcp" : "udp",
		 r->family == AF_INET ? "v4" : "v6", r->phase, dst, r->dst_len, r->port_lo,
		 r->port_hi, src, r->src_len, r->ifindex);
	return buf;
}

static const char *fmt_key(u8 family, const struct skl_match_key *k, char *buf, size_t size)
{
	char dst[INET6_ADDRSTRLEN], src[INET6_ADDRSTRLEN];

	inet_ntop(family, &k->dst, dst, sizeof(dst));
	inet_ntop(family, &k->src, src, sizeof(src));
	snprintf(buf, size, "dst %s port %u src %s dif %d sdif %d", dst, k->dport, src, k->dif,
		 k->sdif);
	return buf;
}

/* Builds a table from @n rules, failing the test if that fails. */
/*
 * A table lists the positions of exactly its rules that name a device, ascending: a device
 * event reads those and no other rule.
 */
static void check_devs(const struct skl_match_table *t)
{
	const struct skl_match_rule *rules;
	const u32 *devs;
	u32 n, ndevs, i, d = 0;

	rules = skl_match_rules(t, &n);
	devs = skl_match_dev_rules(t, &ndevs);
	for (i = 0; i < n; i++) {
		if (!rules[i].ifindex)
			continue;
		if (d >= ndevs || devs[d] != i) {
			CHECK(0, "rule %u names a device, not listed", i);
			return;
		}
		d++;
	}
	CHECK(d == ndevs, "%u rules name a device, %u listed", d, ndevs);
}

static struct skl_match_table *build(const struct skl_match_rule *rules, u32 n)
{
	struct skl_match_table *t = NULL;
	int err = skl_match_build(rules, n, &t);

	CHECK(err == 0, "build of %u rules: error %d\n", n, err);
	check_devs(t);
	return t;
}

/* The id of the rule a lookup finds, 0 for none. */
static u64 hit(const struct skl_match_table *t, const struct skl_match_key *k)
{
	const struct skl_match_rule *r = skl_match_lookup(t, k);

	return r ? r->id : 0;
}

#define EXPECT(t, key, want) do {						\
	struct skl_match_key key_ = (key);					\
	u64 got_ = hit(t, &key_);						\
	CHECK(got_ == (u64)(want), "%s: got rule %llu, want %llu", #key,	\
	      (unsigned long long)got_, (unsigned long long)(want));		\
} while (0)

/* Unit tests */

static void test_validate(void)
{
	struct skl_match_rule r;
	const char *why;

	r = r4("10.0.0.0/8", 0, 65535, NULL, 0);
	CHECK(skl_match_rule_validate(&r, &why) == 0, "any port, /8: %s", why);
	r = r4("10.0.0.1/8", 1, 1, NULL, 0);
	CHECK(skl_match_rule_validate(&r, &why) == -EINVAL && why, "dst host bits accepted");
	r = r4("10.0.0.0/8", 1, 1, "192.0.2.1/24", 0);
	CHECK(skl_match_rule_validate(&r, &why) == -EINVAL && why, "src host bits accepted");
	r = r4("10.0.0.0/8", 2, 1, NULL, 0);
	CHECK(skl_match_rule_validate(&r, NULL) == -EINVAL, "reversed port range accepted");
	r = r4("10.0.0.0/8", 1, 1, NULL, -2);
	CHECK(skl_match_rule_validate(&r, NULL) == -EINVAL, "negative ifindex accepted");
	r = r4("10.0.0.0/8", 1, 1, NULL, SKL_MATCH_IFINDEX_ABSENT);
	CHECK(skl_match_rule_validate(&r, &why) == 0, "absent device refused: %s", why);
	r = r4("10.0.0.0/8", 1, 1, NULL, 0);
	r.dst_len = 33;
	CHECK(skl_match_rule_validate(&r, NULL) == -EINVAL, "dst /33 accepted");
	r = r4("10.0.0.0/8", 1, 1, NULL, 0);
	r.src_len = 33;
	CHECK(skl_match_rule_validate(&r, NULL) == -EINVAL, "src /33 accepted");
	r = r4("10.0.0.0/8", 1, 1, NULL, 0);
	r.proto = IPPROTO_ICMP;
	CHECK(skl_match_rule_validate(&r, NULL) == -EINVAL, "icmp accepted");
	r = r4("10.0.0.0/8", 1, 1, NULL, 0);
	r.family = AF_UNIX;
	CHECK(skl_match_rule_validate(&r, NULL) == -EINVAL, "AF_UNIX accepted");
	r = r4("10.0.0.0/8", 1, 1, NULL, 0);
	r.phase = SKL_PHASE_COUNT;
	CHECK(skl_match_rule_validate(&r, NULL) == -EINVAL, "phase out of range accepted");
	r = r6("2001:db8::/32", 1, 1, "2001:db8:1::/48", 0);
	CHECK(skl_match_rule_validate(&r, NULL) == 0, "v6 /32 from /48 refused");
	r = r6("2001:db8::1/127", 1, 1, NULL, 0);
	CHECK(skl_match_rule_validate(&r, NULL) == -EINVAL, "v6 host bit accepted");
	r = r6("2001:db8::/32", 1, 1, "2001:db8:1::/47", 0);
	CHECK(skl_match_rule_validate(&r, NULL) == -EINVAL, "v6 src host bit accepted");
	r = r6("::/0", 1, 1, NULL, 0);
	r.dst_len = 129;
	CHECK(skl_match_rule_validate(&r, NULL) == -EINVAL, "v6 /129 accepted");
}

static void test_build_errors(void)
{
	struct skl_match_rule rules[2] = { r4("10.0.0.0/8", 1, 1, NULL, 0),
					   r4("10.0.0.0/8", 1, 1, NULL, 0) };
	struct skl_match_table *t = (void *)1;

	CHECK(skl_match_build(rules, 0, &t) == 0 && !t, "empty build is not a NULL table");
	rules[1].proto = IPPROTO_UDP;
	CHECK(skl_match_build(rules, 2, &t) == -EINVAL && !t, "mixed protocols accepted");
	rules[1] = rules[0];
	rules[1].phase = SKL_PHASE_FALLBACK;
	CHECK(skl_match_build(rules, 2, &t) == -EINVAL, "mixed phases accepted");
	rules[1] = r6("::/0", 1, 1, NULL, 0);
	CHECK(skl_match_build(rules, 2, &t) == -EINVAL, "mixed families accepted");
	rules[1] = r4("10.0.0.1/8", 1, 1, NULL, 0);
	CHECK(skl_match_build(rules, 2, &t) == -EINVAL, "invalid rule accepted");
	CHECK(skl_match_build(rules, SKL_MATCH_MAX_RULES + 1, &t) == -E2BIG, "too many accepted");
}

static int count_visit(const struct skl_match_rule *rule, void *arg)
{
	(void)rule;
	++*(int *)arg;
	return 0;
}

static void test_empty(void)
{
	struct skl_match_key k = k4("10.0.0.1", 80, NULL, 0, 0);
	int visits = 0;
	u32 n = 7;

	CHECK(!skl_match_lookup(NULL, &k), "NULL table found a rule");
	CHECK(skl_match_visit_matches(NULL, &k, count_visit, &visits) == 0 && !visits,
	      "NULL table visited");
	CHECK(!skl_match_rules(NULL, &n) && n == 0, "NULL table has rules");
	CHECK(skl_match_table_bytes(NULL) == 0, "NULL table has bytes");
}

static void test_table_index(void)
{
	static const u8 protos[] = { IPPROTO_TCP, IPPROTO_UDP };
	static const u8 families[] = { AF_INET, AF_INET6 };
	int seen[SKL_MATCH_NR_TABLES] = { 0 };
	unsigned int p, f, ph;
	int i;

	for (p = 0; p < 2; p++)
		for (f = 0; f < 2; f++)
			for (ph = 0; ph < SKL_PHASE_COUNT; ph++) {
				i = skl_match_table_index(protos[p], families[f], ph);
				CHECK(i >= 0 && i < SKL_MATCH_NR_TABLES, "index %d", i);
				if (i >= 0 && i < SKL_MATCH_NR_TABLES)
					seen[i]++;
			}
	for (i = 0; i < SKL_MATCH_NR_TABLES; i++)
		CHECK(seen[i] == 1, "index %d used %d times", i, seen[i]);
	CHECK(skl_match_table_index(IPPROTO_SCTP, AF_INET, 0) == -EINVAL, "sctp");
	CHECK(skl_match_table_index(IPPROTO_TCP, AF_UNIX, 0) == -EINVAL, "unix");
	CHECK(skl_match_table_index(IPPROTO_TCP, AF_INET, SKL_PHASE_COUNT) == -EINVAL, "phase");
}

static void test_prec_dst_len(void)
{
	struct skl_match_rule rules[] = {
		r4("0.0.0.0/0", 0, 65535, NULL, 0),
		r4("10.0.0.0/8", 0, 65535, NULL, 0),
		r4("10.1.0.0/16", 0, 65535, NULL, 0),
		r4("10.1.2.0/24", 0, 65535, NULL, 0),
		r4("10.1.2.3/32", 0, 65535, NULL, 0),
	};
	struct skl_match_table *t = build(rules, 5);

	EXPECT(t, k4("10.1.2.3", 80, NULL, 0, 0), rules[4].id);
	EXPECT(t, k4("10.1.2.4", 80, NULL, 0, 0), rules[3].id);
	EXPECT(t, k4("10.1.3.3", 80, NULL, 0, 0), rules[2].id);
	EXPECT(t, k4("10.2.2.3", 80, NULL, 0, 0), rules[1].id);
	EXPECT(t, k4("11.1.2.3", 80, NULL, 0, 0), rules[0].id);
	EXPECT(t, k4("255.255.255.255", 0, NULL, 0, 0), rules[0].id);
	skl_match_free(t);
}

static void test_prec_port_width(void)
{
	struct skl_match_rule rules[] = {
		r4("10.0.0.0/24", 0, 65535, NULL, 0),
		r4("10.0.0.0/24", 1, 1023, NULL, 0),
		r4("10.0.0.0/24", 80, 80, NULL, 0),
		r4("10.0.0.0/24", 443, 444, NULL, 0),
		/* wider than the /24's single ports, but on a shorter prefix: loses anyway */
		r4("10.0.0.0/16", 80, 80, NULL, 0),
	};
	struct skl_match_table *t = build(rules, 5);

	EXPECT(t, k4("10.0.0.1", 80, NULL, 0, 0), rules[2].id);
	EXPECT(t, k4("10.0.0.1", 81, NULL, 0, 0), rules[1].id);
	EXPECT(t, k4("10.0.0.1", 443, NULL, 0, 0), rules[3].id);
	EXPECT(t, k4("10.0.0.1", 444, NULL, 0, 0), rules[3].id);
	EXPECT(t, k4("10.0.0.1", 445, NULL, 0, 0), rules[1].id);
	EXPECT(t, k4("10.0.0.1", 1024, NULL, 0, 0), rules[0].id);
	EXPECT(t, k4("10.0.0.1", 0, NULL, 0, 0), rules[0].id);
	EXPECT(t, k4("10.0.1.1", 80, NULL, 0, 0), rules[4].id);
	EXPECT(t, k4("10.0.1.1", 81, NULL, 0, 0), 0);
	skl_match_free(t);
}

static void test_prec_src_len(void)
{
	struct skl_match_rule rules[] = {
		r4("10.0.0.1/32", 80, 80, NULL, 0),
		r4("10.0.0.1/32", 80, 80, "192.0.2.0/24", 0),
		r4("10.0.0.1/32", 80, 80, "192.0.2.128/25", 0),
		r4("10.0.0.1/32", 80, 80, "192.0.2.7/32", 0),
		/* a narrower port range beats a longer source prefix */
		r4("10.0.0.1/32", 80, 81, "198.51.100.0/24", 0),
	};
	struct skl_match_table *t = build(rules, 5);

	EXPECT(t, k4("10.0.0.1", 80, "192.0.2.7", 0, 0), rules[3].id);
	EXPECT(t, k4("10.0.0.1", 80, "192.0.2.200", 0, 0), rules[2].id);
	EXPECT(t, k4("10.0.0.1", 80, "192.0.2.6", 0, 0), rules[1].id);
	EXPECT(t, k4("10.0.0.1", 80, "192.0.3.6", 0, 0), rules[0].id);
	EXPECT(t, k4("10.0.0.1", 80, "198.51.100.1", 0, 0), rules[0].id);
	EXPECT(t, k4("10.0.0.1", 81, "198.51.100.1", 0, 0), rules[4].id);
	EXPECT(t, k4("10.0.0.1", 81, "198.51.101.1", 0, 0), 0);
	skl_match_free(t);
}

static void test_prec_device(void)
{
	struct skl_match_rule rules[] = {
		r4("10.0.0.0/24", 80, 80, NULL, 0),
		r4("10.0.0.0/24", 80, 80, NULL, 2),
		r4("10.0.0.0/24", 80, 80, NULL, 3),
		/* a longer source prefix beats a device */
		r4("10.0.0.0/24", 80, 80, "192.0.2.0/24", 0),
	};
	struct skl_match_table *t = build(rules, 4);

	EXPECT(t, k4("10.0.0.1", 80, "198.51.100.1", 2, 0), rules[1].id);
	EXPECT(t, k4("10.0.0.1", 80, "198.51.100.1", 1, 3), rules[2].id);
	EXPECT(t, k4("10.0.0.1", 80, "198.51.100.1", 3, 0), rules[2].id);
	/* both devices match: the older rule */
	EXPECT(t, k4("10.0.0.1", 80, "198.51.100.1", 3, 2), rules[1].id);
	EXPECT(t, k4("10.0.0.1", 80, "198.51.100.1", 1, 0), rules[0].id);
	EXPECT(t, k4("10.0.0.1", 80, "192.0.2.1", 2, 0), rules[3].id);
	skl_match_free(t);
}

/*
 * A rule naming a device that is absent matches no lookup, ranks as bound to a device,
 * and follows the device when its index changes in the built table.
 */
static void test_device_follows(void)
{
	struct skl_match_rule rules[] = {
		r4("10.0.0.0/24", 80, 80, NULL, 0),
		r4("10.0.0.0/24", 80, 80, NULL, SKL_MATCH_IFINDEX_ABSENT),
	};
	struct skl_match_table *t = build(rules, 2);
	const struct skl_match_rule *built;
	u32 n, i;

	EXPECT(t, k4("10.0.0.1", 80, NULL, 0, 0), rules[0].id);
	EXPECT(t, k4("10.0.0.1", 80, NULL, 7, 0), rules[0].id);
	built = skl_match_rules(t, &n);
	for (i = 0; i < n && built[i].id != rules[1].id; i++)
		;
	CHECK(i < n, "rule not in the table");
	skl_match_set_ifindex(t, i, 7);
	EXPECT(t, k4("10.0.0.1", 80, NULL, 7, 0), rules[1].id);
	EXPECT(t, k4("10.0.0.1", 80, NULL, 1, 7), rules[1].id);
	EXPECT(t, k4("10.0.0.1", 80, NULL, 8, 0), rules[0].id);
	skl_match_set_ifindex(t, i, 9);
	EXPECT(t, k4("10.0.0.1", 80, NULL, 7, 0), rules[0].id);
	EXPECT(t, k4("10.0.0.1", 80, NULL, 9, 0), rules[1].id);
	skl_match_set_ifindex(t, i, SKL_MATCH_IFINDEX_ABSENT);
	EXPECT(t, k4("10.0.0.1", 80, NULL, 9, 0), rules[0].id);
	skl_match_free(t);
}

static void test_prec_age(void)
{
	struct skl_match_rule rules[] = {
		r4("10.0.0.0/24", 80, 80, NULL, 0),
		r4("10.0.0.0/24", 80, 80, NULL, 0),
		r4("10.0.0.0/24", 80, 80, NULL, 0),
	};
	struct skl_match_table *t;

	/* the ids decide, not the order in the array */
	rules[0].id = 30;
	rules[1].id = 10;
	rules[2].id = 20;
	t = build(rules, 3);
	EXPECT(t, k4("10.0.0.9", 80, NULL, 0, 0), 10);
	skl_match_free(t);
	rules[1].id = 40;
	t = build(rules, 3);
	EXPECT(t, k4("10.0.0.9", 80, NULL, 0, 0), 20);
	skl_match_free(t);
}

static void test_fields(void)
{
	struct skl_match_rule rules[] = {
		r4("10.0.0.1/32", 1000, 2000, "192.0.2.0/24", 7),
	};
	struct skl_match_table *t = build(rules, 1);
	u64 id = rules[0].id;

	EXPECT(t, k4("10.0.0.1", 1000, "192.0.2.1", 7, 0), id);
	EXPECT(t, k4("10.0.0.1", 2000, "192.0.2.255", 0, 7), id);
	EXPECT(t, k4("10.0.0.2", 1500, "192.0.2.1", 7, 0), 0);		/* dst */
	EXPECT(t, k4("10.0.0.1", 999, "192.0.2.1", 7, 0), 0);		/* port */
	EXPECT(t, k4("10.0.0.1", 2001, "192.0.2.1", 7, 0), 0);		/* port */
	EXPECT(t, k4("10.0.0.1", 1500, "192.0.3.1", 7, 0), 0);		/* src */
	EXPECT(t, k4("10.0.0.1", 1500, "192.0.2.1", 6, 8), 0);		/* device */
	EXPECT(t, k4("10.0.0.1", 1500, "192.0.2.1", 0, 0), 0);		/* device */
	skl_match_free(t);
}

static void test_ipv6(void)
{
	struct skl_match_rule rules[] = {
		r6("::/0", 0, 65535, NULL, 0),
		r6("2001:db8::/32", 0, 65535, NULL, 0),
		r6("2001:db8:1::/48", 443, 443, "2001:db8:ff::/48", 0),
		r6("2001:db8:1::1/128", 443, 443, NULL, 0),
		r6("2001:db8:1::/127", 443, 443, NULL, 0),
		r6("2001:db8:1::/65", 0, 65535, NULL, 0),
		r6("2001:db8:1::/64", 53, 53, NULL, 4),
		r6("2001:db8:1::2/128", 443, 443, "2001:db8:ff::1/128", 0),
	};
	struct skl_match_table *t = build(rules, 8);

	EXPECT(t, k6("2001:db8:1::1", 443, NULL, 0, 0), rules[3].id);
	EXPECT(t, k6("2001:db8:1::", 443, NULL, 0, 0), rules[4].id);
	EXPECT(t, k6("2001:db8:1::2", 443, "2001:db8:ff::1", 0, 0), rules[7].id);
	/* the /128 wants another source; the /127 does not contain ::2; the /65 does */
	EXPECT(t, k6("2001:db8:1::2", 443, "2001:db8:ff::2", 0, 0), rules[5].id);
	EXPECT(t, k6("2001:db8:1:0:8000::1", 443, "2001:db8:ff::2", 0, 0), rules[2].id);
	EXPECT(t, k6("2001:db8:1:0:8000::1", 443, NULL, 0, 0), rules[1].id);
	EXPECT(t, k6("2001:db8:1:0:8000::1", 53, NULL, 4, 0), rules[6].id);
	EXPECT(t, k6("2001:db9::", 53, NULL, 4, 0), rules[0].id);
	EXPECT(t, k6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535, NULL, 0, 0),
	       rules[0].id);
	skl_match_free(t);
}

static void test_v4_edges(void)
{
	struct skl_match_rule rules[] = {
		r4("0.0.0.0/32", 0, 0, NULL, 0),
		r4("255.255.255.255/32", 65535, 65535, NULL, 0),
		r4("0.0.0.0/1", 1, 1, NULL, 0),
		r4("128.0.0.0/1", 1, 65535, NULL, 0),
	};
	struct skl_match_table *t = build(rules, 4);

	EXPECT(t, k4("0.0.0.0", 0, NULL, 0, 0), rules[0].id);
	EXPECT(t, k4("0.0.0.0", 1, NULL, 0, 0), rules[2].id);
	EXPECT(t, k4("0.0.0.1", 0, NULL, 0, 0), 0);
	EXPECT(t, k4("255.255.255.255", 65535, NULL, 0, 0), rules[1].id);
	EXPECT(t, k4("255.255.255.255", 65534, NULL, 0, 0), rules[3].id);
	EXPECT(t, k4("128.0.0.0", 0, NULL, 0, 0), 0);
	EXPECT(t, k4("127.255.255.255", 1, NULL, 0, 0), rules[2].id);
	EXPECT(t, k4("127.255.255.255", 2, NULL, 0, 0), 0);
	skl_match_free(t);
}

static void test_port_edges(void)
{
	struct skl_match_rule rules[] = {
		r4("10.0.0.0/8", 0, 0, NULL, 0),
		r4("10.0.0.0/8", 1, 1, NULL, 0),
		r4("10.0.0.0/8", 65535, 65535, NULL, 0),
		r4("10.0.0.0/8", 0, 65535, NULL, 0),
		r4("10.0.0.0/8", 2, 65534, "192.0.2.0/24", 0),
		r4("10.0.0.0/8", 65534, 65535, NULL, 5),
	};
	struct skl_match_table *t = build(rules, 6);

	EXPECT(t, k4("10.0.0.1", 0, NULL, 0, 0), rules[0].id);
	EXPECT(t, k4("10.0.0.1", 1, NULL, 0, 0), rules[1].id);
	EXPECT(t, k4("10.0.0.1", 2, NULL, 0, 0), rules[4].id);
	EXPECT(t, k4("10.0.0.1", 2, "198.51.100.1", 0, 0), rules[3].id);
	EXPECT(t, k4("10.0.0.1", 65534, NULL, 5, 0), rules[5].id);
	EXPECT(t, k4("10.0.0.1", 65534, NULL, 0, 0), rules[4].id);
	EXPECT(t, k4("10.0.0.1", 65535, NULL, 5, 0), rules[2].id);
	EXPECT(t, k4("10.0.0.1", 65535, "198.51.100.1", 0, 0), rules[2].id);
	skl_match_free(t);
}

/* A longer prefix that matches the destination but nothing else gives way to a shorter. */
static void test_fallback_to_shorter(void)
{
	struct skl_match_rule rules[] = {
		r4("10.0.0.1/32", 80, 80, "192.0.2.0/24", 0),
		r4("10.0.0.1/32", 80, 80, NULL, 9),
		r4("10.0.0.1/32", 443, 443, NULL, 0),
		r4("10.0.0.0/24", 80, 80, "198.51.100.0/24", 0),
		r4("10.0.0.0/16", 0, 65535, NULL, 3),
		r4("10.0.0.0/8", 0, 65535, NULL, 0),
		r4("10.0.0.0/30", 22, 22, NULL, 0),
	};
	struct skl_match_table *t = build(rules, 7);

	EXPECT(t, k4("10.0.0.1", 80, "192.0.2.1", 0, 0), rules[0].id);
	EXPECT(t, k4("10.0.0.1", 80, "203.0.113.1", 9, 0), rules[1].id);
	EXPECT(t, k4("10.0.0.1", 80, "198.51.100.1", 0, 0), rules[3].id);	/* src */
	EXPECT(t, k4("10.0.0.1", 80, "203.0.113.1", 3, 0), rules[4].id);	/* dev */
	EXPECT(t, k4("10.0.0.1", 80, "203.0.113.1", 0, 0), rules[5].id);
	EXPECT(t, k4("10.0.0.1", 22, "203.0.113.1", 0, 0), rules[6].id);	/* port */
	EXPECT(t, k4("10.0.0.1", 443, "203.0.113.1", 0, 0), rules[2].id);
	skl_match_free(t);
}

static void test_many_on_one_prefix(void)
{
	static struct skl_match_rule rules[3000];
	struct skl_match_table *t;
	char src[32];
	u32 n = 0, p;

	for (p = 1; p <= 2000; p++)
		rules[n++] = r4("10.0.0.0/24", (int)p, (int)p, NULL, 0);
	for (p = 0; p < 500; p++) {
		snprintf(src, sizeof(src), "192.0.%u.0/24", p % 256);
		rules[n++] = r4("10.0.0.0/24", (int)(p * 100), (int)(p * 100 + 99), src, 0);
	}
	rules[n++] = r4("10.0.0.0/24", 0, 65535, NULL, 0);
	t = build(rules, n);
	EXPECT(t, k4("10.0.0.5", 1, NULL, 0, 0), rules[0].id);
	EXPECT(t, k4("10.0.0.5", 2000, NULL, 0, 0), rules[1999].id);
	EXPECT(t, k4("10.0.0.5", 2001, "192.0.20.1", 0, 0), rules[2020].id);
	EXPECT(t, k4("10.0.0.5", 2001, "192.0.21.1", 0, 0), rules[2500].id);
	EXPECT(t, k4("10.0.0.5", 65535, "192.0.21.1", 0, 0), rules[2500].id);
	EXPECT(t, k4("10.0.1.5", 1, NULL, 0, 0), 0);
	skl_match_free(t);
}

/* Nested ranges with distinct sources: the entry falls back to one segment of all rules. */
static void test_overlapping_ranges(void)
{
	static struct skl_match_rule rules[2000];
	struct skl_match_table *t;
	struct skl_match_key k;
	char src[32];
	u32 i;

	for (i = 0; i < 2000; i++) {
		snprintf(src, sizeof(src), "192.%u.%u.0/24", i / 256, i % 256);
		rules[i] = r4("10.0.0.0/24", (int)i, (int)(65535 - i), src, 0);
	}
	t = build(rules, 2000);
	for (i = 0; i < 2000; i += 37) {
		snprintf(src, sizeof(src), "192.%u.%u.1", i / 256, i % 256);
		k = k4("10.0.0.1", 1999, src, 0, 0);
		CHECK(hit(t, &k) == rules[i].id, "rule %u", i);
		k.dport = (u16)(i ? i - 1 : 0);
		CHECK(hit(t, &k) == (i ? 0 : rules[0].id), "rule %u below", i);
	}
	skl_match_free(t);
}

struct visit_log {
	u64 ids[16];
	int n;
};

static int log_visit(const struct skl_match_rule *rule, void *arg)
{
	struct visit_log *log = arg;

	if (log->n < 16)
		log->ids[log->n++] = rule->id;
	return log->n == 3 && rule->port_lo == 7 ? 42 : 0;
}

static int collect_visit(const struct skl_match_rule *rule, void *arg)
{
	struct visit_log *log = arg;

	if (log->n < 16)
		log->ids[log->n++] = rule->id;
	return 0;
}

static void test_for_each(void)
{
	struct skl_match_rule rules[] = {
		r4("0.0.0.0/0", 0, 65535, NULL, 0),
		r4("10.0.0.0/8", 80, 80, NULL, 0),
		r4("10.0.0.1/32", 80, 80, "192.0.2.0/24", 0),
		r4("10.0.0.1/32", 0, 65535, NULL, 0),
		r4("10.0.0.1/32", 80, 80, NULL, 0),
		r4("10.0.0.1/32", 81, 81, NULL, 0),
		r4("10.0.0.0/24", 80, 80, NULL, 4),
	};
	u64 want[] = { rules[2].id, rules[4].id, rules[3].id, rules[1].id, rules[0].id };
	struct skl_match_table *t = build(rules, 7);
	struct skl_match_key k = k4("10.0.0.1", 80, "192.0.2.1", 0, 0);
	struct visit_log log = { .n = 0 };
	int i;

	CHECK(skl_match_visit_matches(t, &k, log_visit, &log) == 0, "stopped");
	CHECK(log.n == 5, "%d visits", log.n);
	for (i = 0; i < 5 && i < log.n; i++)
		CHECK(log.ids[i] == want[i], "visit %d: rule %llu, want %llu", i,
		      (unsigned long long)log.ids[i], (unsigned long long)want[i]);
	skl_match_free(t);

	rules[3].port_lo = 7;
	rules[3].port_hi = 80;
	t = build(rules, 7);
	log.n = 0;
	CHECK(skl_match_visit_matches(t, &k, log_visit, &log) == 42 && log.n == 3,
	      "visit did not stop: %d", log.n);
	skl_match_free(t);
}

static void test_rebuild_from_table(void)
{
	struct skl_match_rule rules[] = {
		r4("10.0.0.1/32", 80, 80, NULL, 0),
		r4("10.0.0.0/24", 80, 80, NULL, 0),
		r4("10.0.0.1/32", 0, 65535, NULL, 0),
		r4("10.0.0.0/8", 0, 65535, NULL, 0),
	};
	struct skl_match_table *t = build(rules, 4), *t2;
	const struct skl_match_rule *copy;
	struct skl_match_rule less[4];
	u32 n, i;

	copy = skl_match_rules(t, &n);
	CHECK(n == 4 && copy, "%u rules", n);
	CHECK(skl_match_table_bytes(t) > 4 * sizeof(rules[0]), "bytes %zu",
	      skl_match_table_bytes(t));
	/* drop the /32 any-port rule: the rest is still in table order */
	for (i = 0, n = 0; i < 4; i++)
		if (copy[i].id != rules[2].id)
			less[n++] = copy[i];
	t2 = build(less, n);
	EXPECT(t2, k4("10.0.0.1", 80, NULL, 0, 0), rules[0].id);
	EXPECT(t2, k4("10.0.0.1", 81, NULL, 0, 0), rules[3].id);
	EXPECT(t2, k4("10.0.0.2", 80, NULL, 0, 0), rules[1].id);
	EXPECT(t, k4("10.0.0.1", 81, NULL, 0, 0), rules[2].id);
	skl_match_free(t);
	skl_match_free(t2);
}

/* Every one of many /32 and /128 rules is found by its own address, and only by it. */
static void test_many_hosts(void)
{
	enum { N = 200000 };
	struct skl_match_rule *rules = calloc(N, sizeof(*rules));
	struct skl_match_table *t4, *t6;
	struct skl_match_key k;
	u32 i;

	for (i = 0; i < N; i++) {
		rules[i] = r4("0.0.0.0/32", 443, 443, NULL, 0);
		rules[i].dst.ip = htonl(0x0a000000 + i * 7);
	}
	t4 = build(rules, N);
	for (i = 0; i < N; i++) {
		rules[i] = r6("2001:db8::/128", 443, 443, NULL, 0);
		rules[i].dst.ip6.s6_addr32[3] = htonl(i * 7);
		rules[i].dst.ip6.s6_addr32[1] = htonl(i % 3);
	}
	t6 = build(rules, N);
	for (i = 0; i < N; i += 3) {
		memset(&k, 0, sizeof(k));
		k.dport = 443;
		k.dst.ip = htonl(0x0a000000 + i * 7);
		CHECK(hit(t4, &k) == rules[i].id - N, "v4 host %u", i);
		k.dst.ip = htonl(0x0a000000 + i * 7 + 1);
		CHECK(hit(t4, &k) == 0, "v4 host %u + 1", i);
		k.dst.ip6 = rules[i].dst.ip6;
		CHECK(hit(t6, &k) == rules[i].id, "v6 host %u", i);
		k.dst.ip6.s6_addr[15] ^= 1;
		CHECK(hit(t6, &k) == 0, "v6 host %u ^ 1", i);
		if (test_failed)
			break;
	}
	skl_match_free(t4);
	skl_match_free(t6);
	free(rules);
}

/* Differential fuzz test against the reference */


static bool chance(u32 percent)
{
	return below(100) < percent;
}

static void mask_addr(union skl_match_addr *a, u8 family, int len)
{
	int bits = family == AF_INET ? 32 : 128, i;
	u8 *b = (u8 *)a;

	for (i = len; i < bits; i++)
		b[i / 8] &= (u8)~(0x80 >> (i % 8));
}

/* Flips up to @n random bits among the last @span bits of an address. */
static void jitter_addr(union skl_match_addr *a, u8 family, int span, int n)
{
	int bits = family == AF_INET ? 32 : 128, i, bit;
	u8 *b = (u8 *)a;

	for (i = 0; i < n; i++) {
		bit = bits - 1 - (int)below((u32)span);
		b[bit / 8] ^= (u8)(0x80 >> (bit % 8));
	}
}

/* Addresses cluster around a few bases so that prefixes nest and overlap. */
struct fuzz_pool {
	union skl_match_addr base[2][6];	/* [family][i] */
};

static void random_addr(const struct fuzz_pool *pool, u8 family, union skl_match_addr *a)
{
	int fi = family == AF_INET6;

	*a = pool->base[fi][below(chance(80) ? 3 : 6)];
	jitter_addr(a, family, chance(70) ? 8 : (family == AF_INET ? 32 : 128),
		    (int)below(4));
}

static u8 random_len(u8 family)
{
	int max = family == AF_INET ? 32 : 128;

	if (chance(40))
		return (u8)max;
	if (chance(50))
		return (u8)(max - below(9));
	if (chance(10))
		return 0;
	return (u8)below((u32)max + 1);
}

static const u16 port_pool[] = { 0, 1, 2, 22, 53, 79, 80, 81, 443, 8080, 65534, 65535 };

static u16 random_port(void)
{
	return chance(70) ? port_pool[below(sizeof(port_pool) / sizeof(port_pool[0]))] :
			    (u16)below(65536);
}

static void random_rule(const struct fuzz_pool *pool, struct skl_match_rule *r, u8 proto,
			u8 family, u8 phase)
{
	u16 a, b;

	memset(r, 0, sizeof(*r));
	r->proto = proto;
	r->family = family;
	r->phase = phase;
	r->dst_len = random_len(family);
	random_addr(pool, family, &r->dst);
	mask_addr(&r->dst, family, r->dst_len);
	if (chance(20)) {
		r->port_lo = 0;
		r->port_hi = 65535;
	} else if (chance(50)) {
		r->port_lo = r->port_hi = random_port();
	} else {
		a = random_port();
		b = chance(50) ? (u16)(a + below(20) < 65536 ? a + below(20) : 65535) :
				 random_port();
		r->port_lo = a < b ? a : b;
		r->port_hi = a < b ? b : a;
	}
	if (chance(50)) {
		r->src_len = random_len(family);
		random_addr(pool, family, &r->src);
		mask_addr(&r->src, family, r->src_len);
	}
	r->ifindex = chance(70) ? 0 : (int)(1 + below(3));
}

/* A lookup aimed at a random rule of the set, or anywhere near the pool. */
static void random_lookup(const struct fuzz_pool *pool, const struct skl_match_rule *rules,
			  u32 n, u8 family, struct skl_match_key *k)
{
	const struct skl_match_rule *r = n && chance(80) ? &rules[below(n)] : NULL;
	int bits = family == AF_INET ? 32 : 128;

	memset(k, 0, sizeof(*k));
	random_addr(pool, family, &k->dst);
	random_addr(pool, family, &k->src);
	k->dport = random_port();
	k->dif = chance(50) ? 0 : (int)below(4);
	k->sdif = chance(70) ? 0 : (int)below(4);
	if (!r || r->family != family)
		return;
	/* inside the rule's prefix, with random host bits */
	k->dst = r->dst;
	jitter_addr(&k->dst, family, bits - r->dst_len, (int)below(3));
	if (chance(80))
		k->dport = chance(50) ? r->port_lo : (chance(50) ? r->port_hi :
			   (u16)(r->port_lo + below((u32)r->port_hi - r->port_lo + 1)));
	if (chance(70)) {
		k->src = r->src;
		jitter_addr(&k->src, family, bits - r->src_len, (int)below(3));
	}
	if (r->ifindex && chance(70))
		k->dif = r->ifindex;
}

static const u8 fuzz_protos[] = { IPPROTO_TCP, IPPROTO_UDP };
static const u8 fuzz_families[] = { AF_INET, AF_INET6 };

struct fuzz_case {
	struct skl_match_rule *rules;
	u32 n;
	struct skl_match_key key;
	u8 proto, family, phase;
};

/* Builds the table of the case's kind from the rules of that kind. */
static int fuzz_build(const struct fuzz_case *c, u8 proto, u8 family, u8 phase,
		      struct skl_match_table **tablep)
{
	struct skl_match_rule *sel = malloc((c->n + 1) * sizeof(*sel));
	u32 i, m = 0;
	int err;

	for (i = 0; i < c->n; i++)
		if (c->rules[i].proto == proto && c->rules[i].family == family &&
		    c->rules[i].phase == phase)
			sel[m++] = c->rules[i];
	err = skl_match_build(sel, m, tablep);
	free(sel);
	return err;
}

/* Does table @t disagree with the reference on this case? Sets @why if so. */
static bool fuzz_check(const struct fuzz_case *c, const struct skl_match_table *t, char *why,
		       size_t size)
{
	const struct skl_match_rule **all = malloc((c->n + 1) * sizeof(*all));
	const struct skl_match_rule *want, *got;
	struct visit_log log = { .n = 0 };
	bool bad = false;
	u32 i, nall;

	want = skl_ref_lookup(c->rules, c->n, c->proto, c->family, c->phase, &c->key);
	got = skl_match_lookup(t, &c->key);
	if ((want ? want->id : 0) != (got ? got->id : 0)) {
		char a[200], b[200];

		snprintf(why, size, "lookup: got %s; want %s", fmt_rule(got, a, sizeof(a)),
			 fmt_rule(want, b, sizeof(b)));
		bad = true;
		goto out;
	}
	nall = skl_ref_all(c->rules, c->n, c->proto, c->family, c->phase, &c->key, all);
	skl_match_visit_matches(t, &c->key, collect_visit, &log);
	for (i = 0; i < nall && i < 16; i++)
		if ((int)i >= log.n || log.ids[i] != all[i]->id)
			break;
	if (i < (nall < 16 ? nall : 16) || (u32)log.n != (nall < 16 ? nall : 16)) {
		snprintf(why, size, "visit_matches: %d visits, reference has %u matches, differ at %u",
			 log.n, nall, i);
		bad = true;
	}
out:
	free(all);
	return bad;
}

/* Does the matcher, built afresh, disagree with the reference on this case? */
static bool fuzz_disagrees(const struct fuzz_case *c, char *why, size_t size)
{
	struct skl_match_table *t;
	bool bad;
	int err;

	err = fuzz_build(c, c->proto, c->family, c->phase, &t);
	if (err) {
		snprintf(why, size, "build failed: %d", err);
		return true;
	}
	bad = fuzz_check(c, t, why, size);
	skl_match_free(t);
	return bad;
}

/* Drops rules from a failing case while it still fails, so the report stays readable. */
static void fuzz_shrink(struct fuzz_case *c)
{
	struct skl_match_rule *saved = malloc(c->n * sizeof(*saved));
	u32 chunk, i, n;
	char why[512];

	for (chunk = c->n / 2; chunk >= 1; chunk /= 2) {
		for (i = 0; i + chunk <= c->n; ) {
			n = c->n;
			memcpy(saved, c->rules, n * sizeof(*saved));
			memmove(&c->rules[i], &c->rules[i + chunk],
				(n - i - chunk) * sizeof(*saved));
			c->n = n - chunk;
			if (fuzz_disagrees(c, why, sizeof(why)))
				continue;
			c->n = n;
			memcpy(c->rules, saved, n * sizeof(*saved));
			i += chunk;
		}
	}
	free(saved);
}

static u64 fuzz_seed;
static double fuzz_seconds = 10;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_fuzz(void)
{
	double start = now();
	u64 sets = 0, lookups = 0, max_rules = 0;
	struct fuzz_case c;
	char why[512], buf[256];
	struct fuzz_pool pool;
	u32 i, size, nkinds, j;
	struct skl_match_table *tables[4];
	u8 kinds[4][3];
	u64 *ids;
	int err;

	rng_state = fuzz_seed;
	note("seed %llu (SKL_SEED=%llu to repeat)\n", (unsigned long long)fuzz_seed,
	     (unsigned long long)fuzz_seed);
	while (now() - start < fuzz_seconds && !test_failed) {
		for (i = 0; i < 6; i++) {
			pool.base[0][i].ip = (__be32)rnd();
			for (j = 0; j < 4; j++)
				pool.base[1][i].ip6.s6_addr32[j] = (u32)rnd();
		}
		/* log-uniform sizes, up to a few thousand */
		size = 1u << below(13);
		size = size + below(size);
		c.rules = malloc(size * sizeof(*c.rules));
		ids = malloc(size * sizeof(*ids));
		nkinds = 1 + below(4);
		for (i = 0; i < nkinds; i++) {
			kinds[i][0] = fuzz_protos[below(2)];
			kinds[i][1] = fuzz_families[below(2)];
			kinds[i][2] = (u8)below(SKL_PHASE_COUNT);
		}
		for (i = 0; i < size; i++) {
			j = below(nkinds);
			random_rule(&pool, &c.rules[i], kinds[j][0], kinds[j][1], kinds[j][2]);
			ids[i] = i + 1;
		}
		/* ids unique, unrelated to the order of the array */
		for (i = size; i > 1; i--) {
			j = below(i);
			c.rules[i - 1].id = ids[j];
			ids[j] = ids[i - 1];
		}
		if (size)
			c.rules[0].id = ids[0];
		c.n = size;
		max_rules = size > max_rules ? size : max_rules;
		for (j = 0; j < nkinds; j++) {
			err = fuzz_build(&c, kinds[j][0], kinds[j][1], kinds[j][2], &tables[j]);
			CHECK(!err, "set %llu: build failed: %d", (unsigned long long)sets, err);
			check_devs(tables[j]);
		}
		for (i = 0; i < 1000 && !test_failed; i++) {
			j = below(nkinds);
			c.proto = kinds[j][0];
			c.family = kinds[j][1];
			c.phase = kinds[j][2];
			random_lookup(&pool, c.rules, c.n, c.family, &c.key);
			lookups++;
			if (!fuzz_check(&c, tables[j], why, sizeof(why)))
				continue;
			test_failed = 1;
			note("set %llu, lookup %u: %s\n", (unsigned long long)sets, i, why);
			fuzz_shrink(&c);
			fuzz_disagrees(&c, why, sizeof(why));
			note("shrunk to %u rules: %s\n", c.n, why);
			note("lookup %s %s phase %u: %s\n",
			     c.proto == IPPROTO_TCP ? "tcp" : "udp",
			     c.family == AF_INET ? "v4" : "v6", c.phase,
			     fmt_key(c.family, &c.key, buf, sizeof(buf)));
			for (j = 0; j < c.n && j < 40; j++)
				note("rule %s\n", fmt_rule(&c.rules[j], buf, sizeof(buf)));
		}
		for (j = 0; j < nkinds; j++)
			skl_match_free(tables[j]);
		free(c.rules);
		free(ids);
		sets++;
	}
	note("%llu rule sets (largest %llu rules), %llu lookups in %.1f s\n",
	     (unsigned long long)sets, (unsigned long long)max_rules,
	     (unsigned long long)lookups, now() - start);
}

int main(int argc, char **argv)
{
	const char *seed = argc > 1 ? argv[1] : getenv("SKL_SEED");
	const char *secs = getenv("SKL_FUZZ_SECONDS");
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	fuzz_seed = seed ? strtoull(seed, NULL, 0) : (u64)ts.tv_sec * 1000003 + ts.tv_nsec;
	if (secs)
		fuzz_seconds = atof(secs);

	run("matcher: rule validation", test_validate);
	run("matcher: build errors", test_build_errors);
	run("matcher: empty table", test_empty);
	run("matcher: table index", test_table_index);
	run("matcher: precedence by destination prefix length", test_prec_dst_len);
	run("matcher: precedence by port range width", test_prec_port_width);
	run("matcher: precedence by source prefix length", test_prec_src_len);
	run("matcher: precedence by device", test_prec_device);
	run("matcher: a device absent, then followed", test_device_follows);
	run("matcher: precedence by age", test_prec_age);
	run("matcher: every field must match", test_fields);
	run("matcher: ipv6 /0 /32 /48 /64 /65 /127 /128", test_ipv6);
	run("matcher: ipv4 /0 /1 /32 edges", test_v4_edges);
	run("matcher: ports 0, 1, 65535 and ranges", test_port_edges);
	run("matcher: source, device and port fall back to a shorter prefix",
	    test_fallback_to_shorter);
	run("matcher: many rules on one prefix", test_many_on_one_prefix);
	run("matcher: heavily overlapping port ranges", test_overlapping_ranges);
	run("matcher: visit_matches order and stop", test_for_each);
	run("matcher: rebuild from a table's rules", test_rebuild_from_table);
	run("matcher: 200000 hosts, v4 and v6", test_many_hosts);
	run("matcher: differential fuzz against the naive reference", test_fuzz);
	return failures ? 1 : 0;
}
