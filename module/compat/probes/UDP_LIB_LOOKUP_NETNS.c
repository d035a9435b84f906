// SPDX-License-Identifier: GPL-2.0
/*
 * Detects: __udp4_lib_lookup() and __udp6_lib_lookup() take no UDP table: the socket
 * buffer follows the interface indexes (upstream 68aeb21ef0e1, v7.1; Debian's 7.2). With
 * UDP_LIB_LOOKUP_TABLE, one of the two shapes the hooks know: a kernel with neither is
 * refused at build time.
 */
#include <net/udp.h>

struct sock *probe4(struct net *net, __be32 saddr, __be16 sport, __be32 daddr, __be16 dport,
		    int dif, int sdif, struct sk_buff *skb);
struct sock *probe6(struct net *net, const struct in6_addr *saddr, __be16 sport,
		    const struct in6_addr *daddr, __be16 dport, int dif, int sdif,
		    struct sk_buff *skb);

struct sock *probe4(struct net *net, __be32 saddr, __be16 sport, __be32 daddr, __be16 dport,
		    int dif, int sdif, struct sk_buff *skb)
{
	return __udp4_lib_lookup(net, saddr, sport, daddr, dport, dif, sdif, skb);
}

struct sock *probe6(struct net *net, const struct in6_addr *saddr, __be16 sport,
		    const struct in6_addr *daddr, __be16 dport, int dif, int sdif,
		    struct sk_buff *skb)
{
	return __udp6_lib_lookup(net, saddr, sport, daddr, dport, dif, sdif, skb);
}
