// SPDX-License-Identifier: GPL-2.0
/*
 * Counters of rules and labels, which come by the million. A per-CPU value for each
 * would cost 8 bytes per possible CPU per counter (a GiB for a million rules on 128
 * CPUs). Instead each counter is one shared total, and each CPU counts in a small cache
 * of its own (skl_counter_inc()), handing a slot's count to its counter's total when
 * another counter takes the slot. A busy counter stays in every CPU's cache and costs
 * what a per-CPU counter does; the shared total is written only on such a hand-over.
 *
 * Two things reach into other CPUs' caches, one at a time, each with an IPI to the CPUs
 * that hold something for it: a read first makes them hand their counts over, so that
 * totals are exact and never go back; and before counters are freed, the CPUs that
 * cache one let go of it, so that no later hand-over writes to freed memory.
 */
#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/irqflags.h>
#include <linux/ktime.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/smp.h>

#include "counters.h"

struct skl_counter_cache __percpu *skl_counter_caches __read_mostly;

/*
 * One reach into the caches at a time: two would both hand over one count, or one would
 * follow a slot's counter that the other just let go of and its owner freed.
 */
static DEFINE_MUTEX(skl_counter_flush_lock);

/*
 * Every user may read its own namespace's counters, and free rules, and each time every
 * CPU's cache is looked at from here: a flush waits until a gap has passed since the last
 * one began, four times what that one cost, so that flushing takes at most a fifth of a
 * CPU however many CPUs there are to look at. The cost leaves out the wait for CPU
 * hotplug to finish. Past 25 ms of cost the gap stops growing at 100 ms, so that a
 * reader never waits long because of one slow flush, but is never shorter than twice
 * the cost: flushing then takes at most half a CPU.
 */
#define SKL_COUNTER_GAP_MIN_NS	(2 * NSEC_PER_MSEC)
#define SKL_COUNTER_GAP_MAX_NS	(100 * NSEC_PER_MSEC)
static u64 skl_counter_flushed_ns;
static u64 skl_counter_gap_ns = SKL_COUNTER_GAP_MIN_NS;
/* When the last sync began: one that began after a call covers it. */
static u64 skl_counter_synced_ns;

/* Give @count counted in a CPU's cache to @counter, and to the counter it feeds. */
static void skl_counter_hand_over(struct skl_counter *counter, u64 count)
{
	atomic64_add(count, &counter->total);
	if (counter->also)
		atomic64_add(count, &counter->also->total);
}

/*
 * Whether a purge lets go of @counter: it is retired, or the counter it feeds is, which
 * happens only once no lookup can reach @counter either (a label dies a grace period
 * after the last rule that steers to it left the rules in force). Either way no slot
 * refers to it after the purge, so that no hand-over reaches freed memory.
 */
static bool skl_counter_gone(const struct skl_counter *counter)
{
	const struct skl_counter *also = counter->also;

	return READ_ONCE(counter->retired) || (also && READ_ONCE(also->retired));
}

/**
 * skl_counter_inc_slow() - count one where the slot is not the counter's yet
 * @counter: the counter a lookup counts one for
 * @set: its set of slots in this CPU's cache
 *
 * Preemption is off. Interrupts are off too while a slot changes hands: the IPIs of
 * skl_counters_sync() and skl_counters_purge() must see either owner whole, and so must
 * a softirq that interrupts a lookup made in task context.
 */
void skl_counter_inc_slow(struct skl_counter *counter, u32 set)
{
	struct skl_counter_slot *s = this_cpu_ptr(&skl_counter_caches->slot[set]);
	unsigned long flags;
	unsigned int way;

	local_irq_save(flags);
	for (way = 0; way < SKL_COUNTER_WAYS; way++) {
		if (s[way].counter == counter) {
			s[way].count++;
			goto out;
		}
	}
	/* The first way keeps the first counter that came; the others take turns. */
	way = s[0].counter ? SKL_COUNTER_WAYS - 1 : 0;
	if (s[way].counter && s[way].count)
		skl_counter_hand_over(s[way].counter, s[way].count);
	s[way].counter = counter;
	s[way].count = 1;
out:
	local_irq_restore(flags);
}

/*
 * Hand @cache's counts over to the totals (@purge false), or let go of the counters that
 * are gone (@purge true). A retired counter's count goes with it, but what it owes a
 * counter that lives on (a deleted rule's, to its label) is handed over first. With
 * interrupts off on the cache's own CPU, or for an offline CPU, under
 * skl_counter_flush_lock.
 */
static void skl_counter_cache_flush(struct skl_counter_cache *cache, bool purge)
{
	struct skl_counter_slot *s;
	struct skl_counter *counter;

	for (s = cache->slot; s < cache->slot + ARRAY_SIZE(cache->slot); s++) {
		counter = s->counter;
		if (!counter)
			continue;
		if (purge) {
			if (!skl_counter_gone(counter))
				continue;
			if (s->count && counter->also && !READ_ONCE(counter->also->retired))
				atomic64_add(s->count, &counter->also->total);
			s->counter = NULL;
		} else if (s->count) {
			skl_counter_hand_over(counter, s->count);
			s->count = 0;
		}
	}
}

static void skl_counter_cache_flush_local(void *purge)
{
	skl_counter_cache_flush(this_cpu_ptr(skl_counter_caches), purge);
}

/*
 * Whether @cpu's cache holds anything for this flush. Read from another CPU while its
 * owner counts: a slot may change under it, but only to a live counter, and none is
 * freed while skl_counter_flush_lock is held. A hint, except that no slot can come to
 * hold a counter that is gone: what a purge finds nothing for stays so.
 */
static bool skl_counter_cache_busy(int cpu, void *purge)
{
	const struct skl_counter_slot *s = per_cpu_ptr(skl_counter_caches->slot, cpu);
	const struct skl_counter *counter;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(skl_counter_caches->slot); i++) {
		counter = READ_ONCE(s[i].counter);
		if (!counter)
			continue;
		if (purge ? skl_counter_gone(counter) : READ_ONCE(s[i].count) != 0)
			return true;
	}
	return false;
}

/* Under skl_counter_flush_lock. Return: the time it took once CPUs could not come or go. */
static u64 skl_counter_caches_flush(bool purge)
{
	void *arg = purge ? (void *)1UL : NULL;
	u64 start;
	int cpu;

	cpus_read_lock();
	start = ktime_get_ns();
	on_each_cpu_cond_mask(skl_counter_cache_busy, skl_counter_cache_flush_local, arg, true,
			      cpu_online_mask);
	/*
	 * An offline CPU runs nothing and none comes up while the lock is held; what it
	 * counted before it went down is still in its cache.
	 */
	for_each_possible_cpu(cpu) {
		if (!cpu_online(cpu))
			skl_counter_cache_flush(per_cpu_ptr(skl_counter_caches, cpu), purge);
	}
	start = ktime_get_ns() - start;
	cpus_read_unlock();
	return start;
}

/*
 * Flush once the gap since the last flush has passed. Under skl_counter_flush_lock.
 * Return: when this flush began.
 */
static u64 skl_counter_caches_flush_paced(bool purge)
{
	u64 start, since, cost, gap;

	since = ktime_get_ns() - skl_counter_flushed_ns;
	if (since < skl_counter_gap_ns)
		usleep_range((skl_counter_gap_ns - since) / NSEC_PER_USEC,
			     skl_counter_gap_ns / NSEC_PER_USEC);
	start = ktime_get_ns();
	cost = skl_counter_caches_flush(purge);
	/* The gap runs from this flush's start: twice its cost leaves a CPU free half the time. */
	gap = clamp_t(u64, 4 * cost, SKL_COUNTER_GAP_MIN_NS, SKL_COUNTER_GAP_MAX_NS);
	skl_counter_gap_ns = max(2 * cost, gap);
	skl_counter_flushed_ns = start;
	return start;
}

/**
 * skl_counters_init() - allocate every CPU's cache
 *
 * Dynamically: a module's static per-CPU data comes from a small reserve that all
 * modules share.
 *
 * Return: 0 or -ENOMEM.
 */
int skl_counters_init(void)
{
	skl_counter_caches = alloc_percpu(struct skl_counter_cache);
	return skl_counter_caches ? 0 : -ENOMEM;
}

/**
 * skl_counters_exit() - free the caches, once no counter is left
 */
void skl_counters_exit(void)
{
	free_percpu(skl_counter_caches);
}

/**
 * skl_counter_init() - a counter at zero
 * @counter: not yet reachable by any lookup
 */
void skl_counter_init(struct skl_counter *counter)
{
	atomic64_set(&counter->total, 0);
	counter->also = NULL;
	counter->retired = false;
}

/**
 * skl_counter_feed() - make every count of @counter count for @also too
 * @counter: not yet reachable by any lookup
 * @also: lives until a grace period after @counter's last lookup
 */
void skl_counter_feed(struct skl_counter *counter, struct skl_counter *also)
{
	counter->also = also;
}

/**
 * skl_counters_sync() - hand every CPU's counts over to the totals
 *
 * Call before skl_counter_read(), once for all the counters read together (a dump). It
 * sleeps: a hand-over that began after the call covers it; otherwise one begins, paced
 * (see skl_counter_gap_ns), and interrupts the CPUs that counted since.
 */
void skl_counters_sync(void)
{
	u64 asked = ktime_get_ns();

	mutex_lock(&skl_counter_flush_lock);
	if (skl_counter_synced_ns <= asked)
		skl_counter_synced_ns = skl_counter_caches_flush_paced(false);
	mutex_unlock(&skl_counter_flush_lock);
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
 * Sleeps, paced as skl_counters_sync(). Afterwards no CPU's cache refers to a counter
 * retired before the call.
 */
void skl_counters_purge(void)
{
	/*
	 * Never covered by another purge: that one may have looked at a counter before
	 * this caller's retired mark was visible to it, and the counter is freed next.
	 */
	mutex_lock(&skl_counter_flush_lock);
	skl_counter_caches_flush_paced(true);
	mutex_unlock(&skl_counter_flush_lock);
}
