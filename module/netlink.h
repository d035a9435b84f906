/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SKL_NETLINK_H
#define SKL_NETLINK_H

int skl_netlink_register(void);
void skl_netlink_unregister(void);

#endif /* SKL_NETLINK_H */
