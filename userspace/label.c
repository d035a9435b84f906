// SPDX-License-Identifier: GPL-2.0
/* sklookupctl register, unregister: sockets under labels. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <netinet/in.h>

#include "sklookup.h"
#include "addr.h"
#include "commands.h"
#include "nl.h"
#include "pidfd.h"
#include "register_pid.h"
#include "rule_parse.h"
#include "state.h"
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

	pidfd = skl_pidfd_open(pid);
	if (pidfd < 0) {
		skl_err("register: pid %ld: %s", pid, strerror(errno));
		return -1;
	}
	copy = skl_pidfd_getfd(pidfd, fd);
	if (copy < 0)
		skl_err("register: fd %ld of pid %ld: %s", fd, pid, strerror(errno));
	close(pidfd);
	return copy;
}

#define REGISTER_USAGE \
	"register: usage: register label NAME fd N [pid PID] | " \
	"register label NAME pid PID [proto tcp|udp] [local ADDR[:PORT]] | " \
	"register label NAME systemd"

int register_main(int argc, char **argv)
{
	struct skl_sock_filter filter = { 0 };
	struct skl_rule rule = { 0 };
	const char *label = NULL, *why;
	long fd = -1, pid = 0, n, i;
	char what[64], printable[256];
	struct skl_nl nl;
	int systemd = 0, ret = 0, own;
	struct stat st;

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
			label = argv[++i];
			why = rule_label_invalid(label);
			if (why) {
				skl_err("register: label '%s': %s",
					skl_printable(label, printable, sizeof(printable)), why);
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
		} else if (!strcmp(argv[i], "proto")) {
			/* A rule's word: the same values and the same refusal. */
			if (parse_rule_word("register", "proto", argv[++i], &rule))
				return SKL_EXIT_USAGE;
			filter.proto = rule.proto;
		} else if (!strcmp(argv[i], "local")) {
			if (skl_endpoint_parse(argv[++i], &filter.local, &why)) {
				skl_err("register: local '%s': %s", argv[i], why);
				return SKL_EXIT_USAGE;
			}
			filter.has_local = true;
		} else {
			skl_err("register: unknown keyword '%s'; expected label, fd, pid, proto, local or systemd",
				argv[i]);
			return SKL_EXIT_USAGE;
		}
	}
	if (!label || (fd < 0 && !pid && !systemd) || (systemd && (fd >= 0 || pid))) {
		skl_err(REGISTER_USAGE);
		return SKL_EXIT_USAGE;
	}
	if ((filter.proto || filter.has_local) && (fd >= 0 || systemd)) {
		skl_err("register: proto and local choose among the sockets of pid PID; they do not go with %s",
			systemd ? "systemd" : "fd");
		return SKL_EXIT_USAGE;
	}
	if (pid && fd < 0)
		return register_pid(label, pid, &filter);

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
	if (pid && !ret && fstat(own, &st) == 0) {
		uint64_t inode = st.st_ino;

		state_record(label, pid, &inode, 1);
	}
	if (pid)
		close(own);
	return ret;
}

int unregister_main(int argc, char **argv)
{
	char printable[256];
	const char *why;
	struct nlmsghdr *nlh;
	struct skl_nl nl;
	int ret = 0;

	if (argc != 2 || strcmp(argv[0], "label")) {
		skl_err("unregister: usage: unregister label NAME");
		return SKL_EXIT_USAGE;
	}
	why = rule_label_invalid(argv[1]);
	if (why) {
		skl_err("unregister: label '%s': %s",
			skl_printable(argv[1], printable, sizeof(printable)), why);
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
	/* Released by hand: restore must not take it again. */
	if (!ret)
		state_forget_label(argv[1]);
	return ret;
}
