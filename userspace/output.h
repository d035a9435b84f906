/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SKLCTL_OUTPUT_H
#define SKLCTL_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Text for people and JSON for scripts from the same calls: each value names its JSON key
 * and the printf format of its text form. In JSON mode the text formats are ignored; in
 * text mode the keys are. out_text() prints in text mode only.
 */
void out_init(bool json);
bool out_is_json(void);
void out_open_object(const char *key);
void out_close_object(void);
void out_open_array(const char *key);
void out_close_array(void);
void out_str(const char *key, const char *text_fmt, const char *value);
void out_uint(const char *key, const char *text_fmt, uint64_t value);
void out_bool(const char *key, const char *text_fmt, bool value);
void out_text(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Ends the document: the closing newline of JSON output; then out_flush(). */
int out_finish(void);
/*
 * Flush stdout; every flush goes through here so that the errno of a failed write is
 * kept for out_close(). Returns -1 if anything written to stdout was lost, else 0.
 */
int out_flush(void);
/*
 * Once, at exit: flush and close stdout. If anything written to it was lost, says
 * "sklookupctl: write error: <why>" and returns -1, so that output cut short (a full
 * disk under "dump > rules.conf") never passes for whole.
 */
int out_close(void);

#endif /* SKLCTL_OUTPUT_H */
