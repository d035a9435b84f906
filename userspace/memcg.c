// SPDX-License-Identifier: GPL-2.0
/* Which memory cgroup limit a refusal for want of memory most likely hit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memcg.h"

/* This process's cgroup v2 path, the "0::" line of /proc/self/cgroup. */
static int own_cgroup(char *path, size_t len)
{
	FILE *f = fopen("/proc/self/cgroup", "re");
	char line[4096];
	int ret = -1;

	if (!f)
		return -1;
	while (ret && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::/", 4))
			continue;
		line[strcspn(line, "\n")] = '\0';
		if ((size_t)snprintf(path, len, "%s", line + 3) < len)
			ret = 0;
	}
	fclose(f);
	return ret;
}

/*
 * Where the cgroup v2 hierarchy is mounted: the mount point of the first cgroup2 line of
 * /proc/self/mountinfo ("ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS... - cgroup2 ...").
 */
static int cgroup2_mount(char *dir, size_t len)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096], root[4096], point[4096];
	const char *sep;
	int ret = -1;

	if (!f)
		return -1;
	while (ret && fgets(line, sizeof(line), f)) {
		sep = strstr(line, " - ");
		if (!sep || strncmp(sep, " - cgroup2 ", 11))
			continue;
		if (sscanf(line, "%*s %*s %*s %4095s %4095s", root, point) != 2 ||
		    strcmp(root, "/"))
			continue;
		if ((size_t)snprintf(dir, len, "%s", point) < len)
			ret = 0;
	}
	fclose(f);
	return ret;
}

/* The memory.max of cgroup @path: 0 with the limit, or -1 for "max" or no such file. */
static int read_memory_max(const char *mount, const char *path, unsigned long long *limit)
{
	char file[8192], value[64], *end;
	FILE *f;
	int ret = -1;

	snprintf(file, sizeof(file), "%s%s/memory.max", mount, path);
	f = fopen(file, "re");
	if (!f)
		return -1;
	if (fgets(value, sizeof(value), f)) {
		*limit = strtoull(value, &end, 10);
		if (end != value && (*end == '\n' || *end == '\0'))
			ret = 0;
	}
	fclose(f);
	return ret;
}

int memcg_limit(char *path, size_t len, unsigned long long *limit)
{
	char mount[4096], *slash;

	if (own_cgroup(path, len) || cgroup2_mount(mount, sizeof(mount)))
		return -1;
	/* The root cgroup has no memory.max; a limit of an ancestor binds too. */
	while (strcmp(path, "/")) {
		if (!read_memory_max(mount, path, limit))
			return 0;
		slash = strrchr(path, '/');
		if (slash == path)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
	return -1;
}
