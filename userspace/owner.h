/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SKLCTL_OWNER_H
#define SKLCTL_OWNER_H

#include <stddef.h>
#include <stdint.h>

/*
 * The process that holds the socket with inode @inode, found by reading the file
 * descriptors in /proc (those of other users' processes need privilege): its pid, with
 * its name in @comm; 0 when no readable process holds it.
 */
long socket_owner(uint64_t inode, char *comm, size_t size);

#endif /* SKLCTL_OWNER_H */
