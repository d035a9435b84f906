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
/*
 * One skl_socket_attr nest as an object (named @key in JSON) and a text line starting
 * with @indent; @owner adds the process holding the socket, when /proc tells.
 */
void print_socket(const struct nlattr *nest, const char *key, const char *indent, bool owner);

#endif /* SKLCTL_RULE_FORMAT_H */
