/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "burrow.h"
#include "cgstats.h"
#include "cgtree.h"
#include "fileio.h"
#include "macro.h"
#include "pidns.h"
#include "proc.h"

/*
 * A container owns its cgroup subtree and may fill it with millions of empty
 * cgroups or threads; the sampler runs for every container every few
 * seconds, so a hostile tree must cost a bounded amount of work.
 */
#define TASKS_MAX  1000000
#define DEPTH_MAX  64
/* Newest tids kept in case the very newest exits before its status is read. */
#define CANDIDATES 4

struct walk {
	int root_fd, proc_fd;
	/* For each listed tid: 0 goes on, > 0 ends the walk, < 0 fails it. */
	int (*visit)(struct walk *w, pid_t tid);
	const char *list; /* "tasks" (v1) or "cgroup.threads" (v2): one tid a line */
	uint64_t listed;  /* tids seen in lists, vanished ones included: the work bound */
	struct burrow_tasks t;
	pid_t top[CANDIDATES];	       /* highest live tids, descending, 0-padded */
	const struct burrow_pidns *ns; /* find: the namespace of want */
	pid_t want, found;
	/* Count each cgroup's tasks in one taskstats call; NULL: read their lists. */
	struct burrow_cgstats *cgstats;
	bool counted; /* the last cgroup visited was counted by taskstats: a v1 cgroupfs one */
};

/* State letter of proc/<tid>/stat; -ENODATA or -ESRCH when the task is gone. */
static int task_state(int proc_fd, pid_t tid, char *ret)
{
	struct burrow_proc_stat st;
	char base[16];
	int r;

	snprintf(base, sizeof(base), "%d", (int)tid);
	r = burrow_read_stat(proc_fd, base, &st);
	if (r < 0)
		return r;
	*ret = st.state;
	return 0;
}

static void keep_top(struct walk *w, pid_t tid)
{
	for (size_t i = 0; i < CANDIDATES; i++) {
		if (tid <= w->top[i])
			continue;
		memmove(&w->top[i + 1], &w->top[i], (CANDIDATES - 1 - i) * sizeof(pid_t));
		w->top[i] = tid;
		return;
	}
}

static int count_task(struct walk *w, pid_t tid)
{
	char state;
	int r;

	r = task_state(w->proc_fd, tid, &state);
	if (r == -ENODATA || r == -ESRCH)
		return 0; /* exited between the list and its stat */
	if (r < 0)
		return r;
	w->t.threads++;
	if (state == 'R')
		w->t.running++;
	else if (state == 'D')
		w->t.blocked++;
	keep_top(w, tid);
	return 0;
}

static int find_task(struct walk *w, pid_t tid)
{
	pid_t inner;

	/* Gone, or not in the namespace: not the one; never an error. */
	if (burrow_pid_to_ns(w->root_fd, tid, w->ns, &inner) < 0 || inner != w->want)
		return 0;
	w->found = tid;
	return 1;
}

/*
 * One call for the cgroup's tasks, where the list costs a stat read per
 * task. A cgroup counts once towards the work bound.
 */
static int visit_counted(struct walk *w, int dir_fd)
{
	struct burrow_cgcount n;
	int r;

	r = burrow_cgstats_get(w->cgstats, dir_fd, &n);
	if (r == -ENOENT)
		return 0; /* the cgroup was removed while we walked it */
	if (r < 0)
		return r;
	w->listed++;
	w->t.running += n.running;
	w->t.blocked += n.uninterruptible;
	w->counted = true;
	return 0;
}

static int visit_list(struct walk *w, int dir_fd)
{
	_cleanup_free_ char *text = NULL;
	const char *p;
	int r;

	w->counted = false;
	if (w->cgstats) {
		r = visit_counted(w, dir_fd);
		if (r != -EOPNOTSUPP)
			return r;
		w->cgstats = NULL; /* a cgroup2 subtree: the lists it is, all the way down */
	}
	if (w->proc_fd < 0) {
		w->proc_fd = openat(w->root_fd, "proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (w->proc_fd < 0)
			return -errno;
	}

	r = read_full_at(dir_fd, w->list, &text, NULL);
	if (r == -ENODATA)
		return 0; /* the cgroup was removed while we walked it */
	if (r < 0)
		return r;
	for (p = text; *p && w->listed < TASKS_MAX;) {
		uint64_t tid;

		while (*p == '\n')
			p++;
		if (!*p)
			break;
		r = parse_u64_prefix(&p, &tid);
		if (r < 0 || tid == 0 || tid > INT32_MAX)
			return -EINVAL;
		w->listed++;
		r = w->visit(w, (pid_t)tid);
		if (r != 0)
			return r;
	}
	return 0;
}

static bool is_subdir(DIR *d, const struct dirent *de)
{
	struct stat st;

	if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
		return false;
	if (de->d_type != DT_UNKNOWN)
		return de->d_type == DT_DIR;
	return fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

/* Counts the tasks of the cgroup at dir_fd and its descendants; takes dir_fd. */
static int walk_cgroup(struct walk *w, int dir_fd, unsigned depth)
{
	_cleanup_close_ int fd = dir_fd;
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	struct stat st;
	int r;

	r = visit_list(w, fd);
	if (r != 0)
		return r;
	if (depth + 1 >= DEPTH_MAX || w->listed >= TASKS_MAX)
		return 0;
	/*
	 * kernfs gives a directory 2 links plus one per subdirectory: a leaf,
	 * which most containers' cgroups are, needs no readdir. Only trusted
	 * where taskstats just proved this a cgroupfs directory.
	 */
	if (w->counted && fstat(fd, &st) == 0 && st.st_nlink == 2)
		return 0;
	d = fdopendir(fd);
	if (!d)
		return -errno;
	fd = -1; /* owned by d now */
	while ((errno = 0, de = readdir(d))) {
		int sub;

		if (!is_subdir(d, de))
			continue;
		sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (sub < 0) {
			if (errno == ENOENT || errno == ENOTDIR)
				continue;
			return -errno;
		}
		r = walk_cgroup(w, sub, depth + 1);
		if (r != 0)
			return r;
		if (w->listed >= TASKS_MAX)
			return 0;
	}
	return errno == ENOENT || errno == ENODEV ? 0 : -errno;
}

/* NSpid of proc/<pid>/status below proc_fd. */
static int read_nspid(int proc_fd, pid_t pid, struct burrow_proc_status *ret)
{
	char base[16];

	snprintf(base, sizeof(base), "%d", (int)pid);
	return burrow_read_status(proc_fd, base, ret);
}

/*
 * The container's newest pid, as its pid namespace numbers it. The level is
 * the depth of the init's own namespace, so a task inside a nested pid
 * namespace still reports the number the container's init would see.
 */
static pid_t last_pid(const struct walk *w, pid_t init_pid)
{
	struct burrow_proc_status st;
	unsigned level = 0; /* 0: each task's own innermost number */

	if (init_pid > 0 && read_nspid(w->proc_fd, init_pid, &st) == 0)
		level = st.depth;
	for (size_t i = 0; i < CANDIDATES && w->top[i] > 0; i++) {
		if (read_nspid(w->proc_fd, w->top[i], &st) < 0 || st.depth < MAX(level, 1u))
			continue;
		return st.nspid[(level ? level : st.depth) - 1];
	}
	return 0;
}

/* Counts the tasks of the container's cgroup subtree into w->t; 1: it has none of its own. */
static int count_tasks(int root_fd, const struct burrow_container *c, struct walk *w)
{
	const struct burrow_cgpath *p = burrow_container_tasks_cg(c);
	int fd;

	/*
	 * Never a hierarchy's root: that walked every task of the machine, once
	 * per container and tick, and counted the host's load as the container's.
	 */
	if (!p)
		return 1;
	w->root_fd = root_fd;
	fd = openat(root_fd, p->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ENODATA : -errno;
	w->visit = count_task;
	w->list = p->v2 ? "cgroup.threads" : "tasks";
	return walk_cgroup(w, fd, 0);
}

int burrow_gather_tasks(int root_fd, const struct burrow_container *c, struct burrow_tasks *ret)
{
	struct walk w = { .proc_fd = -EBADF };
	int r;

	r = count_tasks(root_fd, c, &w);
	if (r == 0)
		w.t.last_pid = last_pid(&w, c->init_pid);
	closep(&w.proc_fd);
	if (r < 0)
		return r;
	*ret = r > 0 ? (struct burrow_tasks){ .host = true } : w.t;
	return 0;
}

int burrow_gather_active(int root_fd, const struct burrow_container *c, struct burrow_cgstats *s,
			 struct burrow_tasks *ret)
{
	struct walk w = { .proc_fd = -EBADF, .cgstats = s };
	int r;

	r = count_tasks(root_fd, c, &w);
	closep(&w.proc_fd);
	if (r < 0)
		return r;
	*ret = r > 0 ? (struct burrow_tasks){ .host = true }
		     : (struct burrow_tasks){ .running = w.t.running, .blocked = w.t.blocked };
	return 0;
}

/*
 * Only the cgroups of the container are searched: the tids they list are
 * the only candidates a container may name, and the cost is bounded by the
 * container's own size (TASKS_MAX), never by the host's.
 */
int burrow_pid_from_ns_in(int root_fd, const char *cg_path, bool v2, pid_t pid,
			  const struct burrow_pidns *ns, pid_t *ret)
{
	_cleanup_close_ int proc_fd = -EBADF;
	struct walk w = { .root_fd = root_fd, .visit = find_task, .ns = ns, .want = pid };
	int fd, r;

	if (pid <= 0)
		return -ESRCH;
	proc_fd = openat(root_fd, "proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (proc_fd < 0)
		return -errno;
	fd = openat(root_fd, cg_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	w.proc_fd = proc_fd;
	w.list = v2 ? "cgroup.threads" : "tasks";
	r = walk_cgroup(&w, fd, 0);
	if (r < 0)
		return r;
	if (w.found <= 0)
		return -ESRCH;
	*ret = w.found;
	return 0;
}
