// SPDX-License-Identifier: GPL-2.0
/*
 * Detects: a multicast group has flags, which the stable backport of "genetlink: add
 * CAP_NET_ADMIN test for multicast bind" to kernels without GENL_MCAST_CAP_NET_ADMIN
 * (Debian's 5.10) added together with its check: joining a group flagged
 * GENL_UNS_ADMIN_PERM needs CAP_NET_ADMIN over the namespace's user namespace.
 */
#include <net/genetlink.h>

const struct genl_multicast_group probe_grp = { .flags = GENL_UNS_ADMIN_PERM };
