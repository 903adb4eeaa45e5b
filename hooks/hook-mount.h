/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "served.h"

/*
 * The part both hooks share: take detached copies of the burrowfs files, then
 * attach each one over the same path in a container's rootfs, resolving that
 * path strictly inside the rootfs.
 */

struct hook_sources {
	/*
	 * Detached mounts (open_tree clones) of the bound entries of the served
	 * table, by row; -1 where burrowfs lacks the file or the row comes with
	 * a bound directory.
	 */
	int tree_fd[BURROW_SERVED_N];
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
