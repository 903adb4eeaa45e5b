/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bind-args.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "served.h"

/* nspawn splits --bind-ro= at ':' and reads backslash escapes in both paths. */
static void put_escaped(struct strbuf *out, const char *s)
{
	for (; *s; s++) {
		if (*s == ':' || *s == '\\')
			strbuf_puts(out, "\\");
		strbuf_append(out, s, 1);
	}
}

static bool has_type(int dir_fd, const char *path, mode_t type)
{
	struct stat st;

	return fstatat(dir_fd, path, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       (st.st_mode & S_IFMT) == type;
}

int burrow_render_bind_args(int mnt_fd, int host_fd, const char *mountpoint, struct strbuf *out)
{
	if (mountpoint[0] != '/' || strchr(mountpoint, '\n'))
		return -EINVAL;
	if (!has_type(mnt_fd, "proc/meminfo", S_IFREG))
		return -ENOMEDIUM;

	/*
	 * nspawn makes the binds that land in the container's own /proc after
	 * it has entered the container's root, and looks their sources up
	 * there: without the mount at its own path inside, every source is
	 * missing ("Failed to stat ...: No such file or directory"). Read-only:
	 * the container reads its own files through it, and writes nothing.
	 */
	strbuf_puts(out, "--bind-ro=");
	put_escaped(out, mountpoint);
	strbuf_puts(out, "\n");

	for (size_t i = 0; i < BURROW_SERVED_N; i++) {
		const struct burrow_served *e = &burrow_served[i];

		if (!burrow_served_bound(e) || !has_type(mnt_fd, e->path, e->type) ||
		    !has_type(host_fd, e->path, e->type))
			continue;
		strbuf_puts(out, "--bind-ro=");
		put_escaped(out, mountpoint);
		strbuf_puts(out, "/");
		strbuf_puts(out, e->path);
		strbuf_puts(out, ":/");
		strbuf_puts(out, e->path);
		strbuf_puts(out, "\n");
	}
	return strbuf_error(out);
}
