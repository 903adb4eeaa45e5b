/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <check.h>

#include "burrow.h"

/*
 * Fixture trees live in tests/fixtures/<case>/: root/ is what the root fd
 * points at (proc/self/mountinfo, proc/<pid>/cgroup, sys/fs/cgroup/..., the
 * host's proc files) and expected/ holds what each renderer must produce.
 * The container under test is the one whose init is FIXTURE_PID.
 */
#define FIXTURE_PID 1000

/* fd of tests/fixtures/<name>/root; fails the test when missing. */
int fixture_root(const char *name);
/* Layout and container of FIXTURE_PID in that tree. */
void fixture_container(int root_fd, struct burrow_container *ret);
/* Contents of root/<path> or expected/<file>; fail the test when missing. */
char *fixture_read(const char *name, const char *rel);
char *fixture_expected(const char *name, const char *file);

/*
 * Compare line by line, so a failure names the first line that differs
 * rather than printing two walls of text.
 */
void assert_text_eq(const char *what, const char *actual, const char *expected);

/* Run one suite as TAP; the return value is the process exit code. */
int fixture_run_suite(Suite *s);
