/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "macro.h"

#define RL_INTERVAL_NS (5 * NSEC_PER_SEC)
#define RL_BURST       10

void log_init(struct log *l, bool debug)
{
	*l = (struct log){
		.max_prio = debug ? LOG_DEBUG : LOG_INFO,
		.journal = getenv("JOURNAL_STREAM") != NULL,
	};
}

static __attribute__((format(printf, 4, 0))) void log_write(const struct log *l, int prio,
							    int error, const char *fmt, va_list ap)
{
	char buf[1024];
	size_t n = 0;
	int k;

	if (l->journal)
		n = (size_t)snprintf(buf, sizeof(buf), "<%d>", prio);
	else
		n = (size_t)snprintf(buf, sizeof(buf), "burrowfs: ");
	/* %m in fmt stands for error, as in systemd's log_*_errno(). */
	errno = error;
	k = vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
	if (k < 0)
		return;
	n = MIN(n + (size_t)k, sizeof(buf) - 2);
	buf[n++] = '\n';
	/* One write per line: worker threads log concurrently. */
	(void)!write(STDERR_FILENO, buf, n);
}

void log_full(struct log *l, int prio, const char *fmt, ...)
{
	va_list ap;

	if (prio > l->max_prio)
		return;
	va_start(ap, fmt);
	log_write(l, prio, 0, fmt, ap);
	va_end(ap);
}

int log_errno(struct log *l, int prio, int error, const char *fmt, ...)
{
	va_list ap;

	if (prio > l->max_prio)
		return error;
	va_start(ap, fmt);
	log_write(l, prio, error < 0 ? -error : error, fmt, ap);
	va_end(ap);
	return error;
}

static bool ratelimit_pass(struct log *l)
{
	uint64_t now = now_ns();
	uint64_t begin = __atomic_load_n(&l->rl_begin, __ATOMIC_RELAXED);

	/* Racy by design: losing a count under contention costs nothing. */
	if (now - begin > RL_INTERVAL_NS) {
		unsigned dropped = __atomic_exchange_n(&l->rl_dropped, 0, __ATOMIC_RELAXED);

		__atomic_store_n(&l->rl_begin, now, __ATOMIC_RELAXED);
		__atomic_store_n(&l->rl_count, 0, __ATOMIC_RELAXED);
		if (dropped > 0)
			log_full(l, LOG_DEBUG, "%u messages suppressed", dropped);
	}
	if (__atomic_add_fetch(&l->rl_count, 1, __ATOMIC_RELAXED) <= RL_BURST)
		return true;
	__atomic_add_fetch(&l->rl_dropped, 1, __ATOMIC_RELAXED);
	return false;
}

void log_ratelimited(struct log *l, int error, const char *fmt, ...)
{
	va_list ap;

	if (LOG_DEBUG > l->max_prio || !ratelimit_pass(l))
		return;
	va_start(ap, fmt);
	log_write(l, LOG_DEBUG, error < 0 ? -error : error, fmt, ap);
	va_end(ap);
}
