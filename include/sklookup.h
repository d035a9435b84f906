/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * sklookup: programmable socket lookup, the generic netlink API.
 *
 * The family is named "sklookup" (SKL_GENL_NAME), version SKL_GENL_VERSION. Every request
 * acts on the caller's network namespace. Each attribute carries one field; unknown
 * attributes are refused, and every refusal comes back with an extended ack whose message
 * names the offending attribute.
 *
 * Commands
 *
 * SKL_CMD_STATUS_GET (do)
 *	Request: no attributes.
 *	Reply: SKL_A_STATUS_VERSION (string), then one nested SKL_A_STATUS_HOOK per hooked
 *	kernel function, each holding SKL_A_HOOK_NAME (string, the kernel function),
 *	SKL_A_HOOK_PROTO (u8, IPPROTO_TCP or IPPROTO_UDP), SKL_A_HOOK_FAMILY (u8, AF_INET or
 *	AF_INET6), SKL_A_HOOK_ACTIVE (u8, 1 when the hook is installed) and SKL_A_HOOK_CALLS
 *	(u64, lookups seen since the module was loaded, in all namespaces).
 *	Reading needs no privilege.
 */
#ifndef _UAPI_SKLOOKUP_H
#define _UAPI_SKLOOKUP_H

#define SKL_GENL_NAME		"sklookup"
#define SKL_GENL_VERSION	1

enum skl_cmd {
	SKL_CMD_UNSPEC,
	SKL_CMD_STATUS_GET,

	__SKL_CMD_MAX,
	SKL_CMD_MAX = __SKL_CMD_MAX - 1
};

enum skl_status_attr {
	SKL_A_STATUS_UNSPEC,
	SKL_A_STATUS_VERSION,		/* string */
	SKL_A_STATUS_HOOK,		/* nest, skl_hook_attr; repeated */

	__SKL_A_STATUS_MAX,
	SKL_A_STATUS_MAX = __SKL_A_STATUS_MAX - 1
};

enum skl_hook_attr {
	SKL_A_HOOK_UNSPEC,
	SKL_A_HOOK_PAD,
	SKL_A_HOOK_NAME,		/* string */
	SKL_A_HOOK_PROTO,		/* u8 */
	SKL_A_HOOK_FAMILY,		/* u8 */
	SKL_A_HOOK_ACTIVE,		/* u8 */
	SKL_A_HOOK_CALLS,		/* u64 */

	__SKL_A_HOOK_MAX,
	SKL_A_HOOK_MAX = __SKL_A_HOOK_MAX - 1
};

#endif /* _UAPI_SKLOOKUP_H */
