/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "fuse-ll.h"

struct caller;
struct handle;

/*
 * Open cgroup and sysfs files pin one daemon fd each for as long as the
 * reader keeps them open. Without a bound one container holding files open
 * runs the daemon out of RLIMIT_NOFILE, and every other container's reads
 * fail with it. So each container (its outermost pid namespace below ours:
 * a nested pid namespace is the same container) may hold at most
 * FDQUOTA_PER_OWNER of them, and all readers together no more than the
 * daemon's limit less a reserve for its own work (renders, cgroup lookups,
 * the journal, one pidfd per container in the table).
 *
 * 4096 per container: a booting systemd guest reads and writes its cgroup
 * files through short-lived opens. A Debian 12 guest with cgroup=burrowfs,
 * booted to "running", was seen to hold at most 4 of our fds at once
 * (sampled every 20 ms), and each of its services starts with a soft
 * RLIMIT_NOFILE of 1024: the cap leaves three orders of magnitude to spare
 * while one container stays far from the daemon's limit.
 */
#define FDQUOTA_PER_OWNER   4096u
#define FDQUOTA_RESERVE_MIN 256u
/* Owners that are host users, not pid namespaces: nsfs inodes never reach bit 63. */
#define FDQUOTA_HOST_UID    (UINT64_C(1) << 63)

struct fdquota_ent;

/* Open fds by owner; the caller serializes (the handle table's lock). */
struct fdquota {
	struct fdquota_ent **buckets; /* FDQUOTA_BUCKETS chains, allocated on first use */
	uint32_t total;
	/*
	 * fds readers may never pin (at most half the limit): the daemon's own
	 * work and the pidfds of the container table. Set before use; at least
	 * FDQUOTA_RESERVE_MIN, and an eighth of the limit.
	 */
	uint32_t reserve;
};

void fdquota_done(struct fdquota *q);

/*
 * Counts one more fd for owner (0: the host, bounded by the total only).
 * -EMFILE past the owner's share, -ENFILE past the total.
 */
int fdquota_charge(struct fdquota *q, uint64_t owner);
void fdquota_release(struct fdquota *q, uint64_t owner);

/*
 * The owner of the reader pid (uid: its uid as the kernel gave it to us):
 * the inode of its outermost pid namespace below self_pidns. A reader of
 * the host (in self_pidns) is its own uid's, with one share per uid as a
 * container has, since any local user may open the mount; uid 0 included,
 * for uid 0 alone is not host root (fdquota_add_handle() decides that).
 */
int fdquota_owner(int root_fd, uint64_t self_pidns, pid_t pid, uid_t uid, uint64_t *ret);

/*
 * handles_add() for the reader of req: an fd handle is charged to the
 * reader's container, or host user. Host root, as caller_read() decides it
 * (struct caller's host_root), is bounded by the total only. who is the
 * reader when the open already read it, else NULL: then only a uid 0 host
 * reader costs a read of its status.
 */
int fdquota_add_handle(fuse_req_t req, const struct handle *x, const struct caller *who,
		       uint64_t *ret_fh);
