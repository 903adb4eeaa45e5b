/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/*
 * Closing fds a local user sent us (SCM_RIGHTS) without waiting on that
 * user: close() of a file on a FUSE filesystem it serves sends FUSE_FLUSH
 * and waits for its answer, which it may hold back forever.
 */

/* Pending closes at most, for one uid (host root: only the total). */
#define FDCLOSER_PER_UID 16
/* Pending closes in all past which every uid but host root is refused. */
#define FDCLOSER_MAX	 1024

/* Starts the one closer thread of the process; again is a no-op. */
int fdcloser_start(void);

/*
 * Takes fd, sent by uid: closed at once when its close cannot wait on
 * anyone (procfs, pipes, anon inodes, local disk filesystems...), else
 * queued for the closer thread. -EUSERS: uid is over its share now (the
 * fd is taken all the same); drop the sender's connection.
 */
int fdcloser_close(int fd, uid_t uid);

/*
 * fdpass_recv_ex()'s drop for the fds a message from a local user brought
 * and that were refused: fdcloser_close() them; sender points to a struct
 * fdcloser_sender, whose over becomes true if that refused any.
 */
struct fdcloser_sender {
	uid_t uid;
	bool over;
};
void fdcloser_drop(int fd, void *sender);

/* Is uid over its share: refuse its connections until its closes drain. */
bool fdcloser_over(uid_t uid);
