/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

struct ctr;
struct daemon;

/*
 * The CPU numbering of sys/devices/system/cpu, shared by the shared
 * mount's provider (sysfs-cpu.c) and a container's own connection
 * (pconn-sys.c).
 */

/* The host directory, relative to the daemon's root fd. */
#define SYSFS_CPU_DIR "sys/devices/system/cpu"

/*
 * "cpu12" or "cpu12/…" in the kernel's spelling: the CPU number and the
 * rest, which starts with '/' or is "". false for any other name.
 */
bool sysfs_cpu_component(const char *vpath, unsigned *ret_n, const char **ret_rest);
/* Host CPU of container x's CPU n; -ENOENT when x has no such CPU. */
int sysfs_cpu_host(struct daemon *d, struct ctr *x, unsigned n);
/* x's number of host CPU h; -ENOENT when x does not see h. */
int sysfs_cpu_visible(struct daemon *d, struct ctr *x, unsigned h);
/* How many CPUs x sees; -EOPNOTSUPP for the host (it sees the host's directory as is). */
int sysfs_cpu_nr_visible(struct daemon *d, struct ctr *x);
