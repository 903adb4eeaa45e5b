/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * sysinfo(2) for a container: the figures its /proc files show, in the
 * struct layout of the caller's ABI. Pure: the seccomp agent (fs/) gathers
 * the texts and writes the bytes.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "burrow.h"

/* What sysinfo(2) reports, before a caller's layout: bytes, seconds. */
struct burrow_sysinfo {
	uint64_t uptime;   /* seconds, rounded up as the kernel does */
	uint64_t loads[3]; /* fixed point, 1 << 16 is 1.0 (SI_LOAD_SHIFT) */
	uint64_t totalram, freeram, sharedram, bufferram;
	uint64_t totalswap, freeswap;
	uint64_t procs;
};

/*
 * mem: the figures the container's /proc/meminfo shows (burrow_meminfo_figures);
 * uptime: the text it reads as /proc/uptime. avenrun: its load averages in
 * the kernel's FSHIFT (11) fixed point, as /proc/loadavg shows them. procs:
 * threads of its cgroup. -EINVAL when uptime is not a number of seconds.
 */
int burrow_sysinfo_fill(const struct burrow_meminfo *mem, const char *uptime,
			const unsigned long avenrun[3], uint64_t procs, struct burrow_sysinfo *ret);

/*
 * Threads of the container's cgroup, sysinfo's procs: pids.current of its
 * own pids cgroup, one read; else (no pids controller, or its cgroup there
 * is the hierarchy's root, which counts the whole host) a count of its
 * cgroup's tasks.
 */
int burrow_gather_procs(int root_fd, const struct burrow_container *c, uint64_t *ret);

/* Bytes of the largest layout (LP64's struct sysinfo). */
#define BURROW_SYSINFO_SIZE_64 112
/* The ILP32 layout (i386, and compat_sysinfo of a 64-bit kernel). */
#define BURROW_SYSINFO_SIZE_32 64

/*
 * The caller's struct sysinfo into buf (at least BURROW_SYSINFO_SIZE_64):
 * LP64 with mem_unit 1, as a 64-bit kernel answers; or ILP32 (abi32),
 * with mem_unit 1, or 4096 once totalram or totalswap needs more than 32
 * bits of bytes, as the kernel's compat_sysinfo does (figures past 16 TiB
 * saturate). Returns the layout's size.
 */
size_t burrow_sysinfo_encode(const struct burrow_sysinfo *s, bool abi32, void *buf);
