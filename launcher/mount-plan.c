/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "mount-plan.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ctlclient.h"
#include "fileio.h"

void plan_add(struct mount_plan *p, const struct mop *op)
{
	struct mop *o;

	p->ops = g_renew(struct mop, p->ops, p->n + 1);
	o = &p->ops[p->n++];
	*o = *op;
	o->src = g_strdup(op->src);
	o->dst = g_strdup(op->dst);
	o->fstype = g_strdup(op->fstype);
	o->data = g_strdup(op->data);
	/* Split here, so the child creates entries without allocating. */
	o->dir = op->dst ? g_path_get_dirname(op->dst) : NULL;
	o->name = op->dst ? g_path_get_basename(op->dst) : NULL;
}

void plan_mount(struct mount_plan *p, const char *src, const char *dst, const char *fstype,
		unsigned long flags, const char *data)
{
	plan_add(p, &(struct mop){ MOP_MOUNT, (char *)src, (char *)dst, (char *)fstype, flags,
				   (char *)data });
}

void plan_bind(struct mount_plan *p, const char *src, const char *dst, bool rec, bool ro)
{
	plan_add(p, &(struct mop){ .kind = MOP_BIND,
				   .src = (char *)src,
				   .dst = (char *)dst,
				   .flags = rec ? MS_REC : 0,
				   .ro = ro });
}

void plan_mkdir(struct mount_plan *p, const char *dst, mode_t mode)
{
	plan_add(p, &(struct mop){ .kind = MOP_MKDIR, .dst = (char *)dst, .mode = mode });
}

void plan_touch(struct mount_plan *p, const char *dst, mode_t mode)
{
	plan_add(p, &(struct mop){ .kind = MOP_TOUCH, .dst = (char *)dst, .mode = mode });
}

void plan_symlink(struct mount_plan *p, const char *target, const char *dst)
{
	plan_add(p,
		 &(struct mop){ .kind = MOP_SYMLINK, .src = (char *)target, .dst = (char *)dst });
}

void plan_done(struct mount_plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		g_free(p->ops[i].src);
		g_free(p->ops[i].dst);
		g_free(p->ops[i].fstype);
		g_free(p->ops[i].data);
		g_free(p->ops[i].dir);
		g_free(p->ops[i].name);
	}
	g_free(p->ops);
	*p = (struct mount_plan){ 0 };
}

/*
 * Every target is resolved with openat2(RESOLVE_IN_ROOT) relative to the
 * working directory (the rootfs before pivot_root, "/" after), and the
 * mount goes onto the fd, never onto a path looked up again. A symlink in
 * the rootfs, absolute or a chain of "..", then resolves inside the rootfs as
 * it would for the guest, instead of leading the mount out to the host's
 * tree while the child still sees it. RESOLVE_NO_MAGICLINKS refuses
 * /proc/PID/root style jumps. The hooks open their targets the same way
 * (hooks/hook-mount.c), both through open_in_root(). A target that resolves
 * to the rootfs itself is refused: a mount there would hide the whole tree.
 */
static int open_target(const char *path)
{
	struct stat st, root;
	int fd = open_in_root(AT_FDCWD, path, O_PATH);

	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0 || stat(".", &root) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	if (st.st_dev == root.st_dev && st.st_ino == root.st_ino) {
		close(fd);
		return -ELOOP;
	}
	return fd;
}

/* "/proc/self/fd/N": mount(2) takes a target only by path; this one is the fd's. */
static char *fd_path(int fd, char buf[static 32])
{
	char digits[12];
	size_t n = 0, i;

	strcpy(buf, "/proc/self/fd/");
	do
		digits[n++] = (char)('0' + fd % 10);
	while ((fd /= 10) > 0);
	i = strlen(buf);
	while (n > 0)
		buf[i++] = digits[--n];
	buf[i] = '\0';
	return buf;
}

/*
 * In a user namespace, a remount must repeat the flags the mount had when it
 * was propagated or bound from a more privileged namespace (nosuid, nodev,
 * noexec, atime): the kernel locked them and refuses to clear them.
 */
static unsigned long locked_flags(int fd)
{
	static const struct {
		unsigned long st, ms;
	} lockable[] = {
		{ ST_NOSUID, MS_NOSUID },	  { ST_NODEV, MS_NODEV },
		{ ST_NOEXEC, MS_NOEXEC },	  { ST_NOATIME, MS_NOATIME },
		{ ST_NODIRATIME, MS_NODIRATIME }, { ST_RELATIME, MS_RELATIME },
	};
	struct statvfs sv;
	unsigned long f = 0;

	if (fstatvfs(fd, &sv) < 0)
		return 0;
	for (size_t i = 0; i < G_N_ELEMENTS(lockable); i++)
		if (sv.f_flag & lockable[i].st)
			f |= lockable[i].ms;
	return f;
}

/* Read-only for the mount tree_fd is the root of; mount_setattr leaves locked flags be. */
static int set_ro(int tree_fd, bool rec)
{
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };

	if (mount_setattr(tree_fd, "", AT_EMPTY_PATH | (rec ? AT_RECURSIVE : 0), &attr,
			  sizeof(attr)) < 0)
		return -errno;
	return 0;
}

/* Attaches the detached tree on target; the tree fd then names the new mount. */
static int attach(int tree_fd, int target_fd, bool ro, bool rec)
{
	if (move_mount(tree_fd, "", target_fd, "",
		       MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return -errno;
	return ro ? set_ro(tree_fd, rec) : 0;
}

/* Clones from (dir_fd, path) and attaches the copy on target. */
static int bind_at(int dir_fd, const char *path, int target_fd, bool rec, bool ro)
{
	unsigned int fl = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (rec ? AT_RECURSIVE : 0);
	int tree, r;

	tree = open_tree(dir_fd, path, fl | (*path ? 0 : AT_EMPTY_PATH));
	if (tree < 0)
		return -errno;
	r = attach(tree, target_fd, ro, rec);
	close(tree);
	return r;
}

/*
 * Masks run after pivot_root, where /proc is the guest's: they use the new
 * mount API (no /proc/self/fd path) to put an empty tmpfs on a directory.
 */
static int mask_dir(int target_fd)
{
	int fs, mnt, r = 0;

	fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
	if (fs < 0)
		return -errno;
	if (fsconfig(fs, FSCONFIG_SET_STRING, "source", "tmpfs", 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "mode", "555", 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "size", "0k", 0) < 0 ||
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
		r = -errno;
		close(fs);
		return r;
	}
	mnt = fsmount(fs, FSMOUNT_CLOEXEC,
		      MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
	if (mnt < 0)
		r = -errno;
	close(fs);
	if (r < 0)
		return r;
	r = attach(mnt, target_fd, false, false);
	close(mnt);
	return r;
}

static int do_mask(int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return mask_dir(fd);
	return bind_at(AT_FDCWD, "/dev/null", fd, false, false);
}

static int do_pivot(void)
{
	/*
	 * pivot_root(".", ".") stacks the old root on top of the new one; the
	 * detach then drops it without needing a directory to park it in.
	 */
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return -errno;
	if (umount2(".", MNT_DETACH) < 0)
		return -errno;
	if (chdir("/") < 0)
		return -errno;
	return 0;
}

/* mkdir, mknod (an empty file) or symlink in the in-root resolution of o->dir. */
static int make_entry(const struct mop *o)
{
	int dir = open_in_root(AT_FDCWD, o->dir, O_PATH | O_DIRECTORY), r = 0;

	if (dir < 0)
		return dir;
	if (o->kind == MOP_MKDIR)
		r = mkdirat(dir, o->name, o->mode);
	else if (o->kind == MOP_TOUCH)
		r = mknodat(dir, o->name, S_IFREG | o->mode, 0);
	else
		r = symlinkat(o->src, dir, o->name);
	r = r < 0 && errno != EEXIST ? -errno : 0;
	close(dir);
	return r;
}

/* The steps that mount onto an existing target, opened by the caller. */
static int mount_on(const struct mop *o, int fd, const struct trees *t)
{
	char path[32];

	switch (o->kind) {
	case MOP_MOUNT:
		/* Before pivot_root: this /proc is the host's, which the guest can't change. */
		return mount(o->src, fd_path(fd, path), o->fstype, o->flags, o->data) < 0 ? -errno
											  : 0;
	case MOP_REMOUNT:
		return mount(NULL, fd_path(fd, path), NULL,
			     MS_REMOUNT | o->flags | locked_flags(fd), o->data) < 0
			       ? -errno
			       : 0;
	case MOP_BIND:
		return bind_at(AT_FDCWD, o->src, fd, o->flags & MS_REC, o->ro);
	case MOP_MASK:
		return do_mask(fd);
	case MOP_RO:
		return bind_at(fd, "", fd, true, true);
	case MOP_ATTACH:
		return attach(t->fd[o->tree], fd, o->ro, t->rec[o->tree]);
	default:
		return -EINVAL;
	}
}

/*
 * The container's own connection, placed in the rootfs (the working
 * directory). Its cgroup/NAME mounts belong where the plan put them
 * (run_one); one no step took is closed, never placed at a path of the
 * rootfs's choosing.
 */
static int place_ctl(const struct trees *t)
{
	uint32_t failed;

	if (!t->ctl)
		return 0;
	for (uint32_t i = 0; i < t->ctl->n; i++)
		if (strncmp(burrow_ctl_mounts_path(t->ctl, i), "cgroup/", 7) == 0 &&
		    t->ctl->fd[i] >= 0) {
			close(t->ctl->fd[i]);
			t->ctl->fd[i] = -1;
		}
	return burrow_ctl_place(t->ctl, AT_FDCWD, NULL, &failed);
}

/* Mount i of the container's own connection, attached on o->dst instead of o's bind. */
static int attach_ctl(const struct mop *o, const struct trees *t, int i)
{
	int fd, r;

	fd = open_target(o->dst);
	if (fd < 0)
		return fd;
	r = attach(t->ctl->fd[i], fd, false, false);
	close(fd);
	if (r >= 0) {
		close(t->ctl->fd[i]);
		t->ctl->fd[i] = -1;
	}
	return r;
}

static int run_one(const struct mop *o, const struct trees *t)
{
	int fd, r;

	/* The container's own connection has this one: its shared bind would only hide it. */
	if (o->ctl && t->ctl) {
		int i = burrow_ctl_mounts_find(t->ctl, o->data ? o->data : o->dst);

		if (i >= 0 && t->ctl->fd[i] >= 0)
			return o->data ? attach_ctl(o, t, i) : 0;
	}
	switch (o->kind) {
	case MOP_CTL:
		return place_ctl(t);
	case MOP_MKDIR:
	case MOP_TOUCH:
	case MOP_SYMLINK:
		return make_entry(o);
	case MOP_PIVOT:
		return do_pivot();
	case MOP_MOUNT:
	case MOP_REMOUNT:
	case MOP_BIND:
	case MOP_MASK:
	case MOP_RO:
	case MOP_ATTACH:
		fd = open_target(o->dst);
		if (fd < 0)
			return fd;
		r = mount_on(o, fd, t);
		close(fd);
		return r;
	default:
		return -EINVAL;
	}
}

int plan_run(const struct mount_plan *p, const struct trees *t, size_t *ret_step)
{
	for (size_t i = 0; i < p->n; i++) {
		int r = run_one(&p->ops[i], t);

		if (r == -ENOENT && p->ops[i].optional)
			continue;
		if (r < 0) {
			*ret_step = i;
			return r;
		}
	}
	return 0;
}

char *plan_describe(const struct mount_plan *p, size_t step)
{
	const struct mop *o;

	if (step >= p->n)
		return g_strdup("an unknown step");
	o = &p->ops[step];
	switch (o->kind) {
	case MOP_MOUNT:
		return g_strdup_printf("mount %s (%s) on %s", o->src ? o->src : "none",
				       o->fstype ? o->fstype : "remount", o->dst);
	case MOP_BIND:
		return g_strdup_printf("bind %s on %s%s", o->src, o->dst,
				       o->ro ? " read-only" : "");
	case MOP_REMOUNT:
		return g_strdup_printf("remount %s", o->dst);
	case MOP_MKDIR:
		return g_strdup_printf("create the directory %s", o->dst);
	case MOP_TOUCH:
		return g_strdup_printf("create the file %s", o->dst);
	case MOP_SYMLINK:
		return g_strdup_printf("create the symlink %s -> %s", o->dst, o->src);
	case MOP_MASK:
		return g_strdup_printf("mask %s", o->dst);
	case MOP_RO:
		return g_strdup_printf("make %s read-only", o->dst);
	case MOP_PIVOT:
		return g_strdup("pivot_root into the rootfs");
	case MOP_ATTACH:
		return g_strdup_printf("bind a copy of the host's tree #%d on %s%s", o->tree,
				       o->dst, o->ro ? " read-only" : "");
	case MOP_CTL:
		return g_strdup("place the container's own burrowfs files (burrowfs-mount="
				"per-container) over its /proc files");
	default:
		return g_strdup("an unknown step");
	}
}

int trees_add(struct trees *t, const char *src, bool rec)
{
	if (t->n == MAX_TREES)
		return -E2BIG;
	t->src[t->n] = g_strdup(src);
	t->rec[t->n] = rec;
	t->fd[t->n] = -1;
	return (int)t->n++;
}

void trees_done(struct trees *t)
{
	for (size_t i = 0; i < t->n; i++) {
		g_free(t->src[i]);
		if (t->fd[i] >= 0)
			close(t->fd[i]);
	}
	t->n = 0;
}

int trees_open(struct trees *t, size_t *ret_index)
{
	for (size_t i = 0; i < t->n; i++) {
		t->fd[i] = open_tree(AT_FDCWD, t->src[i],
				     OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
					     (t->rec[i] ? AT_RECURSIVE : 0));
		if (t->fd[i] < 0) {
			*ret_index = i;
			return -errno;
		}
	}
	return 0;
}
