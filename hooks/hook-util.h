/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/*
 * Hooks run under a container runtime, which shows or logs their stderr.
 * Every line names the hook so it can be told apart from the runtime's own.
 */
void hook_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Logs msg with strerror(-r) appended; returns r so callers can `return log...`. */
int hook_log_errno(int r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Read all of fd (at most max bytes), NUL-terminated. -EFBIG when larger. */
int hook_read_all(int fd, size_t max, char **ret, size_t *ret_len);

/* "true", "1", "yes", "on" (any case) mean yes, as OCI annotations spell it. */
bool hook_truthy(const char *s);
