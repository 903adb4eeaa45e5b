/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct burrow_ctl_mounts;

/*
 * Everything the child does to its mount namespace is decided by the parent
 * as a list of steps, so the child (between clone() and exec, where it must
 * not allocate) only walks an array. A failing step is reported to the
 * parent by its index, and the parent describes it.
 *
 * Before pivot_root the child's working directory is the rootfs, so targets
 * are relative ("proc", "dev/pts"); afterwards they are absolute. Either way
 * they are resolved inside the working directory as if it were "/"
 * (openat2 RESOLVE_IN_ROOT), so a symlink in the rootfs can't lead a mount,
 * a mkdir or a symlink out of it.
 */
enum mop_kind {
	MOP_MOUNT,   /* mount(src, dst, fstype, flags, data) */
	MOP_BIND,    /* bind src on dst; MS_REC in flags recurses; ro makes it read-only */
	MOP_REMOUNT, /* remount dst with flags (plus the flags the kernel locked) */
	MOP_MKDIR,
	MOP_TOUCH,
	MOP_SYMLINK, /* dst -> src */
	MOP_MASK,    /* /dev/null over a file, an empty read-only tmpfs over a directory */
	MOP_RO,	     /* dst bound on itself read-only */
	MOP_PIVOT,   /* pivot_root into the working directory */
	MOP_ATTACH,  /* attach detached tree number tree on dst; ro makes it read-only */
	MOP_CTL,     /* place the container's own burrowfs connection (trees.ctl), if any */
};

struct mop {
	enum mop_kind kind;
	char *src;
	char *dst;
	char *fstype;
	unsigned long flags;
	char *data;
	mode_t mode;
	bool ro;
	bool optional; /* a missing dst (ENOENT) is not an error */
	/*
	 * A bind skipped when trees.ctl has a mount for dst (placed with the
	 * others, MOP_CTL); with data, for path data instead, which is then
	 * attached on dst here (cgroup/NAME on sys/fs/cgroup/NAME).
	 */
	bool ctl;
	int tree;
	char *dir, *name; /* dst split by plan_add(), for the child */
};

/*
 * Host directories the container's root may not be able to walk to (a 0700
 * home): the child clones them with open_tree() while it still has the
 * caller's fsuid, and attaches the copies once it is root. A plain bind of
 * an fd opened by the parent would not do: its mount belongs to the
 * parent's namespace, and the kernel refuses binds across namespaces.
 */
#define MAX_TREES 64

struct trees {
	char *src[MAX_TREES];
	bool rec[MAX_TREES];
	int fd[MAX_TREES];
	size_t n;
	/*
	 * burrowfs-mount=per-container: the detached mounts of the container's
	 * own burrowfs connection, which the parent asked for with the child's
	 * pidfd and relayed before "go" (none when burrowfs refused); NULL for
	 * shared.
	 */
	struct burrow_ctl_mounts *ctl;
};

int trees_add(struct trees *t, const char *src, bool rec);
void trees_done(struct trees *t);
/* Async-signal-safe; on failure *ret_index is the failing tree. */
int trees_open(struct trees *t, size_t *ret_index);

struct mount_plan {
	struct mop *ops;
	size_t n;
};

void plan_add(struct mount_plan *p, const struct mop *op);
void plan_mount(struct mount_plan *p, const char *src, const char *dst, const char *fstype,
		unsigned long flags, const char *data);
void plan_bind(struct mount_plan *p, const char *src, const char *dst, bool rec, bool ro);
void plan_mkdir(struct mount_plan *p, const char *dst, mode_t mode);
void plan_touch(struct mount_plan *p, const char *dst, mode_t mode);
void plan_symlink(struct mount_plan *p, const char *target, const char *dst);
void plan_done(struct mount_plan *p);

/* Async-signal-safe. On failure, *ret_step is the failing index. */
int plan_run(const struct mount_plan *p, const struct trees *t, size_t *ret_step);
/* "mount proc on proc (proc)", for the parent's error message. */
char *plan_describe(const struct mount_plan *p, size_t step);
