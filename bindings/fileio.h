/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <dirent.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Every reader of kernel files goes through here, relative to a directory fd:
 * the live root ("/") in the daemon, a fixture tree in the unit tests.
 */

/* Whole file, NUL-terminated. A file that is gone gives -ENODATA. */
int read_full_at(int dir_fd, const char *path, char **ret, size_t *ret_len);

/* Whole file into a caller buffer (NUL-terminated); -EFBIG if it does not fit. */
int read_small_at(int dir_fd, const char *path, char *buf, size_t size, size_t *ret_len);

/*
 * One unsigned number, as cgroup attributes hold them. "max" (v2) becomes
 * UINT64_MAX; a file that is gone or empty gives -ENODATA.
 */
int read_u64_at(int dir_fd, const char *path, uint64_t *ret);

/* One signed number (v1 cfs_quota_us is -1 when unlimited). */
int read_i64_at(int dir_fd, const char *path, int64_t *ret);

/*
 * path as a process chrooted at root_fd would reach it, for trees a guest
 * controls (a rootfs): openat2() with RESOLVE_IN_ROOT, so that absolute
 * symlinks and ".." chains stop at root_fd instead of leading to the host's
 * files, and RESOLVE_NO_MAGICLINKS, which refuses /proc/PID/root style jumps
 * to another tree. flags (O_CLOEXEC added) may hold O_PATH, O_NOFOLLOW,
 * O_DIRECTORY; path may be absolute. Returns an fd or -errno. A single
 * syscall: safe in a forked child.
 */
int open_in_root(int root_fd, const char *path, int flags);

/* A directory stream of dir_fd/path (O_DIRECTORY, plus flags such as O_NOFOLLOW). */
int opendir_at(int dir_fd, const char *path, int flags, DIR **ret);
