/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SKLCTL_RULE_CODEC_H
#define SKLCTL_RULE_CODEC_H

/*
 * A rule's grammar, written out once: one table of keywords (rule_codec.c) drives the
 * parser of add-rule and apply, the encoder into a netlink request, the decoder of the
 * module's messages into the same struct, and the one printer that show, dump, monitor
 * and explain use, in text and in JSON. A new rule field costs one row there.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libmnl/libmnl.h>

#include "sklookup.h"
#include "addr.h"

struct skl_rule {
	uint8_t proto;
	struct skl_prefix dst;
	struct skl_prefix src;
	bool has_src;
	uint16_t port_lo, port_hi;
	char dev[16];		/* a device name, IFNAMSIZ with its NUL; "" for any */
	uint8_t phase;
	uint8_t action;
	char label[SKL_LABEL_NAME_MAX];
	struct skl_endpoint redirect;
	uint32_t flags;
	/* Only in what the module sends; not words of the rule. */
	uint64_t id, hits, misses;
	bool has_hits, has_misses;
	/*
	 * The first attribute of a word of this rule that this sklookupctl cannot write (a
	 * newer module's word, or a value of a known word it does not know), or 0:
	 * rule_words() writes it as "?attrN", which parse_rule() refuses, so that the rule
	 * cannot be saved and applied without it.
	 */
	unsigned int unknown_word;
	/*
	 * comment TEXT, or NULL: a word of the rule, but after id so that rule_cmp() leaves
	 * it out, as the module does (a note on a rule is not part of what makes it that
	 * rule). It points into what the rule was read from (the command line, a line of a
	 * file, a netlink message): whoever keeps the rule longer copies it.
	 */
	const char *comment;
};

/*
 * Longest line rule_words() writes: the words without a comment take about 250 bytes,
 * a comment at most 8 + 2 * 127 + 2 (every byte escaped).
 */
#define RULE_WORDS_MAX 640

/*
 * Parse the words after "add-rule" (a line of a rule file); errors start with @where.
 * Returns 0 or an exit status.
 */
int parse_rule(const char *where, int argc, char **argv, struct skl_rule *r);

/*
 * Parse one keyword's value into @r as a rule takes it ("proto", "dst", "port", "dev"...),
 * for commands that take some of a rule's words (explain, register). Errors start with
 * @where. Returns 0 or an exit status.
 */
int parse_rule_word(const char *where, const char *word, const char *value, struct skl_rule *r);

/* @r as the words of add-rule, defaults left out: what dump prints and apply reads. */
const char *rule_words(const struct skl_rule *r, char *buf, size_t size);
/* Say once a run, on standard error, that @r has a word this sklookupctl cannot write. */
void rule_warn_unknown_word(const struct skl_rule *r);
/* Where the unknown word of @r comes from, for a message: an attribute or a value. */
const char *rule_unknown_word_source(const struct skl_rule *r);

/* Put @r into a RULE_ADD request, one attribute per field. */
void rule_put(struct nlmsghdr *nlh, const struct skl_rule *r);

/* A rule as the module sends it (attributes of SKL_CMD_RULE_GET, indexed by type). */
void rule_get(const struct nlattr *const *tb, struct skl_rule *r);
/* The same from a message's attributes starting at @offset, or from a nest. */
void rule_get_msg(const struct nlmsghdr *nlh, struct skl_rule *r);
void rule_get_nested(const struct nlattr *nest, struct skl_rule *r);

/*
 * An order of rules, 0 for rules of the same words (ids and counters aside), for
 * rules that parse_rule() or rule_get() filled.
 */
int rule_cmp(const struct skl_rule *a, const struct skl_rule *b);

#define RULE_PRINT_ID	0x1	/* the id before the words (always in JSON) */
#define RULE_PRINT_HITS	0x2	/* the counters after them (always in JSON) */

/*
 * @r as show, monitor and explain print it: its words as rule_words() writes them, in
 * JSON an object (the member @key of the object being printed, NULL in an array) with a
 * member per keyword. No newline.
 */
void rule_print(const struct skl_rule *r, const char *key, unsigned int flags);

#endif /* SKLCTL_RULE_CODEC_H */
