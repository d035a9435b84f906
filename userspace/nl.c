// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/socket.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "sklookup.h"
#include "nl.h"
#include "util.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

/* The id of the multicast group SKL_GENL_MCGRP_EVENTS among CTRL_ATTR_MCAST_GROUPS. */
static uint32_t events_group_of(const struct nlattr *groups)
{
	const struct nlattr *grp, *attr;
	const char *name;
	uint32_t id;

	mnl_attr_for_each_nested(grp, groups) {
		name = NULL;
		id = 0;
		mnl_attr_for_each_nested(attr, grp) {
			if (mnl_attr_get_type(attr) == CTRL_ATTR_MCAST_GRP_NAME &&
			    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
				name = mnl_attr_get_str(attr);
			else if (mnl_attr_get_type(attr) == CTRL_ATTR_MCAST_GRP_ID &&
				 mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
				id = mnl_attr_get_u32(attr);
		}
		if (name && !strcmp(name, SKL_GENL_MCGRP_EVENTS))
			return id;
	}
	return 0;
}

static int family_id_cb(const struct nlmsghdr *nlh, void *data)
{
	struct skl_nl *nl = data;
	struct nlattr *attr;

	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(attr) == CTRL_ATTR_FAMILY_ID &&
		    mnl_attr_validate(attr, MNL_TYPE_U16) == 0)
			nl->family_id = mnl_attr_get_u16(attr);
		else if (mnl_attr_get_type(attr) == CTRL_ATTR_MCAST_GROUPS)
			nl->events_group = events_group_of(attr);
	}
	return MNL_CB_OK;
}

/* mnl_cb_run2 hands one pointer to every callback: carry the socket and the caller's. */
struct run_ctx {
	struct skl_nl *nl;
	mnl_cb_t cb;
	void *data;
};

static int data_cb(const struct nlmsghdr *nlh, void *data)
{
	struct run_ctx *ctx = data;

	return ctx->cb ? ctx->cb(nlh, ctx->data) : MNL_CB_OK;
}

/* The kernel's extended ack message of a refused request, kept in nl->extack. */
static void keep_extack(struct skl_nl *nl, const struct nlmsghdr *nlh,
			const struct nlmsgerr *err)
{
	unsigned int offset;
	struct nlattr *attr;

	nl->extack[0] = '\0';
	nl->cookie_len = 0;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	/* The request is echoed back unless NETLINK_CAP_ACK took effect. */
	offset = sizeof(*err);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		offset += err->msg.nlmsg_len - sizeof(struct nlmsghdr);
	mnl_attr_for_each(attr, nlh, offset) {
		if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
		    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
			snprintf(nl->extack, sizeof(nl->extack), "%s", mnl_attr_get_str(attr));
		if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_COOKIE &&
		    mnl_attr_get_payload_len(attr) <= sizeof(nl->cookie)) {
			nl->cookie_len = mnl_attr_get_payload_len(attr);
			memcpy(nl->cookie, mnl_attr_get_payload(attr), nl->cookie_len);
		}
	}
}

/* Keep the kernel's extended ack message, then report the error as libmnl does. */
static int error_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	struct run_ctx *ctx = data;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*err))) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (err->error == 0)
		return MNL_CB_STOP;
	keep_extack(ctx->nl, nlh, err);
	errno = -err->error;
	return MNL_CB_ERROR;
}

/* The end of a dump; it carries an error code when the dump failed half way. */
static int done_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)data;
	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(int)) {
		int err = *(const int *)mnl_nlmsg_get_payload(nlh);

		if (err < 0) {
			errno = -err;
			return MNL_CB_ERROR;
		}
	}
	return MNL_CB_STOP;
}

int skl_nl_run(struct skl_nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	/* libmnl ignores control messages whose slot here is empty: fill the ones that end. */
	mnl_cb_t ctl[NLMSG_MIN_TYPE] = { [NLMSG_ERROR] = error_cb, [NLMSG_DONE] = done_cb };
	struct run_ctx ctx = { .nl = nl, .cb = cb, .data = data };
	uint32_t seq = nlh->nlmsg_seq;
	ssize_t len;
	int ret;

	nl->extack[0] = '\0';
	nl->cookie_len = 0;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -1;
	do {
		len = mnl_socket_recvfrom(nl->sock, nl->buf, MNL_SOCKET_BUFFER_SIZE);
		if (len < 0)
			return -1;
		ret = mnl_cb_run2(nl->buf, len, seq, nl->portid, data_cb, &ctx,
				  ctl, NLMSG_MIN_TYPE);
	} while (ret > MNL_CB_STOP);
	return ret < 0 ? -1 : 0;
}

int skl_nl_open(struct skl_nl *nl)
{
	struct nlmsghdr *nlh;
	struct genlmsghdr *genl;
	int on = 1;

	memset(nl, 0, sizeof(*nl));
	nl->buf = malloc(MNL_SOCKET_BUFFER_SIZE);
	if (!nl->buf) {
		skl_err("out of memory");
		return -1;
	}
	nl->sock = mnl_socket_open(NETLINK_GENERIC);
	if (!nl->sock || mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		skl_err("cannot open a generic netlink socket: %s", strerror(errno));
		goto err;
	}
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &on, sizeof(on));
	mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &on, sizeof(on));
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (uint32_t)time(NULL);

	nlh = mnl_nlmsg_put_header(nl->buf);
	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = ++nl->seq;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = CTRL_CMD_GETFAMILY;
	genl->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, SKL_GENL_NAME);

	if (skl_nl_run(nl, nlh, family_id_cb, nl) < 0 || !nl->family_id) {
		if (errno == ENOENT)
			skl_err("%s", SKL_NOT_LOADED);
		else
			skl_err("cannot find the sklookup netlink family: %s", strerror(errno));
		goto err;
	}
	return 0;
err:
	skl_nl_close(nl);
	return -1;
}

int skl_nl_subscribe(struct skl_nl *nl)
{
	int group = (int)nl->events_group;

	if (!group) {
		skl_err("the loaded sklookup module sends no events: it is older than this sklookupctl");
		return -1;
	}
	if (mnl_socket_setsockopt(nl->sock, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) < 0) {
		if (errno == EPERM)
			skl_nl_perror(nl, "monitor");
		else
			skl_err("cannot join the sklookup events group: %s", strerror(errno));
		return -1;
	}
	return 0;
}

void skl_nl_close(struct skl_nl *nl)
{
	if (nl->sock)
		mnl_socket_close(nl->sock);
	free(nl->buf);
	nl->sock = NULL;
	nl->buf = NULL;
}

struct nlmsghdr *skl_nl_request(struct skl_nl *nl, uint8_t cmd, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(nl->buf);
	struct genlmsghdr *genl;

	nlh->nlmsg_type = nl->family_id;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = ++nl->seq;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = SKL_GENL_VERSION;
	return nlh;
}

static int generation_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nlattr *attr;

	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(attr) == SKL_A_STATUS_GENERATION &&
		    mnl_attr_validate(attr, MNL_TYPE_U64) == 0) {
			*(uint64_t *)data = mnl_attr_get_u64(attr);
			*((uint64_t *)data + 1) = 1;
		}
	}
	return MNL_CB_OK;
}

int skl_nl_generation(struct skl_nl *nl, uint64_t *generation)
{
	uint64_t got[2] = { 0, 0 };	/* the generation, and whether it came */

	if (skl_nl_run(nl, skl_nl_request(nl, SKL_CMD_STATUS_GET, 0), generation_cb, got) < 0)
		return -1;
	if (!got[1]) {
		errno = ENODATA;
		return -1;
	}
	*generation = got[0];
	return 0;
}

void skl_nl_perror(const struct skl_nl *nl, const char *what)
{
	if (nl->extack[0] && errno == EPERM && strstr(nl->extack, "allow_userns"))
		/* The module's switch for namespaces of other user namespaces: say where. */
		skl_err("%s: %s (%s); the host's root turns it on with 'echo 1 >%s'", what,
			nl->extack, strerror(errno), SKL_ALLOW_USERNS_PATH);
	else if (nl->extack[0])
		skl_err("%s: %s (%s)", what, nl->extack, strerror(errno));
	else if (errno == EPERM)
		/* Generic netlink checks the privilege itself, and says no more than EPERM. */
		skl_err("%s: needs CAP_NET_ADMIN over the network namespace (%s): run it as root, or as root of the user namespace that owns the namespace",
			what, strerror(errno));
	else
		skl_err("%s: %s", what, strerror(errno));
}

/* A batch buffer holds its limit plus the request that overflowed it. */
#define SKL_NL_BATCH_LIMIT	(16 * 1024)
#define SKL_NL_BATCH_BUF	(2 * SKL_NL_BATCH_LIMIT)

int skl_nl_batch_open(struct skl_nl_batch *b, struct skl_nl *nl)
{
	int rcvbuf = 4 << 20;

	memset(b, 0, sizeof(*b));
	b->nl = nl;
	b->buf = malloc(SKL_NL_BATCH_BUF);
	if (!b->buf)
		return -1;
	b->batch = mnl_nlmsg_batch_start(b->buf, SKL_NL_BATCH_LIMIT);
	if (!b->batch) {
		free(b->buf);
		return -1;
	}
	/*
	 * Room for the answers to a whole batch of refused requests; beyond the system's
	 * limit the first refusal is still kept, as netlink drops the newest answers.
	 */
	if (setsockopt(mnl_socket_get_fd(nl->sock), SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
		       sizeof(rcvbuf)) < 0)
		setsockopt(mnl_socket_get_fd(nl->sock), SOL_SOCKET, SO_RCVBUF, &rcvbuf,
			   sizeof(rcvbuf));
	return 0;
}

void skl_nl_batch_close(struct skl_nl_batch *b)
{
	if (b->batch)
		mnl_nlmsg_batch_stop(b->batch);
	free(b->buf);
	b->batch = NULL;
	b->buf = NULL;
}

struct nlmsghdr *skl_nl_batch_request(struct skl_nl_batch *b, uint8_t cmd)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(mnl_nlmsg_batch_current(b->batch));
	struct genlmsghdr *genl;

	/* No NLM_F_ACK: the kernel answers only a refusal, and the last of a batch. */
	nlh->nlmsg_type = b->nl->family_id;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = ++b->nl->seq;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = SKL_GENL_VERSION;
	return nlh;
}

struct batch_ctx {
	struct skl_nl_batch *b;
	uint32_t last_seq;
};

/* Remember the first refusal; the batch is answered when its last request is. */
static int batch_error_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	struct batch_ctx *ctx = data;
	struct skl_nl_batch *b = ctx->b;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*err))) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (err->error && !b->failed_seq) {
		b->failed_seq = err->msg.nlmsg_seq;
		b->failed_errno = -err->error;
		keep_extack(b->nl, nlh, err);
	}
	return err->msg.nlmsg_seq == ctx->last_seq ? MNL_CB_STOP : MNL_CB_OK;
}

/* Send the requests in the batch but an overflowing one, and read their answers. */
static int batch_send(struct skl_nl_batch *b)
{
	mnl_cb_t ctl[NLMSG_MIN_TYPE] = { [NLMSG_ERROR] = batch_error_cb };
	struct batch_ctx ctx = { .b = b };
	struct nlmsghdr *last = b->last;
	ssize_t len;
	int ret;

	if (mnl_nlmsg_batch_is_empty(b->batch))
		return 0;
	last->nlmsg_flags |= NLM_F_ACK;
	ctx.last_seq = last->nlmsg_seq;
	if (mnl_socket_sendto(b->nl->sock, mnl_nlmsg_batch_head(b->batch),
			      mnl_nlmsg_batch_size(b->batch)) < 0)
		return -1;
	do {
		len = mnl_socket_recvfrom(b->nl->sock, b->nl->buf, MNL_SOCKET_BUFFER_SIZE);
		if (len < 0)
			return -1;
		ret = mnl_cb_run2(b->nl->buf, len, 0, b->nl->portid, NULL, &ctx, ctl,
				  NLMSG_MIN_TYPE);
	} while (ret > MNL_CB_STOP);
	if (ret < 0)
		return -1;
	if (b->failed_seq) {
		errno = b->failed_errno;
		return -1;
	}
	return 0;
}

int skl_nl_batch_push(struct skl_nl_batch *b)
{
	struct nlmsghdr *nlh = mnl_nlmsg_batch_current(b->batch);

	if (mnl_nlmsg_batch_next(b->batch)) {
		b->last = nlh;
		return 0;
	}
	if (batch_send(b) < 0)
		return -1;
	/* The request that did not fit moves to the head of the next batch. */
	mnl_nlmsg_batch_reset(b->batch);
	b->last = mnl_nlmsg_batch_head(b->batch);
	return 0;
}

int skl_nl_batch_flush(struct skl_nl_batch *b)
{
	int ret = batch_send(b);

	mnl_nlmsg_batch_reset(b->batch);
	return ret;
}
