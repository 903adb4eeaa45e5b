/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <pthread.h>
#include <stdbool.h>

struct daemon;

/*
 * One background thread, ticking every 5 seconds (the kernel's LOAD_FREQ):
 * unless --disable-loadavg it counts the tasks of each container whose
 * loadavg was read in the last minutes, and always it sweeps the cache of
 * dead containers and stale renders. It holds no lock that readers need across any I/O.
 */
struct sampler {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop;
	bool running;
};

int sampler_start(struct daemon *d);
/* Wakes the thread and joins it: returns within one container's sample. */
void sampler_stop(struct daemon *d);
