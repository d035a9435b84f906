/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SKL_STEER_H
#define SKL_STEER_H

#include <linux/jump_label.h>
#include <linux/ptrace.h>

/* On while any namespace has rules: until then a hook costs one patched-out branch. */
DECLARE_STATIC_KEY_FALSE(skl_steer_any_rules);

void skl_steer_ruleset_added(void);
void skl_steer_ruleset_removed(void);
void skl_steer_init(void);

/* Defined in stub.S: returns, with whatever the callback left in %rax. */
void skl_return_stub(void);

void skl_steer_tcp(struct pt_regs *regs, u8 family);
void skl_steer_udp(struct pt_regs *regs, u8 family);

#endif /* SKL_STEER_H */
