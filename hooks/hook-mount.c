/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hook-mount.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "fileio.h"
#include "hook-util.h"
#include "macro.h"

#ifndef FUSE_SUPER_MAGIC
#define FUSE_SUPER_MAGIC 0x65735546
#endif

void hook_sources_done(struct hook_sources *s)
{
	for (unsigned i = 0; i < BURROW_SERVED_N; i++)
		closep(&s->tree_fd[i]);
}

static int check_burrowfs(int dir_fd, dev_t *ret_dev)
{
	struct statfs sfs;
	struct stat st;

	if (fstatfs(dir_fd, &sfs) < 0)
		return -errno;
	/* An empty mountpoint directory is the usual "not running" case. */
	if ((unsigned long)sfs.f_type != FUSE_SUPER_MAGIC)
		return -ENOMEDIUM;
	/* burrowfs is ready once proc/meminfo exists (its documented contract). */
	if (fstatat(dir_fd, "proc/meminfo", &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? -ENOMEDIUM : -errno;
	if (!S_ISREG(st.st_mode))
		return -ENOMEDIUM;
	*ret_dev = st.st_dev;
	return 0;
}

int hook_sources_open(const char *dir, struct hook_sources *ret)
{
	_cleanup_close_ int dir_fd = -1;
	struct hook_sources s;
	int r;

	for (unsigned i = 0; i < BURROW_SERVED_N; i++)
		s.tree_fd[i] = -1;

	dir_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0)
		return errno == ENOENT ? -ENOMEDIUM : -errno;
	r = check_burrowfs(dir_fd, &s.dev);
	if (r < 0)
		return r;

	for (unsigned i = 0; i < BURROW_SERVED_N; i++) {
		const struct burrow_served *e = &burrow_served[i];
		struct stat st;

		if (!burrow_served_bound(e))
			continue;
		/* An older burrowfs may lack a file; the container then keeps its own. */
		if (fstatat(dir_fd, e->path, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    (st.st_mode & S_IFMT) != e->type)
			continue;
		/*
		 * A detached copy, not a path: it stays valid across setns() into
		 * the container's mount namespace, where the burrowfs mount may be
		 * hidden or absent.
		 */
		int fd = open_tree(dir_fd, e->path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
		if (fd < 0) {
			r = -errno;
			hook_sources_done(&s);
			return r;
		}
		s.tree_fd[i] = fd;
	}

	*ret = s;
	return 0;
}

/*
 * Open a target for mounting without ever leaving the rootfs (open_in_root():
 * absolute symlinks and ".." stop at the rootfs, as if chrooted). O_NOFOLLOW
 * leaves a symlink as the last component unfollowed, so it shows up as a
 * symlink and is refused below. Mounting onto this fd (not onto a path string
 * looked up again) means a rootfs changed meanwhile cannot redirect it.
 */
static int open_target(int rootfs_fd, const char *path)
{
	return open_in_root(rootfs_fd, path, O_PATH | O_NOFOLLOW);
}

static const char *type_name(mode_t m)
{
	switch (m & S_IFMT) {
	case S_IFREG:
		return "a regular file";
	case S_IFDIR:
		return "a directory";
	case S_IFLNK:
		return "a symlink";
	default:
		return "a special file";
	}
}

static void bind_one(int rootfs_fd, const struct burrow_served *e, int *tree_fd, dev_t dev,
		     bool verbose, struct hook_result *res)
{
	_cleanup_close_ int target_fd = -1;
	struct stat st, from;

	target_fd = open_target(rootfs_fd, e->path);
	if (target_fd < 0) {
		/* Missing (ENOENT, ENOTDIR) is normal; anything else is worth saying. */
		if (verbose || (target_fd != -ENOENT && target_fd != -ENOTDIR))
			hook_log_errno(target_fd, "skipping /%s", e->path);
		res->skipped++;
		return;
	}
	if (fstat(target_fd, &st) < 0) {
		hook_log_errno(-errno, "skipping /%s: cannot stat", e->path);
		res->skipped++;
		return;
	}
	/* The shared mount, or (--per-container) this container's own connection, is there. */
	if (st.st_dev == dev || (fstat(*tree_fd, &from) == 0 && st.st_dev == from.st_dev)) {
		res->already++;
		return;
	}
	if ((st.st_mode & S_IFMT) != e->type) {
		hook_log("skipping /%s: it is %s, not %s", e->path, type_name(st.st_mode),
			 type_name(e->type));
		res->skipped++;
		return;
	}
	if (move_mount(*tree_fd, "", target_fd, "",
		       MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) {
		hook_log_errno(-errno, "failed to bind burrowfs over /%s", e->path);
		res->failed++;
		return;
	}
	closep(tree_fd);
	*tree_fd = -1;
	res->mounted++;
}

void hook_bind_all(int rootfs_fd, struct hook_sources *s, bool verbose, struct hook_result *ret)
{
	struct hook_result res = { 0 };

	for (unsigned i = 0; i < BURROW_SERVED_N; i++) {
		if (!burrow_served_bound(&burrow_served[i]))
			continue;
		if (s->tree_fd[i] < 0) {
			if (verbose)
				hook_log("burrowfs has no %s; leaving the container's own",
					 burrow_served[i].path);
			continue;
		}
		bind_one(rootfs_fd, &burrow_served[i], &s->tree_fd[i], s->dev, verbose, &res);
	}
	*ret = res;
}
