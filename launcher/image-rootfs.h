/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Writes a rootfs as tar.xz (pax) to fd, from a directory or another tarball,
 * with libarchive: owners numeric, as they are in the source; device nodes
 * and sockets left out (the container gets its own /dev), and so are
 * entries that climb out with ".." or are absolute. level: the xz preset.
 */
int image_rootfs_from_dir(const char *dir, int fd, int level);
int image_rootfs_from_tar(const char *file, int fd, int level);
