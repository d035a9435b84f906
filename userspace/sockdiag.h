/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SKLCTL_SOCKDIAG_H
#define SKLCTL_SOCKDIAG_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

/* A socket that could be registered: a listening TCP or a bound, unconnected UDP one. */
struct skl_inet_sock {
	uint64_t inode;
	uint8_t proto;			/* IPPROTO_TCP or IPPROTO_UDP */
	struct skl_endpoint local;
};

/*
 * Every such socket of the caller's network namespace, IPv4 and IPv6, as sock_diag
 * reports them. On success returns 0 with *socks (free() it) and *count set; on failure
 * prints why, prefixed by @what, and returns -1.
 */
int skl_inet_socks_list(const char *what, struct skl_inet_sock **socks, size_t *count);

/* "tcp 127.0.0.1:80", "udp [::]:53" into @buf (at least 80 bytes). */
const char *skl_inet_sock_format(const struct skl_inet_sock *s, char *buf, size_t size);

#endif /* SKLCTL_SOCKDIAG_H */
