// SPDX-License-Identifier: GPL-2.0
/*
 * The table of commands, which drives the dispatch, "sklookupctl --help" (whose output
 * README.md's usage block must equal: tests/host/cli.sh compares them) and the help of
 * each command ("sklookupctl help COMMAND", "COMMAND --help").
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "output.h"
#include "util.h"

/*
 * @usage: the words after the name; a new line goes on under the first word after the
 * name. @summary: what it does, in the command list. @options: one line per word, the
 * word and what it means, for the command's own help. @example: one command line.
 */
const struct skl_command skl_commands[] = {
	{ "add-rule", add_rule_main,
	  "proto tcp|udp dst PREFIX [port N|LO-HI|any] [src PREFIX] [dev IFNAME]\n"
	  "[phase first|specific|fallback]\n"
	  "(label NAME [noreuseport] [else drop] | redirect ADDR[:PORT] | drop)\n"
	  "[comment TEXT]",
	  "add a rule; prints its id",
	  "proto tcp|udp       the protocol of the new connection or datagram\n"
	  "dst PREFIX          its destination: an IPv4 or IPv6 address, with /LEN or not\n"
	  "port N|LO-HI|any    its destination port or ports (default: any)\n"
	  "src PREFIX          its source address\n"
	  "dev IFNAME          the device it came in on, by name: it need not exist yet\n"
	  "phase PHASE         first: before the kernel's own lookup (default); specific: when\n"
	  "                    no socket is bound to the exact address; fallback: when none at all\n"
	  "label NAME          steer it to a socket registered under NAME\n"
	  "noreuseport         pick a socket of the label itself, not by its reuseport group\n"
	  "else drop           drop it when the label has no live socket (default: the\n"
	  "                    kernel's own lookup answers, as if no rule had matched)\n"
	  "redirect ADDR[:PORT]  answer with what listens at ADDR and PORT\n"
	  "drop                answer as if no socket were there (TCP reset, ICMP unreachable)\n"
	  "comment TEXT        a note kept with the rule, 1 to 127 bytes of text: printed\n"
	  "                    with it, and its name in stats --prometheus\n",
	  "sklookupctl add-rule proto tcp dst 192.0.2.0/24 port 80 label web" },
	{ "del-rule", del_rule_main, "ID|RULE", "delete a rule, by its id or its words",
	  "ID                  the rule's id, as add-rule and show print it\n"
	  "RULE                the rule's words, as add-rule took them: the rule in force\n"
	  "                    with exactly these words goes\n",
	  "sklookupctl del-rule proto tcp dst 192.0.2.0/24 port 80 label web" },
	{ "show", show_main, "[-s] [label NAME]",
	  "rules, and labels with their sockets; -s adds their counters",
	  "-s                  add the counters of each rule and label\n"
	  "label NAME          only the label NAME and the rules that steer to it\n",
	  "sklookupctl show -s label web" },
	{ "flush", flush_main, "", "delete every rule (sockets stay registered)", "",
	  "sklookupctl flush" },
	{ "apply", apply_main, "[--check] [--generation N] FILE|-",
	  "replace every rule at once with a file's (the words of add-rule,\n"
	  "one rule a line, # comments) and print the rules removed (-) and\n"
	  "added (+); with --check, change nothing: exit 0 if nothing would\n"
	  "change, 1 if something would, 2 on an error",
	  "--check             validate against the module and print what would change\n"
	  "--generation N      only if the rules are still those of generation N\n"
	  "FILE|-              the rules, one a line in the words of add-rule; - reads stdin\n",
	  "sklookupctl apply --check /etc/sklookup/rules.conf" },
	{ "dump", dump_main, "[--generation]",
	  "print the rules in the form apply reads; --generation first\n"
	  "prints '# generation N' for apply --generation",
	  "--generation        first print '# generation N', N being the rules' generation\n",
	  "sklookupctl dump >rules.conf" },
	{ "fmt", fmt_main, "FILE|-",
	  "check a rule file without the module and print its rules as\n"
	  "dump would",
	  "FILE|-              the rules, one a line in the words of add-rule; - reads stdin\n",
	  "sklookupctl fmt /etc/sklookup/rules.conf" },
	{ "register", register_main,
	  "label NAME fd N [pid PID]\n"
	  "| label NAME pid PID [proto tcp|udp] [local ADDR[:PORT]]\n"
	  "| label NAME systemd",
	  "register a listening TCP or bound UDP socket under a label; with\n"
	  "pid and no fd, every one of the process; prints what it took",
	  "label NAME          the label the rules name (1 to 63 printable bytes, UTF-8)\n"
	  "fd N                the socket at descriptor N: sklookupctl's, or PID's with pid\n"
	  "pid PID             every listening TCP and bound UDP socket of process PID\n"
	  "proto tcp|udp       with pid: only the sockets of this protocol\n"
	  "local ADDR[:PORT]   with pid: only the sockets bound to this address and port\n"
	  "systemd             the sockets systemd passed (LISTEN_FDS), as in a unit\n",
	  "sklookupctl register label web pid 1234 proto tcp" },
	{ "unregister", unregister_main, "label NAME",
	  "release every socket registered under a label",
	  "label NAME          the label whose sockets are released\n",
	  "sklookupctl unregister label web" },
	{ "restore", restore_main, "[FILE]",
	  "register again, after the module was reloaded, the sockets\n"
	  "registered by pid that their processes still hold",
	  "FILE                the record to read (default /run/sklookup/registered)\n",
	  "sklookupctl restore" },
	{ "status", status_main, "", "module version, hooks and what each hook has seen", "",
	  "sklookupctl status" },
	{ "explain", explain_main,
	  "proto tcp|udp dst ADDR port N [src ADDR[:PORT]] [dev IFNAME]",
	  "where a new connection or datagram would go, and which rules\n"
	  "decide it",
	  "proto tcp|udp       the protocol of the connection or datagram\n"
	  "dst ADDR            its destination address\n"
	  "port N              its destination port\n"
	  "src ADDR[:PORT]     its source (default: any address and port)\n"
	  "dev IFNAME          the device it comes in on\n",
	  "sklookupctl explain proto tcp dst 192.0.2.7 port 80 src 10.0.0.1:40000" },
	{ "monitor", monitor_main, "[-t]",
	  "print changes as they happen: rules, sockets registered and\n"
	  "released; -t: each line with the time it came",
	  "-t, --timestamp     start each line with the time it came\n",
	  "sklookupctl monitor -t" },
	{ "stats", stats_main, "[--prometheus]",
	  "the namespace's counters summed; --prometheus: in Prometheus'\n"
	  "text format",
	  "--prometheus        print them in Prometheus' text format\n",
	  "sklookupctl stats --prometheus" },
	{ "version", version_main, "",
	  "the versions of sklookupctl and of the loaded module", "",
	  "sklookupctl version" },
	{ "help", help_main, "[COMMAND]", "this help, or a command's",
	  "COMMAND             the command to describe; without, the list of all\n",
	  "sklookupctl help add-rule" },
	{ NULL }
};

/* Where a command's summary starts in the command list. */
#define SKL_SUMMARY_COL 22

const struct skl_command *skl_command_find(const char *name)
{
	const struct skl_command *c;

	for (c = skl_commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

/* @text, each new line of it starting with @indent spaces. */
static void put_indented(FILE *f, const char *text, int indent)
{
	const char *nl;

	while ((nl = strchr(text, '\n'))) {
		fprintf(f, "%.*s\n%*s", (int)(nl - text), text, indent, "");
		text = nl + 1;
	}
	fputs(text, f);
}

void skl_usage(FILE *f)
{
	const struct skl_command *c;
	int col;

	fprintf(f, "Usage: sklookupctl [OPTIONS] COMMAND [ARGUMENTS]\n"
		"\n"
		"Options:\n"
		"  -j, --json          print JSON instead of text\n"
		"  -s, --stats         show counters (as 'show -s')\n"
		"  -n, --netns NETNS   act in the network namespace NETNS: a name of\n"
		"                      'ip netns' or a path such as /proc/PID/ns/net\n"
		"  -h, --help          print this help and exit\n"
		"  -V, --version       print the version of sklookupctl and exit\n"
		"\n"
		"Commands:\n");
	for (c = skl_commands; c->name; c++) {
		const char *last = strrchr(c->usage, '\n');

		col = fprintf(f, "  %s%s", c->name, c->usage[0] ? " " : "");
		put_indented(f, c->usage, col);
		/* The summary beside the usage when there is room, else under it. */
		if (!last && col + (int)strlen(c->usage) < SKL_SUMMARY_COL)
			fprintf(f, "%*s", SKL_SUMMARY_COL - col - (int)strlen(c->usage), "");
		else
			fprintf(f, "\n%*s", SKL_SUMMARY_COL, "");
		put_indented(f, c->summary, SKL_SUMMARY_COL);
		fputc('\n', f);
	}
	fprintf(f, "\n'sklookupctl help COMMAND' or 'sklookupctl COMMAND --help' tells more of one.\n"
		"See sklookupctl(8).\n");
}

void skl_command_help(FILE *f, const struct skl_command *c)
{
	const char *line, *nl;
	int col;

	col = fprintf(f, "Usage: sklookupctl [OPTIONS] %s%s", c->name, c->usage[0] ? " " : "");
	put_indented(f, c->usage, col);
	/* The summary as a sentence. */
	fprintf(f, "\n\n%c%s.\n", toupper((unsigned char)c->summary[0]), c->summary + 1);
	if (c->options[0])
		fputc('\n', f);
	for (line = c->options; (nl = strchr(line, '\n')); line = nl + 1)
		fprintf(f, "  %.*s\n", (int)(nl - line), line);
	fprintf(f, "\nExample:\n  %s\n\nSee sklookupctl(8).\n", c->example);
}

int help_main(int argc, char **argv)
{
	const struct skl_command *c;

	if (argc > 1) {
		skl_err("help: unexpected argument '%s'; try 'sklookupctl help COMMAND'",
			argv[1]);
		return SKL_EXIT_USAGE;
	}
	if (!argc) {
		skl_usage(stdout);
		return 0;
	}
	c = skl_command_find(argv[0]);
	if (!c) {
		skl_err("help: unknown command '%s'; try 'sklookupctl help'", argv[0]);
		return SKL_EXIT_USAGE;
	}
	skl_command_help(stdout, c);
	return 0;
}
