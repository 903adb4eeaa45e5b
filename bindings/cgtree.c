/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cgtree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fileio.h"
#include "macro.h"
#include "parse.h"
#include "resolve.h"

/* Pid namespaces nest at most 32 deep (MAX_PID_NS_LEVEL). */
#define NSPID_MAX 33

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
	char canon[256] = "";

	if (!v2 && burrow_cgtree_controllers(controllers, canon, sizeof(canon)) < 0)
		return -EINVAL;
	for (const char *line = proc_cgroup; *line;) {
		size_t len = strcspn(line, "\n");
		const char *c1 = memchr(line, ':', len), *c2;

		c2 = c1 ? memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - line)) : NULL;
		if (c2) {
			const char *ctl = c1 + 1;
			size_t ctl_len = (size_t)(c2 - ctl);
			bool match = v2 ? ctl_len == 0 && c1 - line == 1 && line[0] == '0'
					: ctl_len > 0 && same_set(ctl, ctl_len, canon);

			if (match) {
				char raw[BURROW_CGTREE_PATH_MAX];
				size_t plen = len - (size_t)(c2 + 1 - line);
				int r;

				/* The path starts with '/': normalize what follows it. */
				r = copy_out(c2 + 1, plen, raw, sizeof(raw));
				if (r < 0)
					return r;
				if (raw[0] != '/')
					return -EINVAL;
				return burrow_cgtree_normalize(raw + 1, buf, size);
			}
		}
		line += len;
		if (*line == '\n')
			line++;
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

/* ---- pids across pid namespaces ------------------------------------------ */

/* NSpid of the process whose proc directory is base ("proc/12", "proc/12/task/13"). */
static int nspid_at(int root_fd, const char *base, pid_t *buf, size_t size)
{
	char path[96], text[4096];
	const char *line, *p;
	size_t len, n = 0;
	uint64_t v;
	int r;

	snprintf(path, sizeof(path), "%s/status", base);
	r = read_small_at(root_fd, path, text, sizeof(text), NULL);
	if (r == -ENODATA || r == -ENOENT)
		return -ESRCH;
	if (r < 0)
		return r;
	line = find_line(text, "NSpid:", &len);
	if (!line)
		return -EOPNOTSUPP;
	for (p = line + STRLEN("NSpid:"); p < line + len && n < size;) {
		r = parse_u64_prefix(&p, &v);
		if (r == -EINVAL)
			break;
		if (r < 0)
			return r;
		if (v == 0 || v > INT32_MAX)
			return -EINVAL;
		buf[n++] = (pid_t)v;
	}
	return n == 0 ? -EINVAL : (int)n;
}

int burrow_nspid_list(int root_fd, pid_t pid, pid_t *buf, size_t size)
{
	char base[32];

	snprintf(base, sizeof(base), "proc/%d", (int)pid);
	return nspid_at(root_fd, base, buf, size);
}

int burrow_pidns_of(int root_fd, pid_t pid, struct burrow_pidns *ret)
{
	pid_t l[NSPID_MAX];
	uint64_t ino;
	int n, r;

	n = burrow_nspid_list(root_fd, pid, l, ELEMENTSOF(l));
	if (n < 0)
		return n;
	r = burrow_pidns_inode(root_fd, pid, &ino);
	if (r < 0)
		return r == -ENOENT || r == -ENODATA ? -ESRCH : r;
	*ret = (struct burrow_pidns){ .inode = ino, .level = (unsigned)n };
	return 0;
}

/* Whether host process pid, whose NSpid has n entries, lives in ns or below it. */
static int in_ns(int root_fd, const char *base, unsigned n, const struct burrow_pidns *ns)
{
	_cleanup_close_ int fd = -EBADF;
	char path[96], link[64];
	struct stat st;
	ssize_t k;

	if (n < ns->level)
		return 0;
	if (ns->level == 1)
		return 1; /* the root fd's own namespace holds every process it numbers */
	snprintf(path, sizeof(path), "%s/ns/pid", base);
	if (n == ns->level) {
		unsigned long long ino;

		k = readlinkat(root_fd, path, link, sizeof(link) - 1);
		if (k < 0)
			return errno == ENOENT ? -ESRCH : -errno;
		link[k] = '\0';
		if (sscanf(link, "pid:[%llu]", &ino) != 1)
			return -EINVAL;
		return (uint64_t)ino == ns->inode;
	}
	/* Deeper: climb to the ancestor at ns's level and compare. */
	fd = openat(root_fd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	for (unsigned i = ns->level; i < n; i++) {
		int p = ioctl(fd, NS_GET_PARENT);

		/* A fixture's plain file, or a namespace we may not climb: not provably inside. */
		if (p < 0)
			return 0;
		close(fd);
		fd = p;
	}
	if (fstat(fd, &st) < 0)
		return -errno;
	return (uint64_t)st.st_ino == ns->inode;
}

int burrow_pid_to_ns(int root_fd, pid_t host, const struct burrow_pidns *ns, pid_t *ret)
{
	pid_t l[NSPID_MAX];
	int n, r;

	char base[32];

	snprintf(base, sizeof(base), "proc/%d", (int)host);
	n = nspid_at(root_fd, base, l, ELEMENTSOF(l));
	if (n < 0)
		return n;
	r = in_ns(root_fd, base, (unsigned)n, ns);
	if (r < 0)
		return r;
	if (!r)
		return -ESRCH;
	*ret = l[ns->level - 1];
	return 0;
}

/* The process at base: is it pid in ns? */
static bool is_match(int root_fd, const char *base, pid_t pid, const struct burrow_pidns *ns)
{
	pid_t l[NSPID_MAX];
	int n = nspid_at(root_fd, base, l, ELEMENTSOF(l));

	if (n < (int)ns->level || l[ns->level - 1] != pid)
		return false;
	return in_ns(root_fd, base, (unsigned)n, ns) > 0;
}

static bool numeric(const char *s, pid_t *ret)
{
	uint64_t v;

	if (safe_atou64(s, &v) < 0 || v == 0 || v > INT32_MAX)
		return false;
	*ret = (pid_t)v;
	return true;
}

/* Scans dir (proc/ or proc/N/task/) for the host pid that ns numbers pid. */
static int scan_dir(int root_fd, const char *dir, pid_t pid, const struct burrow_pidns *ns,
		    pid_t *ret)
{
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	int r;

	r = opendir_at(root_fd, dir, 0, &d);
	if (r < 0)
		return r;
	while ((de = readdir(d))) {
		char base[96];
		pid_t cand;

		if (!numeric(de->d_name, &cand))
			continue;
		snprintf(base, sizeof(base), "%s/%d", dir, (int)cand);
		if (is_match(root_fd, base, pid, ns)) {
			*ret = cand;
			return 0;
		}
	}
	return -ESRCH;
}

int burrow_pid_from_ns(int root_fd, pid_t pid, const struct burrow_pidns *ns, bool threads,
		       pid_t *ret)
{
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	int r;

	if (pid <= 0)
		return -ESRCH;
	if (ns->level == 1) {
		/* The root fd's namespace: the pid is its own, if it exists. */
		pid_t l[NSPID_MAX];

		r = burrow_nspid_list(root_fd, pid, l, ELEMENTSOF(l));
		if (r < 0)
			return r;
		*ret = pid;
		return 0;
	}
	r = scan_dir(root_fd, "proc", pid, ns, ret);
	if (r != -ESRCH || !threads)
		return r;
	/* Thread ids are not listed in proc/: look through the threads of ns's processes. */
	r = opendir_at(root_fd, "proc", 0, &d);
	if (r < 0)
		return r;
	while ((de = readdir(d))) {
		char dir[64];
		pid_t p;

		if (!numeric(de->d_name, &p))
			continue;
		snprintf(dir, sizeof(dir), "proc/%d/task", (int)p);
		if (scan_dir(root_fd, dir, pid, ns, ret) == 0)
			return 0;
	}
	return -ESRCH;
}

int burrow_cgtree_translate_pids(int root_fd, const char *text, const struct burrow_pidns *ns,
				 struct strbuf *out)
{
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\n");
		char num[16];
		pid_t host, inner;

		if (n > 0 && n < sizeof(num)) {
			memcpy(num, p, n);
			num[n] = '\0';
			if (numeric(num, &host) && burrow_pid_to_ns(root_fd, host, ns, &inner) == 0)
				strbuf_printf(out, "%d\n", (int)inner);
		}
		p += n;
		if (*p == '\n')
			p++;
	}
	return strbuf_error(out);
}

int burrow_id_to_ns(int root_fd, pid_t pid, bool gid, uint32_t host_id, uint32_t *ret)
{
	_cleanup_free_ char *text = NULL;
	char path[64];
	int r;

	snprintf(path, sizeof(path), "proc/%d/%s", (int)pid, gid ? "gid_map" : "uid_map");
	r = read_full_at(root_fd, path, &text, NULL);
	if (r < 0)
		return r == -ENODATA ? -ESRCH : r;
	for (const char *p = text; *p;) {
		uint64_t inside, outside, count;
		const char *q = p;

		if (parse_u64_prefix(&q, &inside) == 0 && parse_u64_prefix(&q, &outside) == 0 &&
		    parse_u64_prefix(&q, &count) == 0 && host_id >= outside &&
		    host_id - outside < count) {
			*ret = (uint32_t)(inside + (host_id - outside));
			return 0;
		}
		p += strcspn(p, "\n");
		if (*p == '\n')
			p++;
	}
	return -ENOENT;
}
