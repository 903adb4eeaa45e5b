/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "fuzz-common.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int root_fd = -1;
static char root_path[256];

/* The sanitizers' report channel, which outlives -close_fd_mask=2. */
void __sanitizer_report_error_summary(const char *summary) __attribute__((weak));

void fuzz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	int n;

	n = snprintf(msg, sizeof(msg), "%s:%d: invariant failed: %s: ", file, line, cond);
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < sizeof(msg))
		vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s\n", msg);
	if (__sanitizer_report_error_summary)
		__sanitizer_report_error_summary(msg);
	abort();
}

void fuzz_split(const uint8_t *data, size_t size, struct fuzz_parts *ret)
{
	struct fuzz_parts p = { .n = 0 };
	char *s;

	p.buf = malloc(size + 1);
	if (!p.buf)
		abort();
	memcpy(p.buf, data, size);
	p.buf[size] = '\0';
	s = p.buf;
	for (;;) {
		size_t len = strlen(s);

		p.part[p.n] = s;
		p.len[p.n] = len;
		p.n++;
		s += len;
		if (s == p.buf + size || p.n == FUZZ_MAX_PARTS)
			break;
		s++; /* the NUL separator */
	}
	*ret = p;
}

void fuzz_parts_done(struct fuzz_parts *p)
{
	free(p->buf);
	*p = (struct fuzz_parts){ .n = 0 };
}

const char *fuzz_file(const struct fuzz_parts *p, size_t i)
{
	if (i >= p->n || (p->len[i] == 1 && p->part[i][0] == '\x01'))
		return NULL;
	return p->part[i];
}

void fuzz_put_part(const char *path, const struct fuzz_parts *p, size_t i)
{
	const char *text = fuzz_file(p, i);

	fuzz_put(path, text, text ? p->len[i] : 0);
}

void fuzz_put_cgfiles(const struct fuzz_cgfile *files, size_t n, const struct fuzz_parts *p,
		      bool v2)
{
	for (size_t i = 1; i < n; i++) {
		const char *name = v2 ? files[i].v2 : files[i].v1;
		const char *other = v2 ? files[i].v1 : files[i].v2;

		if (other)
			fuzz_put(other, NULL, 0);
		if (name)
			fuzz_put_part(name, p, i);
	}
}

unsigned fuzz_flags(const struct fuzz_parts *p)
{
	return p->n > 0 && p->len[0] > 0 ? (unsigned char)p->part[0][0] : 0;
}

static int rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	remove(path);
	return 0;
}

static void remove_root(void)
{
	if (root_fd >= 0)
		close(root_fd);
	nftw(root_path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int fuzz_root(void)
{
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";

	if (root_fd >= 0)
		return root_fd;
	snprintf(root_path, sizeof(root_path), "%s/burrow-fuzz-XXXXXX", base);
	if (!mkdtemp(root_path)) {
		perror("mkdtemp");
		abort();
	}
	root_fd = open(root_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0)
		abort();
	atexit(remove_root);
	return root_fd;
}

void fuzz_path(const char *path, char *buf, size_t size)
{
	fuzz_root();
	snprintf(buf, size, "%s/%s", root_path, path);
}

void fuzz_mkdir(const char *path)
{
	char buf[4096];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *s = buf;; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;

			*s = '\0';
			if (mkdirat(fuzz_root(), buf, 0755) < 0 && errno != EEXIST)
				abort();
			*s = c;
		}
		if (!*s)
			break;
	}
}

void fuzz_put(const char *path, const char *text, size_t len)
{
	int fd;

	if (!text) {
		unlinkat(fuzz_root(), path, 0);
		return;
	}
	fd = openat(fuzz_root(), path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		fprintf(stderr, "fuzz_put %s: %m\n", path);
		abort();
	}
	for (size_t off = 0; off < len;) {
		ssize_t n = write(fd, text + off, len - off);

		if (n <= 0)
			abort();
		off += (size_t)n;
	}
	close(fd);
}

void fuzz_symlink(const char *path, const char *target)
{
	unlinkat(fuzz_root(), path, 0);
	/* An empty or over-long target is refused by the kernel: then there is no link. */
	if (target)
		(void)symlinkat(target, fuzz_root(), path);
}

size_t fuzz_lines(const char *text)
{
	size_t n = 0;

	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');

		n++;
		if (!nl)
			break;
		p = nl + 1;
	}
	return n;
}

const char *fuzz_line(const char *text, size_t n, size_t *ret_len)
{
	const char *p = text;

	for (; *p && n > 0; n--) {
		const char *nl = strchr(p, '\n');

		if (!nl)
			return NULL;
		p = nl + 1;
	}
	if (!*p)
		return NULL;
	*ret_len = strcspn(p, "\n");
	return p;
}
