/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SKLCTL_MEMCG_H
#define SKLCTL_MEMCG_H

#include <stddef.h>

/*
 * The memory cgroup (v2) that limits this process: the nearest of its cgroup and that
 * cgroup's ancestors whose memory.max is not "max". The module charges what a change
 * makes it allocate to the caller's memory cgroup, so this is the likely cause when a
 * change is refused for want of memory. Returns 0 with @path (relative to the cgroup2
 * mount) and @limit in bytes, or -1 when there is no such limit or no cgroup2 mount.
 */
int memcg_limit(char *path, size_t len, unsigned long long *limit);

#endif /* SKLCTL_MEMCG_H */
