/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * libburrow: everything burrowfs knows about containers, with no FUSE in it.
 *
 * Each virtual file has two halves. gather does all the I/O, relative to a
 * root fd (the live "/" or a fixture tree); render is pure: a struct in, text
 * out. The daemon answers host readers with the host's own files and calls
 * these only for readers inside a container.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup.h"
#include "parse.h"
#include "strbuf.h"

struct burrow_opts {
	bool swap;    /* false with -u/--disable-swap: SwapTotal/SwapFree are 0 */
	bool cfs;     /* --enable-cfs: CPU quota cuts the visible CPUs */
	bool loadavg; /* on unless --disable-loadavg (-l is accepted, as lxcfs has it) */
};

/* ---- memory: meminfo, swaps ---------------------------------------------- */

struct burrow_mem {
	uint64_t limit;	     /* bytes, smallest on the path; UINT64_MAX: none */
	uint64_t usage;	     /* bytes charged: v1 usage_in_bytes, v2 memory.current */
	uint64_t swap_limit; /* bytes of swap allowed; UINT64_MAX: none */
	uint64_t swap_usage; /* bytes of swap in use */
	bool swap_accounted; /* the kernel accounts swap for this cgroup */
	/* memory.stat, bytes (v1 total_* where they exist, so children count) */
	uint64_t anon, file, shmem, mapped, dirty, writeback;
	uint64_t active_anon, inactive_anon, active_file, inactive_file, unevictable;
	uint64_t slab_reclaimable, slab_unreclaimable, kernel_stack, pagetables;
	uint64_t swapcached;
	/* No memory cgroup of its own (none mounted, or the root): the host's file applies. */
	bool host;
};

int burrow_gather_mem(int root_fd, const struct burrow_container *c, struct burrow_mem *ret);
/*
 * The memory cgroup the container's usage is charged to (see
 * cg_nearest_with): 1 and ret (its path kept in buf); 0 when only the
 * hierarchy's root would do, so the host's files apply; -ENODATA when gone.
 */
int burrow_mem_cgroup(int root_fd, const struct burrow_container *c, char *buf, size_t size,
		      struct burrow_cgpath *ret);
/* host_meminfo: the host's /proc/meminfo text; every line of it is kept, in order. */
int burrow_render_meminfo(const struct burrow_mem *m, const char *host_meminfo,
			  const struct burrow_opts *o, struct strbuf *out);
int burrow_render_swaps(const struct burrow_mem *m, const char *host_meminfo,
			const struct burrow_opts *o, struct strbuf *out);

/* The figures of burrow_render_meminfo()'s text that sysinfo(2) reports, in bytes. */
struct burrow_meminfo {
	uint64_t total, free, shared, buffers, swap_total, swap_free;
};

/*
 * What burrow_render_meminfo() shows on the MemTotal, MemFree, Shmem,
 * Buffers, SwapTotal and SwapFree lines, to the byte (whole kB). A line the
 * host lacks is 0; -EINVAL without MemTotal or MemFree.
 */
int burrow_meminfo_figures(const struct burrow_mem *m, const char *host_meminfo,
			   const struct burrow_opts *o, struct burrow_meminfo *ret);

/* ---- vmstat -------------------------------------------------------------- */

struct burrow_vmstat_value {
	const char *name; /* the vmstat line, a static string */
	uint64_t value;	  /* in that line's unit */
};

/* The container's own vmstat lines; every other line keeps the host's value. */
struct burrow_vmstat {
	struct burrow_vmstat_value v[64];
	size_t n;
	/* No memory cgroup of its own (none mounted, or the root): the host's file applies. */
	bool host;
};

/* page_size: sysconf(_SC_PAGESIZE), the unit of vmstat's nr_* page counts. */
int burrow_gather_vmstat(int root_fd, const struct burrow_container *c, uint64_t page_size,
			 struct burrow_vmstat *ret);
/* host_vmstat: the host's /proc/vmstat text; every line of it is kept, in order. */
int burrow_render_vmstat(const struct burrow_vmstat *v, const char *host_vmstat,
			 struct strbuf *out);

/* ---- CPU: cpuinfo, stat, uptime, sys/devices/system/cpu ----------------- */

struct burrow_cpu {
	/* Host CPU numbers the container may use: effective cpuset ∩ host online. */
	struct burrow_cpuset cpus;
	/* How many of them it is shown; fewer than cpus has with --enable-cfs. */
	unsigned nr_visible;
	/* Tightest quota/period on the path; quota_us < 0: none. */
	int64_t quota_us;
	uint64_t period_us;
	/* Usage in ns for visible CPU i (renumbered from 0), nr_visible long. */
	uint64_t *user_ns;
	uint64_t *system_ns;
};

int burrow_gather_cpu(int root_fd, const struct burrow_container *c, const struct burrow_opts *o,
		      struct burrow_cpu *ret);
void burrow_cpu_done(struct burrow_cpu *cpu);
/* Host CPU number of visible CPU i; -ENOENT when i is not visible. */
int burrow_cpu_host_index(const struct burrow_cpu *cpu, unsigned i);
/* The inverse: visible number of host CPU h; -ENOENT when h is not visible. */
int burrow_cpu_visible_index(const struct burrow_cpu *cpu, unsigned h);

int burrow_render_cpuinfo(const struct burrow_cpu *cpu, const char *host_cpuinfo,
			  struct strbuf *out);
/* sys/devices/system/cpu/{online,possible,present}: "0-N\n" over visible CPUs. */
int burrow_render_cpu_list(const struct burrow_cpu *cpu, struct strbuf *out);

struct burrow_clock {
	double host_uptime;  /* seconds, proc/uptime first field */
	uint64_t clk_tck;    /* sysconf(_SC_CLK_TCK): unit of init_start and of /proc/stat */
	uint64_t init_start; /* container init start, clk_tck ticks after boot */
};

int burrow_gather_clock(int root_fd, const struct burrow_container *c, uint64_t clk_tck,
			struct burrow_clock *ret);

/* Tasks of the container's cgroup subtree (threads), for stat and loadavg. */
struct burrow_tasks {
	uint64_t running; /* state R */
	uint64_t blocked; /* state D */
	uint64_t threads; /* all threads */
	pid_t last_pid;	  /* newest pid, as seen inside the container's pid namespace */
	/* No cgroup of its own in any hierarchy: its tasks are the host's, whose files apply. */
	bool host;
};

int burrow_gather_tasks(int root_fd, const struct burrow_container *c, struct burrow_tasks *ret);

struct burrow_cgstats;
/*
 * What the load average counts, for the sampler: running and blocked only
 * (threads and last_pid stay 0). With s (see cgstats.h), one taskstats call
 * per cgroup of a v1 subtree; without, or on cgroup2, a stat read per task.
 */
int burrow_gather_active(int root_fd, const struct burrow_container *c, struct burrow_cgstats *s,
			 struct burrow_tasks *ret);

/*
 * What a container's /proc/stat showed last, so counters never go backwards.
 * Lives as long as the daemon knows the container.
 */
struct burrow_stat_state {
	unsigned n;
	uint64_t *user, *system, *idle; /* clk_tck ticks, per visible CPU */
	uint64_t processes;		/* the "processes" line last shown */
};

void burrow_stat_state_done(struct burrow_stat_state *s);
int burrow_render_stat(const struct burrow_cpu *cpu, const struct burrow_tasks *t,
		       const struct burrow_clock *clk, const char *host_stat,
		       struct burrow_stat_state *state, struct strbuf *out);
int burrow_render_uptime(const struct burrow_cpu *cpu, const struct burrow_clock *clk,
			 struct strbuf *out);

/* ---- loadavg ------------------------------------------------------------- */

/* The kernel's fixed-point exponential averages (FSHIFT 11), 1/5/15 minutes. */
struct burrow_loadavg {
	unsigned long avenrun[3];
};

/* One 5-second tick with `active` runnable plus uninterruptible tasks. */
void burrow_loadavg_tick(struct burrow_loadavg *l, unsigned long active);
int burrow_render_loadavg(const struct burrow_loadavg *l, const struct burrow_tasks *t,
			  struct strbuf *out);

/* ---- block I/O: diskstats ------------------------------------------------ */

struct burrow_io_dev {
	unsigned major, minor;
	uint64_t rbytes, wbytes, rios, wios, dbytes, dios;
};

struct burrow_io {
	struct burrow_io_dev *dev;
	size_t n;
	/* No io cgroup of its own (none mounted, or the root): the host's file applies. */
	bool host;
};

int burrow_gather_io(int root_fd, const struct burrow_container *c, struct burrow_io *ret);
void burrow_io_done(struct burrow_io *io);
/* Device names come from the host's diskstats; untouched devices are left out. */
int burrow_render_diskstats(const struct burrow_io *io, const char *host_diskstats,
			    struct strbuf *out);

/* ---- pass-through files ------------------------------------------------- */

/* The container's memory.kmem.slabinfo (v1), else the host's proc/slabinfo. */
int burrow_gather_slabinfo(int root_fd, const struct burrow_container *c, char **ret,
			   size_t *ret_len);
/* resource: "cpu", "io" or "memory". The cgroup's PSI file, else the host's. */
int burrow_gather_pressure(int root_fd, const struct burrow_container *c, const char *resource,
			   char **ret, size_t *ret_len);
