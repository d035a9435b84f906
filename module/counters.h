/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SKL_COUNTERS_H
#define SKL_COUNTERS_H

#include <linux/percpu.h>
#include <linux/types.h>

/**
 * struct skl_counter - one per-CPU u64 counter carved from the module's pool
 * @value: per-CPU values; lookups add with this_cpu_inc(*@value)
 * @slot: its place in the pool, for skl_counter_free()
 */
struct skl_counter {
	u64 __percpu *value;
	u32 slot;
};

int skl_counter_alloc(struct skl_counter *counter, gfp_t gfp);
void skl_counter_free(struct skl_counter *counter);
u64 skl_counter_read(const struct skl_counter *counter);
void skl_counters_destroy(void);

#endif /* SKL_COUNTERS_H */
