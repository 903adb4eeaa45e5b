/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cgroups.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"
#include "cgtree.h"
#include "fileio.h"
#include "glib-macro.h"
#include "idmap.h"
#include "launcher.h"

/* v1 controllers a container gets a cgroup in. devices is left out: its rules need init-ns root. */
static const char *const wanted[] = {
	"cpu", "cpuacct", "cpuset", "memory", "blkio", "freezer", "pids", "name=systemd",
};

static bool is_wanted(const char *ctrl)
{
	for (size_t i = 0; i < G_N_ELEMENTS(wanted); i++)
		if (g_str_equal(ctrl, wanted[i]))
			return true;
	return false;
}

/* The controllers of a v1 mount's super options: "rw,cpu,cpuacct" -> "cpu,cpuacct". */
static char *v1_controllers(const char *superopts)
{
	g_auto(GStrv) opts = g_strsplit(superopts, ",", -1);
	GString *s = g_string_new(NULL);
	bool ok = true;

	for (char **o = opts; *o; o++) {
		if (g_str_equal(*o, "devices"))
			ok = false;
		if (is_wanted(*o))
			g_string_append_printf(s, "%s%s", s->len ? "," : "", *o);
	}
	if (!ok || s->len == 0) {
		g_string_free(s, TRUE);
		return NULL;
	}
	return g_string_free(s, FALSE);
}

/* The caller's cgroup ("/a/b") in hierarchy h, from its /proc/self/cgroup text. */
static char *own_cgroup(const char *proc_cgroup, const struct burrow_hierarchy *h)
{
	char rel[BURROW_CGTREE_PATH_MAX];

	if (burrow_cgtree_proc_path(proc_cgroup, h->controllers, h->v2, rel, sizeof(rel)) < 0)
		return NULL;
	return g_strconcat("/", rel, NULL);
}

static bool has_hier(const struct cg_set *s, const char *controllers, bool v2)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->h[i].v2 == v2 && g_str_equal(s->h[i].controllers, controllers))
			return true;
	return false;
}

/* own (taken, may be NULL): the caller's cgroup; mroot, the mount root, is kept in
 * path and parent until cg_discover picks the parent. */
static void add_hier(struct cg_set *s, const char *mount, const char *mroot, const char *ctrl,
		     bool v2, char *own)
{
	struct cg_hier *h;

	s->h = g_renew(struct cg_hier, s->h, s->n + 1);
	h = &s->h[s->n++];
	*h = (struct cg_hier){ .controllers = g_strdup(ctrl), .mount = g_strdup(mount), .v2 = v2 };
	h->dirname = g_path_get_basename(mount);
	h->parent = g_strdup(mroot);
	h->path = own;
}

/* Adds each hierarchy the host mounts, with the caller's own cgroup in it. */
static int parse_mounts(struct cg_set *s, const char *self)
{
	int root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct burrow_layout *l = NULL;
	int r;

	if (root_fd < 0)
		return -errno;
	r = burrow_layout_load(root_fd, &l);
	close(root_fd);
	if (r < 0)
		return r;
	for (size_t i = 0; i < l->n; i++) {
		const struct burrow_hierarchy *h = &l->h[i];
		g_autofree char *ctrl = h->v2 ? g_strdup("") : v1_controllers(h->controllers);
		g_autofree char *mount =
			g_strconcat("/", strcmp(h->mount, ".") ? h->mount : "", NULL);

		s->v1_mounted |= !h->v2;
		if (!ctrl || has_hier(s, ctrl, h->v2))
			continue;
		add_hier(s, mount, h->root, ctrl, h->v2, own_cgroup(self, h));
	}
	burrow_layout_free(l);
	return 0;
}

/* Which hierarchies a config can't do without. */
static bool required(const struct cg_hier *h, const struct container_config *c)
{
	g_auto(GStrv) ctrls = g_strsplit(h->controllers, ",", -1);

	if (h->v2)
		return false;
	for (char **k = ctrls; *k; k++) {
		if (g_str_equal(*k, "name=systemd"))
			return true;
		if (g_str_equal(*k, "memory") &&
		    (c->memory != LIMIT_NONE || c->memory_swap != LIMIT_NONE))
			return true;
		if (g_str_equal(*k, "cpuset") && c->cpus)
			return true;
		if (g_str_equal(*k, "cpu") && c->cpu_quota_us != LIMIT_NONE)
			return true;
		if (g_str_equal(*k, "pids") && c->pids != LIMIT_NONE)
			return true;
	}
	return false;
}

static char *delegated_parent(const struct cg_hier *h, const char *mroot, const char *own)
{
	g_autofree char *rel = NULL;
	g_autofree char *path = NULL;
	struct stat st;

	if (!g_str_has_prefix(own, mroot))
		return NULL;
	rel = g_strdup(own + (g_str_equal(mroot, "/") ? 0 : strlen(mroot)));
	path = g_build_filename(h->mount, rel, NULL);
	if (stat(path, &st) < 0 || st.st_uid != geteuid() || access(path, W_OK) < 0)
		return NULL;
	if (h->v2) {
		/*
		 * On v2 the caller's own cgroup holds processes, so no controller
		 * can be enabled below it: use the highest ancestor that is
		 * still ours (user@UID.service, or a Delegate=yes scope).
		 */
		for (;;) {
			g_autofree char *up = g_path_get_dirname(path);
			struct stat ust;

			if (strlen(up) <= strlen(h->mount) || stat(up, &ust) < 0 ||
			    ust.st_uid != geteuid() || access(up, W_OK) < 0)
				break;
			g_free(path);
			path = g_steal_pointer(&up);
		}
		return g_build_filename(path, "burrow", NULL);
	}
	return g_steal_pointer(&path);
}

static void drop_hier(struct cg_set *s, size_t i)
{
	struct cg_hier *h = &s->h[i];

	g_free(h->dirname);
	g_free(h->controllers);
	g_free(h->mount);
	g_free(h->parent);
	g_free(h->path);
	memmove(h, h + 1, (s->n - i - 1) * sizeof(*h));
	s->n--;
}

static void no_delegation_hint(const struct cg_hier *h)
{
	log_error("no cgroup is delegated to you in the %s hierarchy (%s), so burrow cannot "
		  "create the container's cgroup there. On this v1/hybrid host, log in through "
		  "PAM with pam_cgfs: install libpam-cgfs and add 'session optional pam_cgfs.so -c "
		  "freezer,memory,name=systemd,cpuset,cpu,cpuacct,pids,blkio' to "
		  "/etc/pam.d/common-session, then log in again (su -l, runuser -l, ssh). On a "
		  "cgroup v2 host, run burrow inside 'systemd-run --user --scope -p Delegate=yes'.",
		  h->controllers[0] ? h->controllers : "cgroup2", h->mount);
}

int cg_discover(const char *name, const struct container_config *c, struct cg_set *ret)
{
	g_autofree char *self = NULL;
	struct cg_set s = { 0 };
	int r;

	r = read_full_at(AT_FDCWD, "/proc/self/cgroup", &self, NULL);
	if (r >= 0)
		r = parse_mounts(&s, self);
	if (r < 0) {
		cg_set_done(&s);
		return log_error_errno(r, "cannot find the cgroup hierarchies: %m");
	}
	for (size_t i = 0; i < s.n;) {
		struct cg_hier *h = &s.h[i];
		g_autofree char *mroot = g_steal_pointer(&h->parent);
		g_autofree char *own = g_steal_pointer(&h->path);

		if (geteuid() == 0)
			h->parent = g_build_filename(h->mount, "burrow", NULL);
		else if (own)
			h->parent = delegated_parent(h, mroot, own);
		if (!h->parent) {
			if (required(h, c)) {
				no_delegation_hint(h);
				cg_set_done(&s);
				return -EPERM;
			}
			log_debug("skipping the %s hierarchy: not delegated", h->mount);
			drop_hier(&s, i);
			continue;
		}
		h->path = g_build_filename(h->parent, name, NULL);
		i++;
	}
	if (s.n == 0) {
		log_error("no cgroup hierarchy is mounted under /sys/fs/cgroup");
		cg_set_done(&s);
		return -ENOENT;
	}
	*ret = s;
	return 0;
}

void cg_set_done(struct cg_set *s)
{
	while (s->n > 0)
		drop_hier(s, s->n - 1);
	g_free(s->h);
	*s = (struct cg_set){ 0 };
}

static int cg_write(const char *dir, const char *file, const char *value)
{
	g_autofree char *path = g_build_filename(dir, file, NULL);
	int r = write_file_at(AT_FDCWD, path, value, 0);

	if (r < 0)
		return log_error_errno(r, "cannot write '%s' to %s: %m", value, path);
	return 0;
}

static int cg_write_u64(const char *dir, const char *file, uint64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return cg_write(dir, file, buf);
}

/* A v1 cpuset starts empty and takes no task until cpus and mems are set. */
static int cpuset_fill(const char *dir, const char *cpus)
{
	g_autofree char *up = g_path_get_dirname(dir);
	g_autofree char *upc = g_build_filename(up, "cpuset.cpus", NULL);
	g_autofree char *upm = g_build_filename(up, "cpuset.mems", NULL);
	char pc[4096], pm[4096];
	int r;

	r = read_small_at(AT_FDCWD, upc, pc, sizeof(pc), NULL);
	if (r >= 0)
		r = read_small_at(AT_FDCWD, upm, pm, sizeof(pm), NULL);
	if (r < 0)
		return log_error_errno(r, "cannot read the cpuset of %s: %m", up);
	g_strstrip(pc);
	g_strstrip(pm);
	r = cg_write(dir, "cpuset.cpus", cpus ? cpus : pc);
	if (r >= 0)
		r = cg_write(dir, "cpuset.mems", pm);
	if (r >= 0)
		r = cg_write(dir, "cgroup.clone_children", "1");
	return r;
}

static bool hier_has(const struct cg_hier *h, const char *ctrl)
{
	g_auto(GStrv) ctrls = g_strsplit(h->controllers, ",", -1);

	return g_strv_contains((const char *const *)ctrls, ctrl);
}

bool cg_pure_v2(const struct cg_set *s)
{
	return !s->v1_mounted && s->n > 0;
}

static int limits_v1(const struct cg_hier *h, const struct container_config *c)
{
	int r = 0;

	if (hier_has(h, "memory") && c->memory != LIMIT_NONE) {
		g_autofree char *memsw =
			g_build_filename(h->path, "memory.memsw.limit_in_bytes", NULL);

		r = cg_write_u64(h->path, "memory.limit_in_bytes", c->memory);
		if (r >= 0 && access(memsw, F_OK) == 0)
			r = cg_write_u64(h->path, "memory.memsw.limit_in_bytes",
					 c->memory_swap == LIMIT_NONE ? c->memory
								      : c->memory + c->memory_swap);
		else if (r >= 0 && c->memory_swap != LIMIT_NONE)
			r = log_error_errno(-EOPNOTSUPP,
					    "memory-swap: this kernel does not account "
					    "swap (boot with swapaccount=1)");
	}
	if (r >= 0 && hier_has(h, "cpuset"))
		r = cpuset_fill(h->path, c->cpus);
	if (r >= 0 && hier_has(h, "cpu") && c->cpu_quota_us != LIMIT_NONE) {
		r = cg_write(h->path, "cpu.cfs_period_us", "100000");
		if (r >= 0)
			r = cg_write_u64(h->path, "cpu.cfs_quota_us", c->cpu_quota_us);
	}
	if (r >= 0 && hier_has(h, "pids") && c->pids != LIMIT_NONE)
		r = cg_write_u64(h->path, "pids.max", c->pids);
	return r;
}

/* Whether the space-separated list has the word. */
static bool has_word(const char *list, const char *word)
{
	g_auto(GStrv) w = g_strsplit_set(list, " \n", -1);

	return g_strv_contains((const char *const *)w, word);
}

/*
 * v2: whether a limit goes into the container's v2 cgroup (1), not (0: on a
 * hybrid host v2 lacks it and v1 carries it), or can't be set (< 0: a pure
 * v2 host that did not delegate the controller).
 */
static int v2_has(const struct cg_hier *h, bool pure, const char *ctrls, const char *ctrl)
{
	if (has_word(ctrls, ctrl))
		return 1;
	if (!pure)
		return 0;
	log_error("the %s controller is not delegated to %s, so its limit cannot be set: on a "
		  "systemd host add it to Delegate= of user@.service (a drop-in in "
		  "/etc/systemd/system/user@.service.d/) or of the unit burrow runs in",
		  ctrl, h->parent);
	return -EPERM;
}

static int limits_v2(const struct cg_hier *h, bool pure, const struct container_config *c)
{
	g_autofree char *ctl = g_build_filename(h->path, "cgroup.controllers", NULL);
	char ctrls[512], buf[64];
	int r = 0;

	if (read_small_at(AT_FDCWD, ctl, ctrls, sizeof(ctrls), NULL) < 0 || !*g_strstrip(ctrls))
		return 0; /* hybrid: the v2 tree carries no controllers */
	if (c->memory != LIMIT_NONE && (r = v2_has(h, pure, ctrls, "memory")) > 0) {
		r = cg_write_u64(h->path, "memory.max", c->memory);
		if (r >= 0)
			r = cg_write_u64(h->path, "memory.swap.max",
					 c->memory_swap == LIMIT_NONE ? 0 : c->memory_swap);
	}
	if (r >= 0 && c->cpus && (r = v2_has(h, pure, ctrls, "cpuset")) > 0)
		r = cg_write(h->path, "cpuset.cpus", c->cpus);
	if (r >= 0 && c->cpu_quota_us != LIMIT_NONE && (r = v2_has(h, pure, ctrls, "cpu")) > 0) {
		snprintf(buf, sizeof(buf), "%" PRIu64 " 100000", c->cpu_quota_us);
		r = cg_write(h->path, "cpu.max", buf);
	}
	if (r >= 0 && c->pids != LIMIT_NONE && (r = v2_has(h, pure, ctrls, "pids")) > 0)
		r = cg_write_u64(h->path, "pids.max", c->pids);
	return r < 0 ? r : 0;
}

/* v2: every controller the parent has must be enabled down to the container's cgroup. */
static int v2_enable(const char *dir)
{
	g_autofree char *ctl = g_build_filename(dir, "cgroup.controllers", NULL);
	g_autofree char *sub = g_build_filename(dir, "cgroup.subtree_control", NULL);
	char buf[512];
	GString *want = g_string_new(NULL);
	g_auto(GStrv) ctrls = NULL;
	int r;

	r = read_small_at(AT_FDCWD, ctl, buf, sizeof(buf), NULL);
	ctrls = g_strsplit_set(r >= 0 ? g_strstrip(buf) : "", " ", -1);
	for (char **k = ctrls; *k; k++)
		if (**k)
			g_string_append_printf(want, "%s+%s", want->len ? " " : "", *k);
	r = want->len ? write_file_at(AT_FDCWD, sub, want->str, 0) : 0;
	g_string_free(want, TRUE);
	return r;
}

static int make_parent(const struct cg_hier *h)
{
	int r;

	if (h->v2 && geteuid() != 0) {
		/*
		 * The delegated root (user@UID.service, a Delegate=yes unit)
		 * passes down only what its subtree_control enables, and its
		 * manager enables only what its own units use: seldom cpuset
		 * or io. Best effort: a root that holds processes refuses
		 * (EBUSY); a limit that then lacks its controller says so.
		 * (root's parent is the hierarchy's root: the host's business.)
		 */
		g_autofree char *root = g_path_get_dirname(h->parent);

		r = v2_enable(root);
		if (r < 0)
			log_debug("cannot enable controllers in %s: %s", root, g_strerror(-r));
	}
	if (mkdir(h->parent, 0755) < 0) {
		if (errno != EEXIST)
			return log_error_errno(-errno, "cannot create the cgroup %s: %m",
					       h->parent);
	} else if (!h->v2 && hier_has(h, "cpuset")) {
		return cpuset_fill(h->parent, NULL);
	}
	/* Again when it exists: its root may have gained controllers since. */
	r = h->v2 ? v2_enable(h->parent) : 0;
	if (r < 0)
		return log_error_errno(r, "cannot enable the controllers of %s: %m", h->parent);
	return 0;
}

static int remove_cgroup(const char *path, const struct container_config *c);

int cg_create(struct cg_set *s, const struct container_config *c)
{
	int r = 0, k;

	for (size_t i = 0; i < s->n && r >= 0; i++) {
		struct cg_hier *h = &s->h[i];

		if (h->v2 || geteuid() == 0)
			r = make_parent(h);
		if (r < 0)
			break;
		/* Stopped, yet its cgroup is there: left by a monitor that was killed. */
		k = mkdir(h->path, 0755) < 0 ? -errno : 0;
		if (k == -EEXIST) {
			k = remove_cgroup(h->path, c);
			if (k < 0) {
				r = log_error_errno(k,
						    "the cgroup %s, left from an earlier run, "
						    "cannot be removed: %m",
						    h->path);
				break;
			}
			k = mkdir(h->path, 0755) < 0 ? -errno : 0;
		}
		if (k < 0) {
			r = log_error_errno(k, "cannot create the cgroup %s: %m", h->path);
			break;
		}
		h->created = true;
		r = h->v2 ? limits_v2(h, cg_pure_v2(s), c) : limits_v1(h, c);
	}
	if (r < 0)
		cg_destroy(s, c);
	return r;
}

int cg_attach(const struct cg_set *s, pid_t pid)
{
	for (size_t i = 0; i < s->n; i++) {
		int r = cg_write_u64(s->h[i].path, "cgroup.procs", (uint64_t)pid);

		if (r < 0)
			return r;
	}
	return 0;
}

/* The files a delegated v1 or v2 cgroup's owner must be able to write. */
static const char *const delegate_files[] = {
	"cgroup.procs",		  "tasks",	    "cgroup.clone_children", "notify_on_release",
	"cgroup.subtree_control", "cgroup.threads",
};

int cg_delegate(const struct cg_set *s, const struct container_config *c)
{
	uid_t uid = idmap_root(&c->uid_map);
	gid_t gid = (gid_t)idmap_root(&c->gid_map);
	g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);
	int r;

	for (size_t i = 0; i < s->n; i++) {
		g_ptr_array_add(paths, g_strdup(s->h[i].path));
		for (size_t f = 0; f < G_N_ELEMENTS(delegate_files); f++) {
			char *p = g_build_filename(s->h[i].path, delegate_files[f], NULL);

			if (access(p, F_OK) == 0)
				g_ptr_array_add(paths, p);
			else
				g_free(p);
		}
	}
	if (geteuid() == 0) {
		for (guint i = 0; i < paths->len; i++)
			if (chown(paths->pdata[i], uid, gid) < 0)
				return log_error_errno(-errno, "cannot chown %s: %m",
						       (char *)paths->pdata[i]);
		return 0;
	}
	/* The caller can't chown to another uid; root of a user namespace that maps both can. */
	g_ptr_array_insert(paths, 0, g_strdup("0:0"));
	g_ptr_array_insert(paths, 0, g_strdup("chown"));
	g_ptr_array_add(paths, NULL);
	r = userns_exec_with_caller(&c->uid_map, &c->gid_map, (char *const *)paths->pdata);
	if (r != 0)
		return log_error_errno(r < 0 ? r : -EPERM,
				       "cannot hand the container's cgroups to its root");
	return 0;
}

/* Depth first: the guest may have created a tree of its own below ours. */
static int rmdir_tree(const char *path)
{
	g_autoptr(GDir) d = g_dir_open(path, 0, NULL);
	const char *e;

	while (d && (e = g_dir_read_name(d))) {
		g_autofree char *sub = g_build_filename(path, e, NULL);
		int r;

		if (!g_file_test(sub, G_FILE_TEST_IS_DIR) ||
		    g_file_test(sub, G_FILE_TEST_IS_SYMLINK))
			continue;
		r = rmdir_tree(sub);
		if (r < 0)
			return r;
	}
	/*
	 * Tasks of a dead pid namespace leave their cgroup a moment after
	 * init's reaping; on a loaded host that moment can pass 1 s. Waiting
	 * here, up to 10 s, keeps a quick restart from finding the old cgroup.
	 */
	for (struct backoff b = { 1, 50, 10000 };;) {
		if (rmdir(path) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			return -errno;
		if (!backoff_sleep(&b))
			return -EBUSY;
	}
}

static bool any_exists(GPtrArray *paths)
{
	for (guint i = 0; i < paths->len; i++)
		if (access(paths->pdata[i], F_OK) == 0)
			return true;
	return false;
}

/*
 * Below the container's cgroup, only its root may remove what its guest
 * made: find | rmdir inside the container's id maps. Like rmdir_tree(), it
 * waits (up to 10 s) for the tasks of a dead guest to leave.
 */
static int rmdir_trees_as_root(GPtrArray *paths, const struct container_config *c)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	int k = 0;

	g_ptr_array_add(argv, (char *)"find");
	for (guint i = 0; i < paths->len; i++)
		g_ptr_array_add(argv, paths->pdata[i]);
	for (const char *const *a = (const char *const[]){ "-depth", "-type", "d", "-exec", "rmdir",
							   "{}", "+", NULL };
	     *a; a++)
		g_ptr_array_add(argv, (char *)*a);
	g_ptr_array_add(argv, NULL);
	for (struct backoff b = { 10, 200, 10000 };;) {
		k = userns_exec_with_caller(&c->uid_map, &c->gid_map, (char *const *)argv->pdata);
		if (k == 0 || !any_exists(paths))
			return 0;
		if (!backoff_sleep(&b))
			return k < 0 ? k : -EBUSY;
	}
}

/* The cgroup at path and all below it, by the caller or else by the container's root. */
static int remove_cgroup(const char *path, const struct container_config *c)
{
	g_autoptr(GPtrArray) one = g_ptr_array_new();
	int k = rmdir_tree(path);

	if (k != -EACCES && k != -EPERM)
		return k;
	g_ptr_array_add(one, (char *)path);
	return rmdir_trees_as_root(one, c);
}

int cg_destroy(struct cg_set *s, const struct container_config *c)
{
	g_autoptr(GPtrArray) theirs = g_ptr_array_new();
	int r = 0, k;

	for (size_t i = 0; i < s->n; i++) {
		if (access(s->h[i].path, F_OK) < 0)
			continue;
		k = rmdir_tree(s->h[i].path);
		if (k == -EACCES || k == -EPERM) {
			g_ptr_array_add(theirs, s->h[i].path);
			continue;
		}
		if (k < 0)
			r = log_error_errno(k, "cannot remove the cgroup %s: %m", s->h[i].path);
		s->h[i].created = false;
	}
	/* One helper for all hierarchies: each costs a user namespace. */
	if (theirs->len > 0) {
		k = rmdir_trees_as_root(theirs, c);
		if (k < 0)
			r = log_error_errno(k, "cannot remove the container's cgroups: %m");
	}
	return r;
}

char **cg_strv(const struct cg_set *s)
{
	char **v = g_new0(char *, s->n + 1);

	for (size_t i = 0; i < s->n; i++)
		v[i] = g_strdup_printf("%s=%s", s->h[i].v2 ? "unified" : s->h[i].controllers,
				       s->h[i].path);
	return v;
}
