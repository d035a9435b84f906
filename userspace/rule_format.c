// SPDX-License-Identifier: GPL-2.0
/* Rules and their attributes as people read them: shared by show, dump and explain. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <netinet/in.h>
#include <sys/socket.h>

#include "sklookup.h"
#include "addr.h"
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

/* A redirect rule's target as add-rule takes it, or "?" when the module sent none. */
const char *redirect_of(const struct nlattr *const *tb, uint8_t family, char *buf,
			       size_t size)
{
	const struct nlattr *addr = tb[SKL_A_RULE_REDIRECT_ADDR];
	struct skl_endpoint e = { .family = family };
	size_t alen = family == AF_INET ? 4 : 16;

	if (!addr || mnl_attr_get_payload_len(addr) != alen) {
		snprintf(buf, size, "?");
		return buf;
	}
	memcpy(e.addr.bytes, mnl_attr_get_payload(addr), alen);
	if (tb[SKL_A_RULE_REDIRECT_PORT])
		e.port = mnl_attr_get_u16(tb[SKL_A_RULE_REDIRECT_PORT]);
	return skl_endpoint_format(&e, buf, size);
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

void prefix_of(const struct nlattr *addr, const struct nlattr *len, uint8_t family,
		      char *buf, size_t size)
{
	struct skl_prefix p = { .family = family };
	size_t alen = family == AF_INET ? 4 : 16;

	if (!addr || mnl_attr_get_payload_len(addr) != alen) {
		snprintf(buf, size, "?");
		return;
	}
	memcpy(p.addr.bytes, mnl_attr_get_payload(addr), alen);
	p.len = len ? mnl_attr_get_u8(len) : alen * 8;
	skl_prefix_format(&p, buf, size);
}

static void add_words(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void add_words(char *buf, size_t size, const char *fmt, ...)
{
	size_t len = strlen(buf);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf + len, size - len, fmt, ap);
	va_end(ap);
}

const char *rule_words(const struct nlattr *const *tb, char *buf, size_t size)
{
	char prefix[64], dev[IF_NAMESIZE], target[64];
	uint8_t family, phase;
	uint16_t lo, hi;

	family = tb[SKL_A_RULE_FAMILY] ? mnl_attr_get_u8(tb[SKL_A_RULE_FAMILY]) : 0;
	prefix_of(tb[SKL_A_RULE_DST], tb[SKL_A_RULE_DST_PREFIXLEN], family, prefix,
		  sizeof(prefix));
	snprintf(buf, size, "proto %s dst %s",
		 proto_name(tb[SKL_A_RULE_PROTO] ? mnl_attr_get_u8(tb[SKL_A_RULE_PROTO]) : 0),
		 prefix);
	lo = tb[SKL_A_RULE_PORT_MIN] ? mnl_attr_get_u16(tb[SKL_A_RULE_PORT_MIN]) : 0;
	hi = tb[SKL_A_RULE_PORT_MAX] ? mnl_attr_get_u16(tb[SKL_A_RULE_PORT_MAX]) : 65535;
	if (lo == hi)
		add_words(buf, size, " port %u", lo);
	else if (lo != 0 || hi != 65535)
		add_words(buf, size, " port %u-%u", lo, hi);
	if (tb[SKL_A_RULE_SRC]) {
		prefix_of(tb[SKL_A_RULE_SRC], tb[SKL_A_RULE_SRC_PREFIXLEN], family, prefix,
			  sizeof(prefix));
		add_words(buf, size, " src %s", prefix);
	}
	if (tb[SKL_A_RULE_IFINDEX]) {
		if (!if_indextoname(mnl_attr_get_u32(tb[SKL_A_RULE_IFINDEX]), dev))
			snprintf(dev, sizeof(dev), "#%u", mnl_attr_get_u32(tb[SKL_A_RULE_IFINDEX]));
		add_words(buf, size, " dev %s", dev);
	}
	phase = tb[SKL_A_RULE_PHASE] ? mnl_attr_get_u8(tb[SKL_A_RULE_PHASE]) : 0;
	if (phase != SKL_PHASE_FIRST)
		add_words(buf, size, " phase %s", phase_name(phase));
	if (tb[SKL_A_RULE_LABEL])
		add_words(buf, size, " label %s", mnl_attr_get_str(tb[SKL_A_RULE_LABEL]));
	else if (tb[SKL_A_RULE_ACTION] &&
		 mnl_attr_get_u8(tb[SKL_A_RULE_ACTION]) == SKL_ACTION_REDIRECT)
		add_words(buf, size, " redirect %s", redirect_of(tb, family, target, sizeof(target)));
	else
		add_words(buf, size, " drop");
	if (tb[SKL_A_RULE_FLAGS] && (mnl_attr_get_u32(tb[SKL_A_RULE_FLAGS]) & SKL_RULE_F_NOREUSEPORT))
		add_words(buf, size, " noreuseport");
	return buf;
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
