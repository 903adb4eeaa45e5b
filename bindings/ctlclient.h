/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "control.h"
#include "fdpass.h"

/*
 * The client end of burrowfs's control socket (control.h): ask for a
 * container's own FUSE connection, and place the detached mounts it sends
 * over the same paths in the container's root.
 *
 * Everything here works on caller memory and does no allocation, so the
 * launcher's child (between clone() and exec) may receive and place mounts:
 * its parent asks, relays the reply with burrow_ctl_send(), and the child
 * takes it with burrow_ctl_recv(). Error texts are written to err (errlen
 * bytes, NUL-terminated; err may be NULL).
 */

#define BURROW_CTL_SOCKET "/run/burrowfs/control.sock"

/*
 * The control socket of the burrowfs mounted at burrowfs_dir: explicit when
 * one was given; else BURROW_CTL_SOCKET, which burrowfs opens by default for
 * its default mountpoint (BURROWFS_DEFAULT_MOUNT) only; else NULL: no socket
 * is known. A burrowfs elsewhere never gets the default socket's answer, so a
 * container is never served by another daemon than the one it was given.
 */
const char *burrow_ctl_socket_for(const char *burrowfs_dir, const char *explicit);

/* The mounts of one ATTACH reply. Paths stay inside buf: a copy of the struct keeps them. */
struct burrow_ctl_mounts {
	uint32_t n;
	int fd[FDPASS_MAX];	  /* detached mounts; -1 once placed or closed */
	uint16_t off[FDPASS_MAX]; /* path i is buf + off[i] */
	char buf[sizeof(struct burrow_ctl_reply) + BURROW_CTL_MAX + 1];
};

/* Empty: no fds. */
void burrow_ctl_mounts_init(struct burrow_ctl_mounts *m);
/* Closes the fds left; m is empty afterwards. */
void burrow_ctl_mounts_close(struct burrow_ctl_mounts *m);

static inline const char *burrow_ctl_mounts_path(const struct burrow_ctl_mounts *m, uint32_t i)
{
	return m->buf + m->off[i];
}

/*
 * Index of path in m, or -1. Lets a caller replace only the binds the daemon
 * sent a mount for, and keep the shared mount's for the rest.
 */
int burrow_ctl_mounts_find(const struct burrow_ctl_mounts *m, const char *path);

/*
 * A SOCK_SEQPACKET connection to sock_path (NULL: BURROW_CTL_SOCKET), or
 * -errno with a line naming the socket in err.
 */
int burrow_ctl_connect(const char *sock_path, char *err, size_t errlen);

/*
 * One ATTACH reply from sock into *ret (which is overwritten, not closed
 * first). 0, or: the daemon's -errno with its text in err; -EPROTO for a
 * malformed reply or one with more fds than FDPASS_MAX (none of its fds
 * left open); -ECONNRESET when the peer went without a reply.
 */
int burrow_ctl_recv(int sock, struct burrow_ctl_mounts *ret, char *err, size_t errlen);

/* m as one ATTACH reply on sock: the launcher's parent hands its child the mounts. */
int burrow_ctl_send(int sock, const struct burrow_ctl_mounts *m);

/*
 * Asks the daemon at sock_path (NULL: the default) for the container of
 * pidfd's process. 0 and *ret filled (burrow_ctl_mounts_close() it), or
 * -errno with a line in err: the daemon's own text when it refused.
 */
int burrow_ctl_attach(const char *sock_path, int pidfd, struct burrow_ctl_mounts *ret, char *err,
		      size_t errlen);
/*
 * The same with ATTACH's flags: BURROW_CTL_ATTACH_CGROUP adds the cgroup
 * tree's mounts ("cgroup/NAME", placed by the caller where it binds the
 * shared mount's). A daemon that predates a flag refuses it (-EPROTO).
 */
int burrow_ctl_attach_flags(const char *sock_path, int pidfd, uint32_t flags,
			    struct burrow_ctl_mounts *ret, char *err, size_t errlen);

/*
 * Attaches each mount of m over the same path under rootfs_fd (AT_FDCWD: the
 * working directory), resolved as if rootfs_fd were "/" (RESOLVE_IN_ROOT),
 * crossing no symlink and no magic link: a rootfs, or a container's root
 * that set up its /proc, cannot lead the mount elsewhere. The target must
 * have the type of the mount's root (file over file, directory over
 * directory). A missing target is skipped (a kernel without PSI has no
 * /proc/pressure in the container either). Stops at the first failure:
 * -errno and *ret_failed its index (-EISDIR/-ENOTDIR for a type mismatch,
 * -ELOOP for a symlink on the way). *ret_placed (may be NULL) counts what
 * was attached; those fds are closed and set to -1.
 */
int burrow_ctl_place(struct burrow_ctl_mounts *m, int rootfs_fd, uint32_t *ret_placed,
		     uint32_t *ret_failed);

/*
 * The daemon's counters ("name value\n" lines, NUL-terminated) into buf.
 * Returns the text's length or -errno with a line in err. keyval_u64()
 * (parse.h) reads one counter.
 */
int burrow_ctl_stats(const char *sock_path, char *buf, size_t size, char *err, size_t errlen);
