/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "mount-stack.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "macro.h"
#include "proc.h"

/* Stacked mounts on one mountpoint: more than this is not a real system. */
#define MAX_STACK 64

struct mnt_line {
	unsigned id, parent;
	dev_t dev;
	bool burrowfs;
};

/* A line of mountinfo, when it is a mount on mountpoint. */
static bool parse_line(char *line, const char *mountpoint, struct mnt_line *ret)
{
	struct burrow_mountinfo m;

	if (burrow_parse_mountinfo_line(line, &m) < 0 || strcmp(m.mountpoint, mountpoint) != 0)
		return false;
	*ret = (struct mnt_line){
		.id = m.id,
		.parent = m.parent,
		.dev = makedev(m.major, m.minor),
		.burrowfs = strcmp(m.fstype, BURROWFS_FSTYPE) == 0,
	};
	return true;
}

/* The mounts on mountpoint, bottom first as the kernel lists them. */
static int mounts_at(const char *mountpoint, struct mnt_line *v, size_t *ret_n)
{
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ char *line = NULL;
	size_t cap = 0, n = 0;

	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		if (n < MAX_STACK && parse_line(line, mountpoint, &v[n]))
			n++;
	}
	*ret_n = n;
	return 0;
}

/* The top of a stack is the mount no other mount at the same point sits on. */
static const struct mnt_line *top_of(const struct mnt_line *v, size_t n)
{
	for (size_t i = n; i-- > 0;) {
		bool covered = false;

		for (size_t k = 0; k < n && !covered; k++)
			covered = v[k].parent == v[i].id;
		if (!covered)
			return &v[i];
	}
	return NULL;
}

int mount_top(const char *mountpoint, struct mount_top *ret)
{
	struct mnt_line v[MAX_STACK];
	const struct mnt_line *t;
	size_t n = 0;
	int r;

	r = mounts_at(mountpoint, v, &n);
	if (r < 0)
		return r;
	t = top_of(v, n);
	*ret = t ? (struct mount_top){ .found = true, .burrowfs = t->burrowfs, .dev = t->dev }
		 : (struct mount_top){ .found = false };
	return 0;
}

int mount_detach_stale(const char *mountpoint, dev_t keep)
{
	int count = 0;

	for (int i = 0; i < MAX_STACK; i++) {
		struct mount_top t;
		int r = mount_top(mountpoint, &t);

		if (r < 0)
			return r;
		if (!t.found || !t.burrowfs || (keep != 0 && t.dev == keep))
			break;
		/* Lazy: a dead mount's root may still be some process's cwd. */
		if (umount2(mountpoint, MNT_DETACH | UMOUNT_NOFOLLOW) < 0)
			return -errno;
		count++;
	}
	return count;
}

int mount_clone(const char *mountpoint, int *ret_fd)
{
	int fd = open_tree(AT_FDCWD, mountpoint, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);

	if (fd < 0)
		return -errno;
	*ret_fd = fd;
	return 0;
}

int mount_dev(int fd, dev_t *ret)
{
	struct statx stx;

	/* DONT_SYNC: from the inode we have, never a GETATTR nobody may answer yet. */
	if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, 0, &stx) < 0)
		return -errno;
	*ret = makedev(stx.stx_dev_major, stx.stx_dev_minor);
	return 0;
}

int mount_attach(int tree_fd, const char *mountpoint)
{
	if (move_mount(tree_fd, "", AT_FDCWD, mountpoint, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return -errno;
	return 0;
}

int mount_canonical(const char *path, char **ret)
{
	_cleanup_free_ char *copy_dir = strdup(path), *copy_base = strdup(path);
	_cleanup_free_ char *dir = NULL;
	char link[8];
	const char *base;
	char *full;

	if (!copy_dir || !copy_base)
		return -ENOMEM;
	base = basename(copy_base);
	/*
	 * Only the parent goes through realpath(): the mountpoint may hold a
	 * FUSE mount that nobody answers yet, and a stat of it would wait for
	 * the very daemon that is starting.
	 */
	if (strcmp(base, ".") == 0 || strcmp(base, "..") == 0 || strcmp(base, "/") == 0 ||
	    readlink(path, link, sizeof(link)) >= 0) {
		full = realpath(path, NULL);
		if (!full)
			return -errno;
		*ret = full;
		return 0;
	}
	dir = realpath(dirname(copy_dir), NULL);
	if (!dir)
		return -errno;
	if (asprintf(&full, "%s%s%s", dir, strcmp(dir, "/") == 0 ? "" : "/", base) < 0)
		return -ENOMEM;
	*ret = full;
	return 0;
}

int mount_detach_dev(const char *mountpoint, dev_t dev)
{
	struct mount_top t;
	int r = mount_top(mountpoint, &t);

	if (r < 0)
		return r;
	if (!t.found || !t.burrowfs || t.dev != dev)
		return 0;
	/* Lazy: containers' binds of it and a cwd inside it stay until they go. */
	if (umount2(mountpoint, MNT_DETACH | UMOUNT_NOFOLLOW) < 0)
		return -errno;
	return 1;
}
