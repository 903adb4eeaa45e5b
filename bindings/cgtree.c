/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cgtree.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fileio.h"
#include "macro.h"
#include "parse.h"
#include "proc.h"

static int copy_out(const char *s, size_t n, char *buf, size_t size)
{
	if (n >= size)
		return -ENAMETOOLONG;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return 0;
}

/* Mount options a v1 super block lists beside its controllers. */
static bool is_mount_option(const char *o, size_t n)
{
	static const char *const opts[] = {
		"rw",		"ro",	"xattr",  "noprefix", "clone_children", "cpuset_v2_mode",
		"favordynmods", "none", "nosuid", "nodev",    "noexec",		"relatime",
	};

	if (n >= STRLEN("release_agent=") &&
	    memcmp(o, "release_agent=", STRLEN("release_agent=")) == 0)
		return true;
	for (size_t i = 0; i < ELEMENTSOF(opts); i++)
		if (strlen(opts[i]) == n && memcmp(opts[i], o, n) == 0)
			return true;
	return false;
}

int burrow_cgtree_controllers(const char *superopts, char *buf, size_t size)
{
	size_t o = 0;

	for (const char *p = superopts; *p;) {
		size_t n = strcspn(p, ",");

		if (n > 0 && !is_mount_option(p, n)) {
			if (o + (o ? 1 : 0) + n >= size)
				return -ENAMETOOLONG;
			if (o)
				buf[o++] = ',';
			memcpy(buf + o, p, n);
			o += n;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	if (o == 0 || size == 0)
		return -EINVAL;
	buf[o] = '\0';
	return 0;
}

int burrow_cgtree_hier_name(const char *controllers, bool v2, char *buf, size_t size)
{
	char canon[256];
	const char *name;
	int r;

	if (v2)
		return copy_out("unified", STRLEN("unified"), buf, size);
	r = burrow_cgtree_controllers(controllers, canon, sizeof(canon));
	if (r < 0)
		return r;
	/* A named hierarchy mounted with controllers too ("cpu,name=x") is rare: the name wins. */
	name = strstr(canon, "name=");
	if (name && (name == canon || name[-1] == ',')) {
		name += STRLEN("name=");
		return copy_out(name, strcspn(name, ","), buf, size);
	}
	if (strchr(canon, '/') || strcmp(canon, ".") == 0 || strcmp(canon, "..") == 0)
		return -EINVAL;
	return copy_out(canon, strlen(canon), buf, size);
}

int burrow_cgtree_normalize(const char *rel, char *buf, size_t size)
{
	size_t o = 0;

	if (*rel == '/')
		return -EINVAL;
	if (size == 0)
		return -ENAMETOOLONG;
	for (const char *p = rel; *p;) {
		size_t n = strcspn(p, "/");

		if (n == 2 && p[0] == '.' && p[1] == '.')
			return -EPERM;
		if (n > 0 && !(n == 1 && p[0] == '.')) {
			if (o + (o ? 1 : 0) + n >= size)
				return -ENAMETOOLONG;
			if (o)
				buf[o++] = '/';
			memcpy(buf + o, p, n);
			o += n;
		}
		p += n;
		while (*p == '/')
			p++;
	}
	buf[o] = '\0';
	return 0;
}

/* Whether the comma-separated lists a and b hold the same names. */
static bool same_set(const char *a, size_t alen, const char *b)
{
	size_t nb = 0, na = 0;

	for (const char *p = b; *p;) {
		size_t n = strcspn(p, ",");
		bool found = false;

		for (const char *q = a; q < a + alen;) {
			size_t m = strcspn(q, ",");

			if (m > (size_t)(a + alen - q))
				m = (size_t)(a + alen - q);
			if (m == n && memcmp(p, q, n) == 0)
				found = true;
			q += m + 1;
		}
		if (!found)
			return false;
		nb++;
		p += n;
		if (*p == ',')
			p++;
	}
	for (const char *q = a; q < a + alen; q += strcspn(q, ",") + 1)
		na++;
	return na == nb;
}

int burrow_cgtree_proc_path(const char *proc_cgroup, const char *controllers, bool v2, char *buf,
			    size_t size)
{
	struct burrow_cgroup_line l;
	char canon[256] = "";

	if (!v2 && burrow_cgtree_controllers(controllers, canon, sizeof(canon)) < 0)
		return -EINVAL;
	for (const char *p = proc_cgroup; burrow_proc_cgroup_next(&p, &l) > 0;) {
		bool match = v2 ? l.controllers_len == 0 && l.id_len == 1 && l.id[0] == '0'
				: l.controllers_len > 0 &&
					     same_set(l.controllers, l.controllers_len, canon);
		char raw[BURROW_CGTREE_PATH_MAX];
		int r;

		if (!match)
			continue;
		/* The path starts with '/': normalize what follows it. */
		r = copy_out(l.path, l.path_len, raw, sizeof(raw));
		if (r < 0)
			return r;
		if (raw[0] != '/')
			return -EINVAL;
		return burrow_cgtree_normalize(raw + 1, buf, size);
	}
	return -ENOENT;
}

void burrow_cgtree_strip_init_scope(char *path)
{
	char *slash = strrchr(path, '/');

	if (strcmp(slash ? slash + 1 : path, "init.scope") != 0)
		return;
	if (!slash)
		path[0] = '\0'; /* "init.scope": the root, relative */
	else if (slash == path)
		path[1] = '\0'; /* "/init.scope": the root, absolute */
	else
		*slash = '\0';
}

enum burrow_cgtree_where burrow_cgtree_where(const char *top, const char *rel,
					     const char **ret_next, size_t *ret_next_len)
{
	size_t tn = strlen(top), rn = strlen(rel);

	if (rn == 0 && tn > 0) {
		if (ret_next) {
			*ret_next = top;
			*ret_next_len = strcspn(top, "/");
		}
		return BURROW_CGTREE_ABOVE;
	}
	if (tn == 0)
		return BURROW_CGTREE_INSIDE;
	/* Component-wise: "a/bc" is not below "a/b". */
	if (rn >= tn && memcmp(rel, top, tn) == 0 && (rel[tn] == '\0' || rel[tn] == '/'))
		return BURROW_CGTREE_INSIDE;
	if (rn < tn && memcmp(rel, top, rn) == 0 && top[rn] == '/') {
		if (ret_next) {
			*ret_next = top + rn + 1;
			*ret_next_len = strcspn(top + rn + 1, "/");
		}
		return BURROW_CGTREE_ABOVE;
	}
	return BURROW_CGTREE_OUTSIDE;
}

int burrow_cgtree_open_beneath(int dir_fd, const char *rel, int flags, mode_t mode)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.mode = (flags & (O_CREAT | __O_TMPFILE)) ? mode : 0,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
			   RESOLVE_NO_XDEV,
	};
	long fd;

	fd = syscall(SYS_openat2, dir_fd, *rel ? rel : ".", &how, sizeof(how));
	if (fd < 0)
		return -errno;
	return (int)fd;
}
