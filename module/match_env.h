/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few things the rule matcher needs from its surroundings, so that match.c compiles
 * unchanged in the module and in the user-space tests (tests/host/), where it is checked
 * against a naive reference and benchmarked.
 */
#ifndef SKL_MATCH_ENV_H
#define SKL_MATCH_ENV_H

#ifdef __KERNEL__

#include <linux/errno.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/types.h>
#include <asm/byteorder.h>

#include "charge.h"

/* Index of the lowest set bit of a non-zero word. */
static inline unsigned int skl_match_ffs64(u64 word)
{
	return __ffs64(word);
}

/*
 * Tables are built in process context on behalf of a user who changed the rules, so their
 * memory is charged to that user's memory cgroup (charge.c).
 */
static inline void *skl_match_alloc_array(size_t n, size_t size)
{
	return skl_alloc_charged(n, size);
}

static inline void skl_match_free_mem(void *p)
{
	kvfree(p);
}

static inline void skl_match_sort(void *base, size_t n, size_t size,
				  int (*cmp)(const void *, const void *))
{
	sort(base, n, size, cmp, NULL);
}

/* Building a million rules takes a while; let other tasks run in between. */
static inline void skl_match_resched(void)
{
	cond_resched();
}

#else /* !__KERNEL__ */

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <linux/types.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;

#ifndef U32_MAX
#define U32_MAX UINT32_MAX
#endif

#ifndef __force
#define __force
#endif

#define cpu_to_be32(x) ((__be32)htonl(x))
#define be32_to_cpu(x) ntohl((__force u32)(x))
#define be64_to_cpu(x) be64toh((__force u64)(x))
#define likely(x) __builtin_expect(!!(x), 1)
#define READ_ONCE(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, val) __atomic_store_n(&(x), (val), __ATOMIC_RELAXED)
#define unlikely(x) __builtin_expect(!!(x), 0)

static inline unsigned int skl_match_ffs64(u64 word)
{
	return __builtin_ctzll(word);
}

static inline void *skl_match_alloc_array(size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	return malloc(n * size);
}

static inline void skl_match_free_mem(void *p)
{
	free(p);
}

static inline void skl_match_sort(void *base, size_t n, size_t size,
				  int (*cmp)(const void *, const void *))
{
	qsort(base, n, size, cmp);
}

static inline void skl_match_resched(void)
{
}

#endif /* __KERNEL__ */

#endif /* SKL_MATCH_ENV_H */
