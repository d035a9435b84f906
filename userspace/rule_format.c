// SPDX-License-Identifier: GPL-2.0
/* Rules and their attributes as people read them: shared by show, dump and explain. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <netinet/in.h>
#include <sys/socket.h>

#include "sklookup.h"
#include "output.h"
#include "owner.h"
#include "rule_format.h"

int table_cb(const struct nlattr *attr, void *data)
{
	struct attr_table *t = data;

	/* Newer modules may add attributes: skip what this version does not know. */
	if (mnl_attr_type_valid(attr, t->max) > 0)
		t->tb[mnl_attr_get_type(attr)] = attr;
	return MNL_CB_OK;
}

uint64_t get_u64(const struct nlattr *attr)
{
	return attr ? mnl_attr_get_u64(attr) : 0;
}

const char *proto_name(uint8_t proto)
{
	return proto == IPPROTO_TCP ? "tcp" : proto == IPPROTO_UDP ? "udp" : "?";
}

const char *phase_name(uint8_t phase)
{
	static const char *const names[] = { "first", "specific", "fallback" };

	return phase <= SKL_PHASE_MAX ? names[phase] : "?";
}

const char *action_name(uint8_t action)
{
	switch (action) {
	case SKL_ACTION_STEER:
		return "steer";
	case SKL_ACTION_DROP:
		return "drop";
	case SKL_ACTION_REDIRECT:
		return "redirect";
	default:
		return "?";
	}
}

void print_socket(const struct nlattr *nest, const char *key, const char *indent, bool owner)
{
	const struct nlattr *tb[SKL_A_SOCKET_MAX + 1] = { 0 };
	struct attr_table t = { tb, SKL_A_SOCKET_MAX };
	char addr[INET6_ADDRSTRLEN] = "?", fmt[128], comm[32];
	uint8_t family;
	uint64_t inode;
	long pid;

	mnl_attr_parse_nested(nest, table_cb, &t);
	family = tb[SKL_A_SOCKET_FAMILY] ? mnl_attr_get_u8(tb[SKL_A_SOCKET_FAMILY]) : 0;
	if (tb[SKL_A_SOCKET_ADDR] &&
	    mnl_attr_get_payload_len(tb[SKL_A_SOCKET_ADDR]) == (family == AF_INET ? 4u : 16u))
		inet_ntop(family, mnl_attr_get_payload(tb[SKL_A_SOCKET_ADDR]), addr, sizeof(addr));
	inode = get_u64(tb[SKL_A_SOCKET_INODE]);
	out_open_object(key);
	snprintf(fmt, sizeof(fmt), "%s%%s", indent);
	out_str("proto", fmt, proto_name(tb[SKL_A_SOCKET_PROTO] ?
					  mnl_attr_get_u8(tb[SKL_A_SOCKET_PROTO]) : 0));
	out_str("family", " %s", family == AF_INET6 ? "inet6" : "inet");
	out_str("addr", family == AF_INET6 ? " [%s]" : " %s", addr);
	out_uint("port", ":%" PRIu64, tb[SKL_A_SOCKET_PORT] ?
		 mnl_attr_get_u16(tb[SKL_A_SOCKET_PORT]) : 0);
	out_uint("inode", " inode %" PRIu64, inode);
	if (owner && (pid = socket_owner(inode, comm, sizeof(comm))) > 0) {
		out_uint("pid", " pid %" PRIu64, (uint64_t)pid);
		out_str("comm", " (%s)", comm);
	}
	out_close_object();
	out_text("\n");
}
