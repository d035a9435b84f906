// SPDX-License-Identifier: GPL-2.0
/*
 * Detects: __inet_lookup_listener() and inet6_lookup_listener() find the listener hash
 * table from the namespace and take the arguments after it one place earlier (upstream
 * cb16f4b6c73d, v6.18; Debian's 7.2). With INET_LOOKUP_LISTENER_HASHINFO, one of the two
 * shapes the hooks know: a kernel with neither is refused at build time.
 */
#include <net/inet6_hashtables.h>
#include <net/inet_hashtables.h>

struct sock *probe4(struct net *net, struct sk_buff *skb, int doff, __be32 saddr,
		    __be16 sport, __be32 daddr, unsigned short hnum, int dif, int sdif);
struct sock *probe6(struct net *net, struct sk_buff *skb, int doff,
		    const struct in6_addr *saddr, __be16 sport, const struct in6_addr *daddr,
		    unsigned short hnum, int dif, int sdif);

struct sock *probe4(struct net *net, struct sk_buff *skb, int doff, __be32 saddr,
		    __be16 sport, __be32 daddr, unsigned short hnum, int dif, int sdif)
{
	return __inet_lookup_listener(net, skb, doff, saddr, sport, daddr, hnum, dif, sdif);
}

struct sock *probe6(struct net *net, struct sk_buff *skb, int doff,
		    const struct in6_addr *saddr, __be16 sport, const struct in6_addr *daddr,
		    unsigned short hnum, int dif, int sdif)
{
	return inet6_lookup_listener(net, skb, doff, saddr, sport, daddr, hnum, dif, sdif);
}
