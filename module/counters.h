/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SKL_COUNTERS_H
#define SKL_COUNTERS_H

#include <linux/atomic.h>
#include <linux/hash.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/types.h>

/**
 * struct skl_counter - a counter of a rule or a label, 16 bytes whatever the CPU count
 * @total: what the CPUs' caches gave back so far (skl_counters_sync() adds the rest)
 * @retired: no lookup can reach it any more; skl_counters_purge() lets go of it
 */
struct skl_counter {
	atomic64_t total;
	bool retired;
};

#define SKL_COUNTER_CACHE_BITS	8

/*
 * Each CPU keeps what it counted for the last counters it touched, one per slot, and
 * hands a slot's count to the shared total only when another counter needs the slot: a
 * busy rule costs a local increment, as with per-CPU counters, without a value per CPU
 * for every rule.
 */
struct skl_counter_slot {
	struct skl_counter *counter;
	u64 count;
};

struct skl_counter_cache {
	struct skl_counter_slot slot[1 << SKL_COUNTER_CACHE_BITS];
};

DECLARE_PER_CPU_ALIGNED(struct skl_counter_cache, skl_counter_cache);

void skl_counter_take_slot(struct skl_counter *counter, u32 slot);

/**
 * skl_counter_inc() - count one, from a lookup
 * @counter: a counter that stays alive while the caller is in its RCU read section
 */
static inline void skl_counter_inc(struct skl_counter *counter)
{
	u32 slot = hash_ptr(counter, SKL_COUNTER_CACHE_BITS);

	/* Between the check and the increment the slot must stay this CPU's. */
	preempt_disable_notrace();
	/* An IPI may hand the count to the total in between: increment in one operation. */
	if (likely(this_cpu_read(skl_counter_cache.slot[slot].counter) == counter))
		this_cpu_inc(skl_counter_cache.slot[slot].count);
	else
		skl_counter_take_slot(counter, slot);
	preempt_enable_notrace();
}

void skl_counter_init(struct skl_counter *counter);
void skl_counters_sync(void);
u64 skl_counter_read(const struct skl_counter *counter);
void skl_counter_retire(struct skl_counter *counter);
void skl_counters_purge(void);

#endif /* SKL_COUNTERS_H */
