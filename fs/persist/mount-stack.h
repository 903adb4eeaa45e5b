/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* The filesystem type burrowfs mounts (-o subtype=burrowfs). */
#define BURROWFS_FSTYPE "fuse.burrowfs"

/* The mount on top of a mountpoint, from /proc/self/mountinfo (no stat: never into FUSE). */
struct mount_top {
	bool found;
	bool burrowfs; /* its type is BURROWFS_FSTYPE */
	dev_t dev;
};

int mount_top(const char *mountpoint, struct mount_top *ret);

/*
 * Detaches the burrowfs mounts stacked on mountpoint other than the one of
 * dev (0: all): dead ones a crash left, whose connection nobody holds.
 * Their bind mounts in containers are not touched. Returns how many.
 */
int mount_detach_stale(const char *mountpoint, dev_t keep);

/* A detached copy of the mount at mountpoint (open_tree OPEN_TREE_CLONE). */
int mount_clone(const char *mountpoint, int *ret_fd);
/* The device of the filesystem fd is on, without asking the filesystem. */
int mount_dev(int fd, dev_t *ret);
/* Attaches a detached copy onto mountpoint (move_mount). */
int mount_attach(int tree_fd, const char *mountpoint);
/* The canonical path of a mountpoint, without walking into a mount that may hang. */
int mount_canonical(const char *path, char **ret);
/* Detaches the mount of dev from the top of mountpoint, if it is there. 1: it was. */
int mount_detach_dev(const char *mountpoint, dev_t dev);
