/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SKLCTL_COMMANDS_H
#define SKLCTL_COMMANDS_H

/*
 * One entry per subcommand. @main gets the words after the command's name and returns
 * the process exit status.
 */
struct skl_command {
	const char *name;
	int (*main)(int argc, char **argv);
	const char *usage;	/* the words after the name, as in the man page */
	const char *summary;
};

int status_main(int argc, char **argv);
int add_rule_main(int argc, char **argv);
int del_rule_main(int argc, char **argv);
int show_main(int argc, char **argv);
int flush_main(int argc, char **argv);
int register_main(int argc, char **argv);
int unregister_main(int argc, char **argv);
int apply_main(int argc, char **argv);
int dump_main(int argc, char **argv);
int fmt_main(int argc, char **argv);
int explain_main(int argc, char **argv);
int monitor_main(int argc, char **argv);
int stats_main(int argc, char **argv);

#endif /* SKLCTL_COMMANDS_H */
