/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

/*
 * A generic netlink socket to taskstats, which counts the tasks of one v1
 * cgroup by state in a single call. One per thread: requests and replies
 * are matched by sequence number on the socket.
 */
struct burrow_cgstats;

struct burrow_cgcount {
	uint64_t running;	  /* TASK_RUNNING */
	uint64_t uninterruptible; /* TASK_UNINTERRUPTIBLE, and other sleeps waiting for I/O */
};

/* -EOPNOTSUPP: a kernel without taskstats. */
int burrow_cgstats_new(struct burrow_cgstats **ret);
void burrow_cgstats_free(struct burrow_cgstats *s);
/*
 * The tasks of the cgroup whose directory is dir_fd, not of its children.
 * -EOPNOTSUPP: the kernel does not count this cgroup (a cgroup2 directory).
 */
int burrow_cgstats_get(struct burrow_cgstats *s, int dir_fd, struct burrow_cgcount *ret);
