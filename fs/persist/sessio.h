/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fuse-ll.h"
#include "journal.h"

struct log;

/*
 * burrowfs reads and writes /dev/fuse through libfuse's custom I/O hooks
 * (fuse_session_custom_io, libfuse 3.14), which lets it
 *
 *   - journal each request a worker reads until its reply is written, so a
 *     daemon that attaches after a crash can answer what was left hanging
 *     (kernels without FUSE_NOTIFY_RESEND);
 *   - remember the kernel's FUSE_INIT, and feed it to libfuse again when a
 *     daemon attaches to a live connection: the kernel sends INIT once per
 *     connection, and libfuse refuses every request before one. Its reply
 *     to that replayed INIT is dropped: the kernel is initialised already.
 */
struct synth_req {
	void *data;
	size_t len;
};

struct sessio {
	struct journal *journal;
	struct log *log;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_key_t slot_key;
	bool key_ok;
	/* Until the replayed INIT is answered no worker may hand libfuse anything else. */
	bool gate;
	bool init_taken;
	uint64_t init_unique; /* the kernel's INIT on a new connection, 0 once answered */
	unsigned char slot_busy[JOURNAL_SLOTS];
	struct synth_req *q; /* the replayed INIT first, then journaled requests */
	size_t qn, qhead;
};

int sessio_init(struct sessio *s, struct journal *j, struct log *log);
void sessio_done(struct sessio *s);

/*
 * For a daemon attaching to a live connection: queue the kernel's INIT, and
 * recover the requests a dead daemon read but never answered, by
 * FUSE_NOTIFY_RESEND when the kernel has it (and allow_resend), else from the
 * journal. Returns how many requests it recovered either way (resent: -1
 * for "all of them, by the kernel").
 */
int sessio_attach(struct sessio *s, int fuse_fd, bool allow_resend, int *ret_recovered);

/* The hooks; their userdata is the daemon. */
extern const struct fuse_custom_io sessio_io;
