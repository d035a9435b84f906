/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SKLCTL_ADDR_H
#define SKLCTL_ADDR_H

#include <stdint.h>
#include <netinet/in.h>

/* An address with a prefix length; a bare address is a full-length prefix. */
struct skl_prefix {
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint8_t len;
	union {
		struct in_addr v4;
		struct in6_addr v6;
		uint8_t bytes[16];
	} addr;
};

/*
 * Parse "ADDR[/LEN]". On failure returns -1 with *why set to a static explanation. Host
 * bits beyond the prefix are refused, as the kernel would.
 */
int skl_prefix_parse(const char *text, struct skl_prefix *p, const char **why);
/* "ADDR/LEN", or "ADDR" for a full-length prefix, into @buf (at least 64 bytes). */
const char *skl_prefix_format(const struct skl_prefix *p, char *buf, size_t size);
/* Parse "N", "LO-HI" or "any" into a port range. Returns -1 with *why on failure. */
int skl_port_range_parse(const char *text, uint16_t *lo, uint16_t *hi, const char **why);

/* An address with an optional port: a redirect's target, a socket's local address. */
struct skl_endpoint {
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint16_t port;
	union {
		struct in_addr v4;
		struct in6_addr v6;
		uint8_t bytes[16];
	} addr;
};

/*
 * Parse "ADDR[:PORT]": an IPv4 address with an optional port, or an IPv6 address bare or
 * in brackets, "[ADDR]:PORT" with a port. Returns -1 with *why set on failure.
 */
int skl_endpoint_parse(const char *text, struct skl_endpoint *e, const char **why);
/* The form skl_endpoint_parse reads, the port left out when it is 0, into @buf (64 bytes). */
const char *skl_endpoint_format(const struct skl_endpoint *e, char *buf, size_t size);

#endif /* SKLCTL_ADDR_H */
