// SPDX-License-Identifier: GPL-2.0
/* Names that reach a terminal or a JSON document: labels. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "sklookup.h"
#include "util.h"

/*
 * The length of the UTF-8 sequence at @s (1 to 4) and its code point in *cp, or 0 if
 * it is not one: a stray continuation byte, a sequence cut short, an overlong form, a
 * surrogate or a code point beyond U+10FFFF.
 */
static int utf8_decode(const unsigned char *s, unsigned int *cp)
{
	static const unsigned int min[] = { 0, 0, 0x80, 0x800, 0x10000 };
	unsigned int c = s[0];
	int len, i;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, c &= 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, c &= 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, c &= 0x07;
	else
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min[len] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

const char *skl_text_invalid(const char *name)
{
	const unsigned char *s = (const unsigned char *)name;
	unsigned int cp;
	int len;

	for (; *s; s += len) {
		len = utf8_decode(s, &cp);
		if (!len)
			return "must be UTF-8 text";
		if (skl_text_forbidden(cp))
			return "must not contain control characters";
	}
	return NULL;
}

const char *skl_printable(const char *word, char *buf, size_t size)
{
	const unsigned char *s = (const unsigned char *)word;
	size_t n = 0;
	unsigned int cp;
	int len;

	for (; *s && n + 5 < size; s += len) {
		len = utf8_decode(s, &cp);
		if (len && !skl_text_forbidden(cp)) {
			memcpy(buf + n, s, len);
			n += len;
			continue;
		}
		n += snprintf(buf + n, size - n, "\\x%02x", *s);
		len = 1;
	}
	buf[n] = '\0';
	return buf;
}
