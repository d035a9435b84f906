/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SKL_COUNTERS_H
#define SKL_COUNTERS_H

#include <linux/atomic.h>
#include <linux/compiler.h>
#include <linux/hash.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/types.h>

/**
 * struct skl_counter - a counter of a rule or a label, 24 bytes whatever the CPU count
 * @total: what the CPUs' caches gave back so far (skl_counters_sync() adds the rest)
 * @also: a counter whose total every count of this one goes to as well, or NULL: a
 *	rule's counter feeds its label's, so that a lookup counts one, not two. It must
 *	outlive this one's last lookup, and is set before any lookup can reach this one
 * @retired: no lookup can reach it any more; skl_counters_purge() lets go of it
 */
struct skl_counter {
	atomic64_t total;
	struct skl_counter *also;
	bool retired;
};

/*
 * Each CPU keeps what it counted for the last counters it touched, in sets of two slots
 * chosen by the counter's address, and hands a slot's count to the shared total only
 * when another counter needs the slot: a busy rule costs a local increment, as with
 * per-CPU counters, without a value per CPU for every rule. Two ways, so that two busy
 * rules sharing a set do not take it from each other on every lookup.
 */
#define SKL_COUNTER_SET_BITS	7
#define SKL_COUNTER_WAYS	2	/* skl_counter_inc() checks each */

struct skl_counter_slot {
	struct skl_counter *counter;
	u64 count;
};

struct skl_counter_cache {
	struct skl_counter_slot slot[SKL_COUNTER_WAYS << SKL_COUNTER_SET_BITS];
};

extern struct skl_counter_cache __percpu *skl_counter_caches;

void skl_counter_inc_slow(struct skl_counter *counter, u32 set);

/**
 * skl_counter_inc() - count one, from a lookup
 * @counter: a counter that stays alive while the caller is in its RCU read section
 */
static inline void skl_counter_inc(struct skl_counter *counter)
{
	u32 set = hash_ptr(counter, SKL_COUNTER_SET_BITS) * SKL_COUNTER_WAYS;
	struct skl_counter_cache __percpu *cache = skl_counter_caches;

	/*
	 * Between the check and the increment the slot must stay this CPU's and this
	 * counter's: no preemption, and no softirq taking the slot, which only the slow
	 * path prevents outside softirq context. An IPI may hand the count to the total
	 * in between: the increment is one operation.
	 */
	preempt_disable_notrace();
	if (likely(in_softirq())) {
		if (this_cpu_read(cache->slot[set].counter) == counter) {
			this_cpu_inc(cache->slot[set].count);
			goto out;
		}
		if (this_cpu_read(cache->slot[set + 1].counter) == counter) {
			this_cpu_inc(cache->slot[set + 1].count);
			goto out;
		}
	}
	skl_counter_inc_slow(counter, set);
out:
	preempt_enable_notrace();
}

int skl_counters_init(void);
void skl_counters_exit(void);
void skl_counter_init(struct skl_counter *counter);
void skl_counter_feed(struct skl_counter *counter, struct skl_counter *also);
void skl_counters_sync(void);
u64 skl_counter_read(const struct skl_counter *counter);
void skl_counter_retire(struct skl_counter *counter);
void skl_counters_purge(void);

#endif /* SKL_COUNTERS_H */
