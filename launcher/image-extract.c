/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "image-extract.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "glib-macro.h"
#include "idmap.h"
#include "launcher.h"

/*
 * Secure flags: no "..", no absolute path, no write through a symlink
 * (also for hard link targets). Owners are numeric (no name lookup in a
 * rootfs that is not ours); permissions and times are the image's.
 */
#define EXTRACT_FLAGS                                                          \
	(ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | \
	 ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT |   \
	 ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS)

int image_extract(int archive_fd, const char *dst, const struct container_config *c)
{
	g_autofd int dst_fd = open(dst, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	char *argv[] = { "/proc/self/exe", IMAGE_EXTRACT_VERB, NULL };
	int r;

	if (dst_fd < 0)
		return log_error_errno(-errno, "cannot open %s: %m", dst);
	if (lseek(archive_fd, 0, SEEK_SET) < 0)
		return log_error_errno(-errno, "cannot rewind the image: %m");
	r = userns_hand_over(&c->uid_map, &c->gid_map, dst_fd);
	if (r < 0)
		return log_error_errno(r, "cannot hand %s to the container's root: %m", dst);
	r = userns_exec_at(&c->uid_map, &c->gid_map, 0, argv, archive_fd, dst_fd);
	if (r < 0)
		return log_error_errno(r, "cannot run the unpacking helper: %m");
	if (r > 0)
		return log_error_errno(-EBADMSG, "unpacking the image into %s failed", dst);
	return 0;
}

/* "./a/b" and "a/b" are the same entry; "." and "./" are the root, left as it is. */
static const char *entry_rel(const char *p)
{
	while (p[0] == '.' && p[1] == '/')
		p += 2;
	return p;
}

static bool odd_bytes(const char *p)
{
	for (const unsigned char *c = (const unsigned char *)p; *c; c++)
		if (*c < 0x20 || *c == 0x7f)
			return true;
	return false;
}

static bool escapes(const char *p)
{
	return p[0] == '/' || path_has_dotdot(p);
}

struct budget {
	uint64_t free, used;
};

/* Why an entry is refused, or NULL. The name is shown escaped by the caller. */
static const char *entry_refused(struct archive_entry *e, const char *rel, struct budget *b)
{
	const char *link = archive_entry_hardlink(e);
	mode_t type = archive_entry_filetype(e);
	int64_t size = archive_entry_size(e);

	if (odd_bytes(rel) || (link && odd_bytes(link)))
		return "its name holds control characters";
	if (escapes(rel))
		return rel[0] == '/' ? "it is an absolute path" : "its path goes up with '..'";
	if (link && escapes(link))
		return "it is a hard link to a file outside the image";
	if (type == AE_IFCHR || type == AE_IFBLK)
		return "it is a device node (images may not hold any; the container gets its own "
		       "/dev)";
	if (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK && type != AE_IFIFO && !link)
		return "it is of a type images may not hold";
	if (size < 0 || (uint64_t)size > b->free || b->used + (uint64_t)size > b->free)
		return "it is larger than the space left for the rootfs";
	b->used += (uint64_t)size;
	return NULL;
}

static int refuse(const char *name, const char *why)
{
	g_autofree char *shown = g_strescape(name, NULL);

	log_error("image entry \"%s\" is refused: %s", shown, why);
	return 1;
}

/* libarchive's message names the step; its errno says why (ENOSPC on a full disk). */
static int failed(const char *name, struct archive *a)
{
	g_autofree char *why = g_strdup_printf(
		"%s%s%s", archive_error_string(a) ?: "failed", archive_errno(a) > 0 ? ": " : "",
		archive_errno(a) > 0 ? strerror(archive_errno(a)) : "");

	return refuse(name, why);
}

static int copy_data(struct archive *in, struct archive *out, const char *name)
{
	const void *buf;
	size_t len;
	la_int64_t off;
	int r;

	while ((r = archive_read_data_block(in, &buf, &len, &off)) == ARCHIVE_OK)
		if (archive_write_data_block(out, buf, len, off) != ARCHIVE_OK)
			return failed(name, out);
	if (r != ARCHIVE_EOF)
		return failed(name, in);
	return 0;
}

static int extract_entries(struct archive *in, struct archive *out, struct budget *b)
{
	struct archive_entry *e;
	int r;

	while ((r = archive_read_next_header(in, &e)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);
		const char *rel = name ? entry_rel(name) : "";
		const char *why;

		if (!*rel || g_str_equal(rel, "."))
			continue;
		why = entry_refused(e, rel, b);
		if (why)
			return refuse(name, why);
		archive_entry_set_pathname(e, rel);
		if (archive_write_header(out, e) != ARCHIVE_OK)
			return failed(name, out);
		if (archive_entry_size(e) > 0 && copy_data(in, out, name) != 0)
			return 1;
		if (archive_write_finish_entry(out) != ARCHIVE_OK)
			return failed(name, out);
	}
	if (r != ARCHIVE_EOF) {
		log_error("the image is not a valid tar.xz: %s", archive_error_string(in));
		return 1;
	}
	return 0;
}

int image_extract_helper(void)
{
	struct archive *in = archive_read_new(), *out = archive_write_disk_new();
	struct statvfs sv;
	struct budget b = { 0 };
	int r = 1;

	/* The kernel's own root for what follows: nothing can name a path outside dst. */
	if (chroot(".") < 0 || chdir("/") < 0) {
		log_error_errno(-errno, "cannot enter the rootfs: %m");
		goto out;
	}
	umask(0);
	if (fstatvfs(STDIN_FILENO, &sv) == 0 && statvfs("/", &sv) == 0)
		b.free = (uint64_t)sv.f_bavail * sv.f_frsize;
	archive_read_support_format_tar(in);
	archive_read_support_filter_xz(in);
	archive_write_disk_set_options(out, EXTRACT_FLAGS);
	if (archive_read_open_fd(in, STDIN_FILENO, 1 << 20) != ARCHIVE_OK)
		log_error("the image is not a tar.xz archive: %s", archive_error_string(in));
	else
		r = extract_entries(in, out, &b);
out:
	archive_read_free(in);
	archive_write_free(out);
	return r;
}
