// SPDX-License-Identifier: GPL-2.0
/*
 * Per-CPU counters for objects that come by the million (rules). One alloc_percpu() per
 * rule would cost a percpu allocator round trip and its metadata each; instead counters
 * are slots of page-sized per-CPU blocks, found again by number like iptables' counters.
 * Blocks are kept until the module goes away, so the pool's size is its high-water mark:
 * sizeof(u64) per possible CPU per counter.
 */
#include <linux/idr.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "counters.h"
#include "fault.h"

#define SKL_COUNTERS_PER_BLOCK	(PAGE_SIZE / sizeof(u64))

static DEFINE_IDA(skl_counter_slots);
static DEFINE_XARRAY(skl_counter_blocks);
/* Serialises growing the pool; lookups and frees never take it. */
static DEFINE_MUTEX(skl_counter_grow_lock);

/* The xarray holds plain pointers: a per-CPU pointer lives in a block's box. */
struct skl_counter_block {
	u64 __percpu *values;
};

static u64 __percpu *skl_counter_block(u32 index, gfp_t gfp)
{
	struct skl_counter_block *block;
	void *old;

	block = xa_load(&skl_counter_blocks, index);
	if (block)
		return block->values;
	mutex_lock(&skl_counter_grow_lock);
	block = xa_load(&skl_counter_blocks, index);
	if (block)
		goto out;
	block = SKL_FALLIBLE(kmalloc(sizeof(*block), gfp));
	if (!block)
		goto out;
	block->values = SKL_FALLIBLE(__alloc_percpu_gfp(PAGE_SIZE, PAGE_SIZE, gfp));
	if (!block->values)
		goto err_block;
	old = xa_store(&skl_counter_blocks, index, block, gfp);
	if (!xa_is_err(old))
		goto out;
	free_percpu(block->values);
err_block:
	kfree(block);
	block = NULL;
out:
	mutex_unlock(&skl_counter_grow_lock);
	return block ? block->values : NULL;
}

/**
 * skl_counter_alloc() - a counter at zero
 * @counter: filled in
 * @gfp: GFP_KERNEL, or SKL_GFP_CHARGED for a change request: this may sleep
 *
 * Return: 0 or -ENOMEM.
 */
int skl_counter_alloc(struct skl_counter *counter, gfp_t gfp)
{
	u64 __percpu *block;
	int slot, cpu;

	slot = skl_fault() ? -ENOMEM : ida_alloc(&skl_counter_slots, gfp);
	if (slot < 0)
		return slot;
	block = skl_counter_block(slot / SKL_COUNTERS_PER_BLOCK, gfp);
	if (!block) {
		ida_free(&skl_counter_slots, slot);
		return -ENOMEM;
	}
	counter->slot = slot;
	counter->value = block + slot % SKL_COUNTERS_PER_BLOCK;
	/* A slot is reused only after its last owner's readers are gone: start from zero. */
	for_each_possible_cpu(cpu)
		memset(per_cpu_ptr(counter->value, cpu), 0, sizeof(u64));
	return 0;
}

/**
 * skl_counter_free() - give a counter's slot back
 * @counter: no lookup may still add to it (free it after a grace period)
 *
 * Callable from any context, RCU callbacks included.
 */
void skl_counter_free(struct skl_counter *counter)
{
	if (counter->value)
		ida_free(&skl_counter_slots, counter->slot);
	counter->value = NULL;
}

/**
 * skl_counter_read() - a counter summed over all CPUs
 * @counter: the counter
 *
 * Return: the sum; increments racing with the read may or may not be in it.
 */
u64 skl_counter_read(const struct skl_counter *counter)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(*per_cpu_ptr(counter->value, cpu));
	return sum;
}

/**
 * skl_counters_destroy() - free the pool, once every counter is freed
 */
void skl_counters_destroy(void)
{
	struct skl_counter_block *block;
	unsigned long index;

	xa_for_each(&skl_counter_blocks, index, block) {
		free_percpu(block->values);
		kfree(block);
	}
	xa_destroy(&skl_counter_blocks);
	ida_destroy(&skl_counter_slots);
}
