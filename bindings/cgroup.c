/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgtree.h"
#include "fileio.h"
#include "macro.h"
#include "parse.h"

/* v1 controller (or name=) that serves each slot; NULL: v2-only concept. */
static const char *const v1_name[_BURROW_CG_MAX] = {
	[BURROW_CG_MEMORY] = "memory",
	[BURROW_CG_CPU] = "cpu",
	[BURROW_CG_CPUACCT] = "cpuacct",
	[BURROW_CG_CPUSET] = "cpuset",
	[BURROW_CG_IO] = "blkio",
	[BURROW_CG_PIDS] = "pids",
	[BURROW_CG_SYSTEMD] = "name=systemd",
};

/*
 * v2 controller that must be enabled for the slot to use the unified
 * hierarchy. "" means any v2 cgroup will do: cpu.stat's usage and the PSI
 * files are core files, present without the cpu controller.
 */
static const char *const v2_name[_BURROW_CG_MAX] = {
	[BURROW_CG_MEMORY] = "memory", [BURROW_CG_CPU] = "cpu",	 [BURROW_CG_CPUACCT] = "",
	[BURROW_CG_CPUSET] = "cpuset", [BURROW_CG_IO] = "io",	 [BURROW_CG_PIDS] = "pids",
	[BURROW_CG_SYSTEMD] = "",      [BURROW_CG_UNIFIED] = "",
};

/* Is word a member of the comma (or space) separated list? */
static bool list_has(const char *list, const char *word, char sep)
{
	size_t wlen = strlen(word);
	const char *p = list;

	while (p && *p) {
		const char *end = strchr(p, sep);
		size_t len = end ? (size_t)(end - p) : strcspn(p, "\n");

		if (len == wlen && strncmp(p, word, wlen) == 0)
			return true;
		p = end ? end + 1 : NULL;
	}
	return false;
}

static void hierarchy_done(struct burrow_hierarchy *h)
{
	free(h->mount);
	free(h->root);
	free(h->controllers);
}

void burrow_layout_free(struct burrow_layout *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		hierarchy_done(&l->h[i]);
	free(l->h);
	free(l);
}

/* A cgroup mount of a mountinfo line: 1 and h filled; 0 for any other line. */
static int parse_mount_line(char *line, struct burrow_hierarchy *h)
{
	struct burrow_mountinfo m;

	if (burrow_parse_mountinfo_line(line, &m) < 0)
		return 0;
	if (strcmp(m.fstype, "cgroup") != 0 && strcmp(m.fstype, "cgroup2") != 0)
		return 0;
	*h = (struct burrow_hierarchy){
		.v2 = strcmp(m.fstype, "cgroup2") == 0,
		/* Relative to the root fd: drop the leading '/'. */
		.mount = strdup(m.mountpoint[0] && m.mountpoint[1] ? m.mountpoint + 1 : "."),
		.root = strdup(m.root),
		.controllers = strdup(m.superopts),
	};
	if (!h->mount || !h->root || !h->controllers) {
		hierarchy_done(h);
		return -ENOMEM;
	}
	return 1;
}

static int layout_add(struct burrow_layout *l, struct burrow_hierarchy *h)
{
	struct burrow_hierarchy *n;

	/* A hierarchy bind-mounted twice: keep the mount that shows its real root. */
	for (size_t i = 0; i < l->n; i++) {
		if (l->h[i].v2 == h->v2 && strcmp(l->h[i].controllers, h->controllers) == 0) {
			if (strcmp(h->root, "/") == 0 && strcmp(l->h[i].root, "/") != 0) {
				hierarchy_done(&l->h[i]);
				l->h[i] = *h;
			} else
				hierarchy_done(h);
			return 0;
		}
	}
	n = realloc(l->h, (l->n + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	l->h = n;
	l->h[l->n++] = *h;
	return 0;
}

/* v2 super options say nothing of controllers: cgroup.controllers does. */
static int load_v2_controllers(int root_fd, struct burrow_hierarchy *h)
{
	char path[4096];
	char *text = NULL;
	int r;

	if (snprintf(path, sizeof(path), "%s/cgroup.controllers", h->mount) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	r = read_full_at(root_fd, path, &text, NULL);
	if (r == -ENODATA)
		text = strdup("");
	else if (r < 0)
		return r;
	if (!text)
		return -ENOMEM;
	text[strcspn(text, "\n")] = '\0';
	free(h->controllers);
	h->controllers = text;
	return 0;
}

static void layout_index(struct burrow_layout *l)
{
	for (int s = 0; s < _BURROW_CG_MAX; s++) {
		l->index[s] = -1;
		for (size_t i = 0; i < l->n && v1_name[s]; i++)
			if (!l->h[i].v2 && list_has(l->h[i].controllers, v1_name[s], ','))
				l->index[s] = (int)i;
		if (l->index[s] >= 0)
			continue;
		for (size_t i = 0; i < l->n; i++)
			if (l->h[i].v2 &&
			    (!v2_name[s][0] || list_has(l->h[i].controllers, v2_name[s], ' ')))
				l->index[s] = (int)i;
	}
}

int burrow_layout_parse(int root_fd, const char *mountinfo, struct burrow_layout **ret)
{
	_cleanup_free_ char *copy = strdup(mountinfo);
	struct burrow_layout *l;
	char *save = NULL;
	int r = 0;

	if (!copy)
		return -ENOMEM;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	for (char *line = strtok_r(copy, "\n", &save); line && r >= 0;
	     line = strtok_r(NULL, "\n", &save)) {
		struct burrow_hierarchy h;

		r = parse_mount_line(line, &h);
		if (r > 0)
			r = layout_add(l, &h);
	}
	for (size_t i = 0; i < l->n && r >= 0; i++)
		if (l->h[i].v2)
			r = load_v2_controllers(root_fd, &l->h[i]);
	if (r < 0) {
		burrow_layout_free(l);
		return r;
	}
	layout_index(l);
	*ret = l;
	return 0;
}

int burrow_layout_load(int root_fd, struct burrow_layout **ret)
{
	_cleanup_free_ char *text = NULL;
	int r;

	r = read_full_at(root_fd, "proc/self/mountinfo", &text, NULL);
	if (r < 0)
		return r;
	return burrow_layout_parse(root_fd, text, ret);
}

void burrow_container_done(struct burrow_container *c)
{
	if (!c)
		return;
	for (int s = 0; s < _BURROW_CG_MAX; s++)
		free(c->cg[s].path);
	free(c->proc_cgroup);
	*c = (struct burrow_container){ 0 };
}

/* A ".." component anywhere, a trailing one included ("a/.."), would leave the subtree. */
static bool has_dotdot(const char *path)
{
	for (const char *s = path; *s;) {
		size_t len = strcspn(s, "/");

		if (len == 2 && s[0] == '.' && s[1] == '.')
			return true;
		s += len;
		s += strspn(s, "/");
	}
	return false;
}

/*
 * The cgroup path as the reader's /proc/PID/cgroup gives it is relative to
 * the hierarchy's root; the mount may show only a subtree of that (mountinfo
 * root field), and a cgroup outside the mounted subtree cannot be reached.
 */
static int join_cgpath(const struct burrow_hierarchy *h, const char *cgpath,
		       struct burrow_cgpath *ret)
{
	size_t rlen = strcmp(h->root, "/") == 0 ? 0 : strlen(h->root);
	const char *rest;
	char *p;

	if (strncmp(cgpath, h->root, rlen) != 0 || (cgpath[rlen] != '/' && cgpath[rlen] != '\0'))
		return -ENOENT;
	rest = cgpath + rlen;
	while (*rest == '/')
		rest++;
	if (has_dotdot(rest))
		return -EINVAL;
	if (asprintf(&p, "%s%s%s", h->mount, *rest ? "/" : "", rest) < 0)
		return -ENOMEM;
	*ret = (struct burrow_cgpath){ .path = p, .mount_len = strlen(h->mount), .v2 = h->v2 };
	return 0;
}

/* The hierarchy a /proc/PID/cgroup line belongs to, by its controller list. */
static int line_hierarchy(const struct burrow_layout *l, const char *ctrls, bool v2)
{
	for (size_t i = 0; i < l->n; i++) {
		if (l->h[i].v2 != v2)
			continue;
		if (v2)
			return (int)i;
		/* Every controller the line names must be one the mount has. */
		for (const char *p = ctrls; *p;) {
			size_t len = strcspn(p, ",");
			char word[64];

			if (len == 0 || len >= sizeof(word))
				break;
			memcpy(word, p, len);
			word[len] = '\0';
			if (!list_has(l->h[i].controllers, word, ','))
				break;
			p += len;
			if (*p == ',')
				p++;
			if (!*p)
				return (int)i;
		}
	}
	return -1;
}

static int container_add_line(const struct burrow_layout *l, const struct burrow_cgroup_line *line,
			      struct burrow_container *c)
{
	_cleanup_free_ char *ctrls = strndup(line->controllers, line->controllers_len);
	_cleanup_free_ char *path = strndup(line->path, line->path_len);
	bool v2;
	int hi;

	if (!ctrls || !path)
		return -ENOMEM;
	burrow_cgtree_strip_init_scope(path);
	v2 = ctrls[0] == '\0';
	hi = line_hierarchy(l, ctrls, v2);
	if (hi < 0)
		return 0;
	for (int s = 0; s < _BURROW_CG_MAX; s++) {
		int r;

		if (l->index[s] != hi || c->cg[s].path)
			continue;
		r = join_cgpath(&l->h[hi], path, &c->cg[s]);
		if (r == -ENOMEM)
			return r;
	}
	return 0;
}

int burrow_container_parse(const struct burrow_layout *l, const char *proc_cgroup,
			   struct burrow_container *ret)
{
	struct burrow_container c = { .proc_cgroup = strdup(proc_cgroup) };
	struct burrow_cgroup_line line;

	if (!c.proc_cgroup)
		return -ENOMEM;
	for (const char *p = proc_cgroup; burrow_proc_cgroup_next(&p, &line) > 0;) {
		int r = container_add_line(l, &line, &c);

		if (r < 0) {
			burrow_container_done(&c);
			return r;
		}
	}
	*ret = c;
	return 0;
}

int burrow_container_load(int root_fd, const struct burrow_layout *l, pid_t pid,
			  struct burrow_container *ret)
{
	_cleanup_free_ char *text = NULL;
	struct burrow_container c;
	char path[64];
	uint64_t start;
	int r;

	snprintf(path, sizeof(path), "proc/%d/cgroup", (int)pid);
	r = read_full_at(root_fd, path, &text, NULL);
	if (r < 0)
		return r;
	r = proc_pid_starttime(root_fd, pid, &start);
	if (r < 0)
		return r;
	r = burrow_container_parse(l, text, &c);
	if (r < 0)
		return r;
	c.init_pid = pid;
	c.init_start = start;
	*ret = c;
	return 0;
}

int burrow_container_copy(const struct burrow_container *src, struct burrow_container *ret)
{
	struct burrow_container c = *src;

	c.proc_cgroup = NULL;
	for (int s = 0; s < _BURROW_CG_MAX; s++)
		c.cg[s].path = NULL;
	if (src->proc_cgroup && !(c.proc_cgroup = strdup(src->proc_cgroup)))
		goto nomem;
	for (int s = 0; s < _BURROW_CG_MAX; s++)
		if (src->cg[s].path && !(c.cg[s].path = strdup(src->cg[s].path)))
			goto nomem;
	*ret = c;
	return 0;
nomem:
	burrow_container_done(&c);
	return -ENOMEM;
}

const struct burrow_cgpath *burrow_container_tasks_cg(const struct burrow_container *c)
{
	/* pids first: its tasks are the ones pids.max counts; cpu's are the ones its quota runs. */
	static const enum burrow_cg prefer[] = { BURROW_CG_PIDS, BURROW_CG_CPU, BURROW_CG_SYSTEMD,
						 BURROW_CG_MEMORY, BURROW_CG_UNIFIED };

	for (size_t i = 0; i < ELEMENTSOF(prefer); i++) {
		const struct burrow_cgpath *p = &c->cg[prefer[i]];

		if (p->path && strlen(p->path) > p->mount_len)
			return p;
	}
	return NULL;
}

int cg_file(const struct burrow_cgpath *p, const char *file, char *buf, size_t size)
{
	int n;

	if (!p->path)
		return -ENODATA;
	n = snprintf(buf, size, "%s/%s", p->path, file);
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}

/* Drops the last component of path (length *len), never above the mount. */
static void cg_path_up(char *path, size_t *len, size_t mount_len)
{
	size_t l = *len;

	while (l > mount_len && path[l - 1] != '/')
		l--;
	if (l > mount_len)
		l--; /* the '/' */
	path[l] = '\0';
	*len = l;
}

int cg_nearest_with(int root_fd, const struct burrow_cgpath *p, const char *file, char *buf,
		    size_t size, struct burrow_cgpath *ret)
{
	bool leaf = true;
	size_t len;

	if (!p->path)
		return -ENODATA;
	len = strlen(p->path);
	if (len >= size)
		return -ENAMETOOLONG;
	memcpy(buf, p->path, len + 1);
	while (len > p->mount_len) {
		char f[4096 + 256];

		if (snprintf(f, sizeof(f), "%s/%s", buf, file) >= (int)sizeof(f))
			return -ENAMETOOLONG;
		if (faccessat(root_fd, f, F_OK, 0) == 0) {
			*ret = (struct burrow_cgpath){ .path = buf,
						       .mount_len = p->mount_len,
						       .v2 = p->v2 };
			return 1;
		}
		if (errno != ENOENT)
			return -errno;
		/*
		 * Only a cgroup that is still there after its file was found
		 * missing lacks the file: checked before, a cgroup removed in
		 * between would read as its parent's, often the whole host's.
		 */
		if (leaf && faccessat(root_fd, buf, F_OK, 0) < 0)
			return errno == ENOENT ? -ENODATA : -errno;
		leaf = false;
		cg_path_up(buf, &len, p->mount_len);
	}
	if (leaf && faccessat(root_fd, buf, F_OK, 0) < 0)
		return errno == ENOENT ? -ENODATA : -errno;
	return 0;
}

int cg_min_u64(int root_fd, const struct burrow_cgpath *p, const char *file, uint64_t *ret)
{
	char path[4096];
	uint64_t best = UINT64_MAX;
	bool found = false;
	size_t len;
	int r;

	if (!p->path)
		return -ENODATA;
	len = strlen(p->path);
	if (len >= sizeof(path))
		return -ENAMETOOLONG;
	memcpy(path, p->path, len + 1);
	for (;;) {
		char f[4096 + 256];
		uint64_t v;

		if (snprintf(f, sizeof(f), "%s/%s", path, file) >= (int)sizeof(f))
			return -ENAMETOOLONG;
		r = read_u64_at(root_fd, f, &v);
		if (r == 0) {
			best = MIN(best, v);
			found = true;
		} else if (r != -ENODATA)
			return r;
		else if (!found && faccessat(root_fd, path, F_OK, 0) < 0)
			/* The cgroup itself was removed: its parents' limits are not its own. */
			return errno == ENOENT ? -ENODATA : -errno;
		if (len <= p->mount_len)
			break;
		cg_path_up(path, &len, p->mount_len);
	}
	if (!found)
		return -ENODATA;
	*ret = best;
	return 0;
}
