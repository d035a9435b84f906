/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SKLCTL_SHOW_H
#define SKLCTL_SHOW_H

#include <stdbool.h>
#include <stdint.h>
#include <libmnl/libmnl.h>

#include "rule_format.h"

/*
 * A rule (attributes of SKL_CMD_RULE_GET) as show prints it, without a newline; in JSON
 * an object, the member @key of the object being printed (NULL in an array).
 */
void skl_print_rule(const struct nlattr *const *tb, const char *key, bool hits);
/* A rule in the words of add-rule, on stdout, without a newline. */
void skl_print_rule_words(const struct nlattr *const *tb);

#endif /* SKLCTL_SHOW_H */
