// SPDX-License-Identifier: GPL-2.0
/*
 * The record of registrations by pid (SKL_STATE_FILE), and "sklookupctl restore", which
 * takes those sockets again after the module was reloaded.
 *
 * One line a socket: "label NAME pid PID start TICKS netns INODE inode INODE". The start
 * time tells a process from a later one with the same pid; the namespace's inode says in
 * which namespace it was registered (restore acts in its own only); the socket's inode
 * finds the socket among the process's descriptors, whichever number it has now. Every
 * change is made under an flock of FILE.lock, by writing FILE.tmp and renaming it over
 * FILE, so that a reader never sees half a file and two writers never lose each other's
 * lines.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dirent.h>
#include <linux/genetlink.h>

#include "sklookup.h"
#include "commands.h"
#include "nl.h"
#include "output.h"
#include "pidfd.h"
#include "rule_parse.h"
#include "register_pid.h"
#include "state.h"
#include "util.h"

struct state_entry {
	char label[SKL_LABEL_NAME_MAX];
	long pid;
	unsigned long long start, netns, inode;
	bool drop;
};

struct state {
	struct state_entry *v;
	size_t count, cap;
};

static unsigned long long own_netns(void)
{
	struct stat st;

	return stat("/proc/self/ns/net", &st) < 0 ? 0 : (unsigned long long)st.st_ino;
}

unsigned long long state_start_time(long pid)
{
	unsigned long long start = 0;
	char path[64], buf[1024], *p;
	ssize_t len;
	int fd, field;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return 0;
	buf[len] = '\0';
	/* The command name (field 2) may hold spaces and ')': count from its last ')'. */
	p = strrchr(buf, ')');
	if (!p)
		return 0;
	for (field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (p)
		start = strtoull(p + 1, NULL, 10);
	return start;
}

static int lock_file(const char *path, const char *cmd, bool create)
{
	char lock[4096];
	int fd;

	snprintf(lock, sizeof(lock), "%s.lock", path);
	fd = open(lock, O_RDONLY | O_CLOEXEC | (create ? O_CREAT : 0), 0600);
	if (fd < 0) {
		if (errno != ENOENT)
			skl_err("%s: %s: %s", cmd, lock, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX) < 0) {
		skl_err("%s: %s: %s", cmd, lock, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int parse_ull(const char *text, unsigned long long *value)
{
	char *end;

	if (*text < '0' || *text > '9')
		return -1;
	errno = 0;
	*value = strtoull(text, &end, 10);
	return errno || *end ? -1 : 0;
}

/*
 * Read @path into @st. A missing file is an empty record. A line that does not parse is
 * an error that names the file, the line and the word; nothing is read then.
 */
static int state_read(const char *path, const char *cmd, struct state *st)
{
	static const char *const keys[] = { "label", "pid", "start", "netns", "inode" };
	char line[512], *word[11], *save;
	unsigned long long value;
	struct state_entry e;
	size_t lineno = 0;
	int n, k, ret = 0;
	FILE *f;

	f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT)
			return 0;
		skl_err("%s: %s: %s", cmd, path, strerror(errno));
		return -1;
	}
	while (!ret && fgets(line, sizeof(line), f)) {
		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			skl_err("%s: %s line %zu: longer than %zu bytes", cmd, path, lineno,
				sizeof(line) - 2);
			ret = -1;
			break;
		}
		n = 0;
		for (word[n] = strtok_r(line, " \t\r\n", &save); word[n] && n < 10;)
			word[++n] = strtok_r(NULL, " \t\r\n", &save);
		if (!n || word[0][0] == '#')
			continue;
		memset(&e, 0, sizeof(e));
		for (k = 0; k < 5 && !ret; k++) {
			if (2 * k >= n || strcmp(word[2 * k], keys[k])) {
				skl_err("%s: %s line %zu: expected '%s' as word %d", cmd, path, lineno,
					keys[k], 2 * k + 1);
				ret = -1;
			} else if (2 * k + 1 >= n) {
				skl_err("%s: %s line %zu: missing value after '%s'", cmd, path,
					lineno, keys[k]);
				ret = -1;
			} else if (!k) {
				const char *why = rule_label_invalid(word[1]);
				char printable[256];

				if (why) {
					skl_err("%s: %s line %zu: label '%s': %s", cmd, path, lineno,
						skl_printable(word[1], printable, sizeof(printable)),
						why);
					ret = -1;
				} else {
					snprintf(e.label, sizeof(e.label), "%s", word[1]);
				}
			} else if (parse_ull(word[2 * k + 1], &value) ||
				   (k == 1 && (!value || value > 0x7fffffff))) {
				skl_err("%s: %s line %zu: %s '%s': must be a %s", cmd, path, lineno,
					keys[k], word[2 * k + 1],
					k == 1 ? "process id" : "decimal number");
				ret = -1;
			} else {
				if (k == 1)
					e.pid = (long)value;
				else if (k == 2)
					e.start = value;
				else if (k == 3)
					e.netns = value;
				else
					e.inode = value;
			}
		}
		if (!ret && n == 10 && word[10]) {
			skl_err("%s: %s line %zu: unexpected word '%s' after the inode", cmd, path,
				lineno, word[10]);
			ret = -1;
		}
		if (ret)
			break;
		if (skl_grow(&st->v, st->count, &st->cap, sizeof(st->v[0]))) {
			skl_err("%s: out of memory", cmd);
			ret = -1;
			break;
		}
		st->v[st->count++] = e;
	}
	if (!ret && ferror(f)) {
		skl_err("%s: %s: %s", cmd, path, strerror(errno));
		ret = -1;
	}
	fclose(f);
	if (ret) {
		free(st->v);
		st->v = NULL;
		st->count = 0;
	}
	return ret;
}

/* Replace @path with the entries of @st not marked to drop, through FILE.tmp. */
static int state_write(const char *path, const char *cmd, const struct state *st)
{
	char tmp[4096];
	size_t i;
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "we");
	if (!f) {
		skl_err("%s: %s: %s", cmd, tmp, strerror(errno));
		return -1;
	}
	fputs("# sklookupctl: sockets registered by pid, for 'sklookupctl restore'\n", f);
	for (i = 0; i < st->count; i++) {
		if (st->v[i].drop)
			continue;
		fprintf(f, "label %s pid %ld start %llu netns %llu inode %llu\n", st->v[i].label,
			st->v[i].pid, st->v[i].start, st->v[i].netns, st->v[i].inode);
	}
	if (fflush(f) || ferror(f)) {
		skl_err("%s: %s: %s", cmd, tmp, strerror(errno));
		fclose(f);
		unlink(tmp);
		return -1;
	}
	fclose(f);
	if (rename(tmp, path) < 0) {
		skl_err("%s: %s: %s", cmd, path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* The directory of SKL_STATE_FILE, made if missing; -1 with errno if it cannot be. */
static int state_dir(void)
{
	if (mkdir("/run/sklookup", 0755) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

/* Whether this process is in the initial user namespace: its uid_map maps every id. */
static bool initial_userns(void)
{
	char line[128];
	unsigned long long inside, outside, count;
	bool initial = false;
	FILE *f;

	f = fopen("/proc/self/uid_map", "re");
	if (!f)
		return false;
	if (fgets(line, sizeof(line), f) &&
	    sscanf(line, "%llu %llu %llu", &inside, &outside, &count) == 3)
		initial = !inside && !outside && count == 4294967295ULL;
	fclose(f);
	return initial;
}

void state_record(const char *label, long pid, const uint64_t *inodes, size_t n)
{
	unsigned long long netns = own_netns(), start = state_start_time(pid);
	const char *path = SKL_STATE_FILE;
	struct state st = { 0 };
	size_t i, j;
	int lock;

	/*
	 * Only the host's root's registrations are recorded: /run/sklookup is its, and
	 * restore runs as it (sklookup.service). Root of another user namespace could not
	 * write there, and must not be warned about it at each registration.
	 */
	if (geteuid() || !initial_userns())
		return;
	if (state_dir() < 0) {
		fprintf(stderr, "sklookupctl: warning: register: not recorded for restore: /run/sklookup: %s\n",
			strerror(errno));
		return;
	}
	lock = lock_file(path, "register: warning: not recorded for restore", true);
	if (lock < 0)
		return;
	if (state_read(path, "register: warning: not recorded for restore", &st) < 0)
		goto out;
	/* A socket is under one label at most: a record of it from before is stale. */
	for (i = 0; i < st.count; i++) {
		for (j = 0; j < n; j++) {
			if (st.v[i].netns == netns && st.v[i].inode == inodes[j])
				st.v[i].drop = true;
		}
	}
	for (j = 0; j < n; j++) {
		if (skl_grow(&st.v, st.count, &st.cap, sizeof(st.v[0]))) {
			skl_err("register: warning: not recorded for restore: out of memory");
			goto out;
		}
		st.v[st.count] = (struct state_entry){ .pid = pid, .start = start,
						       .netns = netns, .inode = inodes[j] };
		snprintf(st.v[st.count].label, sizeof(st.v[0].label), "%s", label);
		st.count++;
	}
	state_write(path, "register: warning: not recorded for restore", &st);
out:
	free(st.v);
	close(lock);
}

void state_forget_label(const char *label)
{
	unsigned long long netns = own_netns();
	const char *cmd = "unregister: warning: record for restore not updated";
	struct state st = { 0 };
	bool changed = false;
	size_t i;
	int lock;

	lock = lock_file(SKL_STATE_FILE, cmd, false);
	if (lock < 0)
		return;	/* nothing was ever recorded */
	if (state_read(SKL_STATE_FILE, cmd, &st) == 0) {
		for (i = 0; i < st.count; i++) {
			if (st.v[i].netns == netns && !strcmp(st.v[i].label, label)) {
				st.v[i].drop = true;
				changed = true;
			}
		}
		if (changed)
			state_write(SKL_STATE_FILE, cmd, &st);
	}
	free(st.v);
	close(lock);
}

/* The inodes of every socket registered in this namespace, from LABEL_GET. */
struct registered {
	uint64_t *v;
	size_t count, cap;
};

static int registered_cb(const struct nlmsghdr *nlh, void *data)
{
	struct registered *r = data;
	struct nlattr *attr, *inner;

	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(attr) != SKL_A_LABEL_SOCKET)
			continue;
		mnl_attr_for_each_nested(inner, attr) {
			if (mnl_attr_get_type(inner) != SKL_A_SOCKET_INODE ||
			    mnl_attr_validate(inner, MNL_TYPE_U64) < 0)
				continue;
			if (skl_grow(&r->v, r->count, &r->cap, sizeof(r->v[0])))
				return MNL_CB_ERROR;
			r->v[r->count++] = mnl_attr_get_u64(inner);
		}
	}
	return MNL_CB_OK;
}

/* The descriptor of process @pid that holds socket @inode, or -1. */
static int fd_of_inode(long pid, unsigned long long inode)
{
	unsigned long long seen;
	char path[64];
	int fd;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%ld/fd", pid);
	dir = opendir(path);
	if (!dir)
		return -1;
	while (skl_next_socket_fd(dir, &fd, &seen)) {
		if (seen == inode) {
			closedir(dir);
			return fd;
		}
	}
	closedir(dir);
	return -1;
}

/* The result of one record, as restore prints it. */
static void print_result(const struct state_entry *e, const char *result, int fd,
			 const char *why)
{
	out_open_object(NULL);
	out_str("result", "%s", result);
	out_str("label", " label %s", e->label);
	out_uint("pid", " pid %" PRIu64, e->pid);
	if (fd >= 0)
		out_uint("fd", " fd %" PRIu64, fd);
	out_uint("inode", " inode %" PRIu64, e->inode);
	if (why)
		out_str("why", ": %s", why);
	out_close_object();
	out_text("\n");
}

/*
 * Take socket @e again: "restored", or "dropped" (with the reason in @why, the record
 * goes) when the process or its socket is gone, or -1 when the module refused it or the
 * process could not be read (the record stays, for a later restore).
 */
static int restore_one(struct skl_nl *nl, struct state_entry *e, char *why, size_t size,
		       int *fd_out)
{
	int pidfd, fd, copy, ret = 0;
	unsigned long long start;
	struct nlmsghdr *nlh;
	struct stat st;

	*fd_out = -1;
	pidfd = skl_pidfd_open(e->pid);
	if (pidfd < 0 && errno == ESRCH) {
		snprintf(why, size, "process %ld has exited", e->pid);
		e->drop = true;
		return 0;
	}
	if (pidfd < 0) {
		snprintf(why, size, "pid %ld: %s", e->pid, strerror(errno));
		return -1;
	}
	start = state_start_time(e->pid);
	if (start != e->start) {
		snprintf(why, size, "process %ld has exited%s", e->pid,
			 start ? " (its pid is another process's now)" : "");
		e->drop = true;
		goto out;
	}
	fd = fd_of_inode(e->pid, e->inode);
	if (fd < 0) {
		snprintf(why, size, "process %ld no longer holds the socket", e->pid);
		e->drop = true;
		goto out;
	}
	copy = skl_pidfd_getfd(pidfd, fd);
	if (copy < 0 || fstat(copy, &st) < 0 || st.st_ino != e->inode) {
		if (copy < 0 && errno == EPERM)
			snprintf(why, size, "fd %d of pid %ld: %s (taking another process's descriptor needs ptrace access to it)",
				 fd, e->pid, strerror(EPERM));
		else if (copy < 0 && errno != EBADF)
			snprintf(why, size, "fd %d of pid %ld: %s", fd, e->pid, strerror(errno));
		else
			snprintf(why, size, "fd %d of pid %ld: closed or replaced while it was being read; try again",
				 fd, e->pid);
		if (copy >= 0)
			close(copy);
		ret = -1;
		goto out;
	}
	*fd_out = fd;
	nlh = skl_nl_request(nl, SKL_CMD_SOCKET_ADD, 0);
	mnl_attr_put_strz(nlh, SKL_A_LABEL_NAME, e->label);
	mnl_attr_put_u32(nlh, SKL_A_LABEL_FD, copy);
	if (skl_nl_run(nl, nlh, NULL, NULL) < 0) {
		snprintf(why, size, "%s%s%s", nl->extack, nl->extack[0] ? ": " : "",
			 strerror(errno));
		ret = -1;
	}
	close(copy);
out:
	close(pidfd);
	return ret;
}

int restore_main(int argc, char **argv)
{
	unsigned long long netns = own_netns();
	const char *path = SKL_STATE_FILE;
	struct registered reg = { 0 };
	struct state st = { 0 };
	bool changed = false;
	int lock, ret = 0, fd;
	struct skl_nl nl;
	char why[512];
	size_t i, j;

	if (argc > 1 || (argc == 1 && argv[0][0] == '-' && argv[0][1])) {
		if (argc == 1)
			skl_err("restore: unknown option '%s'", argv[0]);
		else
			skl_err("restore: usage: restore [FILE]");
		return SKL_EXIT_USAGE;
	}
	if (argc == 1)
		path = argv[0];
	lock = lock_file(path, "restore", true);
	if (lock < 0 && errno != ENOENT)
		return SKL_EXIT_FAIL;
	/* No directory: nothing was ever recorded. */
	if (lock >= 0 && state_read(path, "restore", &st) < 0) {
		close(lock);
		return SKL_EXIT_FAIL;
	}
	if (!st.count) {
		out_open_array(NULL);
		goto done;
	}
	if (skl_nl_open(&nl) < 0) {
		ret = SKL_EXIT_FAIL;
		goto out;
	}
	if (skl_nl_run(&nl, skl_nl_request(&nl, SKL_CMD_LABEL_GET, NLM_F_DUMP), registered_cb,
		       &reg) < 0) {
		skl_nl_perror(&nl, "restore");
		skl_nl_close(&nl);
		ret = SKL_EXIT_FAIL;
		goto out;
	}
	out_open_array(NULL);
	for (i = 0; i < st.count; i++) {
		struct state_entry *e = &st.v[i];

		if (e->netns != netns) {
			snprintf(why, sizeof(why), "registered in another network namespace (net:[%llu]): restore there",
				 e->netns);
			print_result(e, "skipped", -1, why);
			continue;
		}
		for (j = 0; j < reg.count && reg.v[j] != e->inode; j++)
			;
		if (j < reg.count) {
			print_result(e, "registered", -1, "registered already");
			continue;
		}
		if (restore_one(&nl, e, why, sizeof(why), &fd) < 0) {
			print_result(e, "failed", fd, why);
			ret = SKL_EXIT_FAIL;
		} else if (e->drop) {
			print_result(e, "dropped", -1, why);
			changed = true;
		} else {
			print_result(e, "restored", fd, NULL);
		}
	}
	skl_nl_close(&nl);
	if (changed && state_write(path, "restore", &st) < 0)
		ret = SKL_EXIT_FAIL;
done:
	out_close_array();
	out_finish();
out:
	free(reg.v);
	free(st.v);
	if (lock >= 0)
		close(lock);
	return ret;
}
