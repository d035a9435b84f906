/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SKL_LIMITS_H
#define SKL_LIMITS_H

/* What one namespace may hold, and who may change it: module parameters. */
extern unsigned int skl_max_rules;
extern unsigned int skl_max_sockets;
extern bool skl_allow_userns;

#define SKL_MAX_RULES_REACHED	"this namespace holds max_rules rules (a module parameter)"

#endif /* SKL_LIMITS_H */
