/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "macro.h"
#include "parse.h"

static int join_path(char *buf, size_t size, const char *base, const char *file)
{
	int n = snprintf(buf, size, "%s/%s", base, file);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* "Key:\tN" as a pid; -1 when the text has no such line. */
static int status_pid(const char *text, const char *key, pid_t *ret)
{
	uint64_t v;
	int r;

	r = keyval_u64(text, key, &v);
	if (r == -ENODATA) {
		*ret = -1;
		return 0;
	}
	if (r < 0)
		return r;
	if (v > INT32_MAX)
		return -EINVAL;
	*ret = (pid_t)v;
	return 0;
}

int burrow_parse_status(const char *text, struct burrow_proc_status *ret)
{
	struct burrow_proc_status s = { 0 };
	const char *line, *p;
	size_t len;
	int r;

	r = status_pid(text, "Tgid", &s.tgid);
	if (r >= 0)
		r = status_pid(text, "PPid", &s.ppid);
	if (r < 0)
		return r;
	line = find_line(text, "NSpid:", &len);
	if (!line)
		return -EOPNOTSUPP;
	/* "NSpid:\t4408\t17": outermost first, the process's own namespace last. */
	for (p = line + STRLEN("NSpid:"); p < line + len;) {
		uint64_t v;

		r = parse_u64_prefix(&p, &v);
		if (r == -EINVAL)
			break;
		if (r < 0)
			return r;
		if (v == 0 || v > INT32_MAX || s.depth >= BURROW_NSPID_MAX)
			return -EINVAL;
		s.nspid[s.depth++] = (pid_t)v;
	}
	/* Anything but blanks after the numbers is not the kernel's line. */
	if (s.depth == 0 || p < line + len - strspn(p, " \t"))
		return -EINVAL;
	*ret = s;
	return 0;
}

int burrow_read_status(int dir_fd, const char *base, struct burrow_proc_status *ret)
{
	_cleanup_free_ char *text = NULL;
	char path[128];
	int r;

	r = join_path(path, sizeof(path), base, "status");
	if (r < 0)
		return r;
	/* Not read_small_at: thousands of supplementary groups make the file long. */
	r = read_full_at(dir_fd, path, &text, NULL);
	if (r == -ENODATA || r == -ENOENT)
		return -ESRCH;
	if (r < 0)
		return r;
	return burrow_parse_status(text, ret);
}

/* "proc/PID" below a root fd; "/proc/PID" for AT_FDCWD, the host's root whatever the cwd. */
static void pid_base(char *buf, size_t size, int root_fd, pid_t pid)
{
	snprintf(buf, size, "%sproc/%d", root_fd == AT_FDCWD ? "/" : "", (int)pid);
}

static int pid_status(int root_fd, pid_t pid, struct burrow_proc_status *ret)
{
	char base[32];

	pid_base(base, sizeof(base), root_fd, pid);
	return burrow_read_status(root_fd, base, ret);
}

int burrow_proc_nspid(int root_fd, pid_t pid, struct burrow_nspid *ret)
{
	struct burrow_proc_status s;
	int r;

	r = pid_status(root_fd, pid, &s);
	if (r < 0)
		return r;
	if (s.tgid < 0 || s.ppid < 0)
		return -EINVAL;
	*ret = (struct burrow_nspid){
		.tgid = s.tgid,
		.ppid = s.ppid,
		.depth = s.depth,
		.inner = s.nspid[s.depth - 1],
	};
	return 0;
}

int burrow_nspid_list(int root_fd, pid_t pid, pid_t *buf, size_t size)
{
	struct burrow_proc_status s;
	int r;

	r = pid_status(root_fd, pid, &s);
	if (r < 0)
		return r;
	if (s.depth > size)
		s.depth = (unsigned)size;
	memcpy(buf, s.nspid, s.depth * sizeof(pid_t));
	return (int)s.depth;
}

int burrow_parse_ns_link(const char *link, const char *type, uint64_t *ret)
{
	size_t n = strlen(type);
	const char *p;
	uint64_t ino;
	int r;

	if (strncmp(link, type, n) != 0 || strncmp(link + n, ":[", 2) != 0)
		return -EINVAL;
	p = link + n + 2;
	if (*p < '0' || *p > '9')
		return -EINVAL;
	r = parse_u64_prefix(&p, &ino);
	if (r < 0)
		return r;
	if (strcmp(p, "]") != 0)
		return -EINVAL;
	*ret = ino;
	return 0;
}

int burrow_read_ns_link(int dir_fd, const char *base, const char *type, uint64_t *ret)
{
	char path[128], file[32], link[64];
	ssize_t n;
	int r;

	if (snprintf(file, sizeof(file), "ns/%s", type) >= (int)sizeof(file))
		return -EINVAL;
	r = join_path(path, sizeof(path), base, file);
	if (r < 0)
		return r;
	n = readlinkat(dir_fd, path, link, sizeof(link) - 1);
	if (n < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	link[n] = '\0';
	return burrow_parse_ns_link(link, type, ret);
}

int burrow_pidns_inode(int root_fd, pid_t pid, uint64_t *ret)
{
	char base[32];

	pid_base(base, sizeof(base), root_fd, pid);
	return burrow_read_ns_link(root_fd, base, "pid", ret);
}

int burrow_parse_stat(const char *text, struct burrow_proc_stat *ret)
{
	const char *p;
	uint64_t start;
	int r;

	/* comm may hold spaces and ')': the fields start after the last ')'. */
	p = strrchr(text, ')');
	if (!p || p[1] != ' ' || !p[2] || p[2] == ' ')
		return -EINVAL;
	/* starttime is field 22; field 3 (state) is the first after ')'. */
	for (int field = 3; field <= 22; field++) {
		p = strchr(p + 1, ' ');
		if (!p)
			return -EINVAL;
	}
	r = parse_u64_prefix(&p, &start);
	if (r < 0)
		return r;
	*ret = (struct burrow_proc_stat){ .state = strrchr(text, ')')[2], .starttime = start };
	return 0;
}

int burrow_read_stat(int dir_fd, const char *base, struct burrow_proc_stat *ret)
{
	char path[128], buf[1024];
	int r;

	r = join_path(path, sizeof(path), base, "stat");
	if (r < 0)
		return r;
	/* 52 numbers and a comm of at most 64 bytes: always fits. */
	r = read_small_at(dir_fd, path, buf, sizeof(buf), NULL);
	if (r < 0)
		return r;
	return burrow_parse_stat(buf, ret);
}

int proc_pid_stat(int root_fd, pid_t pid, uint64_t *ret_start, char *ret_state)
{
	struct burrow_proc_stat st;
	char base[32];
	int r;

	pid_base(base, sizeof(base), root_fd, pid);
	r = burrow_read_stat(root_fd, base, &st);
	if (r < 0)
		return r;
	if (ret_state)
		*ret_state = st.state;
	*ret_start = st.starttime;
	return 0;
}

int proc_pid_starttime(int root_fd, pid_t pid, uint64_t *ret)
{
	return proc_pid_stat(root_fd, pid, ret, NULL);
}

int burrow_proc_cgroup_next(const char **p, struct burrow_cgroup_line *ret)
{
	while (**p) {
		const char *line = *p, *c1, *c2;
		size_t len = strcspn(line, "\n");

		*p += len;
		if (**p == '\n')
			(*p)++;
		c1 = memchr(line, ':', len);
		c2 = c1 ? memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - line)) : NULL;
		if (!c2)
			continue;
		*ret = (struct burrow_cgroup_line){
			.id = line,
			.id_len = (size_t)(c1 - line),
			.controllers = c1 + 1,
			.controllers_len = (size_t)(c2 - c1 - 1),
			.path = c2 + 1,
			.path_len = len - (size_t)(c2 + 1 - line),
		};
		return 1;
	}
	return 0;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s)
{
	char *w = s;

	for (char *r = s; *r;) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
		    r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 4;
		} else
			*w++ = *r++;
	}
	*w = '\0';
}

/* The next space-separated field of *p, terminated in place; NULL at the end. */
static char *next_field(char **p)
{
	char *f = *p;

	if (!f || !*f)
		return NULL;
	*p = strchr(f, ' ');
	if (*p)
		*(*p)++ = '\0';
	return f;
}

static int parse_uint(const char *s, unsigned *ret)
{
	uint64_t v;

	if (!s || safe_atou64(s, &v) < 0 || v > UINT32_MAX)
		return -EINVAL;
	*ret = (unsigned)v;
	return 0;
}

int burrow_parse_mountinfo_line(char *line, struct burrow_mountinfo *ret)
{
	struct burrow_mountinfo m = { 0 };
	char *p = line, *id, *parent, *dev, *colon, *f;

	line[strcspn(line, "\n")] = '\0';
	id = next_field(&p);
	parent = next_field(&p);
	dev = next_field(&p);
	m.root = next_field(&p);
	m.mountpoint = next_field(&p);
	m.options = next_field(&p);
	if (!m.options || parse_uint(id, &m.id) < 0 || parse_uint(parent, &m.parent) < 0)
		return -EINVAL;
	colon = strchr(dev, ':');
	if (!colon)
		return -EINVAL;
	*colon = '\0';
	if (parse_uint(dev, &m.major) < 0 || parse_uint(colon + 1, &m.minor) < 0)
		return -EINVAL;
	/* Optional fields ("shared:1", "master:2") up to the lone "-". */
	while ((f = next_field(&p)) && strcmp(f, "-") != 0)
		;
	m.fstype = next_field(&p);
	m.source = next_field(&p);
	m.superopts = next_field(&p);
	if (!f || !m.fstype || !m.source || !m.superopts)
		return -EINVAL;
	unescape_octal(m.root);
	unescape_octal(m.mountpoint);
	unescape_octal(m.source);
	*ret = m;
	return 0;
}
