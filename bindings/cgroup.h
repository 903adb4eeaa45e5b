/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* proc_pid_stat(): the start time burrow_container_load fills in. */
#include "proc.h"

/*
 * Where a container's cgroups are. v1, hybrid and v2 hosts all reduce to one
 * path per controller, relative to the root fd, plus whether that path speaks
 * the v1 or the v2 interface. Renderers never care which layout the host had.
 */
enum burrow_cg {
	BURROW_CG_MEMORY,
	BURROW_CG_CPU,
	BURROW_CG_CPUACCT, /* v2: the same cgroup as CPU (cpu.stat holds usage) */
	BURROW_CG_CPUSET,
	BURROW_CG_IO, /* v1 blkio, v2 io */
	BURROW_CG_PIDS,
	BURROW_CG_SYSTEMD, /* v1 name=systemd; v2: the unified cgroup */
	BURROW_CG_UNIFIED, /* the v2 cgroup, with or without controllers (PSI lives here) */
	_BURROW_CG_MAX,
};

struct burrow_cgpath {
	/* "sys/fs/cgroup/memory/lxc/c1", relative to the root fd; NULL: not mounted. */
	char *path;
	/* path[0, mount_len) is the hierarchy's mount point: walks upward stop there. */
	size_t mount_len;
	bool v2;
};

struct burrow_hierarchy {
	char *mount;	   /* mount point, relative ("sys/fs/cgroup/memory") */
	char *root;	   /* mount root (mountinfo field 4), "/" on the host */
	char *controllers; /* super options: "cpu,cpuacct", "name=systemd"; v2: cgroup.controllers
			    */
	bool v2;
};

struct burrow_layout {
	struct burrow_hierarchy *h;
	size_t n;
	int index[_BURROW_CG_MAX]; /* into h, -1 when no hierarchy serves it */
};

/* Reads proc/self/mountinfo under root_fd, and the v2 root's cgroup.controllers. */
int burrow_layout_load(int root_fd, struct burrow_layout **ret);
/* The same from text, for tests and for callers that already hold mountinfo. */
int burrow_layout_parse(int root_fd, const char *mountinfo, struct burrow_layout **ret);
void burrow_layout_free(struct burrow_layout *l);

struct burrow_container {
	struct burrow_cgpath cg[_BURROW_CG_MAX];
	char *proc_cgroup;   /* the /proc/PID/cgroup text it was parsed from */
	pid_t init_pid;	     /* host pid of the pid namespace's init; 0 for the host */
	uint64_t init_start; /* its start, clock ticks after boot (/proc/PID/stat field 22) */
};

/* From /proc/PID/cgroup text. init_pid and init_start are left 0. */
int burrow_container_parse(const struct burrow_layout *l, const char *proc_cgroup,
			   struct burrow_container *ret);
/* Reads proc/PID/cgroup and proc/PID/stat under root_fd. */
int burrow_container_load(int root_fd, const struct burrow_layout *l, pid_t pid,
			  struct burrow_container *ret);
void burrow_container_done(struct burrow_container *c);
int burrow_container_copy(const struct burrow_container *src, struct burrow_container *ret);

/*
 * The smallest value of a cgroup attribute on the path from the container's
 * cgroup up to its hierarchy's root: v1 limits are per level and the kernel
 * enforces the tightest, v2 likewise ("max" counts as UINT64_MAX). Levels
 * where the file is missing (the v2 root has no memory.max) are skipped;
 * -ENODATA when no level has it.
 */
int cg_min_u64(int root_fd, const struct burrow_cgpath *p, const char *file, uint64_t *ret);

/*
 * The cgroup that p's usage is charged to: v2 charges a cgroup whose parent
 * did not enable a controller to the nearest ancestor that has it, which is
 * the first level upward where `file` exists. 1: found, into ret (its path
 * kept in buf); 0: only the hierarchy's root would do, which is the whole
 * machine; -ENODATA: p itself is gone.
 */
int cg_nearest_with(int root_fd, const struct burrow_cgpath *p, const char *file, char *buf,
		    size_t size, struct burrow_cgpath *ret);

/*
 * The cgroup whose task lists are the container's tasks: the first of pids,
 * cpu, name=systemd, memory and the unified hierarchy where the container
 * sits below the hierarchy's root. A hierarchy where it sits in the root
 * (a runtime that made no cgroup there) lists every task of the machine.
 * NULL: no cgroup of its own anywhere, so its tasks are the host's.
 */
const struct burrow_cgpath *burrow_container_tasks_cg(const struct burrow_container *c);

/* path/file into buf; -ENAMETOOLONG if it does not fit. */
int cg_file(const struct burrow_cgpath *p, const char *file, char *buf, size_t size);
