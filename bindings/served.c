/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "served.h"

#include <string.h>
#include <sys/stat.h>

const struct burrow_served burrow_served[BURROW_SERVED_N] = {
	{ "proc/cpuinfo", S_IFREG, VF_CPUINFO },
	{ "proc/meminfo", S_IFREG, VF_MEMINFO },
	{ "proc/stat", S_IFREG, VF_STAT },
	{ "proc/uptime", S_IFREG, VF_UPTIME },
	{ "proc/loadavg", S_IFREG, VF_LOADAVG },
	{ "proc/diskstats", S_IFREG, VF_DISKSTATS },
	{ "proc/swaps", S_IFREG, VF_SWAPS },
	{ "proc/slabinfo", S_IFREG, VF_SLABINFO },
	{ "proc/vmstat", S_IFREG, VF_VMSTAT },
	/* A kernel without PSI has no proc/pressure/: binds skip the missing target. */
	{ "proc/pressure/cpu", S_IFREG, VF_PSI_CPU },
	{ "proc/pressure/io", S_IFREG, VF_PSI_IO },
	{ "proc/pressure/memory", S_IFREG, VF_PSI_MEMORY },
	/* Bound whole: its cpuN/ directories pass through, for the visible CPUs only. */
	{ "sys/devices/system/cpu", S_IFDIR, VF_PASSTHROUGH_DIR },
	{ "sys/devices/system/cpu/online", S_IFREG, VF_CPU_ONLINE },
	{ "sys/devices/system/cpu/possible", S_IFREG, VF_CPU_POSSIBLE },
	{ "sys/devices/system/cpu/present", S_IFREG, VF_CPU_PRESENT },
};

bool burrow_served_bound(const struct burrow_served *e)
{
	for (size_t i = 0; i < BURROW_SERVED_N; i++) {
		const struct burrow_served *d = &burrow_served[i];
		size_t n = strlen(d->path);

		if (d != e && d->type == S_IFDIR && strncmp(e->path, d->path, n) == 0 &&
		    e->path[n] == '/')
			return false;
	}
	return true;
}

const struct burrow_served *burrow_served_vfile(int vfile)
{
	for (size_t i = 0; i < BURROW_SERVED_N; i++)
		if (vfile >= 0 && burrow_served[i].vfile == vfile)
			return &burrow_served[i];
	return NULL;
}
