/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The logic of burrowfs's cgroup tree, apart from FUSE: which host cgroup a
 * path of the tree names for a reader, and how pids cross pid namespaces.
 * Everything reads proc/ and sys/fs/cgroup/ under a root fd, so the unit
 * tests run it on fixture trees.
 *
 * A path of the tree is "<hierarchy>/<rel>". Paths are the ones the reader's
 * /proc/self/cgroup names: a container without a cgroup namespace (the
 * reason the tree exists) sees its cgroup at its host path, and the
 * directories above it hold nothing but the next step down to it; a
 * container with a cgroup namespace sees its cgroup as "/".
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "strbuf.h"

/* Longest path of the tree we serve. */
#define BURROW_CGTREE_PATH_MAX 4096

/* The controllers of a v1 mount's super options, mount options left out: "cpu,cpuacct". */
int burrow_cgtree_controllers(const char *superopts, char *buf, size_t size);

/*
 * The directory name of a hierarchy: "systemd" for name=systemd, the joined
 * controllers for co-mounted ones ("cpu,cpuacct"), "unified" for v2.
 * controllers is the mount's super options, as burrow_hierarchy has them.
 */
int burrow_cgtree_hier_name(const char *controllers, bool v2, char *buf, size_t size);

/*
 * rel without empty and "." components, and without leading or trailing
 * '/'. -EPERM for a ".." component, -EINVAL for an absolute path or a NUL
 * inside; "" is the root.
 */
int burrow_cgtree_normalize(const char *rel, char *buf, size_t size);

/*
 * The path of one hierarchy in /proc/PID/cgroup text (normalized, "" for the
 * root), matched by its super options (v1) or the "0::" line (v2).
 * -ENOENT when the text has no line for it.
 */
int burrow_cgtree_proc_path(const char *proc_cgroup, const char *controllers, bool v2, char *buf,
			    size_t size);

/*
 * The container's cgroup from its init's: systemd moves itself into
 * init.scope below the cgroup it was given, which stays the container's.
 * A last component "init.scope" goes, in relative ("a/init.scope") and
 * absolute ("/a/init.scope") paths; the root stays "" or "/". On a pure v2
 * host the host's own init is in /init.scope: that turns into the root.
 */
void burrow_cgtree_strip_init_scope(char *path);

enum burrow_cgtree_where {
	BURROW_CGTREE_OUTSIDE, /* not the reader's: does not exist for it */
	BURROW_CGTREE_ABOVE,   /* an ancestor of its cgroup: only the way down shows */
	BURROW_CGTREE_INSIDE,  /* its cgroup or below: the real thing */
};

/*
 * Where path rel (normalized, relative to the reader's view root) lies
 * against the container's cgroup top (normalized, relative to the same
 * root). For ABOVE, ret_next (may be NULL) gets the next component of top
 * below rel, its length in ret_next_len.
 */
enum burrow_cgtree_where burrow_cgtree_where(const char *top, const char *rel,
					     const char **ret_next, size_t *ret_next_len);

/*
 * Opens rel below the directory dir_fd without following any symlink and
 * without leaving dir_fd's tree (openat2 RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS).
 * A symlink as last component is opened itself when flags has O_PATH and
 * O_NOFOLLOW. rel "" opens dir_fd's directory again.
 */
int burrow_cgtree_open_beneath(int dir_fd, const char *rel, int flags, mode_t mode);
