/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Pids across pid namespaces, for burrowfs's cgroup tree: a pid a container
 * writes to cgroup.procs is numbered in its namespace, the pids a cgroup
 * lists are the root fd's. Everything reads proc/ (and, for
 * burrow_pid_from_ns_in, sys/fs/cgroup/) under a root fd, so the unit tests
 * run it on fixture trees.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "strbuf.h"

/* A pid namespace as seen from the root fd's: its inode and its level (1: the root fd's). */
struct burrow_pidns {
	uint64_t inode;
	unsigned level;
};

/* The pid namespace of process pid: its ns/pid inode and its NSpid depth. */
int burrow_pidns_of(int root_fd, pid_t pid, struct burrow_pidns *ret);

/*
 * Host pid (a pid of the root fd's namespace) to its number in ns. -ESRCH
 * when the process is not in ns or any namespace below it (or is gone).
 */
int burrow_pid_to_ns(int root_fd, pid_t host, const struct burrow_pidns *ns, pid_t *ret);

/*
 * The inverse: pid as numbered in ns to the host's number. Threads count
 * too when threads is set (the "tasks" file takes thread ids). -ESRCH when
 * ns has no such pid.
 */
int burrow_pid_from_ns(int root_fd, pid_t pid, const struct burrow_pidns *ns, bool threads,
		       pid_t *ret);

/*
 * The same, searching only the threads listed in the cgroup at cg_path
 * (below the root fd) and its descendants, in their "tasks" (v1) or
 * "cgroup.threads" (v2) files: a thread id in ns to the host's. The work is
 * bounded by the size of that subtree. -ESRCH when no listed thread is pid
 * in ns.
 */
int burrow_pid_from_ns_in(int root_fd, const char *cg_path, bool v2, pid_t pid,
			  const struct burrow_pidns *ns, pid_t *ret);

/*
 * The text of a cgroup.procs or tasks file (one host pid a line) with each
 * pid renumbered for ns; pids outside ns are left out.
 */
int burrow_cgtree_translate_pids(int root_fd, const char *text, const struct burrow_pidns *ns,
				 struct strbuf *out);

/*
 * Host uid (gid) host_id as the user namespace of process pid numbers it
 * (proc/PID/uid_map, gid_map). -ENOENT when that namespace does not map it.
 */
int burrow_id_to_ns(int root_fd, pid_t pid, bool gid, uint32_t host_id, uint32_t *ret);
