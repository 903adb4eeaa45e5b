/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A hostile local user's FUSE filesystem for test-sysinfo-hostile.sh: one
 * file, /f, whose FUSE_FLUSH (sent by every close()) is answered only
 * after an hour: whoever closes an fd of it waits on this server.
 */
#define FUSE_USE_VERSION 31
#include <errno.h>
#include <fuse.h>
#include <string.h>
#include <unistd.h>

static int hold_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	(void)fi;
	memset(st, 0, sizeof(*st));
	if (strcmp(path, "/") == 0) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
		return 0;
	}
	if (strcmp(path, "/f") == 0) {
		st->st_mode = S_IFREG | 0444;
		st->st_nlink = 1;
		return 0;
	}
	return -ENOENT;
}

static int hold_open(const char *path, struct fuse_file_info *fi)
{
	(void)fi;
	return strcmp(path, "/f") == 0 ? 0 : -ENOENT;
}

static int hold_flush(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	(void)fi;
	sleep(3600);
	return 0;
}

static const struct fuse_operations ops = {
	.getattr = hold_getattr,
	.open = hold_open,
	.flush = hold_flush,
};

int main(int argc, char **argv)
{
	return fuse_main(argc, argv, &ops, NULL);
}
