// SPDX-License-Identifier: GPL-2.0
/* sklookupctl status: module version and what each hook has seen. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <linux/genetlink.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "sklookup.h"
#include "commands.h"
#include "nl.h"
#include "output.h"
#include "util.h"

static int attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;

	/* Newer modules may add attributes: skip what this version does not know. */
	if (mnl_attr_type_valid(attr, SKL_A_HOOK_MAX) > 0)
		tb[mnl_attr_get_type(attr)] = attr;
	return MNL_CB_OK;
}

static const char *hook_label(uint8_t proto, uint8_t family)
{
	if (proto == IPPROTO_TCP)
		return family == AF_INET6 ? "tcp6" : "tcp4";
	return family == AF_INET6 ? "udp6" : "udp4";
}

static void print_hook(const struct nlattr *nest)
{
	const struct nlattr *tb[SKL_A_HOOK_MAX + 1] = { 0 };
	uint8_t proto = 0, family = 0;
	bool active;

	mnl_attr_parse_nested(nest, attr_cb, tb);
	if (tb[SKL_A_HOOK_PROTO])
		proto = mnl_attr_get_u8(tb[SKL_A_HOOK_PROTO]);
	if (tb[SKL_A_HOOK_FAMILY])
		family = mnl_attr_get_u8(tb[SKL_A_HOOK_FAMILY]);
	active = tb[SKL_A_HOOK_ACTIVE] && mnl_attr_get_u8(tb[SKL_A_HOOK_ACTIVE]);

	out_open_object(NULL);
	out_str("hook", "  %-6s", hook_label(proto, family));
	out_str("function", "%-24s",
		tb[SKL_A_HOOK_NAME] ? mnl_attr_get_str(tb[SKL_A_HOOK_NAME]) : "?");
	out_str("state", tb[SKL_A_HOOK_CALLS] ? "%-9s" : "%s", active ? "active" : "off");
	out_bool("active", "", active);
	/* Counts of all namespaces: the module sends them to the host's administrator only. */
	if (tb[SKL_A_HOOK_CALLS])
		out_uint("calls", "calls %" PRIu64, mnl_attr_get_u64(tb[SKL_A_HOOK_CALLS]));
	out_close_object();
	out_text("\n");
}

/* Text label and JSON key of the live-object counters, by attribute. */
static const char *const totals[][2] = {
	[SKL_A_STATUS_NAMESPACES] = { "namespaces", "namespaces" },
	[SKL_A_STATUS_RULES] = { "rules", "rules" },
	[SKL_A_STATUS_LABELS] = { "labels", "labels" },
	[SKL_A_STATUS_SOCKETS] = { "sockets", "sockets" },
	[SKL_A_STATUS_STAGED] = { "staged", "staged" },
	[SKL_A_STATUS_MAX_RULES] = { "max_rules", "max_rules" },
	[SKL_A_STATUS_MAX_SOCKETS] = { "max_sockets", "max_sockets" },
};

static int status_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nlattr *attr;
	bool *in_hooks = data;
	char fmt[32];
	int type;

	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(attr)) {
		case SKL_A_STATUS_VERSION:
			out_str("version", "sklookup %s\n", mnl_attr_get_str(attr));
			break;
		case SKL_A_STATUS_HOOK:
			if (!*in_hooks) {
				out_text("hooks:\n");
				out_open_array("hooks");
				*in_hooks = true;
			}
			print_hook(attr);
			break;
		case SKL_A_STATUS_NAMESPACES:
		case SKL_A_STATUS_RULES:
		case SKL_A_STATUS_LABELS:
		case SKL_A_STATUS_SOCKETS:
		case SKL_A_STATUS_STAGED:
		case SKL_A_STATUS_MAX_RULES:
		case SKL_A_STATUS_MAX_SOCKETS:
			type = mnl_attr_get_type(attr);
			if (*in_hooks) {
				out_close_array();
				if (type != SKL_A_STATUS_MAX_RULES)
					out_text("objects:");
				*in_hooks = false;
			}
			if (type == SKL_A_STATUS_MAX_RULES)
				out_text("limits:");
			snprintf(fmt, sizeof(fmt), " %s %%" PRIu64, totals[type][0]);
			out_uint(totals[type][1], fmt, mnl_attr_get_u32(attr));
			if (type == SKL_A_STATUS_STAGED || type == SKL_A_STATUS_MAX_SOCKETS)
				out_text("\n");
			break;
		case SKL_A_STATUS_GENERATION:
			out_uint("generation", "generation: %" PRIu64 " (this namespace's rules)\n",
				 mnl_attr_get_u64(attr));
			break;
		}
	}
	return MNL_CB_OK;
}

int status_main(int argc, char **argv)
{
	struct nlmsghdr *nlh;
	struct skl_nl nl;
	bool in_hooks = false;
	int ret = 0;

	(void)argv;
	if (argc > 0) {
		skl_err("status: unexpected argument '%s'", argv[0]);
		return SKL_EXIT_USAGE;
	}
	if (skl_nl_open(&nl) < 0)
		return SKL_EXIT_FAIL;

	out_open_object(NULL);
	nlh = skl_nl_request(&nl, SKL_CMD_STATUS_GET, 0);
	if (skl_nl_run(&nl, nlh, status_cb, &in_hooks) < 0) {
		skl_nl_perror(&nl, "status");
		ret = SKL_EXIT_FAIL;
	}
	if (in_hooks)
		out_close_array();
	out_close_object();
	out_finish();
	skl_nl_close(&nl);
	return ret;
}
