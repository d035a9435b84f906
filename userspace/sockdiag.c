// SPDX-License-Identifier: GPL-2.0
/* The namespace's listening TCP and bound UDP sockets, from sock_diag (as ss reads them). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "sockdiag.h"
#include "util.h"

/* The kernel's TCP states as sock_diag reports them (include/net/tcp_states.h). */
#define SKL_TCP_CLOSE	7
#define SKL_TCP_LISTEN	10

/* A dump message of the kernel's may be larger than a page; take what it sends at once. */
#define SKL_DIAG_BUF	32768

struct diag_ctx {
	uint8_t proto;
	struct skl_inet_sock *socks;
	size_t count, size;
};

static int diag_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct inet_diag_msg *msg = mnl_nlmsg_get_payload(nlh);
	struct diag_ctx *ctx = data;
	struct skl_inet_sock *s;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*msg) ||
	    (msg->idiag_family != AF_INET && msg->idiag_family != AF_INET6))
		return MNL_CB_OK;
	if (skl_grow(&ctx->socks, ctx->count, &ctx->size, sizeof(*ctx->socks)))
		return MNL_CB_ERROR;
	s = &ctx->socks[ctx->count++];
	memset(s, 0, sizeof(*s));
	s->inode = msg->idiag_inode;
	s->proto = ctx->proto;
	s->local.family = msg->idiag_family;
	s->local.port = ntohs(msg->id.idiag_sport);
	memcpy(s->local.addr.bytes, msg->id.idiag_src, msg->idiag_family == AF_INET ? 4 : 16);
	return MNL_CB_OK;
}

/* One dump: the sockets of one protocol and family in the states given. */
static int diag_dump(struct mnl_socket *sock, char *buf, uint8_t proto, uint8_t family,
		     uint32_t states, struct diag_ctx *ctx)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct inet_diag_req_v2 *req;
	uint32_t seq = (uint32_t)time(NULL) + proto + family;
	unsigned int portid = mnl_socket_get_portid(sock);
	ssize_t len;
	int ret;

	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
	req->sdiag_family = family;
	req->sdiag_protocol = proto;
	req->idiag_states = states;
	ctx->proto = proto;
	if (mnl_socket_sendto(sock, nlh, nlh->nlmsg_len) < 0)
		return -1;
	do {
		len = mnl_socket_recvfrom(sock, buf, SKL_DIAG_BUF);
		if (len < 0)
			return -1;
		ret = mnl_cb_run(buf, len, seq, portid, diag_cb, ctx);
	} while (ret > MNL_CB_STOP);
	return ret < 0 ? -1 : 0;
}

int skl_inet_socks_list(const char *what, struct skl_inet_sock **socks, size_t *count)
{
	/* Unconnected UDP sockets are in the TCP_CLOSE state; the dump holds only bound ones. */
	static const struct {
		uint8_t proto, family;
		uint32_t states;
		const char *name;
	} dumps[] = {
		{ IPPROTO_TCP, AF_INET, 1u << SKL_TCP_LISTEN, "TCP over IPv4" },
		{ IPPROTO_TCP, AF_INET6, 1u << SKL_TCP_LISTEN, "TCP over IPv6" },
		{ IPPROTO_UDP, AF_INET, 1u << SKL_TCP_CLOSE, "UDP over IPv4" },
		{ IPPROTO_UDP, AF_INET6, 1u << SKL_TCP_CLOSE, "UDP over IPv6" },
	};
	struct diag_ctx ctx = { 0 };
	struct mnl_socket *sock;
	char *buf;
	size_t i;
	int ret = 0;

	buf = malloc(SKL_DIAG_BUF);
	sock = mnl_socket_open(NETLINK_SOCK_DIAG);
	if (!buf || !sock || mnl_socket_bind(sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		skl_err("%s: cannot open a sock_diag netlink socket: %s", what, strerror(errno));
		ret = -1;
	}
	for (i = 0; !ret && i < sizeof(dumps) / sizeof(dumps[0]); i++) {
		if (diag_dump(sock, buf, dumps[i].proto, dumps[i].family, dumps[i].states,
			      &ctx) < 0) {
			skl_err("%s: cannot list the namespace's %s sockets (sock_diag): %s", what,
				dumps[i].name, strerror(errno));
			ret = -1;
		}
	}
	if (sock)
		mnl_socket_close(sock);
	free(buf);
	if (ret) {
		free(ctx.socks);
		return -1;
	}
	*socks = ctx.socks;
	*count = ctx.count;
	return 0;
}

const char *skl_inet_sock_format(const struct skl_inet_sock *s, char *buf, size_t size)
{
	char local[64];

	snprintf(buf, size, "%s %s", s->proto == IPPROTO_TCP ? "tcp" : "udp",
		 skl_endpoint_format(&s->local, local, sizeof(local)));
	return buf;
}
