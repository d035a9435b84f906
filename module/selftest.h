/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SKL_SELFTEST_H
#define SKL_SELFTEST_H

#include <linux/init.h>

/* The test build checks itself at load; normal builds have nothing to check. */
#ifdef SKL_FAULT_INJECTION
int __init skl_selftest(void);
#else
static inline int skl_selftest(void)
{
	return 0;
}
#endif

#endif /* SKL_SELFTEST_H */
