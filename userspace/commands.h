/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SKLCTL_COMMANDS_H
#define SKLCTL_COMMANDS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rule_codec.h"

/*
 * One entry per subcommand, in skl_commands[] (help.c), which drives the dispatch and
 * every help text. @main gets the words after the command's name and returns the process
 * exit status.
 */
struct skl_command {
	const char *name;
	int (*main)(int argc, char **argv);
	const char *usage;	/* the words after the name, as in the man page */
	const char *summary;
	const char *options;	/* "WORD  meaning" lines, for the command's own help */
	const char *example;
};

/* Every command, ended by an entry whose name is NULL. */
extern const struct skl_command skl_commands[];

/* The command called @name, or NULL. */
const struct skl_command *skl_command_find(const char *name);
/* "sklookupctl --help": the options and every command. */
void skl_usage(FILE *f);
/* "sklookupctl help COMMAND": its usage, options and an example. */
void skl_command_help(FILE *f, const struct skl_command *c);

int status_main(int argc, char **argv);
int add_rule_main(int argc, char **argv);
int del_rule_main(int argc, char **argv);
int show_main(int argc, char **argv);
int flush_main(int argc, char **argv);
int register_main(int argc, char **argv);
int unregister_main(int argc, char **argv);
int restore_main(int argc, char **argv);
int apply_main(int argc, char **argv);
int dump_main(int argc, char **argv);
int fmt_main(int argc, char **argv);
int explain_main(int argc, char **argv);
int monitor_main(int argc, char **argv);
int stats_main(int argc, char **argv);
int version_main(int argc, char **argv);
int help_main(int argc, char **argv);

/* Rules as the module sends them, decoded. */
struct rule_list {
	struct skl_rule *rules;
	size_t count, cap;
};

struct skl_nl;
/* Free what rules_in_force() read into @list (the rules and their comments). */
void rule_list_free(struct rule_list *list);
/*
 * Read the rules in force into @list (free it with rule_list_free()), as one set: read again while
 * they change during the read. *generation is theirs. Errors start with @cmd. Returns 0
 * or an exit status.
 */
int rules_in_force(struct skl_nl *nl, const char *cmd, struct rule_list *list,
		   uint64_t *generation);

#endif /* SKLCTL_COMMANDS_H */
