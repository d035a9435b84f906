/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SKLCTL_RULE_FORMAT_H
#define SKLCTL_RULE_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libmnl/libmnl.h>

/* Attributes of one level of a message, indexed by type, for mnl_attr_parse(). */
struct attr_table {
	const struct nlattr **tb;
	unsigned int max;
};

/* mnl_attr_parse() callback filling a struct attr_table; skips unknown types. */
int table_cb(const struct nlattr *attr, void *data);
uint64_t get_u64(const struct nlattr *attr);
const char *proto_name(uint8_t proto);
const char *phase_name(uint8_t phase);
const char *action_name(uint8_t action);
/* "ADDR/LEN" of a prefix attribute pair, or "?" when it is missing or malformed. */
void prefix_of(const struct nlattr *addr, const struct nlattr *len, uint8_t family,
	       char *buf, size_t size);
/* A redirect rule's target as add-rule takes it, or "?". */
const char *redirect_of(const struct nlattr *const *tb, uint8_t family, char *buf,
			size_t size);

/* Longest line rule_words() writes. */
#define RULE_WORDS_MAX 256

/* A rule dump message's attributes @tb as the words of add-rule, which apply reads. */
const char *rule_words(const struct nlattr *const *tb, char *buf, size_t size);

/*
 * One skl_socket_attr nest as an object (named @key in JSON) and a text line starting
 * with @indent; @owner adds the process holding the socket, when /proc tells.
 */
void print_socket(const struct nlattr *nest, const char *key, const char *indent, bool owner);

#endif /* SKLCTL_RULE_FORMAT_H */
