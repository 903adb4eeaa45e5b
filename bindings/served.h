/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * The one list of what burrowfs serves under its mount and what gets bound
 * over the same path in a container: burrowfs builds its static file nodes
 * from it, the hooks and the launcher bind its entries. It used to be four
 * lists (the daemon's nodes, their host paths, the hooks', the launcher's)
 * that drifted: the launcher never bound proc/pressure/, so its guests read
 * the host's pressure files. tests/unit/test-served.c checks the daemon's
 * tree against it, tests/launcher/test-served.sh a guest's mounts.
 *
 * The cgroup/ tree is not here: it is no file bound as is, but one bind per
 * hierarchy, planned from the container's cgroups (launcher/mounts.c).
 */

/* The files burrowfs renders per reader. Each has a render-cache slot per container. */
enum vfile {
	VF_CPUINFO,
	VF_MEMINFO,
	VF_STAT,
	VF_UPTIME,
	VF_LOADAVG,
	VF_DISKSTATS,
	VF_SWAPS,
	VF_SLABINFO,
	VF_PSI_CPU,
	VF_PSI_IO,
	VF_PSI_MEMORY,
	VF_CPU_ONLINE,
	VF_CPU_POSSIBLE,
	VF_CPU_PRESENT,
	/* New files go last: a file's inode follows from its number (fs/serve/tree.h). */
	VF_VMSTAT,
	_VF_MAX,
};

/* The files of the first table, whose inodes were numbered before the dynamic ones. */
#define VF_EARLY_N 14
_Static_assert(VF_CPU_PRESENT + 1 == VF_EARLY_N, "the early files are a fixed set");

/* No renderer: a directory whose other entries pass through a host directory. */
#define VF_PASSTHROUGH_DIR (-1)

struct burrow_served {
	/* The same relative path in burrowfs, on the host (what a host reader gets), in a rootfs.
	 */
	const char *path;
	mode_t type; /* S_IFREG or S_IFDIR: what both ends of a bind must be */
	int vfile;   /* enum vfile of a rendered file; VF_PASSTHROUGH_DIR for a directory */
};

/* Every rendered file and every directory of the table. */
#define BURROW_SERVED_N (_VF_MAX + 1)

extern const struct burrow_served burrow_served[BURROW_SERVED_N];

/*
 * Whether the entry gets bound on its own: a file inside a directory of the
 * table comes with that directory's bind (sys/devices/system/cpu/online).
 */
bool burrow_served_bound(const struct burrow_served *e);

/* The entry of a rendered file; NULL for an unknown one. */
const struct burrow_served *burrow_served_vfile(int vfile);
