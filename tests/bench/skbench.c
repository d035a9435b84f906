// SPDX-License-Identifier: GPL-2.0
/*
 * The guest benchmark's workloads, and the server sockets each configuration gives them.
 *
 *   skbench udp|tcp|syn DST:PORT SECONDS [SERVER...]   prints one figure per second
 *   skbench rules N                                    prints N rules for sklookupctl apply
 *
 * udp: UDP flood, 16-byte datagrams by sendmmsg; the figure is datagrams delivered to
 *      the server socket per second.
 * tcp: connections accepted per second; the server accepts and resets each connection at
 *      once, so that neither side keeps a TIME_WAIT and the port space never runs out.
 * syn: SYN flood from random sources of 198.18.0.0/15 (syncookies must be on); the figure
 *      is SYN-ACK cookies sent per second, from the namespace's TcpExt SyncookiesSent.
 *
 * SERVER says how the configuration gives the traffic a socket:
 *   bind ADDR:PORT          one socket bound there
 *   bind-range ADDR:PORT N  N sockets on N consecutive addresses; traffic goes to DST's
 *   transparent             IP_TRANSPARENT (TPROXY requires it)
 *   register LABEL          registered with sklookupctl under LABEL, unregistered at exit
 *   register-all LABEL      every socket registered under LABEL; when none is on DST's
 *                           address the first is rx (for syn, which counts no socket's
 *                           traffic)
 *   sockmap PATH KEY        put into the pinned BPF sockmap PATH at KEY
 *
 * All in C because the emulated guest is slow: the workload must spend its time in the
 * kernel's receive path, not in an interpreter.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BATCH		64
#define MAX_SERVERS	1024
#define WARMUP_S	0.3

static void die(const char *what)
{
	fprintf(stderr, "skbench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void usage(void)
{
	fprintf(stderr, "usage: skbench udp|tcp|syn DST:PORT SECONDS [SERVER...] | skbench rules N\n");
	exit(2);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct sockaddr_in parse_addr(const char *s)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	char buf[64], *colon;

	snprintf(buf, sizeof(buf), "%s", s);
	colon = strrchr(buf, ':');
	if (!colon)
		usage();
	*colon = 0;
	if (inet_pton(AF_INET, buf, &a.sin_addr) != 1)
		usage();
	a.sin_port = htons((uint16_t)atoi(colon + 1));
	return a;
}

static atomic_bool stop;
static atomic_ulong delivered, sent;
static struct sockaddr_in dst;
static int rx = -1;
static int proto;
static const char *label;
static bool register_all;

/* The server sockets of this configuration; the one that receives the traffic is rx. */
static void make_servers(int argc, char **argv)
{
	struct sockaddr_in addrs[MAX_SERVERS];
	int n = 0, i, fds[MAX_SERVERS], one = 1, type = proto == IPPROTO_UDP ? SOCK_DGRAM : SOCK_STREAM;
	bool transparent = false;
	const char *map = NULL;
	uint32_t key = 0;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "bind") && i + 1 < argc) {
			addrs[0] = parse_addr(argv[++i]);
			n = 1;
		} else if (!strcmp(argv[i], "bind-range") && i + 2 < argc) {
			struct sockaddr_in a = parse_addr(argv[++i]);

			n = atoi(argv[++i]);
			if (n < 1 || n > MAX_SERVERS)
				usage();
			for (int j = 0; j < n; j++) {
				addrs[j] = a;
				addrs[j].sin_addr.s_addr = htonl(ntohl(a.sin_addr.s_addr) + j);
			}
		} else if (!strcmp(argv[i], "transparent")) {
			transparent = true;
		} else if (!strcmp(argv[i], "register") && i + 1 < argc) {
			label = argv[++i];
		} else if (!strcmp(argv[i], "register-all") && i + 1 < argc) {
			label = argv[++i];
			register_all = true;
		} else if (!strcmp(argv[i], "sockmap") && i + 2 < argc) {
			map = argv[++i];
			key = (uint32_t)atoi(argv[++i]);
		} else {
			usage();
		}
	}
	if (!n)
		usage();
	for (i = 0; i < n; i++) {
		fds[i] = socket(AF_INET, type, 0);
		if (fds[i] < 0)
			die("socket");
		setsockopt(fds[i], SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (transparent && setsockopt(fds[i], SOL_IP, IP_TRANSPARENT, &one, sizeof(one)))
			die("IP_TRANSPARENT");
		if (bind(fds[i], (struct sockaddr *)&addrs[i], sizeof(addrs[i])))
			die("bind");
		if (type == SOCK_STREAM && listen(fds[i], 4096))
			die("listen");
		if (n == 1 || addrs[i].sin_addr.s_addr == dst.sin_addr.s_addr)
			rx = fds[i];
	}
	if (rx < 0 && register_all)
		rx = fds[0];
	if (rx < 0) {
		fprintf(stderr, "skbench: no server socket on the destination address\n");
		exit(2);
	}
	for (i = 0; label && i < n; i++) {
		char fd[16];
		pid_t pid;
		int status;

		if (!register_all && fds[i] != rx)
			continue;
		snprintf(fd, sizeof(fd), "%d", fds[i]);
		pid = fork();
		if (pid == 0) {
			execlp("sklookupctl", "sklookupctl", "register", "label", label, "fd", fd,
			       (char *)NULL);
			_exit(127);
		}
		if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status)) {
			fprintf(stderr, "skbench: sklookupctl register failed\n");
			exit(1);
		}
	}
	if (map) {
		int mfd = bpf_obj_get(map);
		uint64_t value = (uint64_t)rx;

		if (mfd < 0 || bpf_map_update_elem(mfd, &key, &value, BPF_ANY))
			die("sockmap update");
		close(mfd);
	}
}

static void unregister(void)
{
	pid_t pid;

	if (!label)
		return;
	pid = fork();
	if (pid == 0) {
		execlp("sklookupctl", "sklookupctl", "unregister", "label", label, (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

static void set_timeout(int fd)
{
	struct timeval tv = { .tv_usec = 100000 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

static void *udp_receiver(void *arg)
{
	static char bufs[BATCH][64];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	int n, i;

	(void)arg;
	for (i = 0; i < BATCH; i++) {
		iov[i] = (struct iovec){ bufs[i], sizeof(bufs[i]) };
		msgs[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[i], .msg_iovlen = 1 } };
	}
	while (!stop) {
		n = recvmmsg(rx, msgs, BATCH, MSG_WAITFORONE, NULL);
		if (n > 0)
			delivered += (unsigned long)n;
	}
	return NULL;
}

static void *udp_sender(void *arg)
{
	char payload[16] = "sklookup-bench";
	struct mmsghdr msgs[BATCH];
	struct iovec iov = { payload, sizeof(payload) };
	int fd, n, i;

	(void)arg;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&dst, sizeof(dst)))
		die("udp client");
	for (i = 0; i < BATCH; i++)
		msgs[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov, .msg_iovlen = 1 } };
	while (!stop) {
		n = sendmmsg(fd, msgs, BATCH, 0);
		if (n > 0)
			sent += (unsigned long)n;
	}
	close(fd);
	return NULL;
}

static void *tcp_acceptor(void *arg)
{
	struct linger rst = { 1, 0 };
	int fd;

	(void)arg;
	while (!stop) {
		fd = accept4(rx, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		/* a reset, not a FIN: no TIME_WAIT on either side */
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &rst, sizeof(rst));
		close(fd);
		delivered++;
	}
	return NULL;
}

static void *tcp_client(void *arg)
{
	char c;
	int fd;

	(void)arg;
	while (!stop) {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			die("tcp client");
		set_timeout(fd);
		if (connect(fd, (struct sockaddr *)&dst, sizeof(dst)) == 0) {
			sent++;
			/* wait for the server's reset so that the client never piles up */
			while (read(fd, &c, 1) < 0 && errno == EAGAIN && !stop)
				;
		}
		close(fd);
	}
	return NULL;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint16_t word;

	/* memcpy, not a cast: the headers were written through other types */
	for (; len > 1; len -= 2, p += 2) {
		memcpy(&word, p, 2);
		sum += word;
	}
	return sum;
}

#define NSYN	16384

struct synpkt {
	struct iphdr ip;
	struct tcphdr tcp;
} __attribute__((packed));

static struct synpkt *syns;

/* Distinct sources, made beforehand so that the flood spends no time in user space. */
static void make_syns(void)
{
	uint32_t seed = 12345;

	syns = calloc(NSYN, sizeof(*syns));
	if (!syns)
		die("calloc");
	for (int i = 0; i < NSYN; i++) {
		struct synpkt *p = &syns[i];
		struct { uint32_t s, d; uint8_t z, proto; uint16_t len; } ph;

		seed = seed * 1103515245 + 12345;
		p->ip.version = 4;
		p->ip.ihl = 5;
		p->ip.ttl = 64;
		p->ip.protocol = IPPROTO_TCP;
		p->ip.tot_len = htons(sizeof(*p));
		p->ip.saddr = htonl(0xc6120000u | (seed >> 15 & 0x1ffff));	/* 198.18.0.0/15 */
		p->ip.daddr = dst.sin_addr.s_addr;
		p->tcp.source = htons((uint16_t)(1024 + i % 60000));
		p->tcp.dest = dst.sin_port;
		p->tcp.seq = htonl(seed);
		p->tcp.doff = 5;
		p->tcp.syn = 1;
		p->tcp.window = htons(65535);
		ph = (typeof(ph)){ p->ip.saddr, p->ip.daddr, 0, IPPROTO_TCP, htons(sizeof(p->tcp)) };
		p->tcp.check = csum_fold(csum_add(csum_add(0, &ph, sizeof(ph)), &p->tcp, sizeof(p->tcp)));
	}
}

static void *syn_sender(void *arg)
{
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	int fd, n, i;
	unsigned int next = (unsigned int)(uintptr_t)arg * (NSYN / 2);

	fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0)
		die("raw socket");
	while (!stop) {
		for (i = 0; i < BATCH; i++, next++) {
			iov[i] = (struct iovec){ &syns[next % NSYN], sizeof(struct synpkt) };
			msgs[i] = (struct mmsghdr){ .msg_hdr = { .msg_name = &dst, .msg_namelen = sizeof(dst),
								 .msg_iov = &iov[i], .msg_iovlen = 1 } };
		}
		n = sendmmsg(fd, msgs, BATCH, 0);
		if (n > 0)
			sent += (unsigned long)n;
	}
	close(fd);
	return NULL;
}

static void set_syncookies(const char *v)
{
	FILE *f = fopen("/proc/sys/net/ipv4/tcp_syncookies", "w");

	if (!f || fputs(v, f) < 0 || fclose(f))
		die("tcp_syncookies");
}

/* TcpExt SyncookiesSent of this network namespace. */
static unsigned long cookies_sent(void)
{
	char names[4096], values[4096];
	unsigned long v = 0;
	FILE *f = fopen("/proc/net/netstat", "r");

	if (!f)
		die("/proc/net/netstat");
	while (fgets(names, sizeof(names), f) && fgets(values, sizeof(values), f)) {
		char *sn, *sv, *n = strtok_r(names, " \n", &sn), *val = strtok_r(values, " \n", &sv);

		if (strcmp(n, "TcpExt:"))
			continue;
		while ((n = strtok_r(NULL, " \n", &sn)) && (val = strtok_r(NULL, " \n", &sv)))
			if (!strcmp(n, "SyncookiesSent"))
				v = strtoul(val, NULL, 10);
	}
	fclose(f);
	return v;
}

/* Rules for the large configurations: host rules and shorter prefixes in 10.0.0.0/8 on
 * common ports, alternately TCP and UDP, none matching the benchmark's traffic. */
static int print_rules(unsigned long n)
{
	static const int ports[] = { 53, 80, 443 };

	for (unsigned long i = 0; i < n; i++) {
		unsigned long h = (i + 1) * 2654435761u % (1u << 24);
		const char *p = i % 2 ? "udp" : "tcp";

		unsigned long len = i % 10 != 9 ? 32 : 24 - i / 10 % 8;

		h &= ~0ul << (32 - len) & 0xffffff;
		if (len == 32)
			printf("proto %s dst 10.%lu.%lu.%lu port %d label filler\n", p, h >> 16,
			       h >> 8 & 255, h & 255, ports[i % 3]);
		else
			printf("proto %s dst 10.%lu.%lu.%lu/%lu port %lu-%lu label filler\n", p,
			       h >> 16, h >> 8 & 255, h & 255, len, 1000 + i % 50000, 1009 + i % 50000);
	}
	return 0;
}

int main(int argc, char **argv)
{
	pthread_t threads[8];
	int nthreads = 0, i;
	double secs, t0, t1;
	unsigned long c0, c1;
	const char *wl;

	if (argc == 3 && !strcmp(argv[1], "rules"))
		return print_rules(strtoul(argv[2], NULL, 0));
	if (argc < 5)
		usage();
	wl = argv[1];
	dst = parse_addr(argv[2]);
	secs = atof(argv[3]);
	if (!strcmp(wl, "udp"))
		proto = IPPROTO_UDP;
	else if (!strcmp(wl, "tcp") || !strcmp(wl, "syn"))
		proto = IPPROTO_TCP;
	else
		usage();
	/* cookies for every SYN in the flood; only under pressure, as by default, otherwise */
	set_syncookies(!strcmp(wl, "syn") ? "2" : "1");
	make_servers(argc - 4, argv + 4);

	if (!strcmp(wl, "udp")) {
		int size = 8 << 20;

		setsockopt(rx, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
		set_timeout(rx);
		pthread_create(&threads[nthreads++], NULL, udp_receiver, NULL);
		pthread_create(&threads[nthreads++], NULL, udp_sender, NULL);
	} else if (!strcmp(wl, "tcp")) {
		set_timeout(rx);
		pthread_create(&threads[nthreads++], NULL, tcp_acceptor, NULL);
		for (i = 0; i < 4; i++)
			pthread_create(&threads[nthreads++], NULL, tcp_client, NULL);
	} else {
		make_syns();
		for (i = 0; i < 2; i++)
			pthread_create(&threads[nthreads++], NULL, syn_sender, (void *)(uintptr_t)i);
	}

	usleep((useconds_t)(WARMUP_S * 1e6));
	t0 = now();
	c0 = proto == IPPROTO_TCP && wl[0] == 's' ? cookies_sent() : delivered;
	unsigned long s0 = sent;
	usleep((useconds_t)(secs * 1e6));
	t1 = now();
	c1 = proto == IPPROTO_TCP && wl[0] == 's' ? cookies_sent() : delivered;
	unsigned long s1 = sent;
	stop = true;
	for (i = 0; i < nthreads; i++)
		pthread_join(threads[i], NULL);
	printf("%.0f %.0f\n", (c1 - c0) / (t1 - t0), (s1 - s0) / (t1 - t0));
	unregister();
	return 0;
}
