/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SKLCTL_REGISTER_PID_H
#define SKLCTL_REGISTER_PID_H

#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>

#include "addr.h"

/* Which of a process's sockets "register label NAME pid PID" takes. */
struct skl_sock_filter {
	uint8_t proto;			/* IPPROTO_TCP, IPPROTO_UDP, or 0 for both */
	bool has_local;
	struct skl_endpoint local;	/* the bound address, and the port unless 0 */
};

/*
 * Register every listening TCP and bound UDP socket of process @pid that @filter admits
 * under @label, printing one line per socket. Returns the process exit status.
 */
int register_pid(const char *label, long pid, const struct skl_sock_filter *filter);

/*
 * The next socket among the entries of @dir, an open /proc/PID/fd: 1 with its descriptor
 * in @fd and its inode in @inode, or 0 when none is left.
 */
int skl_next_socket_fd(DIR *dir, int *fd, unsigned long long *inode);

#endif /* SKLCTL_REGISTER_PID_H */
