/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "macro.h"

#define JOURNAL_MAGIC "BURROWJ\n"
#define HDR_SIZE      4096
#define INIT_MAX      256
/* Sanity bound for a journal handed to us: never map something absurd. */
#define ARENA_MAX     (1u << 30)

/* Linux 6.9's INIT flag, newer than Debian 12's headers. */
#ifndef FUSE_HAS_RESEND
#define FUSE_HAS_RESEND (1ULL << 39)
#endif
#ifndef FUSE_INIT_EXT
#define FUSE_INIT_EXT (1u << 30)
#endif

struct journal_hdr {
	char magic[8];
	uint32_t version;
	uint32_t hdr_size;
	uint64_t total_size;
	uint64_t slots_off;
	uint32_t nslots;
	uint32_t slot_size;
	uint64_t arena_off;
	uint64_t arena_size;
	uint64_t mount_time;
	uint64_t dev; /* the connection's superblock */
	uint32_t generation;
	uint32_t init_state;
	uint32_t init_len;
	uint32_t active; /* the arena in use, 0 or 1 */
	uint32_t max_write;
	uint64_t next_ino;
	uint64_t tail[2];    /* bytes used in each arena */
	uint64_t live_bytes; /* bytes of live records in the active arena */
	unsigned char init[INIT_MAX];
};

_Static_assert(sizeof(struct journal_hdr) <= HDR_SIZE, "journal header too large");

struct nrec {
	uint64_t ino;
	uint64_t nlookup;
	uint32_t reclen;
	uint16_t provider; /* 0: dropped */
	uint16_t pathlen;  /* without the NUL */
	char vpath[];
};

static size_t layout_size(size_t arena_size)
{
	return HDR_SIZE + (size_t)JOURNAL_SLOTS * JOURNAL_SLOT_SIZE + 2 * arena_size;
}

/* A slot is the request as the device gave it; a zero unique marks it answered. */
static struct fuse_in_header *slot_at(const struct journal *j, unsigned i)
{
	return (struct fuse_in_header *)(j->base + j->hdr->slots_off +
					 (size_t)i * j->hdr->slot_size);
}

static unsigned char *arena(const struct journal *j, unsigned which)
{
	return j->base + j->hdr->arena_off + (size_t)which * j->hdr->arena_size;
}

static int map(struct journal *j, int fd, size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		return -errno;
	*j = (struct journal){ .fd = fd, .size = size, .hdr = p, .base = p };
	return 0;
}

int journal_create(struct journal *j, size_t arena_size)
{
	_cleanup_close_ int fd = -1;
	size_t size = layout_size(arena_size);
	struct journal_hdr *h;
	int r;

	fd = memfd_create("burrowfs-journal", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	/* shmem is sparse: only the pages written cost memory. */
	if (ftruncate(fd, (off_t)size) < 0)
		return -errno;
	/* Sealed, so no holder can shrink it under another's mapping (SIGBUS). */
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
		return -errno;
	r = map(j, fd, size);
	if (r < 0)
		return r;
	h = j->hdr;
	memcpy(h->magic, JOURNAL_MAGIC, sizeof(h->magic));
	h->version = JOURNAL_VERSION;
	h->hdr_size = HDR_SIZE;
	h->total_size = size;
	h->slots_off = HDR_SIZE;
	h->nslots = JOURNAL_SLOTS;
	h->slot_size = JOURNAL_SLOT_SIZE;
	h->arena_off = HDR_SIZE + (uint64_t)JOURNAL_SLOTS * JOURNAL_SLOT_SIZE;
	h->arena_size = arena_size;
	h->mount_time = (uint64_t)time(NULL);
	j->fd = TAKE_FD(fd);
	return 0;
}

static bool hdr_valid(const struct journal_hdr *h, size_t size)
{
	return memcmp(h->magic, JOURNAL_MAGIC, sizeof(h->magic)) == 0 &&
	       h->version == JOURNAL_VERSION && h->hdr_size == HDR_SIZE && h->total_size == size &&
	       h->slots_off == HDR_SIZE && h->nslots == JOURNAL_SLOTS &&
	       h->slot_size == JOURNAL_SLOT_SIZE && h->arena_size <= ARENA_MAX &&
	       h->arena_size % 8 == 0 &&
	       h->arena_off == HDR_SIZE + (uint64_t)JOURNAL_SLOTS * JOURNAL_SLOT_SIZE &&
	       size == layout_size(h->arena_size) && h->active <= 1 &&
	       h->tail[0] <= h->arena_size && h->tail[1] <= h->arena_size &&
	       h->init_len <= INIT_MAX;
}

int journal_open(struct journal *j, int fd)
{
	struct journal_hdr h;
	struct stat st;
	int seals, r;

	if (fstat(fd, &st) < 0)
		return -errno;
	seals = fcntl(fd, F_GET_SEALS);
	if (!S_ISREG(st.st_mode) || seals < 0 || !(seals & F_SEAL_SHRINK) ||
	    (size_t)st.st_size < HDR_SIZE)
		return -EPROTO;
	if (pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h))
		return -EPROTO;
	if (!hdr_valid(&h, (size_t)st.st_size))
		return -EPROTO;
	r = map(j, fd, (size_t)st.st_size);
	if (r < 0)
		return r;
	/* Checked again on the mapping: the file is shared, the first read was a copy. */
	if (!hdr_valid(j->hdr, j->size)) {
		munmap(j->base, j->size);
		*j = (struct journal){ .fd = -1 };
		return -EPROTO;
	}
	return 0;
}

void journal_close(struct journal *j)
{
	if (j->base)
		munmap(j->base, j->size);
	if (j->fd >= 0)
		close(j->fd);
	*j = (struct journal){ .fd = -1 };
}

uint32_t journal_next_generation(struct journal *j)
{
	uint32_t g = __atomic_add_fetch(&j->hdr->generation, 1, __ATOMIC_SEQ_CST);

	/* 0 is never a generation: a zeroed handle must not look current. */
	if (g == 0)
		g = __atomic_add_fetch(&j->hdr->generation, 1, __ATOMIC_SEQ_CST);
	return g;
}

uint64_t journal_mount_time(const struct journal *j)
{
	return j->hdr->mount_time;
}

void journal_set_dev(struct journal *j, uint64_t dev)
{
	j->hdr->dev = dev;
}

uint64_t journal_dev(const struct journal *j)
{
	return j->hdr->dev;
}

void journal_init_seen(struct journal *j, const void *req, size_t len)
{
	struct journal_hdr *h = j->hdr;

	if (len > INIT_MAX)
		len = INIT_MAX;
	memcpy(h->init, req, len);
	h->init_len = (uint32_t)len;
	__atomic_store_n(&h->init_state, JOURNAL_INIT_SEEN, __ATOMIC_RELEASE);
}

void journal_init_answered(struct journal *j, uint32_t max_write)
{
	if (__atomic_load_n(&j->hdr->init_state, __ATOMIC_ACQUIRE) != JOURNAL_INIT_SEEN)
		return;
	j->hdr->max_write = max_write;
	__atomic_store_n(&j->hdr->init_state, JOURNAL_INIT_ANSWERED, __ATOMIC_RELEASE);
}

uint32_t journal_max_write(const struct journal *j)
{
	if (__atomic_load_n(&j->hdr->init_state, __ATOMIC_ACQUIRE) != JOURNAL_INIT_ANSWERED)
		return 0;
	return j->hdr->max_write;
}

size_t journal_init_request(const struct journal *j, void *buf, size_t size)
{
	const struct journal_hdr *h = j->hdr;

	if (__atomic_load_n(&h->init_state, __ATOMIC_ACQUIRE) != JOURNAL_INIT_ANSWERED ||
	    h->init_len < sizeof(struct fuse_in_header) + 8 || h->init_len > size)
		return 0;
	memcpy(buf, h->init, h->init_len);
	return h->init_len;
}

bool journal_kernel_resends(const struct journal *j)
{
	const struct journal_hdr *h = j->hdr;
	struct fuse_init_in in = { 0 };
	size_t n;

	if (h->init_len <= sizeof(struct fuse_in_header))
		return false;
	n = MIN((size_t)h->init_len - sizeof(struct fuse_in_header), sizeof(in));
	memcpy(&in, h->init + sizeof(struct fuse_in_header), n);
	/* flags2 exists from protocol 7.36 on, and counts only with FUSE_INIT_EXT. */
	if (in.major != 7 || in.minor < 36 || !(in.flags & FUSE_INIT_EXT) ||
	    n < offsetof(struct fuse_init_in, flags2) + sizeof(in.flags2))
		return false;
	return (((uint64_t)in.flags2 << 32) & FUSE_HAS_RESEND) != 0;
}

/* ---- request slots ------------------------------------------------------- */

bool journal_opcode_replies(uint32_t opcode)
{
	return opcode != FUSE_FORGET && opcode != FUSE_BATCH_FORGET && opcode != FUSE_INTERRUPT &&
	       opcode != FUSE_DESTROY && opcode != FUSE_NOTIFY_REPLY;
}

void *journal_slot_mem(struct journal *j, unsigned i)
{
	return i < JOURNAL_SLOTS ? slot_at(j, i) : NULL;
}

void journal_slot_record(struct journal *j, unsigned i, const void *req, size_t len)
{
	const size_t at = offsetof(struct fuse_in_header, unique), after = at + sizeof(uint64_t);
	unsigned char *s;

	if (i >= JOURNAL_SLOTS)
		return;
	s = (unsigned char *)slot_at(j, i);
	__atomic_store_n(&slot_at(j, i)->unique, 0, __ATOMIC_RELEASE);
	if (len < sizeof(struct fuse_in_header) || len > JOURNAL_SLOT_SIZE)
		return;
	/* Everything but the unique first: a slot is only ever whole or empty. */
	memcpy(s, req, at);
	memcpy(s + after, (const unsigned char *)req + after, len - after);
	__atomic_store_n(&slot_at(j, i)->unique, ((const struct fuse_in_header *)req)->unique,
			 __ATOMIC_RELEASE);
}

void journal_slot_answered(struct journal *j, unsigned hint, uint64_t unique)
{
	if (unique == 0)
		return;
	if (hint < JOURNAL_SLOTS &&
	    __atomic_load_n(&slot_at(j, hint)->unique, __ATOMIC_ACQUIRE) == unique) {
		__atomic_store_n(&slot_at(j, hint)->unique, 0, __ATOMIC_RELEASE);
		return;
	}
	/* A replayed request sits in the slot of the daemon that read it first. */
	for (unsigned i = 0; i < JOURNAL_SLOTS; i++) {
		struct fuse_in_header *s = slot_at(j, i);

		if (__atomic_load_n(&s->unique, __ATOMIC_ACQUIRE) == unique)
			__atomic_store_n(&s->unique, 0, __ATOMIC_RELEASE);
	}
}

size_t journal_slot_get(const struct journal *j, unsigned i, void *buf, size_t size)
{
	const struct fuse_in_header *s;
	size_t len;

	if (i >= JOURNAL_SLOTS)
		return 0;
	s = slot_at(j, i);
	len = s->len;
	if (__atomic_load_n(&s->unique, __ATOMIC_ACQUIRE) == 0 ||
	    !journal_opcode_replies(s->opcode) || len < sizeof(*s) || len > JOURNAL_SLOT_SIZE ||
	    len > size)
		return 0;
	memcpy(buf, s, len);
	return len;
}

void journal_slot_clear(struct journal *j, unsigned i)
{
	if (i < JOURNAL_SLOTS)
		__atomic_store_n(&slot_at(j, i)->unique, 0, __ATOMIC_RELEASE);
}

/* ---- dynamic inode table ------------------------------------------------- */

uint64_t journal_next_ino(const struct journal *j)
{
	return j->hdr->next_ino;
}

void journal_set_next_ino(struct journal *j, uint64_t ino)
{
	__atomic_store_n(&j->hdr->next_ino, ino, __ATOMIC_RELEASE);
}

static size_t rec_size(size_t pathlen)
{
	return (sizeof(struct nrec) + pathlen + 1 + 7) & ~(size_t)7;
}

static struct nrec *rec_at(const struct journal *j, uint64_t rec)
{
	return (struct nrec *)(arena(j, j->hdr->active) + rec);
}

int journal_node_add(struct journal *j, uint64_t ino, unsigned provider, uint64_t nlookup,
		     const char *vpath, uint64_t *ret_rec)
{
	struct journal_hdr *h = j->hdr;
	size_t len = strlen(vpath), size = rec_size(len);
	uint64_t tail = h->tail[h->active];
	struct nrec *n;

	if (len > UINT16_MAX || provider == 0 || provider > UINT16_MAX)
		return -EINVAL;
	if (tail + size > h->arena_size)
		return -ENOSPC;
	n = (struct nrec *)(arena(j, h->active) + tail);
	*n = (struct nrec){ .ino = ino,
			    .nlookup = nlookup,
			    .reclen = (uint32_t)size,
			    .provider = (uint16_t)provider,
			    .pathlen = (uint16_t)len };
	memcpy(n->vpath, vpath, len + 1);
	h->live_bytes += size;
	/* Published by the tail: a record past it was never written whole. */
	__atomic_store_n(&h->tail[h->active], tail + size, __ATOMIC_RELEASE);
	*ret_rec = tail;
	return 0;
}

void journal_node_set_nlookup(struct journal *j, uint64_t rec, uint64_t nlookup)
{
	if (rec != JOURNAL_NO_REC)
		__atomic_store_n(&rec_at(j, rec)->nlookup, nlookup, __ATOMIC_RELEASE);
}

void journal_node_drop(struct journal *j, uint64_t rec)
{
	struct nrec *n;

	if (rec == JOURNAL_NO_REC)
		return;
	n = rec_at(j, rec);
	__atomic_store_n(&n->provider, 0, __ATOMIC_RELEASE);
	j->hdr->live_bytes -= MIN((uint64_t)n->reclen, j->hdr->live_bytes);
}

bool journal_node_garbage(const struct journal *j)
{
	return j->hdr->tail[j->hdr->active] > j->hdr->live_bytes;
}

/* Walks the records of arena `which` up to its tail; stops at the first malformed one. */
static int walk(const struct journal *j, unsigned which,
		int (*each)(void *ud, const struct nrec *n, uint64_t rec), void *ud)
{
	const unsigned char *a = arena(j, which);
	uint64_t tail = __atomic_load_n(&j->hdr->tail[which], __ATOMIC_ACQUIRE);

	for (uint64_t off = 0; off + sizeof(struct nrec) <= tail;) {
		const struct nrec *n = (const struct nrec *)(a + off);
		int r;

		if (n->reclen < rec_size(0) || n->reclen % 8 || n->reclen > tail - off ||
		    rec_size(n->pathlen) != n->reclen || n->vpath[n->pathlen] != '\0')
			return -EPROTO;
		if (n->provider != 0) {
			r = each(ud, n, off);
			if (r < 0)
				return r;
		}
		off += n->reclen;
	}
	return 0;
}

struct compact_ctx {
	struct journal *j;
	unsigned char *dst;
	uint64_t used;
	void (*moved)(void *ud, uint64_t ino, uint64_t rec);
	void *ud;
};

static int compact_one(void *ud, const struct nrec *n, uint64_t rec)
{
	struct compact_ctx *c = ud;

	memcpy(c->dst + c->used, n, n->reclen);
	c->moved(c->ud, n->ino, c->used);
	c->used += n->reclen;
	return 0;
}

void journal_node_compact(struct journal *j, void (*moved)(void *ud, uint64_t ino, uint64_t rec),
			  void *ud)
{
	struct journal_hdr *h = j->hdr;
	unsigned other = !h->active;
	struct compact_ctx c = { .j = j, .dst = arena(j, other), .moved = moved, .ud = ud };

	__atomic_store_n(&h->tail[other], 0, __ATOMIC_RELEASE);
	/* Live records never exceed an arena: they all fit where they came from. */
	(void)walk(j, h->active, compact_one, &c);
	__atomic_store_n(&h->tail[other], c.used, __ATOMIC_RELEASE);
	h->live_bytes = c.used;
	__atomic_store_n(&h->active, other, __ATOMIC_RELEASE);
	/* Give the old arena's pages back: shmem keeps what was written. */
	(void)fallocate(j->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			(off_t)(h->arena_off + (uint64_t)!other * h->arena_size),
			(off_t)h->arena_size);
}

struct load_ctx {
	int (*each)(void *ud, uint64_t ino, unsigned provider, uint64_t nlookup, const char *vpath,
		    uint64_t rec);
	void *ud;
};

static int load_one(void *ud, const struct nrec *n, uint64_t rec)
{
	struct load_ctx *c = ud;

	return c->each(c->ud, n->ino, n->provider, n->nlookup, n->vpath, rec);
}

int journal_node_load(const struct journal *j,
		      int (*each)(void *ud, uint64_t ino, unsigned provider, uint64_t nlookup,
				  const char *vpath, uint64_t rec),
		      void *ud)
{
	struct load_ctx c = { .each = each, .ud = ud };

	return walk(j, j->hdr->active, load_one, &c);
}
