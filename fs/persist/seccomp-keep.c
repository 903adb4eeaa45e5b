/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The seccomp agent across restarts, as the FUSE connection (keeper.h):
 *
 *   - the keeper holds a copy of the agent's socket and of every listener,
 *     so while no daemon runs the kernel keeps sysinfo calls waiting (a
 *     listener with no holder would fail them with ENOSYS), runtimes'
 *     connections wait in the socket's backlog, and the next daemon gets
 *     them all back;
 *   - a notification a worker has received (NOTIF_RECV) is one the kernel
 *     will never hand out again: if the daemon dies before it answers, the
 *     caller would wait forever. So workers receive straight into a slot of
 *     a memfd journal that the keeper holds too (no window in which a
 *     notification has left the kernel's queue but is in no journal), and
 *     the next daemon answers what is left there before it serves anything
 *     else. NOTIF_SEND works from any holder of the listener; an answer
 *     the dead daemon did send makes the id invalid, so none goes twice.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"
#include "keeper.h"
#include "macro.h"
#include "seccomp-agent.h"

#define JOURNAL_MAGIC 0x314a4353u /* "SCJ1" */

struct agent_slot {
	uint32_t busy; /* a worker owns it; with notif.id != 0, it holds a notification */
	uint32_t listener;
	union {
		struct seccomp_notif n;
		unsigned char bytes[AGENT_NOTIF_MAX]; /* the kernel's struct may grow */
	} notif;
};

struct agent_journal {
	uint32_t magic;
	uint32_t nslots;
	struct agent_slot slot[AGENT_SLOTS];
};

int agent_journal_open(struct agent *a, int fd)
{
	_cleanup_close_ int owned = fd;
	struct agent_journal *j;
	struct stat st;

	if (owned < 0) {
		owned = memfd_create("burrowfs-seccomp", MFD_CLOEXEC);
		if (owned < 0 || ftruncate(owned, sizeof(*j)) < 0)
			return -errno;
	}
	/* Another layout (a future version's) is no journal of ours: start afresh. */
	if (fstat(owned, &st) < 0)
		return -errno;
	if ((size_t)st.st_size != sizeof(*j))
		return -EPROTO;
	j = mmap(NULL, sizeof(*j), PROT_READ | PROT_WRITE, MAP_SHARED, owned, 0);
	if (j == MAP_FAILED)
		return -errno;
	if (j->magic != JOURNAL_MAGIC) {
		memset(j, 0, sizeof(*j));
		j->magic = JOURNAL_MAGIC;
		j->nslots = AGENT_SLOTS;
	}
	a->journal = j;
	a->journal_fd = TAKE_FD(owned);
	return 0;
}

void agent_journal_close(struct agent *a)
{
	if (a->journal)
		munmap(a->journal, sizeof(*a->journal));
	if (a->journal_fd >= 0)
		close(a->journal_fd);
	a->journal = NULL;
	a->journal_fd = -1;
}

struct seccomp_notif *agent_slot_begin(struct agent *a, unsigned i, uint32_t listener)
{
	struct agent_slot *s = &a->journal->slot[i];

	memset(&s->notif, 0, sizeof(s->notif));
	s->listener = listener;
	__atomic_store_n(&s->busy, 1, __ATOMIC_RELEASE);
	return &s->notif.n;
}

void agent_slot_end(struct agent *a, unsigned i)
{
	__atomic_store_n(&a->journal->slot[i].busy, 0, __ATOMIC_RELEASE);
}

int agent_replay(struct daemon *d, int (*listener_fd)(struct agent *a, uint32_t id))
{
	struct agent *a = &d->agent;
	int n = 0;

	for (unsigned i = 0; i < AGENT_SLOTS; i++) {
		struct agent_slot *s = &a->journal->slot[i];
		int fd;

		if (!__atomic_load_n(&s->busy, __ATOMIC_ACQUIRE))
			continue;
		fd = s->notif.n.id != 0 ? listener_fd(a, s->listener) : -1;
		/* agent_answer() checks the id first: a call the dead daemon answered is skipped.
		 */
		if (fd >= 0 && agent_answer(d, fd, &s->notif.n) >= 0)
			n++;
		agent_slot_end(a, i);
	}
	return n;
}

/* The keeper's copies; a daemon without a keeper (none could start) keeps none. */
void agent_keep_sock(struct daemon *d)
{
	int fds[] = { d->agent.sock_fd, d->agent.journal_fd };

	if (d->conn.link_fd >= 0)
		(void)kmsg_send(d->conn.link_fd, KMSG_AGENT, 0, fds, 2);
}

void agent_keep_listener(struct daemon *d, int fd, uint32_t id)
{
	if (d->conn.link_fd >= 0)
		(void)kmsg_send(d->conn.link_fd, KMSG_LISTENER, id, &fd, 1);
}

void agent_keep_drop(struct daemon *d, uint32_t id)
{
	if (d->conn.link_fd >= 0)
		(void)kmsg_send(d->conn.link_fd, KMSG_UNLISTEN, id, NULL, 0);
}
