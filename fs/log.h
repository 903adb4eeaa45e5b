/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <syslog.h>

/*
 * Logging to stderr; under the journal (JOURNAL_STREAM set) each line gets a
 * "<N>" priority prefix so journald files it at the right level. State lives
 * in the daemon struct, never in globals.
 */
struct log {
	int max_prio; /* LOG_INFO, or LOG_DEBUG with -d */
	bool journal;
	/* Rate limit for messages that unprivileged readers can trigger. */
	uint64_t rl_begin;   /* monotonic ns of the current window */
	unsigned rl_count;   /* messages in it */
	unsigned rl_dropped; /* messages suppressed in it */
};

void log_init(struct log *l, bool debug);
void log_full(struct log *l, int prio, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Logs with %m meaning -error; returns error, so callers can `return log_errno(...)`. */
int log_errno(struct log *l, int prio, int error, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/*
 * Debug messages on paths any reader can trigger (a container whose cgroup
 * vanished, a reader that exited): at most a few per window, so a hostile
 * reader cannot flood the log.
 */
void log_ratelimited(struct log *l, int error, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
