/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SKLCTL_UTIL_H
#define SKLCTL_UTIL_H

/* Exit statuses: a refused or failed request, and a command line that does not parse. */
#define SKL_EXIT_FAIL	1
#define SKL_EXIT_USAGE	2

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* -s: counters in show's text output too. */
extern bool skl_opt_stats;

/* "sklookupctl: <message>" on stderr. */
void skl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * NULL if @name is UTF-8 text without control characters, else why not: a label is
 * printed by show and monitor, and put in JSON documents, as it is.
 */
const char *skl_text_invalid(const char *name);

/*
 * @word for an error message: bytes that are not printable UTF-8 as \xNN, so that the
 * message names the word without sending its control characters to the terminal.
 * Returns @buf, cut to @size.
 */
const char *skl_printable(const char *word, char *buf, size_t size);

/*
 * Room for one more element in the array *@array of @count elements of @size bytes, and
 * *@cap of room: doubled when full. Returns 0, or -1 with errno ENOMEM (the array stays).
 */
static inline int skl_grow(void *array, size_t count, size_t *cap, size_t size)
{
	size_t more = *cap ? *cap * 2 : 64;
	void *old, *bigger;

	if (count < *cap)
		return 0;
	/* Through memcpy: @array is a T **, not a void **. */
	memcpy(&old, array, sizeof(old));
	bigger = realloc(old, more * size);
	if (!bigger) {
		errno = ENOMEM;
		return -1;
	}
	memcpy(array, &bigger, sizeof(bigger));
	*cap = more;
	return 0;
}

#endif /* SKLCTL_UTIL_H */
