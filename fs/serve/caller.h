/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <linux/capability.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Supplementary groups we carry over; a caller in more is checked with these. */
#define CALLER_MAX_GROUPS 64

/*
 * Who a request acts for: a process's credentials as /proc/PID/status shows
 * them to the daemon (ids in the daemon's user namespace, as the kernel
 * compares them).
 */
struct caller {
	uid_t uid[4]; /* real, effective, saved, filesystem */
	gid_t gid[4];
	gid_t groups[CALLER_MAX_GROUPS];
	size_t n_groups;
	uint64_t cap_eff; /* capabilities over the host only when host_ns */
	bool host_ns;	  /* in the daemon's user namespace */
	bool host_root;	  /* may do all the daemon may: the daemon acts with its own credentials */
};

/*
 * What the daemon is, to compare callers with: its user namespace and its
 * effective capabilities. Both are fixed once it runs (a worker thread
 * always comes back to them), so they are read once, at start.
 */
struct caller_self {
	char userns[64]; /* the ns/user link, "user:[INODE]" */
	uint64_t cap_eff;
};

int caller_self_load(int root_fd, struct caller_self *ret);

/*
 * The credentials of pid (a thread id, as FUSE sends it), compared with self. fsuid and fsgid
 * are the ids the kernel sent with the request: a process whose status says
 * otherwise changed its credentials since, or is another process that took
 * the pid, and gets -ESRCH.
 */
int caller_read(int root_fd, const struct caller_self *self, pid_t pid, uid_t fsuid, gid_t fsgid,
		struct caller *ret);

/* uid[4] of task pid; with leader, of its thread group's leader (as cgroup.procs moves it). */
int caller_task_uids(int root_fd, pid_t pid, bool leader, uid_t ret[4]);

/* The calling thread's own credentials, to come back to. */
struct thread_cred {
	uid_t uid[4];
	gid_t gid[4];
	gid_t groups[CALLER_MAX_GROUPS];
	size_t n_groups;
	struct __user_cap_data_struct cap[_LINUX_CAPABILITY_U32S_3];
};

int thread_cred_save(struct thread_cred *ret);

/*
 * Makes the calling thread (only it) act as c: its ids, groups and
 * effective capabilities, so every check the kernel makes, including those
 * on the effective uid and on capable(), is made as if c did it. On failure
 * the thread is back to self.
 */
int thread_cred_become(const struct caller *c, const struct thread_cred *self);

/* Back to self. Fails only if the thread could not get there: then it must not serve again. */
int thread_cred_restore(const struct thread_cred *self);
