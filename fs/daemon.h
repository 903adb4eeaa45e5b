/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The daemon's state, and nothing else: no functions are declared here.
 * It includes only the headers of the members it holds by value; those
 * headers never include it back (they name struct daemon forward), so a
 * module's .c file includes daemon.h to reach the state and its own header
 * for its interface.
 */

#include <stdint.h>

#include "burrow.h"
#include "caller.h"
#include "conn.h"
#include "ctlsock.h"
#include "ctr.h"
#include "fuse-ll.h"
#include "handles.h"
#include "log.h"
#include "pconn.h"
#include "sampler.h"
#include "seccomp-agent.h"
#include "seccomp-lxc.h"
#include "sessio.h"
#include "tree.h"
#include "watcher.h"

/* Render-cache TTL when --cache-ms is not given. */
#define DEFAULT_CACHE_MS       100
/* Containers the cache holds before evicting the least recently used. */
#define DEFAULT_MAX_CONTAINERS 1024

/*
 * All of the daemon's state. There are no globals: FUSE handlers reach this
 * through fuse_req_userdata(), the sampler thread through its argument.
 */
struct daemon {
	int root_fd; /* "/", every path is relative to it */
	struct burrow_layout *layout;
	struct burrow_opts opts;
	uint64_t clk_tck;
	uint64_t page_size;	      /* vmstat's unit of pages */
	uint64_t self_pidns;	      /* the daemon's pid namespace: its readers are the host */
	uint64_t self_cgns;	      /* the daemon's cgroup namespace; 0: the kernel has none */
	struct caller_self self_cred; /* what a caller must hold to be host root */
	uint64_t cache_ns;	      /* render-cache TTL */
	uint64_t start_sec;	      /* wall clock at the first mount: the files' times */
	/*
	 * Each rendered file's host owner and mode (vfile_attrs_load()): fixed
	 * while the kernel runs, so read once, not on every open and getattr.
	 */
	struct vfile_attr {
		mode_t mode;
		uid_t uid;
		gid_t gid;
	} vfile_attr[_VF_MAX];
	struct log log;
	struct ctr_table table;
	struct ctr *host;
	struct nodes nodes;
	struct handles handles;
	struct sampler sampler;
	struct conn conn;
	struct sessio sio;
	struct watcher watcher;
	struct agent agent;
	struct lxcp lxcp;     /* LXC's seccomp proxy */
	struct pconns pconns; /* per-container connections */
	struct ctlsock ctl;   /* the control socket that asks for them */
	struct fuse_session *se;
	pthread_t main_thread;
	int stop_mode;	/* enum stop_mode, atomic: the first reason to stop wins */
	bool loop_done; /* atomic: the FUSE loop has returned */
};
