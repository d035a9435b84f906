/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SKL_CHARGE_H
#define SKL_CHARGE_H

#include <linux/gfp.h>
#include <linux/types.h>

/*
 * What a change request makes the module allocate is charged to the caller's memory
 * cgroup, and over the cgroup's limit the request fails with -ENOMEM once reclaim has
 * tried: __GFP_RETRY_MAYFAIL keeps a charge from waking the cgroup's OOM killer, which
 * would kill the caller (or its neighbours) for asking. No warning either: a cgroup at
 * its limit is the administrator's setting, not a kernel problem.
 */
#define SKL_GFP_CHARGED	(GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL | __GFP_NOWARN)

/* How a refusal for want of memory ends, so that the user looks at the right limit. */
#define SKL_CHARGED_HINT	": the module's memory is charged to the caller's memory cgroup"

void *skl_alloc_charged(size_t n, size_t size);
void *skl_zalloc_charged(size_t n, size_t size);

#endif /* SKL_CHARGE_H */
