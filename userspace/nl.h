/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SKLCTL_NL_H
#define SKLCTL_NL_H

#include <stdint.h>
#include <libmnl/libmnl.h>

/*
 * What to do when the family is missing: sklookup.service loads the module and applies
 * /etc/sklookup/rules.conf; modprobe only loads it.
 */
#define SKL_NOT_LOADED \
	"the sklookup module is not loaded: try 'systemctl start sklookup' (which also applies /etc/sklookup/rules.conf) or 'modprobe sklookup'"

/* The module parameter that lets namespaces of other user namespaces be changed. */
#define SKL_ALLOW_USERNS_PATH "/sys/module/sklookup/parameters/allow_userns"

/* One generic netlink socket bound to the sklookup family. */
struct skl_nl {
	struct mnl_socket *sock;
	uint16_t family_id;
	uint32_t events_group;	/* multicast group id of "events", 0 if the module has none */
	uint32_t seq;
	uint32_t portid;
	char *buf;
	/* The kernel's extended ack text of the last refused request, or "". */
	char extack[256];
	/* Its cookie (add-rule's -EEXIST: the existing rule's id), cookie_len 0 if none. */
	unsigned char cookie[20];
	size_t cookie_len;
};

/*
 * Open the socket and resolve the family. On failure prints why (and, when the module is
 * not loaded, what to do) and returns -1.
 */
int skl_nl_open(struct skl_nl *nl);
void skl_nl_close(struct skl_nl *nl);

/* Join the events group; returns -1 with a message printed if that is not possible. */
int skl_nl_subscribe(struct skl_nl *nl);

/* Start a request of command @cmd in @nl's buffer; add attributes with mnl_attr_put_*. */
struct nlmsghdr *skl_nl_request(struct skl_nl *nl, uint8_t cmd, uint16_t flags);

/*
 * Send @nlh and feed every reply message to @cb until the final ack. Returns 0, or -1
 * with errno set and nl->extack holding the kernel's explanation if it gave one.
 */
int skl_nl_run(struct skl_nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data);

/*
 * The generation of the namespace's rules (STATUS_GET), which every change bumps. Returns
 * 0, or -1 with errno set (ENODATA from a module that does not report it).
 */
int skl_nl_generation(struct skl_nl *nl, uint64_t *generation);

/* Print "sklookupctl: <what>: <extack or strerror>" for the last failed skl_nl_run. */
void skl_nl_perror(const struct skl_nl *nl, const char *what);

/*
 * Many requests in few system calls (apply's staged rules): requests go out in batches of
 * about 16 KiB, and the kernel answers only the last of each batch and those it refuses.
 */
struct skl_nl_batch {
	struct skl_nl *nl;
	struct mnl_nlmsg_batch *batch;
	char *buf;
	struct nlmsghdr *last;	/* the newest complete request */
	uint32_t failed_seq;	/* the first refused request, 0 if none yet */
	int failed_errno;
};

int skl_nl_batch_open(struct skl_nl_batch *b, struct skl_nl *nl);
void skl_nl_batch_close(struct skl_nl_batch *b);

/* Start a request of command @cmd in the batch; add attributes with mnl_attr_put_*. */
struct nlmsghdr *skl_nl_batch_request(struct skl_nl_batch *b, uint8_t cmd);

/*
 * The request is complete: queue it, sending the batch when it is full. Returns 0, or -1
 * with errno set: a request was refused (b->failed_seq names it, nl->extack says why) or
 * the socket failed.
 */
int skl_nl_batch_push(struct skl_nl_batch *b);

/* Send what is queued and wait for its answers; as skl_nl_batch_push. */
int skl_nl_batch_flush(struct skl_nl_batch *b);

#endif /* SKLCTL_NL_H */
