/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "resolve.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/ioctl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "macro.h"
#include "parse.h"

/* Debian 12's headers predate it; the value is the kernel's ABI (Linux 6.11). */
#ifndef NS_GET_TGID_FROM_PIDNS
#define NS_GET_TGID_FROM_PIDNS _IOR(0xb7, 0x7, int)
#endif
#ifndef NS_GET_PID_FROM_PIDNS
#define NS_GET_PID_FROM_PIDNS _IOR(0xb7, 0x6, int)
#endif

/* A PPid chain is never longer than the number of processes; this only guards loops. */
#define WALK_MAX 65536

static int pid_path(char *buf, size_t size, pid_t pid, const char *file)
{
	int n = snprintf(buf, size, "proc/%d/%s", (int)pid, file);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int burrow_init_by_ioctl(int root_fd, pid_t pid, pid_t *ret)
{
	_cleanup_close_ int fd = -1;
	char path[64];
	int r;

	r = pid_path(path, sizeof(path), pid, "ns/pid");
	if (r < 0)
		return r;
	/* On a fixture tree the link dangles: no namespace file to ask. */
	fd = openat(root_fd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return errno == ENOENT ? -EOPNOTSUPP : -errno;
	r = ioctl(fd, NS_GET_TGID_FROM_PIDNS, 1);
	if (r < 0)
		return errno == ENOTTY || errno == EINVAL ? -EOPNOTSUPP : -errno;
	/* 0: the init is not visible from the caller's namespace. */
	if (r == 0)
		return -ESRCH;
	*ret = (pid_t)r;
	return 0;
}

int burrow_tid_from_ns_ioctl(int root_fd, pid_t reader, uint64_t pidns, pid_t tid, pid_t *ret)
{
	_cleanup_close_ int fd = -1;
	struct stat st;
	char path[64];
	int r;

	if (tid <= 0)
		return -ESRCH;
	r = pid_path(path, sizeof(path), reader, "ns/pid");
	if (r < 0)
		return r;
	fd = openat(root_fd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return errno == ENOENT ? -EOPNOTSUPP : -errno;
	/* The reader's pid was reused since its namespace was looked up: not its tid. */
	if (fstat(fd, &st) < 0)
		return -errno;
	if ((uint64_t)st.st_ino != pidns)
		return -ESRCH;
	r = ioctl(fd, NS_GET_PID_FROM_PIDNS, tid);
	if (r < 0)
		return errno == ENOTTY || errno == EINVAL ? -EOPNOTSUPP : -errno;
	if (r == 0)
		return -ESRCH;
	*ret = (pid_t)r;
	return 0;
}

static int same_pidns(int root_fd, pid_t pid, uint64_t pidns)
{
	uint64_t ino;
	int r;

	r = burrow_pidns_inode(root_fd, pid, &ino);
	if (r < 0)
		return r;
	return ino == pidns;
}

int burrow_init_by_walk(int root_fd, pid_t pid, uint64_t pidns, pid_t *ret)
{
	struct burrow_nspid cur;
	int r;

	r = burrow_proc_nspid(root_fd, pid, &cur);
	if (r < 0)
		return r;
	/*
	 * FUSE names the reading thread. A thread of the init has an inner id
	 * other than 1 and the init's parent as PPid: start from its leader.
	 */
	if (cur.tgid > 0 && cur.tgid != pid) {
		pid = cur.tgid;
		r = burrow_proc_nspid(root_fd, pid, &cur);
		if (r < 0)
			return r;
	}
	/*
	 * A parent at the same NSpid depth is in the same namespace: a child in a
	 * new namespace is one level deeper, and setns() only ever enters a
	 * descendant of the caller's own namespace, so a parent outside sits
	 * higher. Orphans are reparented within their namespace, never out of it.
	 */
	for (unsigned i = 0; i < WALK_MAX; i++) {
		struct burrow_nspid parent;

		if (cur.inner == 1) {
			r = same_pidns(root_fd, pid, pidns);
			if (r < 0)
				return r;
			if (!r)
				return -ESRCH;
			*ret = pid;
			return 0;
		}
		if (cur.ppid <= 0)
			return -ENOENT;
		r = burrow_proc_nspid(root_fd, cur.ppid, &parent);
		if (r < 0)
			return r;
		if (parent.depth != cur.depth)
			return -ENOENT;
		pid = cur.ppid;
		cur = parent;
	}
	return -ELOOP;
}

static int parse_pid_name(const char *name, pid_t *ret)
{
	uint64_t v;

	if (name[0] < '1' || name[0] > '9')
		return -EINVAL;
	if (safe_atou64(name, &v) < 0 || v > INT32_MAX)
		return -EINVAL;
	*ret = (pid_t)v;
	return 0;
}

int burrow_init_by_scan(int root_fd, uint64_t pidns, pid_t *ret)
{
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	int r;

	r = opendir_at(root_fd, "proc", 0, &d);
	if (r < 0)
		return r;
	while ((de = readdir(d))) {
		struct burrow_nspid ns;
		pid_t pid;

		if (parse_pid_name(de->d_name, &pid) < 0)
			continue;
		/* Processes come and go during the scan: skip any that vanish. */
		if (same_pidns(root_fd, pid, pidns) <= 0)
			continue;
		if (burrow_proc_nspid(root_fd, pid, &ns) < 0 || ns.inner != 1)
			continue;
		*ret = pid;
		return 0;
	}
	return -ESRCH;
}

int burrow_find_init(int root_fd, pid_t pid, uint64_t pidns, pid_t *ret)
{
	int r;

	/*
	 * Any failure of the ioctl (an old kernel, a daemon without access to the
	 * namespace file) leaves the walk, which only needs the status files.
	 */
	if (burrow_init_by_ioctl(root_fd, pid, ret) == 0)
		return 0;
	r = burrow_init_by_walk(root_fd, pid, pidns, ret);
	if (r != -ENOENT)
		return r;
	return burrow_init_by_scan(root_fd, pidns, ret);
}
