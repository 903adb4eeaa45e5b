/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * floor: the cheapest FUSE file this machine can serve, for the benchmark.
 *
 *   floor [--threads N] MOUNTPOINT NAME=SOURCE...
 *
 * Each NAME is a fixed buffer, SOURCE's bytes read once at startup. Every
 * lookup, open and read is answered from memory with burrowfs's low-level
 * settings (allow_other and no default_permissions, direct_io, no keep_cache,
 * noflush, clone_fd, the same thread ceiling, entry and attribute timeouts, no
 * READDIRPLUS), so burrowfs/floor measures what burrowfs's own work costs and
 * nothing the kernel's FUSE round trip costs anyway.
 */
#define FUSE_USE_VERSION 312

#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "parse.h"

#define MAX_FILES      32
#define STATIC_TIMEOUT 3600.0
#define FIRST_FILE_INO 2

struct floor_file {
	const char *name;
	char *data;
	size_t size;
};

struct floor {
	struct floor_file files[MAX_FILES];
	size_t n;
};

static struct floor *req_floor(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

static const struct floor_file *file_of(const struct floor *f, fuse_ino_t ino)
{
	if (ino < FIRST_FILE_INO || ino - FIRST_FILE_INO >= f->n)
		return NULL;
	return &f->files[ino - FIRST_FILE_INO];
}

static void fill_attr(const struct floor *f, fuse_ino_t ino, struct stat *st)
{
	const struct floor_file *ff = file_of(f, ino);

	*st = (struct stat){ .st_ino = ino };
	if (ff) {
		st->st_mode = S_IFREG | 0444;
		st->st_nlink = 1;
		st->st_size = (off_t)ff->size;
	} else {
		st->st_mode = S_IFDIR | 0555;
		st->st_nlink = 2;
	}
}

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	conn->want &= ~(unsigned)FUSE_CAP_READDIRPLUS;
	conn->want &= ~(unsigned)FUSE_CAP_READDIRPLUS_AUTO;
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	const struct floor *f = req_floor(req);
	struct fuse_entry_param e = { .entry_timeout = STATIC_TIMEOUT };

	if (parent != FUSE_ROOT_ID) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->files[i].name, name) == 0) {
			/* As burrowfs's rendered files: attributes are never cached. */
			e.ino = FIRST_FILE_INO + i;
			fill_attr(f, e.ino, &e.attr);
			fuse_reply_entry(req, &e);
			return;
		}
	fuse_reply_err(req, ENOENT);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	const struct floor *f = req_floor(req);
	struct stat st;

	if (ino != FUSE_ROOT_ID && !file_of(f, ino)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	fill_attr(f, ino, &st);
	fuse_reply_attr(req, &st, ino == FUSE_ROOT_ID ? STATIC_TIMEOUT : 0);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	const struct floor *f = req_floor(req);
	_cleanup_free_ char *buf = NULL;
	size_t used = 0;
	struct stat st;

	if (ino != FUSE_ROOT_ID) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	buf = malloc(size);
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	/* Entry k is "." (0), ".." (1), then the files; off is the next k. */
	for (off_t k = off; (size_t)k < f->n + 2; k++) {
		const char *name = k == 0 ? "." : k == 1 ? ".." : f->files[k - 2].name;
		size_t n;

		fill_attr(f, k < 2 ? FUSE_ROOT_ID : FIRST_FILE_INO + (fuse_ino_t)(k - 2), &st);
		n = fuse_add_direntry(req, buf + used, size - used, name, &st, k + 1);
		if (n > size - used)
			break;
		used += n;
	}
	fuse_reply_buf(req, buf, used);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	if (!file_of(req_floor(req), ino)) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	if ((fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC)) {
		fuse_reply_err(req, EACCES);
		return;
	}
	fi->direct_io = 1;
	fi->keep_cache = 0;
	fi->noflush = 1;
	fuse_reply_open(req, fi);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	const struct floor_file *ff = file_of(req_floor(req), ino);

	if (!ff) {
		fuse_reply_err(req, EBADF);
		return;
	}
	if (off < 0 || (size_t)off >= ff->size) {
		fuse_reply_buf(req, NULL, 0);
		return;
	}
	fuse_reply_buf(req, ff->data + off, MIN(size, ff->size - (size_t)off));
}

static const struct fuse_lowlevel_ops floor_ops = {
	.init = op_init,
	.lookup = op_lookup,
	.getattr = op_getattr,
	.readdir = op_readdir,
	.open = op_open,
	.read = op_read,
};

static int slurp(const char *path, char **ret, size_t *ret_size)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *data = NULL;
	size_t size = 0, cap = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n;

		if (cap - size < 4096) {
			char *p = realloc(data, cap + 65536);

			if (!p)
				return -ENOMEM;
			data = p;
			cap += 65536;
		}
		n = read(fd, data + size, cap - size);
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		size += (size_t)n;
	}
	*ret = TAKE_PTR(data);
	*ret_size = size;
	return 0;
}

static int add_file(struct floor *f, char *spec)
{
	char *eq = strchr(spec, '=');
	struct floor_file *ff;
	int r;

	/* NAME is one directory entry of the root. */
	if (!eq || eq == spec || memchr(spec, '/', (size_t)(eq - spec)))
		return -EINVAL;
	if (f->n >= MAX_FILES)
		return -E2BIG;
	*eq = '\0';
	ff = &f->files[f->n];
	r = slurp(eq + 1, &ff->data, &ff->size);
	if (r < 0)
		return r;
	ff->name = spec;
	f->n++;
	return 0;
}

static int serve(struct floor *f, const char *argv0, const char *mnt, unsigned threads)
{
	char *argv[] = { (char *)argv0, "-o", "allow_other,fsname=floor,subtype=floor", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(3, argv);
	struct fuse_loop_config *lc;
	struct fuse_session *se;
	int r = -EIO;

	se = fuse_session_new(&args, &floor_ops, sizeof(floor_ops), f);
	if (!se)
		return -EINVAL;
	lc = fuse_loop_cfg_create();
	if (lc && fuse_set_signal_handlers(se) == 0) {
		if (fuse_session_mount(se, mnt) == 0) {
			fuse_loop_cfg_set_max_threads(lc, threads);
			fuse_loop_cfg_set_clone_fd(lc, 1);
			r = fuse_session_loop_mt(se, lc) < 0 ? -EIO : 0;
			fuse_session_unmount(se);
		}
		fuse_remove_signal_handlers(se);
	}
	if (lc)
		fuse_loop_cfg_destroy(lc);
	fuse_session_destroy(se);
	return r;
}

static int usage(const char *argv0)
{
	fprintf(stderr, "Usage: %s [--threads N] MOUNTPOINT NAME=SOURCE...\n", argv0);
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "threads", required_argument, NULL, 't' },
		{},
	};
	struct floor f = {};
	unsigned threads = 4;
	uint64_t v;
	int c, r;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) >= 0) {
		if (c != 't' || safe_atou64(optarg, &v) < 0 || v < 1 || v > 64)
			return usage(argv[0]);
		threads = (unsigned)v;
	}
	if (argc - optind < 2)
		return usage(argv[0]);
	for (int i = optind + 1; i < argc; i++) {
		r = add_file(&f, argv[i]);
		if (r < 0) {
			fprintf(stderr, "floor: %s: %s\n", argv[i], strerror(-r));
			return 1;
		}
	}
	r = serve(&f, argv[0], argv[optind], threads);
	for (size_t i = 0; i < f.n; i++)
		free(f.files[i].data);
	if (r < 0) {
		fprintf(stderr, "floor: serving %s failed: %s\n", argv[optind], strerror(-r));
		return 1;
	}
	return 0;
}
