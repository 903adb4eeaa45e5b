/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "print-binds.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bind-args.h"
#include "macro.h"
#include "strbuf.h"

int print_binds(const char *mountpoint)
{
	_cleanup_strbuf_ struct strbuf out = STRBUF_INIT;
	_cleanup_close_ int mnt_fd = -1, host_fd = -1;
	int r;

	mnt_fd = open(mountpoint, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (mnt_fd < 0) {
		r = -errno;
		fprintf(stderr, "burrowfs: cannot open %s: %s\n", mountpoint, strerror(-r));
		return r;
	}
	host_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (host_fd < 0) {
		r = -errno;
		fprintf(stderr, "burrowfs: cannot open /: %s\n", strerror(-r));
		return r;
	}
	r = burrow_render_bind_args(mnt_fd, host_fd, mountpoint, &out);
	if (r == -ENOMEDIUM)
		fprintf(stderr, "burrowfs: no burrowfs serves %s (no proc/meminfo there)\n",
			mountpoint);
	else if (r == -EINVAL)
		fprintf(stderr,
			"burrowfs: %s must be an absolute path without a newline for "
			"systemd-nspawn\n",
			mountpoint);
	else if (r < 0)
		fprintf(stderr, "burrowfs: %s\n", strerror(-r));
	if (r < 0)
		return r;
	if (fwrite(out.buf, 1, out.len, stdout) != out.len || fflush(stdout) != 0)
		return -EIO;
	return 0;
}
