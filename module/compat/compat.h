/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernels sklookup supports, in one place. Logic files test the
 * named capabilities below, never a version number. The HAVE_* macros come from
 * features.h, which module/compat/probe.sh writes by compiling a small test per feature
 * against the target kernel's headers (see module/compat/probes/).
 */
#ifndef SKL_COMPAT_H
#define SKL_COMPAT_H

#include <linux/ftrace.h>
#include "features.h"

/*
 * ftrace callbacks received a struct pt_regs until the callbacks were given a struct
 * ftrace_regs, which the regs-saving trampoline fills completely.
 */
#ifdef HAVE_FTRACE_REGS_CALLBACK
#define skl_ftrace_regs ftrace_regs
#else
#define skl_ftrace_regs pt_regs
#endif

/*
 * Our callbacks never call a function they hook, so they need no recursion guard. The
 * flag that says so was inverted: older kernels guard unless told RECURSION_SAFE, newer
 * kernels guard only when asked with FTRACE_OPS_FL_RECURSION.
 */
#ifdef HAVE_FTRACE_OPS_FL_RECURSION
#define SKL_FTRACE_OPS_FL_UNGUARDED	0
#else
#define SKL_FTRACE_OPS_FL_UNGUARDED	FTRACE_OPS_FL_RECURSION_SAFE
#endif

#endif /* SKL_COMPAT_H */
