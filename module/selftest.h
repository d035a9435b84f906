/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SKL_SELFTEST_H
#define SKL_SELFTEST_H

#include <linux/types.h>

/* The test build checks itself at load; normal builds have nothing to check. */
#ifdef SKL_FAULT_INJECTION
bool skl_selftest(void);
#else
static inline bool skl_selftest(void)
{
	return true;
}
#endif

#endif /* SKL_SELFTEST_H */
