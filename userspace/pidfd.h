/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SKLCTL_PIDFD_H
#define SKLCTL_PIDFD_H

#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

/* Older C libraries (Debian 11's) know the system calls but not their names. */
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

/* A file descriptor that names process @pid for as long as it is open, or -1 with errno. */
static inline int skl_pidfd_open(pid_t pid)
{
	return syscall(SYS_pidfd_open, pid, 0);
}

/* A copy of file descriptor @fd of the process @pidfd names (needs ptrace access to it). */
static inline int skl_pidfd_getfd(int pidfd, int fd)
{
	return syscall(SYS_pidfd_getfd, pidfd, fd, 0);
}

#endif /* SKLCTL_PIDFD_H */
