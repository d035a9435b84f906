// SPDX-License-Identifier: GPL-2.0
/*
 * Detects: each namespace names the UDP hash table it uses (upstream 9804985bf27f,
 * "udp: Introduce optional per-netns hash table.", v6.2). Before, it is always udp_table.
 */
#include <net/net_namespace.h>
#include <net/udp.h>

struct udp_table *probe(struct net *net);

struct udp_table *probe(struct net *net)
{
	return net->ipv4.udp_table;
}
