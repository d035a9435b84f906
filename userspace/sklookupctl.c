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

static const struct skl_command commands[] = {
	{ "add-rule", add_rule_main,
	  "proto tcp|udp dst PREFIX [port N|LO-HI|any] [src PREFIX] [dev IFNAME]\n"
	  "           [phase first|specific|fallback]\n"
	  "           (label NAME [noreuseport] | redirect ADDR[:PORT] | drop)",
	  "add a rule; prints its id" },
	{ "del-rule", del_rule_main, "ID", "delete a rule" },
	{ "show", show_main, "[-s] [label NAME]",
	  "rules, and labels with their sockets; -s adds their counters" },
	{ "flush", flush_main, "", "delete every rule (sockets stay registered)" },
	{ "apply", apply_main, "[--check] [--generation N] FILE|-",
	  "replace every rule at once with a file's (the words of add-rule, one rule a line)\n"
	  "      and print the rules removed (-) and added (+); with --generation, only if the\n"
	  "      rules are still those of generation N; with --check, change nothing: exit 0\n"
	  "      if nothing would change, 1 if something would, 2 on an error" },
	{ "dump", dump_main, "[--generation]",
	  "print the rules in the form apply reads; --generation first prints\n"
	  "      '# generation N', N being the generation of the rules printed" },
	{ "fmt", fmt_main, "FILE|-",
	  "check a rule file without the module and print its rules as dump would" },
	{ "register", register_main,
	  "label NAME fd N [pid PID]\n"
	  "           | label NAME pid PID [proto tcp|udp] [local ADDR[:PORT]]\n"
	  "           | label NAME systemd",
	  "register a listening TCP or bound UDP socket under a label; with pid and no fd,\n"
	  "      every one of the process (that proto and local admit); prints what it took" },
	{ "unregister", unregister_main, "label NAME",
	  "release every socket registered under a label" },
	{ "status", status_main, "",
	  "module version, hooks and what each hook has seen" },
	{ "explain", explain_main,
	  "proto tcp|udp dst ADDR port N [src ADDR[:PORT]] [dev IFNAME]",
	  "where a new connection or datagram would go, and which rules decide it" },
	{ "monitor", monitor_main, "",
	  "print changes as they happen: rules, sockets registered and released" },
	{ "stats", stats_main, "[--prometheus]",
	  "the namespace's counters summed; --prometheus: in Prometheus' text format" },
};

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

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: sklookupctl [OPTIONS] COMMAND [ARGUMENTS]\n"
		"\n"
		"Options:\n"
		"  -j, --json          print JSON instead of text\n"
		"  -s, --stats         show counters (as 'show -s')\n"
		"  -n, --netns NAME    act in the network namespace NAME (as 'ip -n')\n"
		"  -h, --help          print this help and exit\n"
		"  -V, --version       print the version of sklookupctl and exit\n"
		"\n"
		"Commands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %s%s%s\n      %s\n", commands[i].name,
			commands[i].usage[0] ? " " : "", commands[i].usage,
			commands[i].summary);
	fprintf(f, "\nSee sklookupctl(8).\n");
}

/* Enter /run/netns/NAME, the namespaces 'ip netns add' creates. */
static int enter_netns(const char *name)
{
	char path[4096];
	int fd;

	if (!name[0] || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, "..")) {
		skl_err("netns: invalid namespace name '%s'", name);
		return -1;
	}
	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		skl_err("netns: cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (setns(fd, CLONE_NEWNET) < 0) {
		skl_err("netns: cannot enter %s: %s", name, strerror(errno));
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
	const char *netns = NULL;
	bool json = false;
	size_t i;
	int opt;

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
			usage(stdout);
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
		usage(stderr);
		return SKL_EXIT_USAGE;
	}
	if (netns && enter_netns(netns) < 0)
		return SKL_EXIT_FAIL;

	out_init(json);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (!strcmp(argv[optind], commands[i].name))
			return finish(commands[i].main(argc - optind - 1, argv + optind + 1));
	}
	skl_err("unknown command '%s'; try 'sklookupctl --help'", argv[optind]);
	return SKL_EXIT_USAGE;
}
