// SPDX-License-Identifier: GPL-2.0
/*
 * Detects: __udp4_lib_lookup() and __udp6_lib_lookup() take the UDP hash table as an
 * argument (UDP and UDP-Lite share them). Debian's 7.2 dropped it with UDP-Lite.
 */
#include <net/udp.h>

struct sock *probe(struct net *net, struct udp_table *table);

struct sock *probe(struct net *net, struct udp_table *table)
{
	return __udp4_lib_lookup(net, 0, 0, 0, 0, 0, 0, table, NULL);
}
