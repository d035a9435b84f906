// SPDX-License-Identifier: GPL-2.0
/*
 * The test build's fault injection. Writing N to the parameter fault_nth makes the Nth
 * fallible step taken on behalf of a sklookupctl process fail (once); fault_nth reads
 * back how many steps are still to go, so 0 after a command means the fault fired and a
 * positive value means the command took fewer steps. Only sklookupctl's own requests
 * count, so that the module's background work cannot take the fault meant for a command.
 */
#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/delay.h>
#include <linux/minmax.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/string.h>

#include "fault.h"

static atomic_t skl_fault_countdown = ATOMIC_INIT(0);

static int skl_fault_set(const char *val, const struct kernel_param *kp)
{
	int n;
	int err = kstrtoint(val, 0, &n);

	if (err || n < 0)
		return -EINVAL;
	atomic_set(&skl_fault_countdown, n);
	return 0;
}

static int skl_fault_get(char *buffer, const struct kernel_param *kp)
{
	return sprintf(buffer, "%d\n", atomic_read(&skl_fault_countdown));
}

static const struct kernel_param_ops skl_fault_ops = {
	.set = skl_fault_set,
	.get = skl_fault_get,
};

module_param_cb(fault_nth, &skl_fault_ops, NULL, 0600);
MODULE_PARM_DESC(fault_nth, "Test builds: fail the Nth fallible step of sklookupctl's next requests");

/**
 * skl_fault() - whether this fallible step must fail
 *
 * Return: true once, at the step fault_nth named.
 */
bool skl_fault(void)
{
	char comm[TASK_COMM_LEN];

	get_task_comm(comm, current);
	if (strcmp(comm, "sklookupctl"))
		return false;
	return atomic_dec_if_positive(&skl_fault_countdown) == 0;
}

/*
 * A wrapper decides a lookup that its hook's callback looked at moments before, under
 * rules that may have changed since: a test widens that moment to see what a lookup
 * caught by a change gets.
 */
static unsigned int skl_fault_pause_us;
module_param_named(fault_pause_us, skl_fault_pause_us, uint, 0600);
MODULE_PARM_DESC(fault_pause_us, "Test builds: microseconds each wrapper waits before it decides (at most 10000)");

/**
 * skl_fault_pause() - wait as long as fault_pause_us says, in a wrapper
 */
void skl_fault_pause(void)
{
	unsigned int us = min(READ_ONCE(skl_fault_pause_us), 10000U);

	if (us)
		udelay(us);
}

/*
 * A newer module's rules carry words that an older sklookupctl does not know: a test
 * makes every rule sent claim attribute fault_word (1 to 63) as one of its words.
 */
static unsigned int skl_fault_word;
module_param_named(fault_word, skl_fault_word, uint, 0600);
MODULE_PARM_DESC(fault_word, "Test builds: every rule sent claims this attribute (1 to 63) as a word");

/**
 * skl_fault_extra_words() - the word fault_word adds to SKL_A_RULE_WORDS
 *
 * Return: its bit, or 0.
 */
u64 skl_fault_extra_words(void)
{
	unsigned int n = READ_ONCE(skl_fault_word);

	return n && n < 64 ? BIT_ULL(n) : 0;
}
