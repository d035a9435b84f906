/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SKL_APPLY_H
#define SKL_APPLY_H

#include <linux/types.h>

#include "rules.h"

struct skl_net;
struct netlink_ext_ack;
struct sock;

/* A rule waiting in a staged set, with the name of its label (empty for drop). */
struct skl_staged_rule {
	struct skl_rule rule;
	char label[SKL_LABEL_NAME_MAX];
};

int skl_apply_begin(struct skl_net *sn, struct sock *sk);
int skl_apply_stage(struct skl_net *sn, const struct sock *sk, const struct skl_rule *rule,
		    const char *label, struct netlink_ext_ack *extack);
int skl_apply_commit(struct skl_net *sn, const struct sock *sk, u32 *count,
		     struct netlink_ext_ack *extack);
void skl_apply_drop(struct skl_net *sn, const struct sock *sk);
void skl_apply_destroy(struct skl_net *sn);
int skl_apply_register(void);
void skl_apply_unregister(void);
void skl_apply_exit(void);

#endif /* SKL_APPLY_H */
