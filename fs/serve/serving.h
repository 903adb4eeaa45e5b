/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "fuse-ll.h"

struct daemon;
struct pconn;

/*
 * Whom a worker thread serves a request for. The shared mount's session has
 * the daemon as its userdata; a per-container connection's has its struct
 * pconn. Code that serves both (cgroup-ops.c, cgroup-view.c, reply.c,
 * fdquota.c) asks here instead of casting fuse_req_userdata(): the worker
 * of a per-container connection marks itself for the length of one request
 * (pconn.c), and a request is served start to end on one thread.
 */
void serving_begin(struct pconn *c);
void serving_end(void);
/* The per-container connection this thread serves a request of; NULL on the shared mount. */
struct pconn *serving_pconn(void);
/* The daemon that serves req. */
struct daemon *serving_daemon(fuse_req_t req);
