// SPDX-License-Identifier: GPL-2.0
/*
 * Counters of rules and labels, which come by the million. A per-CPU value for each
 * would cost 8 bytes per possible CPU per counter (a GiB for a million rules on 128
 * CPUs). Instead each counter is one shared total, and each CPU counts in a small cache
 * of its own (skl_counter_inc()), handing a slot's count to its counter's total when
 * another counter takes the slot. A busy counter stays in every CPU's cache and costs
 * what a per-CPU counter does; the shared total is written only on such a hand-over.
 *
 * Two things reach into other CPUs' caches, each with one IPI per CPU that holds
 * something for it: a read first makes every CPU hand its counts over, so that totals
 * are exact and never go back; and before counters are freed, every CPU lets go of
 * their slots, so that no later hand-over writes to freed memory.
 */
#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/irqflags.h>
#include <linux/smp.h>

#include "counters.h"

DEFINE_PER_CPU_ALIGNED(struct skl_counter_cache, skl_counter_cache);

/**
 * skl_counter_take_slot() - give a cache slot to @counter, handing its count over
 * @counter: the counter a lookup counts one for
 * @slot: its slot in this CPU's cache
 *
 * Preemption is off. Interrupts are off too while the slot changes hands: the IPIs of
 * skl_counters_sync() and skl_counters_purge() must see either owner whole.
 */
void skl_counter_take_slot(struct skl_counter *counter, u32 slot)
{
	struct skl_counter_slot *s = this_cpu_ptr(&skl_counter_cache.slot[slot]);
	unsigned long flags;

	local_irq_save(flags);
	if (s->counter && s->count)
		atomic64_add(s->count, &s->counter->total);
	s->counter = counter;
	s->count = 1;
	local_irq_restore(flags);
}

/* With interrupts off, on the cache's own CPU or for a CPU that is offline. */
static void skl_counter_cache_flush(struct skl_counter_cache *cache, bool purge)
{
	struct skl_counter_slot *s;

	for (s = cache->slot; s < cache->slot + ARRAY_SIZE(cache->slot); s++) {
		if (!s->counter)
			continue;
		if (s->count) {
			atomic64_add(s->count, &s->counter->total);
			s->count = 0;
		}
		/*
		 * A counter still in use keeps its slot: a lookup on this CPU may have
		 * found it there and be about to increment it.
		 */
		if (purge && READ_ONCE(s->counter->retired))
			s->counter = NULL;
	}
}

static void skl_counter_cache_flush_local(void *purge)
{
	skl_counter_cache_flush(this_cpu_ptr(&skl_counter_cache), purge);
}

/*
 * Whether @cpu's cache holds anything to hand over or let go of. Read from another CPU:
 * a slot may change under it, but never to a retired counter, and a count found zero
 * here was handed over already.
 */
static bool skl_counter_cache_busy(int cpu, void *purge)
{
	const struct skl_counter_slot *s = per_cpu_ptr(skl_counter_cache.slot, cpu);
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(skl_counter_cache.slot); i++) {
		const struct skl_counter *counter = READ_ONCE(s[i].counter);

		if (counter && (READ_ONCE(s[i].count) || (purge && READ_ONCE(counter->retired))))
			return true;
	}
	return false;
}

static void skl_counter_caches_flush(bool purge)
{
	void *arg = purge ? (void *)1UL : NULL;
	int cpu;

	cpus_read_lock();
	on_each_cpu_cond_mask(skl_counter_cache_busy, skl_counter_cache_flush_local, arg, true,
			      cpu_online_mask);
	/* An offline CPU runs nothing, and none comes up while the lock is held. */
	for_each_possible_cpu(cpu) {
		if (!cpu_online(cpu)) {
			local_irq_disable();
			skl_counter_cache_flush(per_cpu_ptr(&skl_counter_cache, cpu), purge);
			local_irq_enable();
		}
	}
	cpus_read_unlock();
}

/**
 * skl_counter_init() - a counter at zero
 * @counter: not yet reachable by any lookup
 */
void skl_counter_init(struct skl_counter *counter)
{
	atomic64_set(&counter->total, 0);
	counter->retired = false;
}

/**
 * skl_counters_sync() - hand every CPU's counts over to the totals
 *
 * Call before skl_counter_read(), once for all the counters read together (a dump). It
 * sleeps, and interrupts the CPUs that counted since the last hand-over.
 */
void skl_counters_sync(void)
{
	skl_counter_caches_flush(false);
}

/**
 * skl_counter_read() - a counter's value as of the last skl_counters_sync()
 * @counter: the counter
 *
 * Return: its total; it never goes back.
 */
u64 skl_counter_read(const struct skl_counter *counter)
{
	return atomic64_read(&counter->total);
}

/**
 * skl_counter_retire() - mark a counter that lookups cannot reach any more
 * @counter: its last lookup was a grace period ago
 *
 * Free it only after skl_counters_purge(), which may be called once for many.
 */
void skl_counter_retire(struct skl_counter *counter)
{
	WRITE_ONCE(counter->retired, true);
}

/**
 * skl_counters_purge() - make every CPU let go of the retired counters
 *
 * Sleeps. Afterwards no CPU's cache refers to a counter retired before the call.
 */
void skl_counters_purge(void)
{
	skl_counter_caches_flush(true);
}
