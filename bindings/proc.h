/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * One parser for each per-process file of /proc that burrow reads: status
 * (NSpid), the ns/ links, stat, cgroup and mountinfo. Each comes as a pure
 * parser of text (what the unit tests and the fuzzers feed) and, where
 * callers read the file whole, a reader relative to a directory fd: base is
 * the process's directory below it ("proc/12", "proc/12/task/13", "12"
 * below an fd of /proc, "/proc/12" with AT_FDCWD).
 */

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Pid namespaces nest at most 32 deep (MAX_PID_NS_LEVEL): 33 NSpid entries. */
#define BURROW_NSPID_MAX 33

/* What proc/PID/status says about a process's place among pid namespaces. */
struct burrow_proc_status {
	pid_t tgid;		       /* -1 when the text has no Tgid line */
	pid_t ppid;		       /* -1 when it has no PPid line; 0: the top of its tree */
	unsigned depth;		       /* NSpid entries: 1 in the reader's own namespace */
	pid_t nspid[BURROW_NSPID_MAX]; /* the NSpid line, outermost first */
};

/* -EOPNOTSUPP without an NSpid line (before Linux 4.1), -EINVAL when it is malformed. */
int burrow_parse_status(const char *text, struct burrow_proc_status *ret);
/* base/status; -ESRCH when the process is gone. */
int burrow_read_status(int dir_fd, const char *base, struct burrow_proc_status *ret);

/* What burrow_proc_nspid reports from base/status. */
struct burrow_nspid {
	pid_t tgid;	/* the thread group: pid itself unless pid names a thread */
	pid_t ppid;	/* 0 for the top of the root fd's namespace */
	unsigned depth; /* entries of the NSpid line: 1 in the root fd's namespace */
	pid_t inner;	/* last NSpid entry: its pid inside its own namespace */
};

/*
 * proc/PID/status under root_fd. -ESRCH when the process is gone,
 * -EOPNOTSUPP when the kernel has no NSpid, -EINVAL without Tgid or PPid.
 */
int burrow_proc_nspid(int root_fd, pid_t pid, struct burrow_nspid *ret);

/*
 * The NSpid line of proc/PID/status: pids outermost first. Returns how many
 * (at most size); -ESRCH when the process is gone.
 */
int burrow_nspid_list(int root_fd, pid_t pid, pid_t *buf, size_t size);

/* The inode of a namespace link's text: "pid:[4026531836]" with type "pid". */
int burrow_parse_ns_link(const char *link, const char *type, uint64_t *ret);
/* The link base/ns/<type>; -ESRCH when the process is gone. */
int burrow_read_ns_link(int dir_fd, const char *base, const char *type, uint64_t *ret);
/* Inode of the pid namespace link proc/PID/ns/pid under root_fd. */
int burrow_pidns_inode(int root_fd, pid_t pid, uint64_t *ret);

/* The fields of proc/PID/stat that burrow uses. */
struct burrow_proc_stat {
	char state;	    /* field 3: 'R', 'S', 'D', ... */
	uint64_t starttime; /* field 22: clock ticks after boot */
};

int burrow_parse_stat(const char *text, struct burrow_proc_stat *ret);
/* base/stat; -ENODATA (as read_full_at) when the process is gone. */
int burrow_read_stat(int dir_fd, const char *base, struct burrow_proc_stat *ret);

/*
 * Start time (field 22) and state (field 3) of proc/PID/stat under root_fd
 * (AT_FDCWD: the host's /proc). ret_state may be NULL.
 */
int proc_pid_stat(int root_fd, pid_t pid, uint64_t *ret_start, char *ret_state);
/* Start time (field 22) of proc/PID/stat. */
int proc_pid_starttime(int root_fd, pid_t pid, uint64_t *ret);

/* One line of proc/PID/cgroup, "ID:CONTROLLERS:PATH", pointing into the text. */
struct burrow_cgroup_line {
	const char *id, *controllers, *path;
	size_t id_len, controllers_len, path_len;
};

/*
 * The next line at *p, advancing *p past it. 1: ret is filled; 0: the text
 * is done. Lines without two ':' are passed over. The path may hold ':'.
 */
int burrow_proc_cgroup_next(const char **p, struct burrow_cgroup_line *ret);

/* One line of proc/PID/mountinfo (proc(5)), its fields unescaped. */
struct burrow_mountinfo {
	unsigned id, parent, major, minor;
	char *root, *mountpoint, *options, *fstype, *source, *superopts;
};

/*
 * Splits line (its trailing newline allowed) in place and undoes the
 * kernel's \ooo escapes of blanks and backslashes in root, mount point and
 * source. -EINVAL for a line that is not one.
 */
int burrow_parse_mountinfo_line(char *line, struct burrow_mountinfo *ret);
