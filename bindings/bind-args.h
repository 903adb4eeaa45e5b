/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "strbuf.h"

/*
 * The systemd-nspawn arguments that bind burrowfs's files into a container
 * (burrowfs --print-binds), one per line, from the served table: what the
 * hooks and the launcher bind, nspawn binds too.
 *
 * mnt_fd is burrowfs's mount, mountpoint its absolute path; host_fd the root
 * whose /proc and /sys stand for the container's (nspawn mounts a fresh
 * procfs and sysfs of the same kernel, and cannot bind over a file they
 * lack). An entry goes out only where both have it, with the same type.
 *
 * Returns 0, -EINVAL for a mountpoint nspawn's syntax cannot carry (relative,
 * or holding a newline), -ENOMEDIUM when mnt_fd serves no proc/meminfo, or
 * -ENOMEM.
 */
int burrow_render_bind_args(int mnt_fd, int host_fd, const char *mountpoint, struct strbuf *out);
