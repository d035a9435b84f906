// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "output.h"
#include "util.h"

#define MAX_DEPTH 16

static bool json;
static int depth;
/* Whether the container at each depth already holds an element (a comma is due). */
static bool has_items[MAX_DEPTH];
/* The errno of the first flush of stdout that failed, for the message at exit. */
static int write_errno;
static bool stdout_closed;

void out_init(bool as_json)
{
	json = as_json;
	depth = 0;
	has_items[0] = false;
}

bool out_is_json(void)
{
	return json;
}

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c == '\n')
			fputs("\\n", stdout);
		else if (c == '\t')
			fputs("\\t", stdout);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

/* Comma and key before a value; a key is ignored inside arrays (pass NULL there). */
static void json_member(const char *key)
{
	if (has_items[depth])
		putchar(',');
	has_items[depth] = true;
	if (key) {
		json_string(key);
		putchar(':');
	}
}

static void json_open(const char *key, char bracket)
{
	json_member(key);
	putchar(bracket);
	if (depth < MAX_DEPTH - 1)
		depth++;
	has_items[depth] = false;
}

void out_open_object(const char *key)
{
	if (json)
		json_open(key, '{');
}

void out_close_object(void)
{
	if (json) {
		putchar('}');
		depth--;
	}
}

void out_open_array(const char *key)
{
	if (json)
		json_open(key, '[');
}

void out_close_array(void)
{
	if (json) {
		putchar(']');
		depth--;
	}
}

void out_str(const char *key, const char *text_fmt, const char *value)
{
	if (json) {
		json_member(key);
		json_string(value);
	} else {
		printf(text_fmt, value);
	}
}

void out_uint(const char *key, const char *text_fmt, uint64_t value)
{
	if (json) {
		json_member(key);
		printf("%" PRIu64, value);
	} else {
		printf(text_fmt, value);
	}
}

void out_bool(const char *key, const char *text_fmt, bool value)
{
	if (json) {
		json_member(key);
		fputs(value ? "true" : "false", stdout);
	} else {
		printf(text_fmt, value ? "yes" : "no");
	}
}

void out_text(const char *fmt, ...)
{
	va_list ap;

	if (json)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

int out_finish(void)
{
	if (json)
		putchar('\n');
	return out_flush();
}

int out_flush(void)
{
	if (stdout_closed)
		return 0;
	if (fflush(stdout)) {
		if (!write_errno)
			write_errno = errno;
		return -1;
	}
	/* A write that failed earlier, when the buffer filled, left only the flag. */
	return ferror(stdout) ? -1 : 0;
}

int out_close(void)
{
	int err = 0;

	if (stdout_closed)
		return 0;
	if (out_flush())
		err = write_errno ? write_errno : -1;
	stdout_closed = true;
	/*
	 * close() can report what write() did not (NFS, a full quota). EBADF here means the
	 * caller gave no stdout and nothing was written to it: nothing was lost.
	 */
	if (fclose(stdout) && !err && errno != EBADF)
		err = errno;
	if (!err)
		return 0;
	/* The failed write's errno is gone when glibc had nothing left to flush at the end. */
	if (err > 0)
		skl_err("write error: %s", strerror(err));
	else
		skl_err("write error");
	return -1;
}
