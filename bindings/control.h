/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

/*
 * burrowfs's control socket (/run/burrowfs/control.sock, SOCK_SEQPACKET):
 * the messages, and their checks, for both ends. Pure: no I/O here; fds
 * travel beside the bytes (fdpass.h).
 *
 * One request per connection. A runtime, a hook or the launcher asks for a
 * container's own FUSE connection (issue 14), naming the container by a
 * pidfd of one of its processes:
 *
 *   request  struct burrow_ctl_req { op = BURROW_CTL_ATTACH }  + [pidfd]
 *   reply    struct burrow_ctl_reply { error = 0, n }          + n fds
 *            then n paths, each NUL-terminated, relative to the served
 *            tree ("proc/meminfo"): fd i is a detached mount (open_tree)
 *            of path i of that container's connection, for move_mount()
 *            onto the same path in the container.
 *
 *   reply    { error = -errno, n = 0 } then one line of text saying what
 *            is wrong, for the caller to show as is.
 *
 * ATTACH with BURROW_CTL_ATTACH_CGROUP also gets the container's cgroup
 * tree, one mount per hierarchy ("cgroup/memory", "cgroup/name=systemd"),
 * from a second connection of the container's own: files there are opened
 * (a write is judged as its opener, as cgroupfs judges it), which the first
 * connection's no-open caching forbids. The client places each where it
 * binds the shared mount's cgroup/NAME (the launcher: /sys/fs/cgroup/...).
 *
 * BURROW_CTL_STATS takes no fd and replies with text, "name value\n" lines:
 * the daemon's counters, for tests and monitoring.
 */

#define BURROW_CTL_MAGIC   0x43575242u /* "BRWC" */
#define BURROW_CTL_VERSION 1u
/* The most a reply carries: paths or text. */
#define BURROW_CTL_MAX	   4096u

enum burrow_ctl_op {
	BURROW_CTL_ATTACH = 1,
	BURROW_CTL_STATS = 2,
};

/* ATTACH's flags. */
#define BURROW_CTL_ATTACH_CGROUP 1u

struct burrow_ctl_req {
	uint32_t magic, version, op, flags; /* flags: ATTACH's above, else 0 */
};

struct burrow_ctl_reply {
	uint32_t magic, version;
	int32_t error; /* 0 or a negative errno */
	uint32_t n;    /* fds, and paths, that follow */
};

/* A request's bytes and fd count checked: 0, or -EPROTO / -EOPNOTSUPP (unknown op). */
int burrow_ctl_req_check(const void *buf, size_t len, size_t nfds, struct burrow_ctl_req *ret);

/*
 * A reply's bytes checked against the fds that came with it. On success
 * *ret is the header and *ret_body, *ret_body_len what follows it. For an
 * error reply, *ret_body is its text (NUL-terminated in place: buf must have
 * room for one more byte than len). Returns 0 or -EPROTO.
 */
int burrow_ctl_reply_check(void *buf, size_t len, size_t nfds, struct burrow_ctl_reply *ret,
			   const char **ret_body, size_t *ret_body_len);

/*
 * Path i of an ATTACH reply's body of n NUL-terminated paths; NULL past the
 * end or when the body is malformed. A path is relative, without "." or ".."
 * components: a hostile daemon's reply cannot send a client's move_mount()
 * out of the container's root.
 */
const char *burrow_ctl_path(const char *body, size_t len, uint32_t n, uint32_t i);
