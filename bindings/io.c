/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "burrow.h"
#include "fileio.h"
#include "macro.h"

void burrow_io_done(struct burrow_io *io)
{
	if (!io)
		return;
	free(io->dev);
	*io = (struct burrow_io){ 0 };
}

static int io_dev(struct burrow_io *io, unsigned major, unsigned minor, struct burrow_io_dev **ret)
{
	struct burrow_io_dev *d;

	for (size_t i = 0; i < io->n; i++)
		if (io->dev[i].major == major && io->dev[i].minor == minor) {
			*ret = &io->dev[i];
			return 0;
		}
	d = realloc(io->dev, (io->n + 1) * sizeof(*d));
	if (!d)
		return -ENOMEM;
	io->dev = d;
	d = &io->dev[io->n++];
	*d = (struct burrow_io_dev){ .major = major, .minor = minor };
	*ret = d;
	return 0;
}

/* "MAJ:MIN" at *p. 0 and *p past it; -EINVAL when the line starts otherwise. */
static int parse_devt(const char **p, unsigned *ret_major, unsigned *ret_minor)
{
	uint64_t major, minor;

	if (parse_u64_prefix(p, &major) < 0 || **p != ':')
		return -EINVAL;
	(*p)++;
	if (parse_u64_prefix(p, &minor) < 0 || major > UINT32_MAX || minor > UINT32_MAX)
		return -EINVAL;
	*ret_major = (unsigned)major;
	*ret_minor = (unsigned)minor;
	return 0;
}

/* Does the word at p, ending at '=' or a blank, equal key? */
static bool word_is(const char *p, size_t len, const char *key)
{
	return strlen(key) == len && strncmp(p, key, len) == 0;
}

/*
 * v2 io.stat: "MAJ:MIN rbytes=N wbytes=N rios=N wios=N dbytes=N dios=N", and
 * "MAJ:MIN" alone for a device the cgroup never touched. Other keys (iocost's
 * cost.*, iolatency's) may follow and are skipped.
 */
static int parse_v2_line(const char *line, struct burrow_io *io)
{
	static const struct {
		const char *key;
		size_t off;
	} keys[] = {
		{ "rbytes", offsetof(struct burrow_io_dev, rbytes) },
		{ "wbytes", offsetof(struct burrow_io_dev, wbytes) },
		{ "rios", offsetof(struct burrow_io_dev, rios) },
		{ "wios", offsetof(struct burrow_io_dev, wios) },
		{ "dbytes", offsetof(struct burrow_io_dev, dbytes) },
		{ "dios", offsetof(struct burrow_io_dev, dios) },
	};
	const char *p = line;
	struct burrow_io_dev *d;
	unsigned major, minor;
	int r;

	if (parse_devt(&p, &major, &minor) < 0)
		return -EINVAL;
	r = io_dev(io, major, minor, &d);
	if (r < 0)
		return r;
	while (*p && *p != '\n') {
		size_t len;

		p += strspn(p, " \t");
		len = strcspn(p, "= \t\n");
		if (len == 0)
			break;
		for (size_t i = 0; p[len] == '=' && i < ELEMENTSOF(keys); i++) {
			const char *v = p + len + 1;

			if (!word_is(p, len, keys[i].key))
				continue;
			r = parse_u64_prefix(&v, (uint64_t *)((char *)d + keys[i].off));
			if (r < 0)
				return r;
		}
		p += strcspn(p, " \t\n");
	}
	return 0;
}

/*
 * v1 blkio.throttle.io_service_bytes / io_serviced: "MAJ:MIN Op N" for Read,
 * Write, Sync, Async, Discard and Total, then a "Total N" line of its own.
 * bytes selects which half of the device the numbers go to.
 */
static int parse_v1_line(const char *line, bool bytes, struct burrow_io *io)
{
	const char *p = line;
	struct burrow_io_dev *d;
	unsigned major, minor;
	uint64_t *field, v;
	size_t len;
	int r;

	/* The closing "Total N" line has no device. */
	if (parse_devt(&p, &major, &minor) < 0)
		return 0;
	p += strspn(p, " \t");
	len = strcspn(p, " \t\n");
	r = io_dev(io, major, minor, &d);
	if (r < 0)
		return r;
	if (word_is(p, len, "Read"))
		field = bytes ? &d->rbytes : &d->rios;
	else if (word_is(p, len, "Write"))
		field = bytes ? &d->wbytes : &d->wios;
	else if (word_is(p, len, "Discard"))
		field = bytes ? &d->dbytes : &d->dios;
	else
		return 0;
	p += len;
	r = parse_u64_prefix(&p, &v);
	if (r < 0)
		return r;
	*field = v;
	return 0;
}

static int parse_lines(const char *text, bool v2, bool bytes, struct burrow_io *io)
{
	for (const char *line = text; *line;) {
		size_t len = strcspn(line, "\n");
		int r;

		if (len > 0) {
			r = v2 ? parse_v2_line(line, io) : parse_v1_line(line, bytes, io);
			if (r < 0)
				return r;
		}
		line += len;
		if (*line == '\n')
			line++;
	}
	return 0;
}

static int read_cg(int root_fd, const struct burrow_cgpath *p, const char *file, char **ret)
{
	char path[4096];
	int r;

	r = cg_file(p, file, path, sizeof(path));
	if (r < 0)
		return r;
	return read_full_at(root_fd, path, ret, NULL);
}

/*
 * The _recursive files include the descendants, where a container's
 * processes usually sit; kernels before 4.16 only have the plain ones.
 * -ENODATA when neither exists.
 */
static int read_v1(int root_fd, const struct burrow_cgpath *p, const char *base, char **ret)
{
	char file[128];
	int r;

	snprintf(file, sizeof(file), "%s_recursive", base);
	r = read_cg(root_fd, p, file, ret);
	if (r == -ENODATA)
		r = read_cg(root_fd, p, base, ret);
	return r;
}

static int gather_v1(int root_fd, const struct burrow_cgpath *p, struct burrow_io *io)
{
	_cleanup_free_ char *bytes = NULL, *ios = NULL;
	int r;

	r = read_v1(root_fd, p, "blkio.throttle.io_service_bytes", &bytes);
	if (r < 0)
		return r;
	r = read_v1(root_fd, p, "blkio.throttle.io_serviced", &ios);
	if (r < 0)
		return r;
	r = parse_lines(bytes, false, true, io);
	if (r < 0)
		return r;
	return parse_lines(ios, false, false, io);
}

static int gather_v2(int root_fd, const struct burrow_cgpath *p, struct burrow_io *io)
{
	_cleanup_free_ char *stat = NULL;
	int r;

	r = read_cg(root_fd, p, "io.stat", &stat);
	if (r < 0)
		return r;
	return parse_lines(stat, true, false, io);
}

static int gather_at(int root_fd, const struct burrow_cgpath *p, struct burrow_io *io)
{
	return p->v2 ? gather_v2(root_fd, p, io) : gather_v1(root_fd, p, io);
}

int burrow_gather_io(int root_fd, const struct burrow_container *c, struct burrow_io *ret)
{
	const struct burrow_cgpath *p = &c->cg[BURROW_CG_IO];
	struct burrow_io io = { .host = true };
	struct burrow_cgpath nearest;
	char buf[4096];
	int r;

	/* No io hierarchy, or the root cgroup, which is the whole machine. */
	if (!p->path || strlen(p->path) <= p->mount_len) {
		*ret = io;
		return 0;
	}
	io.host = false;
	r = gather_at(root_fd, p, &io);
	if (r == -ENODATA) {
		burrow_io_done(&io);
		r = cg_nearest_with(root_fd, p, p->v2 ? "io.stat" : "blkio.throttle.io_serviced",
				    buf, sizeof(buf), &nearest);
		if (r == 0)
			io.host = true;
		else if (r > 0)
			r = gather_at(root_fd, &nearest, &io);
	}
	if (r < 0) {
		burrow_io_done(&io);
		return r;
	}
	*ret = io;
	return 0;
}

/* What a device's line says; all zero means the container never touched it. */
static bool dev_touched(const struct burrow_io_dev *d)
{
	return d->rbytes || d->wbytes || d->rios || d->wios || d->dbytes || d->dios;
}

static const struct burrow_io_dev *io_find(const struct burrow_io *io, unsigned major,
					   unsigned minor)
{
	for (size_t i = 0; i < io->n; i++)
		if (io->dev[i].major == major && io->dev[i].minor == minor)
			return &io->dev[i];
	return NULL;
}

/*
 * diskstats_show()'s 20 fields. The cgroup counts completed requests and
 * bytes only: merges, times, in-flight and flushes are not charged to
 * cgroups, so they are 0.
 */
static void render_dev(const struct burrow_io_dev *d, const char *name, size_t name_len,
		       struct strbuf *out)
{
	strbuf_printf(out,
		      "%4u %7u %.*s %" PRIu64 " 0 %" PRIu64 " 0 %" PRIu64 " 0 %" PRIu64
		      " 0 0 0 0 %" PRIu64 " 0 %" PRIu64 " 0 0 0\n",
		      d->major, d->minor, (int)name_len, name, d->rios, d->rbytes / 512, d->wios,
		      d->wbytes / 512, d->dios, d->dbytes / 512);
}

int burrow_render_diskstats(const struct burrow_io *io, const char *host_diskstats,
			    struct strbuf *out)
{
	for (const char *line = host_diskstats; *line;) {
		size_t len = strcspn(line, "\n");
		const char *p = line, *name;
		uint64_t major, minor;

		if (io->host) {
			strbuf_append(out, line, len);
			strbuf_puts(out, "\n");
		} else if (parse_u64_prefix(&p, &major) == 0 && parse_u64_prefix(&p, &minor) == 0 &&
			   major <= UINT32_MAX && minor <= UINT32_MAX) {
			const struct burrow_io_dev *d =
				io_find(io, (unsigned)major, (unsigned)minor);

			name = p + strspn(p, " \t");
			if (d && dev_touched(d))
				render_dev(d, name, strcspn(name, " \t\n"), out);
		}
		line += len;
		if (*line == '\n')
			line++;
	}
	return strbuf_error(out);
}
