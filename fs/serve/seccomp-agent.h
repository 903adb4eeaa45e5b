/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <linux/seccomp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct daemon;

/*
 * The seccomp agent: answers sysinfo(2) for containers whose runtime set
 * it to SCMP_ACT_NOTIFY and handed us the listener. Runtimes connect to a
 * unix socket and speak the OCI seccomp agent protocol (runc's
 * linux.seccomp.listenerPath, and the burrow launcher): one message, the
 * container process state as JSON, whose "fds" array names the fds that
 * ride along by SCM_RIGHTS; we take the one named "seccompFd".
 *
 * Any local user may connect (the socket is 0666): unprivileged users'
 * containers need the agent too. The answer only ever depends on the
 * thread the kernel says made the call, never on what a sender claims, so a
 * sender gains nothing but answers about its own processes. Listener fds
 * count in the sender's share of the daemon's fds (fdquota.h), and one
 * user holds at most AGENT_CONNS_PER_UID connections in flight.
 */

#define AGENT_WORKERS	      4
#define AGENT_CONNS_MAX	      64
#define AGENT_CONNS_PER_UID   4
/* Bytes of one state message; runc's are a few hundred. */
#define AGENT_MSG_MAX	      (64u << 10)
/* fds one message may carry. */
#define AGENT_FDS_MAX	      8
/* A connection that has not sent its message by then is dropped. */
#define AGENT_CONN_TIMEOUT_MS 5000
/* SECCOMP_IOCTL_NOTIF_RECV is cut short after this (see agent_recv()). */
#define AGENT_RECV_TIMEOUT_MS 200

/* Journal slots: one per worker is in use; a larger journal outlives a change of AGENT_WORKERS. */
#define AGENT_SLOTS	16
/* Bytes a slot keeps for the kernel's struct seccomp_notif (80 today). */
#define AGENT_NOTIF_MAX 256

struct agent_conn;
struct agent_listener;
struct agent_journal;

struct agent {
	char path[108];
	int sock_fd;  /* the listening socket, -1: no agent */
	int epoll_fd; /* the loop's: the socket and connections */
	int work_fd;  /* the workers': the listeners, one-shot */
	int stop_fd;  /* eventfd: the loop ends */
	bool running;
	bool loop_started;
	pthread_t loop;
	struct agent_worker {
		struct daemon *d;
		unsigned i; /* its journal slot */
		pthread_t thread;
	} workers[AGENT_WORKERS];
	unsigned n_workers;
	pthread_mutex_t lock;		  /* everything below */
	struct agent_listener *listeners; /* all of them */
	struct agent_conn *conns;
	unsigned n_conns;
	uint16_t notif_size; /* the kernel's struct seccomp_notif */
	uint32_t next_id;    /* of listeners, as the keeper knows them */
	struct agent_journal *journal;
	int journal_fd;
	uint64_t answered, failed; /* counters for the log at exit */
	unsigned test_delay_us;	   /* BURROWFS_TEST_SECCOMP_DELAY_MS, for tests only */
};

/*
 * Listens on path (made 0666, its directory created 0755) and starts the
 * threads. A live socket at path is another daemon's: -EADDRINUSE. A stale
 * one is replaced. What a keeper gave back (d->conn.agent) is taken over
 * first: its socket (path NULL: wherever it is), listeners and journal.
 */
int agent_start(struct daemon *d, const char *path);
/* A listening unix socket of type at path, non-blocking, mode 0666; the fd or -errno. */
int seccomp_sock_listen(const char *path, int type, bool replace);
void agent_stop(struct daemon *d);
/* A new keeper (the last one was killed): hands it the socket, journal and every listener. */
void agent_keep_all(struct daemon *d);

/* seccomp-answer.c: answers notification n of listener; <0 only when the reply could not be sent.
 */
int agent_answer(struct daemon *d, int listener, const struct seccomp_notif *n);
/*
 * The same without sending: the value for seccomp_notif_resp.error (0 or
 * -errno). sender_mem >= 0: write the caller's buffer through it (a proxy's
 * fd) instead of our own open. *gone: the notification is void, the reply
 * does not matter.
 */
int agent_answer_error(struct daemon *d, int listener, const struct seccomp_notif *n,
		       int sender_mem, bool *gone);

/* seccomp-keep.c: what survives a restart. fd: a kept journal, or -1 for a new one. */
int agent_journal_open(struct agent *a, int fd);
void agent_journal_close(struct agent *a);
/* Worker i's slot, zeroed and marked, for NOTIF_RECV to fill. */
struct seccomp_notif *agent_slot_begin(struct agent *a, unsigned i, uint32_t listener);
void agent_slot_end(struct agent *a, unsigned i);
/* Answers what a dead daemon received and left; returns how many. */
int agent_replay(struct daemon *d, int (*listener_fd)(struct agent *a, uint32_t id));
void agent_keep_sock(struct daemon *d);
void agent_keep_listener(struct daemon *d, int fd, uint32_t id);
void agent_keep_drop(struct daemon *d, uint32_t id);
