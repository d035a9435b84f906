// SPDX-License-Identifier: GPL-2.0
/*
 * Detects: each namespace names the TCP hash table it uses (upstream d1e5e6408b30,
 * "tcp: Introduce optional per-netns ehash.", v6.1). Before, it is always tcp_hashinfo.
 */
#include <net/net_namespace.h>
#include <net/tcp.h>

struct inet_hashinfo *probe(struct net *net);

struct inet_hashinfo *probe(struct net *net)
{
	return net->ipv4.tcp_death_row.hashinfo;
}
