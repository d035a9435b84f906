// SPDX-License-Identifier: GPL-2.0
/*
 * Load steer.bpf.o with libbpf, attach it to the caller's network namespace with a
 * sk_lookup link, and pin the link and the sockmap under DIR (skbench puts its server
 * socket there). The LPM trie gets the rule the benchmark's traffic hits, 192.0.2.0/24
 * port 5000 to label 0, and N - 1 others that it does not hit, shaped like the rules of
 * "skbench rules".
 *
 *   skbpf OBJ DIR N
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

struct rule_key {
	uint32_t prefixlen;
	uint16_t port;
	uint32_t addr;
	uint16_t pad;
} __attribute__((packed));

static void die(const char *what)
{
	fprintf(stderr, "skbpf: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void add(int fd, uint32_t addr, int len, int port, uint32_t label)
{
	struct rule_key k = { .prefixlen = 16 + (uint32_t)len, .port = htons((uint16_t)port),
			      .addr = htonl(addr) };

	if (bpf_map_update_elem(fd, &k, &label, BPF_ANY))
		die("rule");
}

int main(int argc, char **argv)
{
	static const int ports[] = { 53, 80, 443 };
	struct rlimit unlimited = { RLIM_INFINITY, RLIM_INFINITY };
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct bpf_link *link;
	struct bpf_map *socks, *rules;
	char path[512];
	unsigned long n, i;
	int netns, fd;

	if (argc != 4) {
		fprintf(stderr, "usage: skbpf OBJ DIR N\n");
		return 2;
	}
	n = strtoul(argv[3], NULL, 0);
	/* kernels before 5.11 charge BPF maps to RLIMIT_MEMLOCK */
	setrlimit(RLIMIT_MEMLOCK, &unlimited);
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj || libbpf_get_error(obj))
		die("open");
	if (bpf_object__load(obj))
		die("load");
	prog = bpf_object__find_program_by_name(obj, "steer");
	socks = bpf_object__find_map_by_name(obj, "socks");
	rules = bpf_object__find_map_by_name(obj, "rules");
	if (!prog || !socks || !rules)
		die("program or maps missing");
	netns = open("/proc/self/ns/net", O_RDONLY);
	if (netns < 0)
		die("netns");
	link = bpf_program__attach_netns(prog, netns);
	if (!link || libbpf_get_error(link))
		die("attach");
	mkdir(argv[2], 0700);
	snprintf(path, sizeof(path), "%s/link", argv[2]);
	if (bpf_link__pin(link, path))
		die("pin link");
	snprintf(path, sizeof(path), "%s/socks", argv[2]);
	if (bpf_map__pin(socks, path))
		die("pin sockmap");

	fd = bpf_map__fd(rules);
	add(fd, 0xc0000200, 24, 5000, 0);
	/* the same addresses and ports as the fillers of "skbench rules" (one port each) */
	for (i = 0; i + 1 < n; i++) {
		unsigned long h = (i + 1) * 2654435761u % (1u << 24);

		if (i % 10 != 9)
			add(fd, 0x0a000000u | (uint32_t)h, 32, ports[i % 3], 1000);
		else
			add(fd, (0x0a000000u | (uint32_t)h) & ~0xffu, 24 - (int)(i / 10 % 8),
			    (int)(1000 + i % 50000), 1000);
	}
	return 0;
}
