/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SKLCTL_UTIL_H
#define SKLCTL_UTIL_H

/* Exit statuses: a refused or failed request, and a command line that does not parse. */
#define SKL_EXIT_FAIL	1
#define SKL_EXIT_USAGE	2

#include <stdbool.h>

/* -s: counters in show's text output too. */
extern bool skl_opt_stats;

/* "sklookupctl: <message>" on stderr. */
void skl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* SKLCTL_UTIL_H */
