/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "serving.h"

#include "pconn.h"

/* Per thread, set only around one request of a per-container connection. */
static __thread struct pconn *serving;

void serving_begin(struct pconn *c)
{
	serving = c;
}

void serving_end(void)
{
	serving = NULL;
}

struct pconn *serving_pconn(void)
{
	return serving;
}

struct daemon *serving_daemon(fuse_req_t req)
{
	return serving ? serving->d : fuse_req_userdata(req);
}
