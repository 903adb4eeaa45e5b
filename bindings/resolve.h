/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Reader → container: the init of the reader's pid namespace. Every function
 * reads proc/ under a root fd, so the unit tests run them on fake proc trees.
 * Pids are as the root fd's /proc numbers them (the daemon's namespace).
 */

#include <stdint.h>
#include <sys/types.h>

#include "proc.h"

/*
 * The three ways to find the init, cheapest first; each is public so the
 * tests can exercise it alone.
 *
 * by_ioctl: NS_GET_TGID_FROM_PIDNS on the reader's namespace (Linux 6.11+).
 *   -EOPNOTSUPP when the kernel or the tree (a fixture) cannot answer.
 * by_walk: up the PPid chain (from the thread group of pid, which may be a
 *   thread) while the NSpid depth stays the same; the init is the ancestor
 *   whose inner pid is 1. -ENOENT when the chain leaves the
 *   namespace first: the reader entered it with setns() from outside.
 * by_scan: every process of proc/, for the one of namespace pidns whose
 *   inner pid is 1. -ESRCH when there is none.
 */
int burrow_init_by_ioctl(int root_fd, pid_t pid, pid_t *ret);
int burrow_init_by_walk(int root_fd, pid_t pid, uint64_t pidns, pid_t *ret);
int burrow_init_by_scan(int root_fd, uint64_t pidns, pid_t *ret);

/*
 * Thread id tid as pidns (the namespace of process reader) numbers it, to
 * the root fd's number for it: NS_GET_PID_FROM_PIDNS (Linux 6.11), one
 * lookup in the kernel's pid hash. -ESRCH when pidns has no such thread,
 * -EOPNOTSUPP when the kernel or the tree (a fixture) cannot answer.
 */
int burrow_tid_from_ns_ioctl(int root_fd, pid_t reader, uint64_t pidns, pid_t tid, pid_t *ret);

/* The init (a pid of the root fd's namespace) of pidns, which pid belongs to. */
int burrow_find_init(int root_fd, pid_t pid, uint64_t pidns, pid_t *ret);
