// SPDX-License-Identifier: GPL-2.0
/*
 * Detects: generic netlink refuses to let a socket join a multicast group flagged
 * GENL_MCAST_CAP_NET_ADMIN unless its user has CAP_NET_ADMIN over the namespace's user
 * namespace (upstream 4d54cc32112d, v6.7, and the stable backports "genetlink: add
 * CAP_NET_ADMIN test for multicast bind"; in Debian's 6.1).
 */
#include <net/genetlink.h>

const struct genl_multicast_group probe_grp = { .flags = GENL_MCAST_CAP_NET_ADMIN };
