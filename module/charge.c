// SPDX-License-Identifier: GPL-2.0
/*
 * Arrays that grow with the number of rules (a million rules make tables of hundreds of
 * megabytes), allocated for a change request and charged to the caller's memory cgroup.
 *
 * kvmalloc() with __GFP_RETRY_MAYFAIL would also retry hard, compacting memory, for a
 * physically contiguous block of any size before it falls back to vmalloc. Instead, as
 * BPF does for its maps: a cheap kmalloc() attempt for sizes the page allocator serves
 * easily, and vmalloc() with __GFP_RETRY_MAYFAIL for the rest, page by page, so that a
 * cgroup at its limit fails the request instead of invoking its OOM killer.
 */
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "charge.h"
#include "fault.h"

static void *skl_alloc_charged_gfp(size_t n, size_t size, gfp_t gfp)
{
	size_t bytes;
	void *p;

	if (skl_fault() || check_mul_overflow(n, size, &bytes))
		return NULL;
	if (bytes <= PAGE_SIZE << PAGE_ALLOC_COSTLY_ORDER) {
		p = kmalloc(bytes, (gfp & ~__GFP_RETRY_MAYFAIL) | __GFP_NORETRY);
		if (p)
			return p;
	}
	return __vmalloc(bytes, gfp);
}

/**
 * skl_alloc_charged() - an array for a change request, charged to the caller
 * @n: number of elements
 * @size: size of an element
 *
 * May sleep. Free with kvfree().
 *
 * Return: the array, or NULL on overflow, out of memory or over the caller's memory
 * cgroup limit.
 */
void *skl_alloc_charged(size_t n, size_t size)
{
	return skl_alloc_charged_gfp(n, size, SKL_GFP_CHARGED);
}

/**
 * skl_zalloc_charged() - skl_alloc_charged(), zeroed
 * @n: number of elements
 * @size: size of an element
 *
 * Return: the zeroed array, or NULL.
 */
void *skl_zalloc_charged(size_t n, size_t size)
{
	return skl_alloc_charged_gfp(n, size, SKL_GFP_CHARGED | __GFP_ZERO);
}
