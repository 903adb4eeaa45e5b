/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <pthread.h>
#include <stdint.h>

#include "fdquota.h"

struct blob;
struct caller;
struct dirlist;

/*
 * File handles. The kernel keeps every fh we give it across a daemon restart
 * and sends it back with READ, READDIR and RELEASE, so an fh must never be a
 * pointer or an fd number that a new process could misread. It is
 * (generation << 32 | slot): the generation is the daemon's own, counted in
 * the journal, and a handle of another generation is "foreign": the caller
 * serves it again from the nodeid (re-render, reopen, re-list) instead of
 * touching the table.
 */
enum handle_kind {
	HANDLE_NONE,
	HANDLE_BLOB, /* a rendered file's bytes, fixed at open */
	HANDLE_FD,   /* a host file passed through */
	HANDLE_DIR,  /* a directory listing, fixed at opendir */
};

struct handle {
	enum handle_kind kind;
	uint64_t owner; /* HANDLE_FD: whose quota the fd counts in (fdquota.h) */
	union {
		struct blob *blob;
		int fd;
		struct dirlist *dir;
		uint32_t next_free;
	};
	/*
	 * A cgroup file opened for writing: who opened it. Writes are judged
	 * as the opener, as the kernel judges them on cgroupfs (the file's
	 * f_cred), never as whoever the write request says sent it.
	 */
	struct caller *opener;
};

struct handles {
	pthread_mutex_t lock;
	uint32_t generation;
	struct handle *v;
	uint32_t n, cap;
	uint32_t free_head;   /* UINT32_MAX: none */
	struct fdquota quota; /* the HANDLE_FD slots in use, by owner */
};

void handles_init(struct handles *h);
void handles_set_generation(struct handles *h, uint32_t generation);
/* Frees what the slots still hold. */
void handles_done(struct handles *h);

/*
 * Stores x (its ownership moves to the table) and gives the fh for it. An
 * fd counts in x->owner's quota until handles_remove(): -EMFILE or -ENFILE
 * past it (fdquota.h), and x stays the caller's.
 */
int handles_add(struct handles *h, const struct handle *x, uint64_t *ret_fh);
/*
 * The handle of fh, with a blob reference the caller drops. -ESTALE when fh
 * belongs to another daemon generation, -EBADF when the slot is not in use.
 */
int handles_get(struct handles *h, uint64_t fh, struct handle *ret);
/* Takes the handle out of the table; the caller frees what it holds. -ESTALE, -EBADF as above. */
int handles_remove(struct handles *h, uint64_t fh, struct handle *ret);
/* Frees what a handle holds. */
void handle_drop(struct handle *x);
