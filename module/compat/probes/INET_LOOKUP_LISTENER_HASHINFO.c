// SPDX-License-Identifier: GPL-2.0
/*
 * Detects: __inet_lookup_listener() and inet6_lookup_listener() take the listener hash
 * table as their second argument. Newer kernels (Debian's 7.2) find it from the
 * namespace and dropped the argument, which shifts every later argument by one.
 */
#include <net/inet6_hashtables.h>
#include <net/inet_hashtables.h>

struct sock *probe(struct net *net, struct inet_hashinfo *hashinfo);

struct sock *probe(struct net *net, struct inet_hashinfo *hashinfo)
{
	return __inet_lookup_listener(net, hashinfo, NULL, 0, 0, 0, 0, 0, 0, 0);
}
