// SPDX-License-Identifier: GPL-2.0
/*
 * picktoggle udp|tcp FD...: flip the sockets FD... between live and not live, one after
 * the other, as fast as the kernel lets it, until killed. UDP: connect() to port 9 of
 * loopback, then connect() to AF_UNSPEC; TCP: shutdown(SHUT_RD), then listen(). Each
 * stays not live only for a moment (a few getsockname() calls live in between), so that
 * the module's sweep, which lets go of a socket it finds not live twice in a row, seldom
 * catches it so. In C: the window it must hit is a few instructions long.
 *
 * TCP waits a millisecond between shutdown() and listen(): a SYN that the kernel's lookup
 * (or a label's pick) found while the listener was live, but that reached tcp_v4_rcv()
 * after shutdown() and while listen() held the socket, goes to the socket's backlog
 * without its route, and listen() then processes it as a listener: Debian's 6.1 oopsed
 * in tcp_v4_conn_request() (NULL skb_rtable()) when the two followed each other at once.
 * That race is the kernel's own, with or without this module.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_in peer4 = { .sin_family = AF_INET, .sin_port = htons(9) };
	struct sockaddr_in6 peer6 = { .sin6_family = AF_INET6, .sin6_port = htons(9) };
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	struct sockaddr_storage name;
	int i, j, n = argc - 2, *fds, *v6;
	int udp = argc > 1 && !strcmp(argv[1], "udp");
	socklen_t len;

	if (n < 1)
		return 2;
	peer4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	inet_pton(AF_INET6, "::ffff:127.0.0.1", &peer6.sin6_addr);
	fds = calloc(n, sizeof(*fds));
	v6 = calloc(n, sizeof(*v6));
	for (i = 0; i < n; i++) {
		fds[i] = atoi(argv[i + 2]);
		len = sizeof(name);
		getsockname(fds[i], (struct sockaddr *)&name, &len);
		v6[i] = name.ss_family == AF_INET6;
	}
	for (i = 0;; i = (i + 1) % n) {
		if (udp) {
			if (v6[i])
				connect(fds[i], (struct sockaddr *)&peer6, sizeof(peer6));
			else
				connect(fds[i], (struct sockaddr *)&peer4, sizeof(peer4));
			connect(fds[i], &unspec, sizeof(unspec));
		} else {
			shutdown(fds[i], SHUT_RD);
			usleep(1000);
			listen(fds[i], 4096);
		}
		for (j = 0; j < 2; j++) {
			len = sizeof(name);
			getsockname(fds[i], (struct sockaddr *)&name, &len);
		}
	}
}
