/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SKL_VERIFY_H
#define SKL_VERIFY_H

#include <linux/init.h>
#include <linux/types.h>

int __init skl_verify_layout(bool tcp, bool udp, bool ipv6);

#endif /* SKL_VERIFY_H */
