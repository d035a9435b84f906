// SPDX-License-Identifier: GPL-2.0
/*
 * sklookupctl monitor: one line per event of the namespace, as it happens (like
 * "ip monitor"); with -j one JSON object per line; with -t each starts with the time it
 * was read (as "ip -ts monitor"). Ends when the module is unloaded.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <linux/genetlink.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "sklookup.h"
#include "commands.h"
#include "nl.h"
#include "output.h"
#include "rule_codec.h"
#include "rule_format.h"
#include "util.h"

/* Text words and JSON name of each event and release reason. */
static const char *const event_names[][2] = {
	[SKL_EVENT_RULE_ADDED] = { "rule added", "rule_added" },
	[SKL_EVENT_RULE_DELETED] = { "rule deleted", "rule_deleted" },
	[SKL_EVENT_RULES_REPLACED] = { "rules replaced", "rules_replaced" },
	[SKL_EVENT_RULES_FLUSHED] = { "rules flushed", "rules_flushed" },
	[SKL_EVENT_SOCKET_REGISTERED] = { "socket registered", "socket_registered" },
	[SKL_EVENT_SOCKET_RELEASED] = { "socket released", "socket_released" },
	[SKL_EVENT_LABEL_EMPTY] = { "label", "label_empty" },
	[SKL_EVENT_NETNS_GONE] = { "namespace gone", "namespace_gone" },
};

static const char *const reason_names[][2] = {
	[SKL_RELEASE_CLOSED] = { "closed", "closed" },
	[SKL_RELEASE_NOT_LISTENING] = { "stopped listening", "stopped_listening" },
	[SKL_RELEASE_UNREGISTERED] = { "unregistered", "unregistered" },
	[SKL_RELEASE_NETNS_GONE] = { "namespace gone", "namespace_gone" },
};

struct monitor_ctx {
	uint16_t family_id;
	bool unloaded;
};

/* -t: each event starts with the time it was read. */
static bool timestamps;

/* "2026-12-05T03:06:07.123456", local time, as "ip -ts monitor" prints it. */
static void print_timestamp(void)
{
	char buf[64], stamp[80];
	struct timeval tv;
	struct tm tm;

	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(stamp, sizeof(stamp), "%s.%06ld", buf, (long)tv.tv_usec);
	out_str("time", "[%s] ", stamp);
}

static uint32_t get_u32(const struct nlattr *attr)
{
	return attr ? mnl_attr_get_u32(attr) : 0;
}

static void print_rule(const struct nlattr *nest)
{
	struct skl_rule r;

	if (!nest)
		return;
	rule_get_nested(nest, &r);
	out_text(" %" PRIu64 " ", r.id);
	rule_print(&r, "rule", 0);
}

/* "tcp 127.0.0.1:8081 ino 1234", or the same keys in a JSON object "socket". */
static void print_event_socket(const struct nlattr *nest)
{
	const struct nlattr *tb[SKL_A_SOCKET_MAX + 1] = { 0 };
	struct attr_table t = { tb, SKL_A_SOCKET_MAX };
	char addr[INET6_ADDRSTRLEN] = "?";
	uint8_t family;

	if (!nest)
		return;
	mnl_attr_parse_nested(nest, table_cb, &t);
	family = tb[SKL_A_SOCKET_FAMILY] ? mnl_attr_get_u8(tb[SKL_A_SOCKET_FAMILY]) : 0;
	if (tb[SKL_A_SOCKET_ADDR] &&
	    mnl_attr_get_payload_len(tb[SKL_A_SOCKET_ADDR]) == (family == AF_INET ? 4u : 16u))
		inet_ntop(family, mnl_attr_get_payload(tb[SKL_A_SOCKET_ADDR]), addr, sizeof(addr));
	out_open_object("socket");
	out_str("proto", " %s", proto_name(tb[SKL_A_SOCKET_PROTO] ?
					      mnl_attr_get_u8(tb[SKL_A_SOCKET_PROTO]) : 0));
	out_str("family", "", family == AF_INET6 ? "inet6" : "inet");
	out_str("addr", family == AF_INET6 ? " [%s]" : " %s", addr);
	out_uint("port", ":%" PRIu64, tb[SKL_A_SOCKET_PORT] ?
		 mnl_attr_get_u16(tb[SKL_A_SOCKET_PORT]) : 0);
	out_uint("inode", " ino %" PRIu64, get_u64(tb[SKL_A_SOCKET_INODE]));
	out_close_object();
}

static int event_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[SKL_A_EVENT_MAX + 1] = { 0 };
	struct attr_table t = { tb, SKL_A_EVENT_MAX };
	const struct genlmsghdr *genl = mnl_nlmsg_get_payload(nlh);
	const char *label;
	uint8_t type, reason;
	bool json = out_is_json();

	(void)data;
	if (genl->cmd != SKL_CMD_EVENT)
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*genl), table_cb, &t);
	type = tb[SKL_A_EVENT_TYPE] ? mnl_attr_get_u8(tb[SKL_A_EVENT_TYPE]) : 0;
	/* An event a newer module knows and this sklookupctl does not: skip it. */
	if (!type || type > SKL_EVENT_MAX || !event_names[type][0])
		return MNL_CB_OK;
	label = tb[SKL_A_EVENT_LABEL] ? mnl_attr_get_str(tb[SKL_A_EVENT_LABEL]) : "?";

	out_init(json);
	out_open_object(NULL);
	if (timestamps)
		print_timestamp();
	out_str("event", "%s", event_names[type][json]);
	switch (type) {
	case SKL_EVENT_RULE_ADDED:
	case SKL_EVENT_RULE_DELETED:
		print_rule(tb[SKL_A_EVENT_RULE]);
		break;
	case SKL_EVENT_RULES_REPLACED:
		out_uint("rules", " %" PRIu64 " rules", get_u32(tb[SKL_A_EVENT_COUNT]));
		break;
	case SKL_EVENT_RULES_FLUSHED:
		out_uint("rules", "", get_u32(tb[SKL_A_EVENT_COUNT]));
		break;
	case SKL_EVENT_SOCKET_REGISTERED:
	case SKL_EVENT_SOCKET_RELEASED:
		out_str("label", " label %s", label);
		print_event_socket(tb[SKL_A_EVENT_SOCKET]);
		reason = tb[SKL_A_EVENT_REASON] ? mnl_attr_get_u8(tb[SKL_A_EVENT_REASON]) : 0;
		if (reason && reason <= SKL_RELEASE_MAX && reason_names[reason][0])
			out_str("reason", " %s", reason_names[reason][json]);
		break;
	case SKL_EVENT_LABEL_EMPTY:
		out_str("label", " %s has no sockets", label);
		break;
	case SKL_EVENT_NETNS_GONE:
		out_uint("netns", " netns %" PRIu64, get_u32(tb[SKL_A_EVENT_NETNS]));
		out_uint("rules", " rules %" PRIu64, get_u32(tb[SKL_A_EVENT_COUNT]));
		out_uint("labels", " labels %" PRIu64, get_u32(tb[SKL_A_EVENT_LABELS]));
		break;
	}
	out_close_object();
	out_text("\n");
	/* Each event reaches a reader of a pipe at once, not when a buffer fills. */
	out_finish();
	return MNL_CB_OK;
}

/*
 * Control messages of generic netlink: *data becomes true when our family goes away (the
 * module is unloaded), which ends the monitor; the kernel does not tell a group's
 * members that the group is gone.
 */
static int ctrl_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct genlmsghdr *genl = mnl_nlmsg_get_payload(nlh);
	struct monitor_ctx *ctx = data;
	const struct nlattr *attr;

	if (genl->cmd != CTRL_CMD_DELFAMILY)
		return MNL_CB_OK;
	mnl_attr_for_each(attr, nlh, sizeof(*genl)) {
		if (mnl_attr_get_type(attr) == CTRL_ATTR_FAMILY_ID &&
		    mnl_attr_validate(attr, MNL_TYPE_U16) == 0 &&
		    mnl_attr_get_u16(attr) == ctx->family_id) {
			ctx->unloaded = true;
			return MNL_CB_STOP;
		}
	}
	return MNL_CB_OK;
}

static int monitor_cb(const struct nlmsghdr *nlh, void *data)
{
	struct monitor_ctx *ctx = data;

	if (nlh->nlmsg_type == GENL_ID_CTRL)
		return ctrl_cb(nlh, data);
	if (nlh->nlmsg_type == ctx->family_id)
		return event_cb(nlh, NULL);
	return MNL_CB_OK;
}

int monitor_main(int argc, char **argv)
{
	/*
	 * nlctrl's one multicast group, "notify", has the family's own id in every kernel
	 * (genetlink.c assigns it so); joining it needs no privilege.
	 */
	int ctrl_group = GENL_ID_CTRL, i, ret;
	struct monitor_ctx ctx = { 0 };
	struct skl_nl nl;
	ssize_t len;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-t") || !strcmp(argv[i], "--timestamp")) {
			timestamps = true;
			continue;
		}
		skl_err("monitor: unexpected argument '%s'", argv[i]);
		return SKL_EXIT_USAGE;
	}
	if (skl_nl_open(&nl) < 0)
		return SKL_EXIT_FAIL;
	if (skl_nl_subscribe(&nl) < 0) {
		skl_nl_close(&nl);
		return SKL_EXIT_FAIL;
	}
	if (mnl_socket_setsockopt(nl.sock, NETLINK_ADD_MEMBERSHIP, &ctrl_group,
				  sizeof(ctrl_group)) < 0) {
		skl_err("monitor: cannot join generic netlink's notify group: %s", strerror(errno));
		skl_nl_close(&nl);
		return SKL_EXIT_FAIL;
	}
	ctx.family_id = nl.family_id;
	for (;;) {
		len = mnl_socket_recvfrom(nl.sock, nl.buf, MNL_SOCKET_BUFFER_SIZE);
		if (len < 0 && errno == ENOBUFS) {
			/* Events came faster than we read: say so, and go on. */
			skl_err("monitor: events were lost (the receive buffer overflowed)");
			continue;
		}
		if (len < 0 && errno == EINTR)
			continue;
		if (len < 0) {
			skl_err("monitor: %s", strerror(errno));
			break;
		}
		ret = mnl_cb_run(nl.buf, len, 0, 0, monitor_cb, &ctx);
		if (ctx.unloaded) {
			skl_err("monitor: the sklookup module was unloaded; no more events will come");
			break;
		}
		if (ret < 0) {
			skl_err("monitor: %s", strerror(errno));
			break;
		}
		/* An event that could not be printed: main() says why, and we stop. */
		if (ferror(stdout))
			break;
	}
	skl_nl_close(&nl);
	return SKL_EXIT_FAIL;
}
