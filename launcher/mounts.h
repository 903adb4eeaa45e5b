/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "mount-plan.h"

struct container_config;
struct cg_set;

/* What the container gets mounted, as steps for mount-plan.c's child. */

struct mount_inputs {
	const struct container_config *config;
	const struct cg_set *cg; /* NULL: no cgroups (run without limits) */
	int host_tree;		 /* attached at /run/host; -1: none */
	const char *burrowfs;	 /* burrowfs mount point to bind from; NULL: none */
	int bind_tree;		 /* config->binds[i] is tree bind_tree + i */
	bool console;		 /* /dev/console becomes a pty */
	bool cg_burrowfs;	 /* /sys/fs/cgroup from burrowfs's cgroup/ (cgroup=burrowfs) */
	bool ctl;		 /* burrowfs-mount=per-container: see plan_burrowfs() */
};

/* The steps before pivot_root (relative to the rootfs) and after it. */
void mounts_plan(const struct mount_inputs *in, struct mount_plan *pre, struct mount_plan *post);
