// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"

static int parse_uint(const char *text, unsigned long max, unsigned long *value)
{
	char *end;

	/* strtoul() would skip any white space and take a sign. */
	if (*text < '0' || *text > '9')
		return -1;
	errno = 0;
	*value = strtoul(text, &end, 10);
	return (errno || *end || *value > max) ? -1 : 0;
}

int skl_prefix_parse(const char *text, struct skl_prefix *p, const char **why)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash;
	unsigned long len;
	unsigned int i, bits;

	memset(p, 0, sizeof(*p));
	slash = strchr(text, '/');
	if (strlen(text) >= sizeof(buf) || (slash && (size_t)(slash - text) >= INET6_ADDRSTRLEN)) {
		*why = "not an IPv4 or IPv6 address";
		return -1;
	}
	snprintf(buf, sizeof(buf), "%.*s", slash ? (int)(slash - text) : (int)strlen(text), text);
	if (inet_pton(AF_INET, buf, &p->addr.v4) == 1) {
		p->family = AF_INET;
		bits = 32;
	} else if (inet_pton(AF_INET6, buf, &p->addr.v6) == 1) {
		p->family = AF_INET6;
		bits = 128;
	} else {
		*why = "not an IPv4 or IPv6 address";
		return -1;
	}
	p->len = bits;
	if (slash) {
		if (parse_uint(slash + 1, bits, &len)) {
			*why = p->family == AF_INET ? "prefix length must be 0 to 32" :
						      "prefix length must be 0 to 128";
			return -1;
		}
		p->len = len;
	}
	for (i = p->len; i < bits; i++) {
		if (p->addr.bytes[i / 8] & (0x80 >> (i % 8))) {
			*why = "address has bits set beyond the prefix length";
			return -1;
		}
	}
	return 0;
}

const char *skl_prefix_format(const struct skl_prefix *p, char *buf, size_t size)
{
	char addr[INET6_ADDRSTRLEN];
	unsigned int bits = p->family == AF_INET ? 32 : 128;

	inet_ntop(p->family, p->addr.bytes, addr, sizeof(addr));
	if (p->len == bits)
		snprintf(buf, size, "%s", addr);
	else
		snprintf(buf, size, "%s/%u", addr, p->len);
	return buf;
}

int skl_port_range_parse(const char *text, uint16_t *lo, uint16_t *hi, const char **why)
{
	char first[8];
	const char *dash = strchr(text, '-');
	unsigned long a, b;

	if (!strcmp(text, "any")) {
		*lo = 0;
		*hi = 65535;
		return 0;
	}
	if (!dash) {
		if (parse_uint(text, 65535, &a) || a == 0) {
			*why = "port must be 1 to 65535, LO-HI or any";
			return -1;
		}
		*lo = *hi = a;
		return 0;
	}
	if ((size_t)(dash - text) >= sizeof(first)) {
		*why = "port must be 1 to 65535, LO-HI or any";
		return -1;
	}
	snprintf(first, sizeof(first), "%.*s", (int)(dash - text), text);
	if (parse_uint(first, 65535, &a) || parse_uint(dash + 1, 65535, &b) || a == 0) {
		*why = "port range must be LO-HI with ports 1 to 65535";
		return -1;
	}
	if (a > b) {
		*why = "port range must not end below its start";
		return -1;
	}
	*lo = a;
	*hi = b;
	return 0;
}

int skl_endpoint_parse(const char *text, struct skl_endpoint *e, const char **why)
{
	char buf[INET6_ADDRSTRLEN];
	const char *addr = text, *port = NULL, *colon;
	size_t len = strlen(text);
	unsigned long value;

	memset(e, 0, sizeof(*e));
	if (text[0] == '[') {
		const char *close = strchr(text, ']');

		if (!close || (close[1] && close[1] != ':')) {
			*why = "an IPv6 address with a port is written [ADDR]:PORT";
			return -1;
		}
		addr = text + 1;
		len = close - addr;
		if (close[1])
			port = close + 2;
	} else {
		colon = strchr(text, ':');
		/* One colon separates an IPv4 address from its port; more make an IPv6 address. */
		if (colon && !strchr(colon + 1, ':')) {
			len = colon - text;
			port = colon + 1;
		}
	}
	if (len >= sizeof(buf)) {
		*why = "not an IPv4 or IPv6 address";
		return -1;
	}
	snprintf(buf, sizeof(buf), "%.*s", (int)len, addr);
	if (inet_pton(AF_INET, buf, &e->addr.v4) == 1 && text[0] != '[') {
		e->family = AF_INET;
	} else if (inet_pton(AF_INET6, buf, &e->addr.v6) == 1) {
		e->family = AF_INET6;
	} else {
		*why = "not an IPv4 or IPv6 address";
		return -1;
	}
	if (port) {
		if (parse_uint(port, 65535, &value) || value == 0) {
			*why = "port must be 1 to 65535";
			return -1;
		}
		e->port = value;
	}
	return 0;
}

const char *skl_endpoint_format(const struct skl_endpoint *e, char *buf, size_t size)
{
	char addr[INET6_ADDRSTRLEN];

	inet_ntop(e->family, e->addr.bytes, addr, sizeof(addr));
	if (!e->port)
		snprintf(buf, size, "%s", addr);
	else if (e->family == AF_INET6)
		snprintf(buf, size, "[%s]:%u", addr, e->port);
	else
		snprintf(buf, size, "%s:%u", addr, e->port);
	return buf;
}
