// SPDX-License-Identifier: GPL-2.0
/* sklookupctl register, unregister: sockets under labels. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Older C libraries (Debian 11's) know the system calls but not their names. */
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

#include "sklookup.h"
#include "commands.h"
#include "nl.h"
#include "rule_parse.h"
#include "util.h"

static int parse_number(const char *text, long max, long *value)
{
	char *end;

	if (!*text || *text == '-' || *text == '+')
		return -1;
	errno = 0;
	*value = strtol(text, &end, 10);
	return (errno || *end || *value > max) ? -1 : 0;
}

static int register_fd(struct skl_nl *nl, const char *label, int fd, const char *what)
{
	struct nlmsghdr *nlh = skl_nl_request(nl, SKL_CMD_SOCKET_ADD, 0);

	mnl_attr_put_strz(nlh, SKL_A_LABEL_NAME, label);
	mnl_attr_put_u32(nlh, SKL_A_LABEL_FD, fd);
	if (skl_nl_run(nl, nlh, NULL, NULL) < 0) {
		skl_nl_perror(nl, what);
		return -1;
	}
	return 0;
}

/* Copy fd @fd of process @pid into this process (needs ptrace access to @pid). */
static int steal_fd(long pid, long fd)
{
	int pidfd, copy;

	pidfd = syscall(SYS_pidfd_open, (pid_t)pid, 0);
	if (pidfd < 0) {
		skl_err("register: pid %ld: %s", pid, strerror(errno));
		return -1;
	}
	copy = syscall(SYS_pidfd_getfd, pidfd, (int)fd, 0);
	if (copy < 0)
		skl_err("register: fd %ld of pid %ld: %s", fd, pid, strerror(errno));
	close(pidfd);
	return copy;
}

int register_main(int argc, char **argv)
{
	const char *label = NULL;
	long fd = -1, pid = 0, n, i;
	char what[64];
	struct skl_nl nl;
	int systemd = 0, ret = 0, own;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "systemd")) {
			systemd = 1;
			continue;
		}
		if (i + 1 >= argc) {
			skl_err("register: missing value after '%s'", argv[i]);
			return SKL_EXIT_USAGE;
		}
		if (!strcmp(argv[i], "label")) {
			const char *why;

			label = argv[++i];
			why = rule_label_invalid(label);
			if (why) {
				skl_err("register: label '%s': %s", label, why);
				return SKL_EXIT_USAGE;
			}
		} else if (!strcmp(argv[i], "fd")) {
			if (parse_number(argv[++i], 0x7fffffff, &fd)) {
				skl_err("register: fd '%s': must be a file descriptor number", argv[i]);
				return SKL_EXIT_USAGE;
			}
		} else if (!strcmp(argv[i], "pid")) {
			if (parse_number(argv[++i], 0x7fffffff, &pid) || pid == 0) {
				skl_err("register: pid '%s': must be a process id", argv[i]);
				return SKL_EXIT_USAGE;
			}
		} else {
			skl_err("register: unknown keyword '%s'; expected label, fd, pid or systemd",
				argv[i]);
			return SKL_EXIT_USAGE;
		}
	}
	if (!label || (fd < 0) == !systemd || (systemd && pid)) {
		skl_err("register: usage: register label NAME fd N [pid PID] | register label NAME systemd");
		return SKL_EXIT_USAGE;
	}

	if (systemd) {
		const char *fds = getenv("LISTEN_FDS"), *lpid = getenv("LISTEN_PID");

		if (!fds || !lpid || parse_number(lpid, 0x7fffffff, &pid) || pid != getpid() ||
		    parse_number(fds, 1024, &n) || n == 0) {
			skl_err("register: no sockets passed by systemd (LISTEN_FDS/LISTEN_PID unset or not for this process)");
			return SKL_EXIT_FAIL;
		}
		if (skl_nl_open(&nl) < 0)
			return SKL_EXIT_FAIL;
		for (i = 0; i < n && !ret; i++) {
			snprintf(what, sizeof(what), "register: fd %ld", 3 + i);
			if (register_fd(&nl, label, 3 + i, what))
				ret = SKL_EXIT_FAIL;
		}
		skl_nl_close(&nl);
		return ret;
	}

	own = fd;
	if (pid) {
		own = steal_fd(pid, fd);
		if (own < 0)
			return SKL_EXIT_FAIL;
	}
	if (skl_nl_open(&nl) < 0)
		return SKL_EXIT_FAIL;
	snprintf(what, sizeof(what), "register: fd %ld", fd);
	if (register_fd(&nl, label, own, what))
		ret = SKL_EXIT_FAIL;
	skl_nl_close(&nl);
	if (pid)
		close(own);
	return ret;
}

int unregister_main(int argc, char **argv)
{
	struct nlmsghdr *nlh;
	struct skl_nl nl;
	int ret = 0;

	if (argc != 2 || strcmp(argv[0], "label")) {
		skl_err("unregister: usage: unregister label NAME");
		return SKL_EXIT_USAGE;
	}
	if (skl_nl_open(&nl) < 0)
		return SKL_EXIT_FAIL;
	nlh = skl_nl_request(&nl, SKL_CMD_LABEL_DEL, 0);
	mnl_attr_put_strz(nlh, SKL_A_LABEL_NAME, argv[1]);
	if (skl_nl_run(&nl, nlh, NULL, NULL) < 0) {
		skl_nl_perror(&nl, "unregister");
		ret = SKL_EXIT_FAIL;
	}
	skl_nl_close(&nl);
	return ret;
}
