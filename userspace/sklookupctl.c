// SPDX-License-Identifier: GPL-2.0
/* sklookupctl: manage sklookup's socket steering over generic netlink. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "output.h"
#include "util.h"

#ifndef SKL_VERSION
#error "SKL_VERSION is not defined: build with userspace/Makefile"
#endif

bool skl_opt_stats;

void skl_err(const char *fmt, ...)
{
	va_list ap;

	out_flush();
	fputs("sklookupctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/*
 * Enter the network namespace @arg: a name of "ip netns" (/run/netns/NAME), or, when it
 * has a '/', the path of any nsfs file, as nsenter --net takes (/proc/PID/ns/net, a bind
 * mount of one). Errors name @arg as given.
 */
static int enter_netns(const char *arg)
{
	bool named = !strchr(arg, '/');
	const char *path = arg;
	char buf[4096];
	int fd;

	if (named) {
		if (!arg[0] || !strcmp(arg, ".") || !strcmp(arg, "..")) {
			skl_err("netns '%s': not a namespace name; give a name of 'ip netns list' or a path",
				arg);
			return -1;
		}
		snprintf(buf, sizeof(buf), "/run/netns/%s", arg);
		path = buf;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (named && errno == ENOENT)
			skl_err("netns '%s': no such namespace (no %s; 'ip netns list' lists them)",
				arg, path);
		else if (errno == EACCES || errno == EPERM)
			skl_err("netns '%s': entering a network namespace needs CAP_SYS_ADMIN (%s)",
				arg, strerror(errno));
		else
			skl_err("netns '%s': %s", arg, strerror(errno));
		return -1;
	}
	if (setns(fd, CLONE_NEWNET) < 0) {
		/* EINVAL: not an nsfs file, or the namespace of another kind. */
		if (errno == EINVAL)
			skl_err("netns '%s': not a network namespace", arg);
		else if (errno == EPERM)
			skl_err("netns '%s': entering a network namespace needs CAP_SYS_ADMIN (%s)",
				arg, strerror(errno));
		else
			skl_err("netns '%s': cannot enter it: %s", arg, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/*
 * A descriptor 0, 1 or 2 that the caller closed would be taken by the next file opened,
 * the netlink socket: what is meant for stdout would be sent to the module, and lost
 * without an error. Hold each on /dev/null, opened the other way round, so that using it
 * still fails (EBADF) as a closed descriptor does.
 */
static void hold_standard_fds(void)
{
	int fd;

	for (fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		/* The lowest free descriptor: this one, as those below it are open. */
		if (open("/dev/null", fd ? O_RDONLY : O_WRONLY) != fd)
			return;
	}
}

/* The exit status, made a failure if output was lost (out_close() said so). */
static int finish(int ret)
{
	if (out_close() && !ret)
		return SKL_EXIT_FAIL;
	return ret;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "stats", no_argument, NULL, 's' },
		{ "netns", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 }
	};
	const struct skl_command *cmd;
	const char *netns = NULL;
	bool json = false;
	int opt, i;

	hold_standard_fds();
	/*
	 * '+': options end at the command; its own words are its business. ':': report
	 * mistakes ourselves, in the "sklookupctl: ..." form of every other error.
	 */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:jsn:hV", options, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = true;
			break;
		case 's':
			skl_opt_stats = true;
			break;
		case 'n':
			netns = optarg;
			break;
		case 'h':
			skl_usage(stdout);
			return finish(0);
		case 'V':
			printf("sklookupctl %s\n", SKL_VERSION);
			return finish(0);
		case ':':
			skl_err("option '%s' needs an argument", argv[optind - 1]);
			return SKL_EXIT_USAGE;
		default:
			if (optopt)
				skl_err("unknown option '-%c'; try 'sklookupctl --help'", optopt);
			else
				skl_err("unknown option '%s'; try 'sklookupctl --help'",
					argv[optind - 1]);
			return SKL_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		skl_usage(stderr);
		return SKL_EXIT_USAGE;
	}
	cmd = skl_command_find(argv[optind]);
	if (!cmd) {
		skl_err("unknown command '%s'; try 'sklookupctl --help'", argv[optind]);
		return SKL_EXIT_USAGE;
	}
	/* COMMAND -h or --help, anywhere among its words, as git and systemctl take it. */
	for (i = optind + 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			skl_command_help(stdout, cmd);
			return finish(0);
		}
	}
	if (netns && enter_netns(netns) < 0)
		return SKL_EXIT_FAIL;

	out_init(json);
	return finish(cmd->main(argc - optind - 1, argv + optind + 1));
}
