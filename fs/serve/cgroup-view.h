/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <sys/types.h>

#include "caller.h"
#include "cgtree.h"
#include "fuse-ll.h"
#include "pidns.h"

struct daemon;
struct dirlist;
struct log;

/* A path of the cgroup tree, as one reader sees it. */
struct cgview {
	int hier_fd; /* the hierarchy's mount point, O_PATH */
	bool host;   /* a host reader: the whole tree, pids as they are */
	bool v2;     /* the hierarchy is cgroup v2 */
	enum burrow_cgtree_where where;
	const char *next; /* ABOVE: the one entry shown (into top) */
	size_t next_len;
	const char *name;		  /* last component of rel ("" at a hierarchy's root) */
	char top[BURROW_CGTREE_PATH_MAX]; /* the container's cgroup, in the view's terms */
	char rel[BURROW_CGTREE_PATH_MAX]; /* the path in the view's terms */
	char host_rel[BURROW_CGTREE_PATH_MAX]; /* the same below the hierarchy's mount */
};

/*
 * Resolves vpath ("memory/a/b") for the reader of req. -ENOENT for a
 * hierarchy that does not exist; a path outside the reader's cgroups is not
 * an error here but where == BURROW_CGTREE_OUTSIDE. The caller closes
 * v->hier_fd (cgview_done).
 */
int cgview_resolve(fuse_req_t req, const char *vpath, struct cgview *v);
void cgview_done(struct cgview *v);

/* A view closed when it goes out of scope: declare it `_cleanup_cgview_ struct cgview v =
 * CGVIEW_INIT;`. */
#define CGVIEW_INIT               \
	{                         \
		.hier_fd = -EBADF \
	}
#define _cleanup_cgview_ __attribute__((cleanup(cgview_done)))

/* Opens the view's host file (below hier_fd), never through a symlink. */
int cgview_open(const struct cgview *v, int flags);

/* Hierarchy names for cgroup/ itself. */
int cgview_list_hierarchies(struct daemon *d, struct dirlist *l);

/*
 * Runs the calling worker thread as the process that sent req (its ids,
 * groups and no more capabilities than it holds over the host) until
 * cgcred_end(), so the kernel checks what the thread does as if that
 * process did it. A caller that holds all the daemon holds (host root with
 * its capabilities) is served with the daemon's own credentials.
 */
struct cgcred {
	bool switched;
	struct log *log;
	struct thread_cred self;
};
/* The credentials of the process that sent req. */
int cgcred_caller(fuse_req_t req, struct caller *ret);
int cgcred_begin(fuse_req_t req, struct cgcred *c);
/* The same for an identity taken earlier (the opener of a file). */
int cgcred_begin_as(struct daemon *d, const struct caller *who, struct cgcred *c);
/* Aborts the daemon if the thread cannot get its own credentials back. */
void cgcred_end(struct cgcred *c);

/* The pid namespace of the process that sent req. */
int cgview_req_pidns(fuse_req_t req, struct burrow_pidns *ret);
/* cgroup.procs, tasks, cgroup.threads: pid lists. */
bool cgview_is_pidfile(const char *name);
