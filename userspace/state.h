/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SKLCTL_STATE_H
#define SKLCTL_STATE_H

#include <stddef.h>
#include <stdint.h>

/*
 * What "register ... pid PID" registered, kept in SKL_STATE_FILE so that "sklookupctl
 * restore" can take the same sockets again from the same processes after the module was
 * reloaded (which releases every socket). /run: a reboot starts every process anew.
 */
#define SKL_STATE_FILE "/run/sklookup/registered"

/*
 * Record that the sockets @inodes of process @pid are registered under @label in this
 * network namespace. A failure to record is a warning, not an error: the registration
 * itself stands, only restore will not know it.
 */
void state_record(const char *label, long pid, const uint64_t *inodes, size_t n);

/* Forget the records of @label in this network namespace (unregister released it). */
void state_forget_label(const char *label);

/* The start time of process @pid (field 22 of /proc/PID/stat), or 0 if unknown. */
unsigned long long state_start_time(long pid);

#endif /* SKLCTL_STATE_H */
