// SPDX-License-Identifier: GPL-2.0
/*
 * Detects: ftrace protects a callback from recursion only when asked with
 * FTRACE_OPS_FL_RECURSION (upstream a25d036d939a, "ftrace: Reverse what the RECURSION
 * flag means in the ftrace_ops", v5.11).
 */
#include <linux/ftrace.h>

unsigned long probe_flag = FTRACE_OPS_FL_RECURSION;
