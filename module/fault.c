// SPDX-License-Identifier: GPL-2.0
/*
 * The test build's fault injection. Writing N to the parameter fault_nth makes the Nth
 * fallible step taken on behalf of a sklookupctl process fail (once); fault_nth reads
 * back how many steps are still to go, so 0 after a command means the fault fired and a
 * positive value means the command took fewer steps. Only sklookupctl's own requests
 * count, so that the module's background work cannot take the fault meant for a command.
 */
#include <linux/atomic.h>
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
