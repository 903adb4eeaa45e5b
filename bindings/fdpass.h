/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

/*
 * Passing file descriptors over a unix socket (SCM_RIGHTS): one place for
 * the control-message arithmetic that the daemon, the keeper, the launcher,
 * burrow-net and the control socket's clients all need.
 */

/* The most fds one message carries here; the kernel's own limit is 253. */
#define FDPASS_MAX 64

/*
 * Sends len bytes of buf (at least one byte on a stream socket, or the fds
 * do not travel) and nfds fds in one message, to addr if it is not NULL.
 * Never raises SIGPIPE. Returns 0 or a negative errno (-EINVAL for more than
 * FDPASS_MAX fds).
 */
int fdpass_sendto(int sock, const struct sockaddr *addr, socklen_t addrlen, const void *buf,
		  size_t len, const int *fds, size_t nfds);

static inline int fdpass_send(int sock, const void *buf, size_t len, const int *fds, size_t nfds)
{
	return fdpass_sendto(sock, NULL, 0, buf, len, fds, nfds);
}

/*
 * Receives one message into buf and its fds (close-on-exec) into fds[0 ..
 * *ret_nfds). Returns the bytes received (0: the peer has gone) or a negative
 * errno, retrying EINTR. A message whose fds did not all fit in max_fds, or
 * whose bytes did not fit in size on a datagram or seqpacket socket, is
 * -EMSGSIZE, with every fd it brought closed: a sender cannot leave fds in
 * the receiver that it does not expect.
 */
ssize_t fdpass_recv(int sock, void *buf, size_t size, int *fds, size_t max_fds, size_t *ret_nfds);

/*
 * For a receiver whose peer may be hostile, or whose socket is polled
 * elsewhere: flags go to recvmsg() (MSG_DONTWAIT: -EAGAIN when nothing is
 * there), and each fd refused is handed to drop(fd, userdata) rather than
 * close()d, because close() of a file on a FUSE filesystem that the sender
 * serves waits for the sender's answer (fs/serve/fdcloser.h).
 */
struct fdpass_opts {
	int flags;
	void (*drop)(int fd, void *userdata);
	void *userdata;
};

/* fdpass_recv() with opts (NULL: none); fdpass_recv() is this with NULL. */
ssize_t fdpass_recv_ex(int sock, const struct fdpass_opts *opts, void *buf, size_t size, int *fds,
		       size_t max_fds, size_t *ret_nfds);
