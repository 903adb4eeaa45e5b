/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "pidns.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "macro.h"
#include "parse.h"
#include "proc.h"

int burrow_pidns_of(int root_fd, pid_t pid, struct burrow_pidns *ret)
{
	pid_t l[BURROW_NSPID_MAX];
	uint64_t ino;
	int n, r;

	n = burrow_nspid_list(root_fd, pid, l, ELEMENTSOF(l));
	if (n < 0)
		return n;
	r = burrow_pidns_inode(root_fd, pid, &ino);
	if (r < 0)
		return r == -ENOENT || r == -ENODATA ? -ESRCH : r;
	*ret = (struct burrow_pidns){ .inode = ino, .level = (unsigned)n };
	return 0;
}

/* Whether the process at base, whose NSpid has n entries, lives in ns or below it. */
static int in_ns(int root_fd, const char *base, unsigned n, const struct burrow_pidns *ns)
{
	_cleanup_close_ int fd = -EBADF;
	char path[96];
	struct stat st;

	if (n < ns->level)
		return 0;
	if (ns->level == 1)
		return 1; /* the root fd's own namespace holds every process it numbers */
	if (n == ns->level) {
		uint64_t ino;
		int r = burrow_read_ns_link(root_fd, base, "pid", &ino);

		if (r < 0)
			return r;
		return ino == ns->inode;
	}
	/* Deeper: climb to the ancestor at ns's level and compare. */
	snprintf(path, sizeof(path), "%s/ns/pid", base);
	fd = openat(root_fd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	for (unsigned i = ns->level; i < n; i++) {
		int p = ioctl(fd, NS_GET_PARENT);

		/* A fixture's plain file, or a namespace we may not climb: not provably inside. */
		if (p < 0)
			return 0;
		close(fd);
		fd = p;
	}
	if (fstat(fd, &st) < 0)
		return -errno;
	return (uint64_t)st.st_ino == ns->inode;
}

int burrow_pid_to_ns(int root_fd, pid_t host, const struct burrow_pidns *ns, pid_t *ret)
{
	struct burrow_proc_status st;
	char base[32];
	int r;

	snprintf(base, sizeof(base), "proc/%d", (int)host);
	r = burrow_read_status(root_fd, base, &st);
	if (r < 0)
		return r;
	r = in_ns(root_fd, base, st.depth, ns);
	if (r < 0)
		return r;
	if (!r)
		return -ESRCH;
	*ret = st.nspid[ns->level - 1];
	return 0;
}

/* The process at base: is it pid in ns? */
static bool is_match(int root_fd, const char *base, pid_t pid, const struct burrow_pidns *ns)
{
	struct burrow_proc_status st;

	if (burrow_read_status(root_fd, base, &st) < 0 || st.depth < ns->level ||
	    st.nspid[ns->level - 1] != pid)
		return false;
	return in_ns(root_fd, base, st.depth, ns) > 0;
}

static bool numeric(const char *s, pid_t *ret)
{
	uint64_t v;

	if (safe_atou64(s, &v) < 0 || v == 0 || v > INT32_MAX)
		return false;
	*ret = (pid_t)v;
	return true;
}

/* Scans dir (proc/ or proc/N/task/) for the host pid that ns numbers pid. */
static int scan_dir(int root_fd, const char *dir, pid_t pid, const struct burrow_pidns *ns,
		    pid_t *ret)
{
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	int r;

	r = opendir_at(root_fd, dir, 0, &d);
	if (r < 0)
		return r;
	while ((de = readdir(d))) {
		char base[96];
		pid_t cand;

		if (!numeric(de->d_name, &cand))
			continue;
		snprintf(base, sizeof(base), "%s/%d", dir, (int)cand);
		if (is_match(root_fd, base, pid, ns)) {
			*ret = cand;
			return 0;
		}
	}
	return -ESRCH;
}

int burrow_pid_from_ns(int root_fd, pid_t pid, const struct burrow_pidns *ns, bool threads,
		       pid_t *ret)
{
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	int r;

	if (pid <= 0)
		return -ESRCH;
	if (ns->level == 1) {
		/* The root fd's namespace: the pid is its own, if it exists. */
		pid_t l[BURROW_NSPID_MAX];

		r = burrow_nspid_list(root_fd, pid, l, ELEMENTSOF(l));
		if (r < 0)
			return r;
		*ret = pid;
		return 0;
	}
	r = scan_dir(root_fd, "proc", pid, ns, ret);
	if (r != -ESRCH || !threads)
		return r;
	/* Thread ids are not listed in proc/: look through the threads of ns's processes. */
	r = opendir_at(root_fd, "proc", 0, &d);
	if (r < 0)
		return r;
	while ((de = readdir(d))) {
		char dir[64];
		pid_t p;

		if (!numeric(de->d_name, &p))
			continue;
		snprintf(dir, sizeof(dir), "proc/%d/task", (int)p);
		if (scan_dir(root_fd, dir, pid, ns, ret) == 0)
			return 0;
	}
	return -ESRCH;
}

int burrow_cgtree_translate_pids(int root_fd, const char *text, const struct burrow_pidns *ns,
				 struct strbuf *out)
{
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\n");
		char num[16];
		pid_t host, inner;

		if (n > 0 && n < sizeof(num)) {
			memcpy(num, p, n);
			num[n] = '\0';
			if (numeric(num, &host) && burrow_pid_to_ns(root_fd, host, ns, &inner) == 0)
				strbuf_printf(out, "%d\n", (int)inner);
		}
		p += n;
		if (*p == '\n')
			p++;
	}
	return strbuf_error(out);
}

int burrow_id_to_ns(int root_fd, pid_t pid, bool gid, uint32_t host_id, uint32_t *ret)
{
	_cleanup_free_ char *text = NULL;
	char path[64];
	int r;

	snprintf(path, sizeof(path), "proc/%d/%s", (int)pid, gid ? "gid_map" : "uid_map");
	r = read_full_at(root_fd, path, &text, NULL);
	if (r < 0)
		return r == -ENODATA ? -ESRCH : r;
	for (const char *p = text; *p;) {
		uint64_t inside, outside, count;
		const char *q = p;

		if (parse_u64_prefix(&q, &inside) == 0 && parse_u64_prefix(&q, &outside) == 0 &&
		    parse_u64_prefix(&q, &count) == 0 && host_id >= outside &&
		    host_id - outside < count) {
			*ret = (uint32_t)(inside + (host_id - outside));
			return 0;
		}
		p += strcspn(p, "\n");
		if (*p == '\n')
			p++;
	}
	return -ENOENT;
}
