/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/*
 * The part both hooks share: take detached copies of the burrowfs files, then
 * attach each one over the same path in a container's rootfs, resolving that
 * path strictly inside the rootfs.
 */

/* What a hook binds: proc files and the sys/devices/system/cpu directory. */
struct hook_entry {
	const char *path; /* the same relative path in burrowfs and in the rootfs */
	mode_t type;	  /* S_IFREG or S_IFDIR: what both ends must be */
};

extern const struct hook_entry hook_entries[];
extern const unsigned hook_entries_count;

#define HOOK_MAX_ENTRIES 16

struct hook_sources {
	/* Detached mounts (open_tree clones); -1 where burrowfs lacks the file. */
	int tree_fd[HOOK_MAX_ENTRIES];
	dev_t dev; /* burrowfs's device: a target on it is bound already */
};

/*
 * Clone the burrowfs files under dir. Clones are taken in the caller's mount
 * namespace and can be attached after a setns() into another one.
 * -ENOMEDIUM: nothing burrowfs-like is mounted at dir.
 */
int hook_sources_open(const char *dir, struct hook_sources *ret);
void hook_sources_done(struct hook_sources *s);

struct hook_result {
	unsigned mounted; /* newly bound */
	unsigned already; /* bound by an earlier run */
	unsigned skipped; /* target missing or of the wrong type: left alone */
	unsigned failed;  /* the mount itself failed */
};

/*
 * Bind every source over its path under rootfs_fd. Problems with one target
 * never stop the others; each is logged and counted. verbose also logs the
 * targets that are simply absent.
 */
void hook_bind_all(int rootfs_fd, struct hook_sources *s, bool verbose, struct hook_result *ret);
