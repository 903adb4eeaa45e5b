/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ctr.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "clock.h"
#include "daemon.h"
#include "macro.h"
#include "resolve.h"

int ctr_table_init(struct ctr_table *t, size_t max)
{
	size_t nb = 16;

	while (nb < max)
		nb *= 2;
	*t = (struct ctr_table){ .nbuckets = nb, .max = max };
	t->buckets = calloc(nb, sizeof(*t->buckets));
	if (!t->buckets)
		return -ENOMEM;
	pthread_rwlock_init(&t->lock, NULL);
	return 0;
}

void ctr_table_done(struct ctr_table *t)
{
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct ctr *x = t->buckets[i];

		while (x) {
			struct ctr *next = x->next;

			ctr_unref(x);
			x = next;
		}
	}
	free(t->buckets);
	pthread_rwlock_destroy(&t->lock);
}

static void ctr_free(struct ctr *x)
{
	if (x->pidfd >= 0)
		close(x->pidfd);
	burrow_container_done(&x->c);
	if (x->cpu_time)
		burrow_cpu_done(&x->cpu);
	burrow_stat_state_done(&x->stat);
	for (size_t k = 0; k < _VF_MAX; k++)
		blob_unref(x->files[k].blob);
	pthread_mutex_destroy(&x->lock);
	free(x);
}

struct ctr *ctr_ref(struct ctr *x)
{
	__atomic_add_fetch(&x->refs, 1, __ATOMIC_RELAXED);
	return x;
}

void ctr_unref(struct ctr *x)
{
	if (x && __atomic_sub_fetch(&x->refs, 1, __ATOMIC_ACQ_REL) == 0)
		ctr_free(x);
}

static struct ctr *ctr_alloc(uint64_t pidns, pid_t init)
{
	struct ctr *x = calloc(1, sizeof(*x));

	if (!x)
		return NULL;
	x->refs = 1;
	x->pidns = pidns;
	x->init_pid = init;
	x->pidfd = -1;
	pthread_mutex_init(&x->lock, NULL);
	return x;
}

int ctr_new_host(struct daemon *d, struct ctr **ret)
{
	struct ctr *x = ctr_alloc(d->self_pidns, 0);

	if (!x)
		return -ENOMEM;
	*ret = x;
	return 0;
}

/*
 * A zero-timeout poll: a pidfd turns readable once its process has exited.
 * Without pidfds (Linux < 5.3) the start time tells a reused pid apart.
 */
static bool ctr_alive(struct daemon *d, const struct ctr *x)
{
	uint64_t start;

	if (x->pidfd >= 0) {
		struct pollfd p = { .fd = x->pidfd, .events = POLLIN };

		return poll(&p, 1, 0) == 0;
	}
	return proc_pid_starttime(d->root_fd, x->init_pid, &start) == 0 && start == x->init_start;
}

/*
 * The init's cgroups, and whether it has a cgroup namespace of its own
 * (then cgroup/ shows its cgroup as the root).
 */
static int ctr_load(struct daemon *d, pid_t init, struct burrow_container *ret, bool *ret_cgns)
{
	struct burrow_container c;
	uint64_t ns = 0;
	char base[32];
	int r;

	r = burrow_container_load(d->root_fd, d->layout, init, &c);
	if (r < 0)
		return r;
	/* self_cgns 0: a kernel without cgroup namespaces. */
	snprintf(base, sizeof(base), "proc/%d", (int)init);
	if (d->self_cgns != 0) {
		r = burrow_read_ns_link(d->root_fd, base, "cgroup", &ns);
		if (r < 0) {
			burrow_container_done(&c);
			return r;
		}
	}
	*ret = c;
	*ret_cgns = ns != d->self_cgns;
	return 0;
}

static int ctr_new(struct daemon *d, uint64_t pidns, pid_t init, struct ctr **ret)
{
	struct ctr *x = ctr_alloc(pidns, init);
	uint64_t ns;
	int r;

	if (!x)
		return -ENOMEM;
	x->pidfd = (int)syscall(SYS_pidfd_open, init, 0);
	if (x->pidfd < 0 && errno != ENOSYS) {
		r = -errno;
		goto fail;
	}
	/*
	 * The init pid may have been reused since it was found; the namespace
	 * check after pidfd_open, and the liveness check after that, prove the
	 * pidfd holds the init itself.
	 */
	r = burrow_pidns_inode(d->root_fd, init, &ns);
	if (r >= 0 && ns != pidns)
		r = -ESRCH;
	if (r < 0)
		goto fail;
	r = ctr_load(d, init, &x->c, &x->cgns);
	if (r < 0)
		goto fail;
	x->c_time = now_ns();
	x->init_start = x->c.init_start;
	if (!ctr_alive(d, x)) {
		r = -ESRCH;
		goto fail;
	}
	*ret = x;
	return 0;
fail:
	ctr_free(x);
	return r;
}

static struct ctr **bucket(struct ctr_table *t, uint64_t pidns)
{
	/* Namespace inodes are sequential: the low bits spread well. */
	return &t->buckets[pidns & (t->nbuckets - 1)];
}

static void unlink_locked(struct ctr_table *t, struct ctr *x)
{
	for (struct ctr **pp = bucket(t, x->pidns); *pp; pp = &(*pp)->next)
		if (*pp == x) {
			*pp = x->next;
			x->next = NULL;
			x->in_table = false;
			t->n--;
			return;
		}
}

static struct ctr *table_find(struct ctr_table *t, uint64_t pidns)
{
	struct ctr *x;

	pthread_rwlock_rdlock(&t->lock);
	for (x = *bucket(t, pidns); x; x = x->next)
		if (x->pidns == pidns) {
			ctr_ref(x);
			break;
		}
	pthread_rwlock_unlock(&t->lock);
	return x;
}

static void table_remove(struct ctr_table *t, struct ctr *x)
{
	bool drop = false;

	pthread_rwlock_wrlock(&t->lock);
	if (x->in_table) {
		unlink_locked(t, x);
		drop = true;
	}
	pthread_rwlock_unlock(&t->lock);
	if (drop)
		ctr_unref(x);
}

void ctr_table_drop(struct daemon *d, struct ctr *x)
{
	table_remove(&d->table, x);
}

/* Makes room for one: a container whose init died if any, else the least recently used. */
static struct ctr *evict_locked(struct daemon *d)
{
	struct ctr_table *t = &d->table;
	struct ctr *victim = NULL;

	for (size_t i = 0; i < t->nbuckets; i++)
		for (struct ctr *x = t->buckets[i]; x; x = x->next) {
			if (!ctr_alive(d, x)) {
				unlink_locked(t, x);
				return x;
			}
			if (!victim ||
			    __atomic_load_n(&x->last_used, __ATOMIC_RELAXED) <
				    __atomic_load_n(&victim->last_used, __ATOMIC_RELAXED))
				victim = x;
		}
	if (victim)
		unlink_locked(t, victim);
	return victim;
}

/*
 * Inserts x, whose reference moves to the table, and returns the entry to
 * use with a reference for the caller.
 */
static struct ctr *table_insert(struct daemon *d, struct ctr *x)
{
	struct ctr_table *t = &d->table;
	struct ctr *evicted = NULL, *other;

	pthread_rwlock_wrlock(&t->lock);
	/* Another reader of the same namespace may have won the race. */
	for (other = *bucket(t, x->pidns); other; other = other->next)
		if (other->pidns == x->pidns)
			break;
	if (other && ctr_alive(d, other)) {
		ctr_ref(other);
		pthread_rwlock_unlock(&t->lock);
		ctr_unref(x);
		return other;
	}
	if (other)
		unlink_locked(t, other);
	else if (t->n >= t->max)
		evicted = evict_locked(d);
	x->next = *bucket(t, x->pidns);
	*bucket(t, x->pidns) = x;
	x->in_table = true;
	t->n++;
	ctr_ref(x);
	pthread_rwlock_unlock(&t->lock);
	ctr_unref(other);
	ctr_unref(evicted);
	return x;
}

/*
 * Before Linux 6.11 a reader that entered its namespace with setns() has
 * its init found by a scan of the host's /proc; a found init is kept in the
 * table, keyed by the namespace. A reader whose init was not found is
 * remembered for a second, so its retries (every read it makes) cost no
 * scan each. The reader's pid is part of the key: a namespace inode the
 * kernel reuses for a new container must not inherit the miss.
 */
#define CTR_MISS_NS NSEC_PER_SEC

static bool missed_lately(struct ctr_table *t, uint64_t pidns, pid_t reader)
{
	uint64_t now = now_ns();
	bool hit = false;

	pthread_rwlock_rdlock(&t->lock);
	for (size_t i = 0; i < CTR_MISSES && !hit; i++)
		hit = t->misses[i].time && t->misses[i].pidns == pidns &&
		      t->misses[i].reader == reader && now - t->misses[i].time < CTR_MISS_NS;
	pthread_rwlock_unlock(&t->lock);
	return hit;
}

static void remember_miss(struct ctr_table *t, uint64_t pidns, pid_t reader)
{
	pthread_rwlock_wrlock(&t->lock);
	t->misses[t->next_miss] = (struct ctr_miss){ pidns, reader, now_ns() };
	t->next_miss = (t->next_miss + 1) % CTR_MISSES;
	pthread_rwlock_unlock(&t->lock);
}

int ctr_get(struct daemon *d, pid_t reader, struct ctr **ret)
{
	struct ctr *x;
	uint64_t pidns;
	pid_t init;
	int r;

	if (reader <= 0) {
		*ret = ctr_ref(d->host);
		return 0;
	}
	r = burrow_pidns_inode(d->root_fd, reader, &pidns);
	if (r < 0)
		return r;
	if (pidns == d->self_pidns) {
		*ret = ctr_ref(d->host);
		return 0;
	}
	x = table_find(&d->table, pidns);
	if (x && !ctr_alive(d, x)) {
		/* The init died: the namespace inode may now name a new container. */
		table_remove(&d->table, x);
		ctr_unref(x);
		x = NULL;
	}
	if (!x) {
		if (missed_lately(&d->table, pidns, reader))
			return -ESRCH;
		r = burrow_find_init(d->root_fd, reader, pidns, &init);
		/* Only answers about the namespace: our own failures (ENOMEM) are retried. */
		if (r == -ESRCH || r == -ENOENT)
			remember_miss(&d->table, pidns, reader);
		if (r < 0)
			return r;
		r = ctr_new(d, pidns, init, &x);
		if (r < 0)
			return r;
		x = table_insert(d, x);
	}
	__atomic_store_n(&x->last_used, now_ns(), __ATOMIC_RELAXED);
	*ret = x;
	return 0;
}

/*
 * How long a container's cgroup paths (its init's /proc/PID/cgroup, read
 * and parsed) are kept. They change only when the init is moved to another
 * cgroup, which is rare, while renders expire every --cache-ms (100 ms): to
 * re-read them at that pace would cost an open and a parse per container
 * and render for nothing. The staleness this allows: a container moved to
 * another cgroup shows the old cgroup's values (and cgroup/ tree) for up to
 * a second. A longer --cache-ms wins, as nothing is fresher than it anyway.
 */
#define CTR_CGROUP_TTL_NS NSEC_PER_SEC

int ctr_container_locked(struct daemon *d, struct ctr *x, const struct burrow_container **ret)
{
	int r;

	if (now_ns() - x->c_time >= MAX(d->cache_ns, CTR_CGROUP_TTL_NS)) {
		r = ctr_reload_locked(d, x);
		if (r < 0)
			return r;
	}
	*ret = &x->c;
	return 0;
}

static bool same_cgroups(const struct burrow_container *a, const struct burrow_container *b)
{
	for (size_t k = 0; k < _BURROW_CG_MAX; k++) {
		const char *pa = a->cg[k].path, *pb = b->cg[k].path;

		if (!pa != !pb || (pa && strcmp(pa, pb) != 0))
			return false;
	}
	return true;
}

int ctr_reload_locked(struct daemon *d, struct ctr *x)
{
	struct burrow_container c;
	bool moved, cgns;
	int r;

	r = ctr_load(d, x->init_pid, &c, &cgns);
	if (r < 0)
		return r;
	if (c.init_start != x->init_start) {
		burrow_container_done(&c);
		return -ESRCH;
	}
	moved = !same_cgroups(&c, &x->c);
	burrow_container_done(&x->c);
	x->c = c;
	x->cgns = cgns;
	x->c_time = now_ns();
	if (moved && x->cpu_time) {
		burrow_cpu_done(&x->cpu);
		x->cpu_time = 0;
	}
	return moved;
}

bool ctr_error_gone(int r)
{
	return r == -ENOENT || r == -ENODATA || r == -ESTALE || r == -ENODEV;
}

static int gather_cpu_locked(struct daemon *d, struct ctr *x, struct burrow_cpu *ret)
{
	const struct burrow_container *c;
	int r;

	r = ctr_container_locked(d, x, &c);
	if (r < 0)
		return r;
	return burrow_gather_cpu(d->root_fd, c, &d->opts, ret);
}

int ctr_cpu_locked(struct daemon *d, struct ctr *x, const struct burrow_cpu **ret)
{
	struct burrow_cpu cpu;
	uint64_t now = now_ns();
	int r;

	if (x->cpu_time == 0 || now - x->cpu_time >= d->cache_ns) {
		r = gather_cpu_locked(d, x, &cpu);
		/* The init moved to another cgroup and the old one is gone: follow it now. */
		if (r < 0 && ctr_error_gone(r) && ctr_reload_locked(d, x) > 0)
			r = gather_cpu_locked(d, x, &cpu);
		if (r < 0)
			return r;
		if (x->cpu_time)
			burrow_cpu_done(&x->cpu);
		x->cpu = cpu;
		x->cpu_time = now;
	}
	*ret = &x->cpu;
	return 0;
}

static void drop_stale_renders(struct daemon *d, struct ctr *x, uint64_t now)
{
	/* A render in progress holds the lock: skip it rather than wait on its I/O. */
	if (pthread_mutex_trylock(&x->lock) != 0)
		return;
	for (size_t k = 0; k < _VF_MAX; k++)
		if (x->files[k].blob && now - x->files[k].time >= d->cache_ns) {
			blob_unref(x->files[k].blob);
			x->files[k].blob = NULL;
		}
	pthread_mutex_unlock(&x->lock);
}

void ctr_table_sweep(struct daemon *d)
{
	struct ctr_table *t = &d->table;
	struct ctr *dead[64];
	uint64_t now = now_ns();
	size_t n = 0;

	/* Readers keep going during the scan; only unlinking the dead takes the write lock. */
	pthread_rwlock_rdlock(&t->lock);
	for (size_t i = 0; i < t->nbuckets; i++)
		for (struct ctr *x = t->buckets[i]; x; x = x->next) {
			if (ctr_alive(d, x))
				drop_stale_renders(d, x, now);
			else if (n < ELEMENTSOF(dead))
				dead[n++] = ctr_ref(x);
		}
	pthread_rwlock_unlock(&t->lock);
	drop_stale_renders(d, d->host, now);
	/* More than fit here are left for the next sweep, or for their next reader. */
	for (size_t i = 0; i < n; i++) {
		table_remove(t, dead[i]);
		ctr_unref(dead[i]);
	}
}

int ctr_table_collect_loadavg(struct daemon *d, uint64_t since, struct ctr ***ret, size_t *ret_n)
{
	struct ctr_table *t = &d->table;
	struct ctr **v = NULL;
	size_t n = 0;

	pthread_rwlock_rdlock(&t->lock);
	if (t->n > 0)
		v = malloc(t->n * sizeof(*v));
	if (t->n > 0 && !v) {
		pthread_rwlock_unlock(&t->lock);
		return -ENOMEM;
	}
	for (size_t i = 0; i < t->nbuckets; i++)
		for (struct ctr *x = t->buckets[i]; x; x = x->next) {
			uint64_t read = __atomic_load_n(&x->loadavg_read, __ATOMIC_RELAXED);

			if (read != 0 && read >= since)
				v[n++] = ctr_ref(x);
		}
	pthread_rwlock_unlock(&t->lock);
	*ret = v;
	*ret_n = n;
	return 0;
}
