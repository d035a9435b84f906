// SPDX-License-Identifier: GPL-2.0
/* Which process holds a socket, as ss -p and lsof find it: through /proc. */
#include <ctype.h>
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "owner.h"

static int holds(long pid, const char *want)
{
	char path[64], link[64];
	struct dirent *fd;
	int found = 0;
	ssize_t n;
	DIR *fds;

	snprintf(path, sizeof(path), "/proc/%ld/fd", pid);
	fds = opendir(path);
	if (!fds)
		return 0;
	while (!found && (fd = readdir(fds))) {
		snprintf(path, sizeof(path), "/proc/%ld/fd/%.16s", pid, fd->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n > 0) {
			link[n] = '\0';
			found = !strcmp(link, want);
		}
	}
	closedir(fds);
	return found;
}

long socket_owner(uint64_t inode, char *comm, size_t size)
{
	char want[48], path[64];
	struct dirent *proc;
	long pid = 0;
	DIR *dir;
	FILE *f;

	if (!inode)
		return 0;
	snprintf(want, sizeof(want), "socket:[%" PRIu64 "]", inode);
	dir = opendir("/proc");
	if (!dir)
		return 0;
	while (!pid && (proc = readdir(dir))) {
		long candidate = isdigit((unsigned char)proc->d_name[0]) ?
				 strtol(proc->d_name, NULL, 10) : 0;

		if (candidate <= 0 || !holds(candidate, want))
			continue;
		pid = candidate;
		snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
		f = fopen(path, "r");
		if (!f || !fgets(comm, size, f))
			snprintf(comm, size, "?");
		if (f)
			fclose(f);
		comm[strcspn(comm, "\n")] = '\0';
	}
	closedir(dir);
	return pid;
}
