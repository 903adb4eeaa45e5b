/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The journal: one sealed memfd that outlives every burrowfs process. The
 * keeper (and systemd's fd store) holds it beside the /dev/fuse connection,
 * and each daemon maps it, so that what the kernel still remembers about a
 * dead daemon means the same to the next one:
 *
 *   - the FUSE_INIT the kernel sent once per connection, replayed to libfuse
 *     by a daemon that attaches to a live connection;
 *   - a generation, bumped by every daemon, that tags its file handles;
 *   - one slot per worker thread holding the request it is serving, for
 *     kernels without FUSE_NOTIFY_RESEND (Linux < 6.9): a new daemon answers
 *     what a killed one left unanswered;
 *   - the dynamic inode table (nodeid, lookup count, path), so nodeids the
 *     kernel holds keep their meaning.
 *
 * The layout is versioned: a daemon that finds another version starts a
 * fresh journal rather than misreading it.
 */

#define JOURNAL_VERSION	      1
/* Two per possible worker: a new daemon's threads must not reuse a slot it still has to replay. */
#define JOURNAL_SLOTS	      128
/*
 * Workers read requests from the device straight into their slot, so a slot
 * must take the largest request: max_write plus headers. shmem is sparse,
 * and small requests touch one page of it.
 */
#define JOURNAL_MAX_WRITE     (128u << 10)
#define JOURNAL_SLOT_SIZE     (JOURNAL_MAX_WRITE + 8192)
/* Bytes of the dynamic inode table, per arena (two arenas, for crash-safe compaction). */
#define JOURNAL_ARENA_DEFAULT (8u << 20)

enum journal_init {
	JOURNAL_INIT_NONE,
	JOURNAL_INIT_SEEN,     /* the kernel's FUSE_INIT was read, not yet answered */
	JOURNAL_INIT_ANSWERED, /* the connection is initialised */
};

struct journal_hdr;

struct journal {
	int fd;
	size_t size;
	struct journal_hdr *hdr;
	unsigned char *base;
};

/* A new journal for a new connection. */
int journal_create(struct journal *j, size_t arena_size);
/*
 * Maps a journal handed over by the keeper or the fd store. Takes ownership
 * of fd on success. -EPROTO when its layout is not ours.
 */
int journal_open(struct journal *j, int fd);
void journal_close(struct journal *j);

/* Counts one more daemon generation; returns it (never 0). */
uint32_t journal_next_generation(struct journal *j);
uint64_t journal_mount_time(const struct journal *j);
/* The device number of the connection's superblock: which mount is ours. */
void journal_set_dev(struct journal *j, uint64_t dev);
uint64_t journal_dev(const struct journal *j);

/* The kernel's FUSE_INIT request (header and argument), as read from the device. */
void journal_init_seen(struct journal *j, const void *req, size_t len);
/* The reply to it went to the kernel; max_write is what it now allows. */
void journal_init_answered(struct journal *j, uint32_t max_write);
/* The connection's max_write; 0 when not answered yet. */
uint32_t journal_max_write(const struct journal *j);
/* The saved request when it was answered; 0 bytes when not. */
size_t journal_init_request(const struct journal *j, void *buf, size_t size);
/* FUSE_HAS_RESEND in the kernel's INIT flags: the kernel can requeue unanswered requests. */
bool journal_kernel_resends(const struct journal *j);

/* ---- request slots ------------------------------------------------------- */

/*
 * Slot i's memory, for read() from the device: the kernel then fills the
 * journal as it hands the request over, with no window in which a request
 * has left its queue but is in no journal.
 */
void *journal_slot_mem(struct journal *j, unsigned i);
/* Copies request req (a whole fuse_in_header and its arguments) into slot i. */
void journal_slot_record(struct journal *j, unsigned i, const void *req, size_t len);
/* Clears the slot that holds the request with this unique id: slot hint, else any. */
void journal_slot_answered(struct journal *j, unsigned hint, uint64_t unique);
/* The request in slot i, copied to buf, if it awaits a reply; else 0. */
size_t journal_slot_get(const struct journal *j, unsigned i, void *buf, size_t size);
void journal_slot_clear(struct journal *j, unsigned i);
/* Requests that get no reply, so never stay in the journal. */
bool journal_opcode_replies(uint32_t opcode);

/* ---- dynamic inode table ------------------------------------------------- */

#define JOURNAL_NO_REC UINT64_MAX

uint64_t journal_next_ino(const struct journal *j);
void journal_set_next_ino(struct journal *j, uint64_t ino);

/* Appends a live record; its offset goes to ret_rec. -ENOSPC when full. */
int journal_node_add(struct journal *j, uint64_t ino, unsigned provider, uint64_t nlookup,
		     const char *vpath, uint64_t *ret_rec);
void journal_node_set_nlookup(struct journal *j, uint64_t rec, uint64_t nlookup);
void journal_node_drop(struct journal *j, uint64_t rec);
/* Whether compaction would free anything. */
bool journal_node_garbage(const struct journal *j);
/*
 * Copies the live records into the other arena and switches to it; moved()
 * learns each record's new offset. A crash at any point leaves one complete
 * arena.
 */
void journal_node_compact(struct journal *j, void (*moved)(void *ud, uint64_t ino, uint64_t rec),
			  void *ud);
/* Every live record, in the order they were added. */
int journal_node_load(const struct journal *j,
		      int (*each)(void *ud, uint64_t ino, unsigned provider, uint64_t nlookup,
				  const char *vpath, uint64_t rec),
		      void *ud);
