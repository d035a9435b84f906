/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SKLCTL_RULE_PARSE_H
#define SKLCTL_RULE_PARSE_H

/*
 * The words of add-rule and the rule files of apply, kept apart from the netlink side so
 * that tests/host/fuzz_cli.c can run them without a module.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rule_codec.h"

struct apply_rule {
	struct skl_rule args;
	unsigned int line;
};

/*
 * "sklookupctl: CMD: WHAT 'WORD': WHY", or "sklookupctl: CMD: WHY" without @word. Returns
 * the exit status of a command line that does not parse.
 */
int skl_usage_error(const char *cmd, const char *what, const char *word, const char *why);

/*
 * NULL if @name can be the label of a rule, else why not. Besides the module's length
 * limit, a label must survive "sklookupctl dump | sklookupctl apply -".
 */
const char *rule_label_invalid(const char *name);

/*
 * Read and check every line of a rule file ("-" is standard input), reporting each bad
 * line as "CMD: PATH:LINE: ...". Returns 0 or an exit status; *rulesp and *countp hold
 * the good lines either way, for free_rules().
 */
int read_rule_file(const char *cmd, const char *path, struct apply_rule **rulesp,
		   size_t *countp);
/* The same from an open stream; @path only names it in the errors. */
int read_rule_stream(const char *cmd, FILE *f, const char *path, struct apply_rule **rulesp,
		     size_t *countp);
void free_rules(struct apply_rule *rules, size_t count);

#endif /* SKLCTL_RULE_PARSE_H */
