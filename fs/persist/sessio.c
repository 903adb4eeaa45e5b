/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "sessio.h"

#include <errno.h>
#include <linux/fuse.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "daemon.h"
#include "macro.h"

/*
 * The replayed INIT's unique: the kernel's own are even (interrupts set bit
 * 0 of an even one), so 1 is never a real request and its reply is ours.
 */
#define SYNTH_INIT_UNIQUE 1
/* Linux 6.9: requeue every request read but not answered. */
#define NOTIFY_RESEND	  7
#define SLOT_NONE	  UINT32_MAX

int sessio_init(struct sessio *s, struct journal *j, struct log *log)
{
	int r;

	*s = (struct sessio){ .journal = j, .log = log };
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	r = pthread_key_create(&s->slot_key, NULL);
	if (r != 0)
		return -r;
	s->key_ok = true;
	return 0;
}

void sessio_done(struct sessio *s)
{
	for (size_t i = s->qhead; i < s->qn; i++)
		free(s->q[i].data);
	free(s->q);
	if (s->key_ok)
		pthread_key_delete(s->slot_key);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
}

/*
 * This worker's journal slot, taken on its first read. Workers live until
 * shutdown (the pool never shrinks), so slots are never given back; a
 * worker finding none runs unjournaled.
 */
static uint32_t thread_slot(struct sessio *s)
{
	uintptr_t v = (uintptr_t)pthread_getspecific(s->slot_key);
	uint32_t slot = SLOT_NONE;

	if (v)
		return (uint32_t)(v - 1);
	pthread_mutex_lock(&s->lock);
	for (uint32_t i = 0; i < JOURNAL_SLOTS; i++)
		if (!s->slot_busy[i]) {
			s->slot_busy[i] = 1;
			slot = i;
			break;
		}
	pthread_mutex_unlock(&s->lock);
	(void)pthread_setspecific(s->slot_key, (void *)((uintptr_t)slot + 1));
	return slot;
}

/* This worker's slot, if it has one already. */
static uint32_t thread_slot_peek(struct sessio *s)
{
	uintptr_t v = (uintptr_t)pthread_getspecific(s->slot_key);

	return v ? (uint32_t)(v - 1) : SLOT_NONE;
}

/* After a request came in: INIT is remembered, requests without a reply leave the journal. */
static void note(struct sessio *s, uint32_t slot, const void *buf, size_t len, bool copy)
{
	const struct fuse_in_header *in = buf;

	if (!s->journal)
		return;
	if (in->opcode == FUSE_INIT) {
		journal_init_seen(s->journal, buf, len);
		__atomic_store_n(&s->init_unique, in->unique, __ATOMIC_RELEASE);
	}
	if (slot == SLOT_NONE)
		return;
	if (!journal_opcode_replies(in->opcode))
		journal_slot_clear(s->journal, slot);
	else if (copy)
		journal_slot_record(s->journal, slot, buf, len);
}

static void unlock_cleanup(void *p)
{
	pthread_mutex_unlock(p);
}

/* The next replayed request for this worker: > 0 its length, 0 none (read the device). */
static ssize_t take_synth(struct sessio *s, void *buf, size_t len)
{
	/* volatile: pthread_cleanup_push() is setjmp() underneath. */
	volatile ssize_t n = 0;

	pthread_mutex_lock(&s->lock);
	/* Shutdown cancels workers while they wait here. */
	pthread_cleanup_push(unlock_cleanup, &s->lock);
	for (;;) {
		struct synth_req *q;

		if (s->qhead < s->qn && (!s->gate || !s->init_taken)) {
			q = &s->q[s->qhead++];
			if (s->gate)
				s->init_taken = true;
			if (q->len <= len) {
				memcpy(buf, q->data, q->len);
				n = (ssize_t)q->len;
			}
			free(q->data);
			q->data = NULL;
			if (n > 0)
				break;
			continue;
		}
		if (!s->gate)
			break;
		pthread_cond_wait(&s->cond, &s->lock);
	}
	pthread_cleanup_pop(1);
	return n;
}

/*
 * read() from the device into the worker's journal slot, then into
 * libfuse's buffer. -1 with EINVAL when the connection wants a larger
 * buffer than a slot (it was made by a burrowfs with a larger max_write).
 */
static ssize_t read_journaled(struct sessio *s, uint32_t slot, int fd, void *buf, size_t len)
{
	void *mem = journal_slot_mem(s->journal, slot);
	ssize_t n;

	n = read(fd, mem, MIN(len, (size_t)JOURNAL_SLOT_SIZE));
	if (n >= (ssize_t)sizeof(struct fuse_in_header)) {
		memcpy(buf, mem, (size_t)n);
		note(s, slot, buf, (size_t)n, false);
	}
	return n;
}

static ssize_t sio_read(int fd, void *buf, size_t len, void *ud)
{
	struct sessio *s = &((struct daemon *)ud)->sio;
	uint32_t slot = thread_slot(s);
	ssize_t n;

	n = take_synth(s, buf, len);
	if (n > 0) {
		/* The replayed INIT is not the kernel's: nothing to journal. */
		if (((struct fuse_in_header *)buf)->unique != SYNTH_INIT_UNIQUE)
			note(s, slot, buf, (size_t)n, true);
		return n;
	}
	if (s->journal && slot != SLOT_NONE) {
		n = read_journaled(s, slot, fd, buf, len);
		if (n >= 0 || errno != EINVAL || len <= JOURNAL_SLOT_SIZE)
			return n;
	}
	n = read(fd, buf, len);
	if (n >= (ssize_t)sizeof(struct fuse_in_header))
		note(s, slot, buf, (size_t)n, true);
	return n;
}

static void init_replied(struct sessio *s, int error)
{
	pthread_mutex_lock(&s->lock);
	s->gate = false;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	if (error)
		log_errno(s->log, LOG_ERR, error, "libfuse refused the connection's INIT: %m");
}

/* max_write of libfuse's reply to INIT (its argument is the second iovec). */
static uint32_t init_max_write(const struct iovec *iov, int count)
{
	struct fuse_init_out out = { 0 };

	if (count < 2 || iov[1].iov_len < offsetof(struct fuse_init_out, max_write) + 4)
		return 0;
	memcpy(&out, iov[1].iov_base, MIN(iov[1].iov_len, sizeof(out)));
	return out.max_write;
}

static ssize_t sio_writev(int fd, struct iovec *iov, int count, void *ud)
{
	struct sessio *s = &((struct daemon *)ud)->sio;
	const struct fuse_out_header *out = iov[0].iov_base;
	ssize_t n;
	int saved;

	if (out->unique == SYNTH_INIT_UNIQUE) {
		size_t total = 0;

		/* The kernel was initialised by the first daemon: this reply is for nobody. */
		for (int i = 0; i < count; i++)
			total += iov[i].iov_len;
		init_replied(s, out->error);
		return (ssize_t)total;
	}
	n = writev(fd, iov, count);
	saved = errno;
	/* Answered, or gone (ENOENT: the reader was interrupted): no longer to replay. */
	if (s->journal && out->unique != 0) {
		uint64_t init = __atomic_load_n(&s->init_unique, __ATOMIC_ACQUIRE);

		if (init != 0 && out->unique == init) {
			journal_init_answered(s->journal, init_max_write(iov, count));
			__atomic_store_n(&s->init_unique, 0, __ATOMIC_RELEASE);
		}
		journal_slot_answered(s->journal, thread_slot_peek(s), out->unique);
	}
	errno = saved;
	return n;
}

const struct fuse_custom_io sessio_io = {
	.read = sio_read,
	.writev = sio_writev,
};

static int queue(struct sessio *s, const void *data, size_t len)
{
	struct synth_req *q;
	void *copy;

	q = realloc(s->q, (s->qn + 1) * sizeof(*q));
	if (!q)
		return -ENOMEM;
	s->q = q;
	copy = malloc(len);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, data, len);
	s->q[s->qn++] = (struct synth_req){ .data = copy, .len = len };
	return 0;
}

static int resend(int fuse_fd)
{
	struct fuse_out_header oh = { .len = sizeof(oh), .error = NOTIFY_RESEND };

	return write(fuse_fd, &oh, sizeof(oh)) == (ssize_t)sizeof(oh) ? 0 : -errno;
}

/* The requests the journal still holds, queued after the INIT; their slots stay reserved. */
static int queue_journaled(struct sessio *s, int *ret_n)
{
	_cleanup_free_ unsigned char *buf = malloc(JOURNAL_SLOT_SIZE);
	int n = 0, r;

	if (!buf)
		return -ENOMEM;
	for (unsigned i = 0; i < JOURNAL_SLOTS; i++) {
		size_t len = journal_slot_get(s->journal, i, buf, JOURNAL_SLOT_SIZE);

		if (len == 0)
			continue;
		r = queue(s, buf, len);
		if (r < 0)
			return r;
		/* Kept until its worker journals it again in its own slot. */
		s->slot_busy[i] = 1;
		n++;
	}
	*ret_n = n;
	return 0;
}

int sessio_attach(struct sessio *s, int fuse_fd, bool allow_resend, int *ret_recovered)
{
	unsigned char init[512];
	size_t len;
	int r;

	len = journal_init_request(s->journal, init, sizeof(init));
	if (len > 0) {
		((struct fuse_in_header *)init)->unique = SYNTH_INIT_UNIQUE;
		r = queue(s, init, len);
		if (r < 0)
			return r;
		s->gate = true;
	}
	/*
	 * With FUSE_NOTIFY_RESEND the kernel requeues every request the dead
	 * daemon had read, journaled or not (even one read in the instant
	 * before a crash). The journal then holds nothing worth replaying.
	 */
	if (allow_resend && journal_kernel_resends(s->journal) && resend(fuse_fd) >= 0) {
		for (unsigned i = 0; i < JOURNAL_SLOTS; i++)
			journal_slot_clear(s->journal, i);
		*ret_recovered = -1;
		return 0;
	}
	return queue_journaled(s, ret_recovered);
}
