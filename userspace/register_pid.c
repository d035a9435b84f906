// SPDX-License-Identifier: GPL-2.0
/*
 * sklookupctl register label NAME pid PID: the listening TCP and bound UDP sockets of a
 * running process. Its descriptors come from /proc/PID/fd, what each socket is from
 * sock_diag, and the sockets themselves from pidfd_getfd.
 *
 * All or nothing, as far as the module's API allows: every socket is found, checked and
 * copied before the first is registered, so a mistake changes nothing. The module can
 * release a label's sockets only all together (SKL_CMD_LABEL_DEL), so when registering
 * fails half way into a label that had no sockets, the label is released again; when it
 * had sockets of its own, those registered by this call stay and the error says so.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <netinet/in.h>

#include "sklookup.h"
#include "nl.h"
#include "output.h"
#include "pidfd.h"
#include "register_pid.h"
#include "sockdiag.h"
#include "state.h"
#include "util.h"

/* A socket of the process: its descriptor there, and ours once copied. */
struct pid_sock {
	int fd;
	int copy;			/* -1 until copied */
	uint64_t inode;
	const struct skl_inet_sock *what;	/* NULL: not one that could be registered */
};

struct pid_socks {
	struct pid_sock *v;
	size_t count;
};

static int by_fd(const void *a, const void *b)
{
	const struct pid_sock *x = a, *y = b;

	return (x->fd > y->fd) - (x->fd < y->fd);
}

static int by_inode_then_fd(const void *a, const void *b)
{
	const struct pid_sock *x = a, *y = b;

	if (x->inode != y->inode)
		return x->inode < y->inode ? -1 : 1;
	return by_fd(a, b);
}

static int inet_by_inode(const void *a, const void *b)
{
	const struct skl_inet_sock *x = a, *y = b;

	return (x->inode > y->inode) - (x->inode < y->inode);
}

static int add_fd(struct pid_socks *ps, size_t *size, int fd, uint64_t inode)
{
	if (ps->count == *size) {
		size_t n = *size ? 2 * *size : 32;
		struct pid_sock *v = realloc(ps->v, n * sizeof(*v));

		if (!v)
			return -1;
		ps->v = v;
		*size = n;
	}
	ps->v[ps->count++] = (struct pid_sock){ .fd = fd, .copy = -1, .inode = inode };
	return 0;
}

int skl_next_socket_fd(DIR *dir, int *fd, unsigned long long *inode)
{
	struct dirent *de;
	char link[64];
	ssize_t len;

	while ((de = readdir(dir))) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		/* A descriptor closed since the directory was read is no longer there. */
		len = readlinkat(dirfd(dir), de->d_name, link, sizeof(link) - 1);
		if (len < 0)
			continue;
		link[len] = '\0';
		if (sscanf(link, "socket:[%llu]", inode) != 1)
			continue;
		*fd = (int)strtol(de->d_name, NULL, 10);
		return 1;
	}
	return 0;
}

/*
 * The process's socket descriptors, lowest first. A socket open under several
 * descriptors (dup) is kept once, under its lowest: the module takes a socket once.
 */
static int scan_fds(long pid, struct pid_socks *ps)
{
	unsigned long long inode;
	size_t size = 0, i, kept;
	char path[64];
	DIR *dir;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/fd", pid);
	dir = opendir(path);
	if (!dir) {
		if (errno == ENOENT)
			skl_err("register: pid %ld: %s", pid, strerror(ESRCH));
		else
			skl_err("register: pid %ld: cannot read its file descriptors (%s): %s",
				pid, path, strerror(errno));
		return -1;
	}
	while (skl_next_socket_fd(dir, &fd, &inode)) {
		if (add_fd(ps, &size, fd, inode) < 0) {
			skl_err("register: out of memory");
			closedir(dir);
			return -1;
		}
	}
	closedir(dir);
	if (!ps->count)
		return 0;
	qsort(ps->v, ps->count, sizeof(ps->v[0]), by_inode_then_fd);
	for (i = 1, kept = 1; i < ps->count; i++) {
		if (ps->v[i].inode != ps->v[kept - 1].inode)
			ps->v[kept++] = ps->v[i];
	}
	ps->count = kept;
	qsort(ps->v, ps->count, sizeof(ps->v[0]), by_fd);
	return 0;
}

static bool admits(const struct skl_sock_filter *f, const struct skl_inet_sock *s)
{
	if (f->proto && s->proto != f->proto)
		return false;
	if (!f->has_local)
		return true;
	if (s->local.family != f->local.family ||
	    memcmp(s->local.addr.bytes, f->local.addr.bytes, f->local.family == AF_INET ? 4 : 16))
		return false;
	return !f->local.port || f->local.port == s->local.port;
}

/* Whether process @pid is in a network namespace other than ours; unknown counts as no. */
static bool in_other_netns(long pid)
{
	struct stat theirs, ours;
	char path[64];

	snprintf(path, sizeof(path), "/proc/%ld/ns/net", pid);
	if (stat(path, &theirs) < 0 || stat("/proc/self/ns/net", &ours) < 0)
		return false;
	return theirs.st_ino != ours.st_ino || theirs.st_dev != ours.st_dev;
}

/* Nothing matched: say what was asked for and what the process has instead. */
static void report_no_match(long pid, const struct skl_sock_filter *f,
			    const struct pid_socks *ps)
{
	char want[160], local[64], has[1024] = "", one[96];
	size_t i, used = 0, candidates = 0;
	const char *kind;

	kind = f->proto == IPPROTO_TCP ? "listening TCP socket" :
	       f->proto == IPPROTO_UDP ? "bound UDP socket" :
					 "listening TCP or bound UDP socket";
	snprintf(want, sizeof(want), "%s%s%s", kind, f->has_local ? " on " : "",
		 f->has_local ? skl_endpoint_format(&f->local, local, sizeof(local)) : "");
	for (i = 0; i < ps->count; i++) {
		if (!ps->v[i].what)
			continue;
		skl_inet_sock_format(ps->v[i].what, one, sizeof(one));
		if (used + strlen(one) + 8 >= sizeof(has)) {
			snprintf(has + used, sizeof(has) - used, ", ...");
			break;
		}
		used += snprintf(has + used, sizeof(has) - used, "%s%s", candidates ? ", " : "",
				 one);
		candidates++;
	}
	if (candidates)
		skl_err("register: pid %ld has no %s; it has: %s", pid, want, has);
	else if (in_other_netns(pid))
		skl_err("register: pid %ld has no %s in this network namespace; it is in another one: run sklookupctl there (-n NAME, or nsenter --net=/proc/%ld/ns/net)",
			pid, want, pid);
	else if (ps->count)
		skl_err("register: pid %ld has no %s; it has %zu other socket%s (connected, unbound, not TCP/UDP, or of another network namespace)",
			pid, want, ps->count, ps->count == 1 ? "" : "s");
	else
		skl_err("register: pid %ld has no %s; it has no sockets", pid, want);
}

/* Copy every chosen descriptor, checking that each still is the socket that was chosen. */
static int copy_fds(long pid, int pidfd, struct pid_sock *v, size_t n)
{
	struct stat st;
	size_t i;

	for (i = 0; i < n; i++) {
		v[i].copy = skl_pidfd_getfd(pidfd, v[i].fd);
		if (v[i].copy < 0 && errno == ESRCH) {
			skl_err("register: pid %ld: %s", pid, strerror(ESRCH));
			return -1;
		}
		if (v[i].copy < 0 && errno == EPERM) {
			skl_err("register: fd %d of pid %ld: %s (taking another process's descriptor needs ptrace access to it)",
				v[i].fd, pid, strerror(EPERM));
			return -1;
		}
		if ((v[i].copy < 0 && errno == EBADF) ||
		    (v[i].copy >= 0 && (fstat(v[i].copy, &st) < 0 || st.st_ino != v[i].inode))) {
			skl_err("register: fd %d of pid %ld: closed or replaced while it was being read; try again",
				v[i].fd, pid);
			return -1;
		}
		if (v[i].copy < 0) {
			skl_err("register: fd %d of pid %ld: %s", v[i].fd, pid, strerror(errno));
			return -1;
		}
	}
	return 0;
}

struct label_scan {
	const char *label;
	const struct pid_sock *v;
	size_t n;
	bool label_had_sockets;
	const struct pid_sock *taken;	/* the lowest of ours registered already */
	char taken_by[SKL_LABEL_NAME_MAX];
};

static void scan_socket(struct label_scan *scan, const char *name, struct nlattr *nest)
{
	struct nlattr *attr;
	uint64_t inode;
	size_t i;

	if (!strcmp(name, scan->label))
		scan->label_had_sockets = true;
	mnl_attr_for_each_nested(attr, nest) {
		if (mnl_attr_get_type(attr) != SKL_A_SOCKET_INODE ||
		    mnl_attr_validate(attr, MNL_TYPE_U64) < 0)
			continue;
		inode = mnl_attr_get_u64(attr);
		/* Name the lowest descriptor registered already, whatever the labels' order. */
		for (i = 0; i < scan->n; i++) {
			if (scan->v[i].inode == inode && (!scan->taken || &scan->v[i] < scan->taken)) {
				scan->taken = &scan->v[i];
				snprintf(scan->taken_by, sizeof(scan->taken_by), "%s", name);
			}
		}
	}
}

static int label_cb(const struct nlmsghdr *nlh, void *data)
{
	struct label_scan *scan = data;
	const char *name = NULL;
	struct nlattr *attr;

	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(attr) == SKL_A_LABEL_NAME &&
		    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
			name = mnl_attr_get_str(attr);
	}
	if (!name)
		return MNL_CB_OK;
	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(attr) == SKL_A_LABEL_SOCKET)
			scan_socket(scan, name, attr);
	}
	return MNL_CB_OK;
}

/*
 * Refuse, before changing anything, a socket that is registered already (the module
 * would refuse it half way), and learn whether the label holds sockets of its own.
 */
static int scan_labels(struct skl_nl *nl, long pid, struct label_scan *scan)
{
	struct nlmsghdr *nlh = skl_nl_request(nl, SKL_CMD_LABEL_GET, NLM_F_DUMP);
	char what[96];

	if (skl_nl_run(nl, nlh, label_cb, scan) < 0) {
		skl_nl_perror(nl, "register");
		return -1;
	}
	if (scan->taken) {
		skl_inet_sock_format(scan->taken->what, what, sizeof(what));
		skl_err("register: %s (fd %d of pid %ld) is registered already, under label '%s'",
			what, scan->taken->fd, pid, scan->taken_by);
		return -1;
	}
	return 0;
}

/* The lines (or JSON array) of the sockets registered: protocol, local address, fd. */
static void print_registered(const struct pid_sock *v, size_t n)
{
	char addr[INET6_ADDRSTRLEN];
	const struct skl_inet_sock *s;
	size_t i;

	out_open_array(NULL);
	for (i = 0; i < n; i++) {
		s = v[i].what;
		inet_ntop(s->local.family, s->local.addr.bytes, addr, sizeof(addr));
		out_open_object(NULL);
		out_str("proto", "%s", s->proto == IPPROTO_TCP ? "tcp" : "udp");
		out_str("family", "", s->local.family == AF_INET6 ? "inet6" : "inet");
		out_str("addr", s->local.family == AF_INET6 ? " [%s]" : " %s", addr);
		out_uint("port", ":%" PRIu64, s->local.port);
		out_uint("fd", " fd %" PRIu64, v[i].fd);
		out_uint("inode", "", v[i].inode);
		out_close_object();
		out_text("\n");
	}
	out_close_array();
	out_finish();
}

static int register_all(struct skl_nl *nl, const char *label, long pid,
			const struct label_scan *scan, const struct pid_sock *v, size_t n)
{
	char what[96], why[400];
	struct nlmsghdr *nlh;
	size_t i;

	for (i = 0; i < n; i++) {
		nlh = skl_nl_request(nl, SKL_CMD_SOCKET_ADD, 0);
		mnl_attr_put_strz(nlh, SKL_A_LABEL_NAME, label);
		mnl_attr_put_u32(nlh, SKL_A_LABEL_FD, v[i].copy);
		if (skl_nl_run(nl, nlh, NULL, NULL) < 0)
			break;
	}
	if (i == n) {
		print_registered(v, n);
		return 0;
	}

	skl_inet_sock_format(v[i].what, what, sizeof(what));
	if (nl->extack[0])
		snprintf(why, sizeof(why), "%s (%s)", nl->extack, strerror(errno));
	else
		snprintf(why, sizeof(why), "%s", strerror(errno));
	if (!i) {
		skl_err("register: %s (fd %d of pid %ld): %s", what, v[i].fd, pid, why);
		return SKL_EXIT_FAIL;
	}
	if (scan->label_had_sockets) {
		print_registered(v, i);
		skl_err("register: %s (fd %d of pid %ld): %s; the %zu registered before it stay under label '%s', which had sockets of its own",
			what, v[i].fd, pid, why, i, label);
		return SKL_EXIT_FAIL;
	}
	/*
	 * The label had no sockets before this call, so releasing it releases exactly the
	 * ones registered here (unless another registration raced in since: it goes too).
	 */
	nlh = skl_nl_request(nl, SKL_CMD_LABEL_DEL, 0);
	mnl_attr_put_strz(nlh, SKL_A_LABEL_NAME, label);
	if (skl_nl_run(nl, nlh, NULL, NULL) < 0) {
		print_registered(v, i);
		skl_err("register: %s (fd %d of pid %ld): %s; releasing the %zu registered before it failed too: %s",
			what, v[i].fd, pid, why, i, strerror(errno));
		return SKL_EXIT_FAIL;
	}
	skl_err("register: %s (fd %d of pid %ld): %s; the %zu registered before it were released again",
		what, v[i].fd, pid, why, i);
	return SKL_EXIT_FAIL;
}

/* Keep what was registered for "sklookupctl restore" (state.c). */
static void record(const char *label, long pid, const struct pid_sock *v, size_t n)
{
	uint64_t *inodes = calloc(n, sizeof(*inodes));
	size_t i;

	if (!inodes) {
		skl_err("register: warning: not recorded for restore: out of memory");
		return;
	}
	for (i = 0; i < n; i++)
		inodes[i] = v[i].inode;
	state_record(label, pid, inodes, n);
	free(inodes);
}

/*
 * The process that thread @pid belongs to, or 0 if unknown. pidfd_open refuses a thread
 * that does not lead its process, with an errno that differs between kernels.
 */
static long thread_group_of(long pid)
{
	char path[64], line[128];
	long tgid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Tgid: %ld", &tgid) == 1)
			break;
	}
	fclose(f);
	return tgid;
}

int register_pid(const char *label, long pid, const struct skl_sock_filter *filter)
{
	struct label_scan scan = { .label = label };
	struct skl_inet_sock *inet = NULL;
	struct pid_socks ps = { 0 };
	struct pid_sock *chosen = NULL;
	size_t ninet = 0, nchosen = 0, i;
	int pidfd, ret = SKL_EXIT_FAIL;
	struct skl_nl nl;

	/* The pidfd first: descriptors are taken from this process, even if its pid is reused. */
	pidfd = skl_pidfd_open(pid);
	if (pidfd < 0) {
		int err = errno;
		long tgid = err == ESRCH ? 0 : thread_group_of(pid);

		if (tgid > 0 && tgid != pid)
			skl_err("register: pid %ld: a thread of process %ld, not a process", pid, tgid);
		else
			skl_err("register: pid %ld: %s", pid, strerror(err));
		return SKL_EXIT_FAIL;
	}
	if (scan_fds(pid, &ps) < 0 || skl_inet_socks_list("register", &inet, &ninet) < 0)
		goto out;
	qsort(inet, ninet, sizeof(inet[0]), inet_by_inode);
	chosen = calloc(ps.count + 1, sizeof(*chosen));
	if (!chosen) {
		skl_err("register: out of memory");
		goto out;
	}
	for (i = 0; i < ps.count; i++) {
		struct skl_inet_sock key = { .inode = ps.v[i].inode };

		ps.v[i].what = bsearch(&key, inet, ninet, sizeof(inet[0]), inet_by_inode);
		if (ps.v[i].what && admits(filter, ps.v[i].what))
			chosen[nchosen++] = ps.v[i];
	}
	if (!nchosen) {
		report_no_match(pid, filter, &ps);
		goto out;
	}
	if (copy_fds(pid, pidfd, chosen, nchosen) < 0)
		goto out;
	if (skl_nl_open(&nl) < 0)
		goto out;
	scan.v = chosen;
	scan.n = nchosen;
	if (scan_labels(&nl, pid, &scan) == 0)
		ret = register_all(&nl, label, pid, &scan, chosen, nchosen);
	skl_nl_close(&nl);
	if (!ret)
		record(label, pid, chosen, nchosen);
out:
	for (i = 0; i < nchosen; i++) {
		if (chosen[i].copy >= 0)
			close(chosen[i].copy);
	}
	free(chosen);
	free(ps.v);
	free(inet);
	close(pidfd);
	return ret;
}
