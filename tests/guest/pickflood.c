// SPDX-License-Identifier: GPL-2.0
/*
 * pickflood DST PORT COUNT SENDERS: send COUNT 16-byte UDP datagrams to DST:PORT from
 * SENDERS sockets (distinct source ports, so that the flows spread over a label's
 * sockets), 64 at a time with sendmmsg; print the seconds it took. Over loopback the
 * receive path, lookup included, runs inside the send.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#define BATCH 64

int main(int argc, char **argv)
{
	struct sockaddr_in dst = { .sin_family = AF_INET };
	char payload[16] = "sklookup-pick";
	struct iovec iov = { payload, sizeof(payload) };
	struct mmsghdr msgs[BATCH];
	struct timespec t0, t1;
	long count, sent = 0;
	int senders, *fds, i;

	if (argc != 5)
		return 2;
	inet_pton(AF_INET, argv[1], &dst.sin_addr);
	dst.sin_port = htons(atoi(argv[2]));
	count = atol(argv[3]);
	senders = atoi(argv[4]);
	fds = calloc(senders, sizeof(*fds));
	for (i = 0; i < senders; i++) {
		fds[i] = socket(AF_INET, SOCK_DGRAM, 0);
		if (fds[i] < 0 || connect(fds[i], (struct sockaddr *)&dst, sizeof(dst)))
			return 1;
	}
	for (i = 0; i < BATCH; i++)
		msgs[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov, .msg_iovlen = 1 } };
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; sent < count; i = (i + 1) % senders) {
		int n = sendmmsg(fds[i], msgs, BATCH, 0);

		if (n > 0)
			sent += n;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%.4f\n", (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	return 0;
}
