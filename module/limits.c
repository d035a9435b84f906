// SPDX-License-Identifier: GPL-2.0
/*
 * Per-namespace limits, and which namespaces may be changed at all. The limits bound what
 * one namespace's administrator can make the module allocate: a rule costs a few hundred
 * bytes (its comment up to SKL_RULE_COMMENT_MAX more) plus a counter per possible CPU, a
 * socket pins the socket's memory. They can be
 * changed at run time; rules and sockets over a lowered limit stay, new ones are refused.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/moduleparam.h>

#include "limits.h"
#include "match.h"

#define SKL_DEFAULT_MAX_RULES	1048576
#define SKL_DEFAULT_MAX_SOCKETS	4096
#define SKL_MAX_SOCKETS_CEILING	1048576

unsigned int skl_max_rules = SKL_DEFAULT_MAX_RULES;
unsigned int skl_max_sockets = SKL_DEFAULT_MAX_SOCKETS;
bool skl_allow_userns;

static int skl_param_set_limit(const char *val, const struct kernel_param *kp,
			       unsigned int ceiling)
{
	unsigned int value;

	if (kstrtouint(val, 0, &value) || value < 1 || value > ceiling) {
		pr_err("%s=%s refused: give a number from 1 to %u\n", kp->name, val, ceiling);
		return -EINVAL;
	}
	*(unsigned int *)kp->arg = value;
	return 0;
}

static int skl_param_set_max_rules(const char *val, const struct kernel_param *kp)
{
	return skl_param_set_limit(val, kp, SKL_MATCH_MAX_RULES);
}

static int skl_param_set_max_sockets(const char *val, const struct kernel_param *kp)
{
	return skl_param_set_limit(val, kp, SKL_MAX_SOCKETS_CEILING);
}

static const struct kernel_param_ops skl_max_rules_ops = {
	.set = skl_param_set_max_rules,
	.get = param_get_uint,
};

static const struct kernel_param_ops skl_max_sockets_ops = {
	.set = skl_param_set_max_sockets,
	.get = param_get_uint,
};

module_param_cb(max_rules, &skl_max_rules_ops, &skl_max_rules, 0644);
MODULE_PARM_DESC(max_rules,
		 "Most rules one network namespace may hold, 1 to 16777216 (default: 1048576)");
module_param_cb(max_sockets, &skl_max_sockets_ops, &skl_max_sockets, 0644);
MODULE_PARM_DESC(max_sockets,
		 "Most sockets one network namespace may register, 1 to 1048576 (default: 4096)");

module_param_named(allow_userns, skl_allow_userns, bool, 0644);
MODULE_PARM_DESC(allow_userns,
		 "Let network namespaces owned by a user namespace other than the initial one be changed (default: off)");
