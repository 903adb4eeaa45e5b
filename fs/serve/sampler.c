/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "sampler.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cgstats.h"
#include "clock.h"
#include "daemon.h"

/* The kernel's LOAD_FREQ: averages decay per 5 s tick. */
#define TICK_NS		(5 * NSEC_PER_SEC)
/* A container nobody asked for its loadavg in this long is sampled no more. */
#define LOADAVG_IDLE_NS (10 * 60 * NSEC_PER_SEC)

static bool should_stop(struct sampler *s)
{
	bool stop;

	pthread_mutex_lock(&s->lock);
	stop = s->stop;
	pthread_mutex_unlock(&s->lock);
	return stop;
}

/* One container's tick: the task count runs without any lock; only the update takes one. */
static void sample_one(struct daemon *d, struct burrow_cgstats *cs, struct ctr *x)
{
	struct burrow_container c;
	struct burrow_tasks t;
	int r;

	pthread_mutex_lock(&x->lock);
	r = burrow_container_copy(&x->c, &c);
	pthread_mutex_unlock(&x->lock);
	if (r < 0)
		return;
	r = burrow_gather_active(d->root_fd, &c, cs, &t);
	burrow_container_done(&c);
	if (r < 0) {
		log_ratelimited(&d->log, r, "loadavg sample of pid %d: %m", (int)x->init_pid);
		return;
	}
	if (t.host)
		return; /* no cgroup of its own: it reads the host's loadavg */
	pthread_mutex_lock(&x->lock);
	burrow_loadavg_tick(&x->load, (unsigned long)(t.running + t.blocked));
	pthread_mutex_unlock(&x->lock);
}

static void sample_loadavg(struct daemon *d, struct burrow_cgstats *cs)
{
	uint64_t now = now_ns();
	struct ctr **v = NULL;
	size_t n = 0, i;

	if (ctr_table_collect_loadavg(d, now > LOADAVG_IDLE_NS ? now - LOADAVG_IDLE_NS : 0, &v,
				      &n) < 0)
		return;
	/*
	 * Cost is one taskstats call per cgroup of each active container (a
	 * stat read per task where the kernel cannot count: cgroup2), and a
	 * stop request cuts the round short.
	 */
	for (i = 0; i < n && !should_stop(&d->sampler); i++)
		sample_one(d, cs, v[i]);
	for (i = 0; i < n; i++)
		ctr_unref(v[i]);
	free(v);
}

static void *sampler_main(void *arg)
{
	struct daemon *d = arg;
	struct sampler *s = &d->sampler;
	struct burrow_cgstats *cs = NULL;
	struct timespec deadline;
	int r;

	/* The socket is this thread's: its replies are matched to its requests. */
	if (d->opts.loadavg) {
		r = burrow_cgstats_new(&cs);
		if (r < 0)
			log_errno(&d->log, LOG_INFO, r,
				  "No taskstats (%m): loadavg reads each task's state instead");
	}
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	for (;;) {
		bool stop;

		/* Absolute deadlines: a slow round shortens the next wait, ticks don't drift. */
		deadline.tv_sec += TICK_NS / NSEC_PER_SEC;
		pthread_mutex_lock(&s->lock);
		while (!s->stop &&
		       pthread_cond_timedwait(&s->cond, &s->lock, &deadline) != ETIMEDOUT)
			;
		stop = s->stop;
		pthread_mutex_unlock(&s->lock);
		if (stop)
			break;
		if (d->opts.loadavg)
			sample_loadavg(d, cs);
		ctr_table_sweep(d);
	}
	burrow_cgstats_free(cs);
	return NULL;
}

int sampler_start(struct daemon *d)
{
	struct sampler *s = &d->sampler;
	pthread_condattr_t attr;
	sigset_t all, old;
	int r;

	pthread_mutex_init(&s->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cond, &attr);
	pthread_condattr_destroy(&attr);
	s->stop = false;

	/* Signals go to the main thread, which ends the FUSE loop. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	r = pthread_create(&s->thread, NULL, sampler_main, d);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0)
		return -r;
	s->running = true;
	return 0;
}

void sampler_stop(struct daemon *d)
{
	struct sampler *s = &d->sampler;

	if (!s->running)
		return;
	pthread_mutex_lock(&s->lock);
	s->stop = true;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	s->running = false;
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
}
