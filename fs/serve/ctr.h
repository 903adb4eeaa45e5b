/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "burrow.h"
#include "vfile.h"

struct daemon;

/*
 * One container, as burrowfs knows it: a pid namespace (the key) and its
 * init. The init's pidfd tells when it has died, so a namespace inode or an
 * init pid that the kernel reuses can never serve the old container's view.
 */
struct ctr {
	uint64_t pidns;
	pid_t init_pid; /* 0: the host */
	int pidfd;	/* -1 for the host, or a kernel without pidfd_open */
	uint64_t init_start;
	unsigned refs;		   /* atomic */
	uint64_t last_used;	   /* atomic, monotonic ns */
	uint64_t loadavg_read;	   /* atomic, monotonic ns; 0: never read */
	bool in_table;		   /* under the table lock */
	struct ctr *next;	   /* hash chain, under the table lock */
	pthread_mutex_t lock;	   /* everything below */
	struct burrow_container c; /* cgroup paths, and the init's /proc/PID/cgroup */
	bool cgns;		   /* the init has a cgroup namespace of its own */
	uint64_t c_time;	   /* when they were loaded: again once older than the render TTL */
	struct burrow_cpu cpu;	   /* the CPU view, for renders and sys/devices/system/cpu */
	uint64_t cpu_time;	   /* 0: not gathered */
	struct burrow_stat_state stat;
	struct burrow_loadavg load;
	struct {
		struct blob *blob;
		uint64_t time;
	} files[_VF_MAX];
	/* The figures of files[VF_MEMINFO]'s bytes, for sysinfo(2): set by the same render. */
	struct burrow_meminfo meminfo;
};

/* Readers whose init was not found lately: asked again only after CTR_MISS_NS. */
#define CTR_MISSES 16
struct ctr_miss {
	uint64_t pidns;
	pid_t reader;
	uint64_t time; /* monotonic ns; 0: unused */
};

struct ctr_table {
	pthread_rwlock_t lock;
	struct ctr **buckets;
	size_t nbuckets; /* a power of two */
	size_t n, max;
	struct ctr_miss misses[CTR_MISSES]; /* under lock (written with it held for writing) */
	unsigned next_miss;
};

int ctr_table_init(struct ctr_table *t, size_t max);
void ctr_table_done(struct ctr_table *t);

/* The host's entry: served the host's own files. */
int ctr_new_host(struct daemon *d, struct ctr **ret);
static inline bool ctr_is_host(const struct ctr *x)
{
	return x->init_pid == 0;
}

/*
 * The container of the process reader (a pid of the daemon's namespace), with
 * a reference the caller drops with ctr_unref(). Host readers, and readers
 * the kernel could not name to us (pid 0), get the host's entry.
 */
int ctr_get(struct daemon *d, pid_t reader, struct ctr **ret);
struct ctr *ctr_ref(struct ctr *x);
void ctr_unref(struct ctr *x);

/*
 * Under x->lock. Cgroup paths, the text they came from and x->cgns: one
 * read of the init's /proc/PID/cgroup for renders and cgroup/ alike,
 * reloaded once older than the render TTL.
 */
int ctr_container_locked(struct daemon *d, struct ctr *x, const struct burrow_container **ret);
/* Under x->lock. The CPU view, gathered again once older than the cache TTL. */
int ctr_cpu_locked(struct daemon *d, struct ctr *x, const struct burrow_cpu **ret);
/*
 * Under x->lock. Reloads the cgroup paths now: 1 when they changed (the
 * init was moved), 0 when not, -ESRCH when the init is gone.
 */
int ctr_reload_locked(struct daemon *d, struct ctr *x);
/* A cgroup read failed as reads of a removed cgroup fail. */
bool ctr_error_gone(int r);

/*
 * Takes x out of the table now (its init died): the sweep would, but only
 * some dead ones each tick, and a per-container connection that saw the
 * init exit knows it first.
 */
void ctr_table_drop(struct daemon *d, struct ctr *x);

/*
 * Housekeeping, from the sampler thread: drop containers whose init died and
 * cached renders past their TTL, so an idle daemon holds little memory.
 */
void ctr_table_sweep(struct daemon *d);

/*
 * References to the containers whose loadavg was read since `since`; the
 * caller unrefs each and frees the array.
 */
int ctr_table_collect_loadavg(struct daemon *d, uint64_t since, struct ctr ***ret, size_t *ret_n);
