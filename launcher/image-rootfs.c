/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "image-rootfs.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "glib-macro.h"
#include "launcher.h"

static struct archive *xz_writer(int fd, int level)
{
	struct archive *w = archive_write_new();
	char opt[64];

	archive_write_set_format_pax_restricted(w);
	archive_write_add_filter_xz(w);
	snprintf(opt, sizeof(opt), "xz:compression-level=%d,xz:threads=0", level);
	if (archive_write_set_options(w, opt) != ARCHIVE_OK ||
	    archive_write_open_fd(w, fd) != ARCHIVE_OK) {
		log_error("cannot start the xz stream: %s", archive_error_string(w));
		archive_write_free(w);
		return NULL;
	}
	return w;
}

static bool left_out(struct archive_entry *e)
{
	mode_t t = archive_entry_filetype(e);
	const char *p = archive_entry_pathname(e);

	return t == AE_IFCHR || t == AE_IFBLK || t == AE_IFSOCK || !p || p[0] == '/' ||
	       path_has_dotdot(p);
}

/* Copies the current entry's data from in to out. */
static int copy_data(struct archive *in, struct archive *out, const char *name)
{
	const void *buf;
	size_t len;
	la_int64_t off;
	int r;

	static const char zeros[1 << 16];
	la_int64_t pos = 0;

	/* Only disk writers take offsets: holes of a sparse source are written as zeros. */
	while ((r = archive_read_data_block(in, &buf, &len, &off)) == ARCHIVE_OK) {
		for (; pos < off; pos += (la_int64_t)MIN(sizeof(zeros), (size_t)(off - pos)))
			if (archive_write_data(out, zeros,
					       MIN(sizeof(zeros), (size_t)(off - pos))) < 0)
				return log_error_errno(-EIO, "%s: %s", name,
						       archive_error_string(out));
		if (len > 0 && archive_write_data(out, buf, len) < 0)
			return log_error_errno(-EIO, "%s: %s", name, archive_error_string(out));
		pos = off + (la_int64_t)len;
	}
	if (r != ARCHIVE_EOF)
		return log_error_errno(-EIO, "%s: %s", name, archive_error_string(in));
	return 0;
}

static int copy_entry(struct archive *in, struct archive *out, struct archive_entry *e)
{
	const char *name = archive_entry_pathname(e);

	if (left_out(e))
		return 0;
	if (archive_write_header(out, e) < ARCHIVE_WARN)
		return log_error_errno(-EIO, "%s: %s", name, archive_error_string(out));
	if (archive_entry_filetype(e) == AE_IFREG && archive_entry_size(e) > 0)
		return copy_data(in, out, name);
	return 0;
}

static int finish(struct archive *w, int r)
{
	if (archive_write_close(w) != ARCHIVE_OK && r >= 0)
		r = log_error_errno(-EIO, "cannot finish the archive: %s", archive_error_string(w));
	archive_write_free(w);
	return r;
}

int image_rootfs_from_dir(const char *dir, int fd, int level)
{
	struct archive *disk = archive_read_disk_new(), *w = xz_writer(fd, level);
	struct archive_entry *e = archive_entry_new();
	size_t skip = strlen(dir);
	int r = w ? 0 : -EIO, ar;

	archive_read_disk_set_symlink_physical(disk);
	archive_read_disk_set_behavior(disk, ARCHIVE_READDISK_NO_XATTR | ARCHIVE_READDISK_NO_ACL |
						     ARCHIVE_READDISK_NO_FFLAGS |
						     ARCHIVE_READDISK_NO_TRAVERSE_MOUNTS);
	if (r >= 0 && archive_read_disk_open(disk, dir) != ARCHIVE_OK)
		r = log_error_errno(-ENOENT, "cannot read %s: %s", dir, archive_error_string(disk));
	while (r >= 0 && (ar = archive_read_next_header2(disk, e)) != ARCHIVE_EOF) {
		g_autofree char *rel = NULL;
		const char *p;

		if (ar < ARCHIVE_WARN) {
			r = log_error_errno(-EIO, "%s: %s", dir, archive_error_string(disk));
			break;
		}
		archive_read_disk_descend(disk);
		p = archive_entry_pathname(e) + skip;
		while (*p == '/')
			p++;
		rel = g_strconcat("./", p, NULL);
		archive_entry_set_pathname(e, rel);
		archive_entry_set_uname(e, NULL);
		archive_entry_set_gname(e, NULL);
		r = copy_entry(disk, w, e);
	}
	archive_entry_free(e);
	archive_read_free(disk);
	return w ? finish(w, r) : r;
}

int image_rootfs_from_tar(const char *file, int fd, int level)
{
	struct archive *in = archive_read_new(), *w = xz_writer(fd, level);
	struct archive_entry *e;
	int r = w ? 0 : -EIO, ar;

	archive_read_support_format_tar(in);
	archive_read_support_filter_gzip(in);
	archive_read_support_filter_xz(in);
	archive_read_support_filter_bzip2(in);
	archive_read_support_filter_zstd(in);
	if (r >= 0 && archive_read_open_filename(in, file, 1 << 20) != ARCHIVE_OK)
		r = log_error_errno(-EBADMSG, "%s: %s", file, archive_error_string(in));
	while (r >= 0 && (ar = archive_read_next_header(in, &e)) != ARCHIVE_EOF) {
		if (ar < ARCHIVE_WARN) {
			r = log_error_errno(-EBADMSG, "%s: %s", file, archive_error_string(in));
			break;
		}
		r = copy_entry(in, w, e);
	}
	archive_read_free(in);
	return w ? finish(w, r) : r;
}
