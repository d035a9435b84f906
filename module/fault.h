/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SKL_FAULT_H
#define SKL_FAULT_H

#include <linux/types.h>

/*
 * Fault injection for test builds (make SKL_FAULT_INJECTION=y): every step of a change
 * that can fail asks skl_fault() first, so that a test can fail each one in turn and see
 * the previous state survive. Debian's kernels have no fault injection of their own. In
 * normal builds skl_fault() is false and costs nothing.
 */
#ifdef SKL_FAULT_INJECTION
bool skl_fault(void);
void skl_fault_pause(void);
u64 skl_fault_extra_words(void);
#else
static inline bool skl_fault(void)
{
	return false;
}

static inline void skl_fault_pause(void)
{
}

static inline u64 skl_fault_extra_words(void)
{
	return 0;
}
#endif

/* An allocation that a test build can make fail. */
#define SKL_FALLIBLE(alloc)	(skl_fault() ? NULL : (alloc))

#endif /* SKL_FAULT_H */
