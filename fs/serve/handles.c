/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "handles.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "tree.h"
#include "vfile.h"

/* More open handles than the kernel lets processes hold is a bug, not a load. */
#define HANDLES_MAX (1u << 24)
#define NO_FREE	    UINT32_MAX

void handles_init(struct handles *h)
{
	*h = (struct handles){ .free_head = NO_FREE };
	pthread_mutex_init(&h->lock, NULL);
}

void handles_set_generation(struct handles *h, uint32_t generation)
{
	h->generation = generation;
}

void handle_drop(struct handle *x)
{
	switch (x->kind) {
	case HANDLE_BLOB:
		blob_unref(x->blob);
		break;
	case HANDLE_FD:
		close(x->fd);
		break;
	case HANDLE_DIR:
		dirlist_free(x->dir);
		break;
	case HANDLE_NONE:
	default:
		break;
	}
	x->kind = HANDLE_NONE;
	free(x->opener);
	x->opener = NULL;
}

void handles_done(struct handles *h)
{
	for (uint32_t i = 0; i < h->n; i++)
		handle_drop(&h->v[i]);
	free(h->v);
	fdquota_done(&h->quota);
	pthread_mutex_destroy(&h->lock);
}

int handles_add(struct handles *h, const struct handle *x, uint64_t *ret_fh)
{
	uint32_t i;
	int r;

	pthread_mutex_lock(&h->lock);
	if (x->kind == HANDLE_FD) {
		r = fdquota_charge(&h->quota, x->owner);
		if (r < 0) {
			pthread_mutex_unlock(&h->lock);
			return r;
		}
	}
	if (h->free_head != NO_FREE) {
		i = h->free_head;
		h->free_head = h->v[i].next_free;
	} else {
		if (h->n == h->cap) {
			uint32_t cap = h->cap ? h->cap * 2 : 64;
			struct handle *v;

			v = cap > HANDLES_MAX ? NULL : realloc(h->v, cap * sizeof(*v));
			if (!v) {
				if (x->kind == HANDLE_FD)
					fdquota_release(&h->quota, x->owner);
				pthread_mutex_unlock(&h->lock);
				return cap > HANDLES_MAX ? -EMFILE : -ENOMEM;
			}
			h->v = v;
			h->cap = cap;
		}
		i = h->n++;
	}
	h->v[i] = *x;
	pthread_mutex_unlock(&h->lock);
	*ret_fh = (uint64_t)h->generation << 32 | i;
	return 0;
}

/* Under the lock: the slot of fh, or NULL with the reason in *ret_err. */
static struct handle *slot_locked(struct handles *h, uint64_t fh, int *ret_err)
{
	uint32_t i = (uint32_t)fh;

	if ((uint32_t)(fh >> 32) != h->generation) {
		*ret_err = -ESTALE;
		return NULL;
	}
	if (i >= h->n || h->v[i].kind == HANDLE_NONE) {
		*ret_err = -EBADF;
		return NULL;
	}
	return &h->v[i];
}

int handles_get(struct handles *h, uint64_t fh, struct handle *ret)
{
	struct handle *x;
	int r = 0;

	pthread_mutex_lock(&h->lock);
	x = slot_locked(h, fh, &r);
	if (x) {
		/*
		 * The reader may close, and RELEASE run on another thread, while
		 * this one still replies from the blob: the caller holds its own
		 * reference. An fd or listing is only ever used by requests the
		 * kernel finishes before it sends RELEASE.
		 */
		if (x->kind == HANDLE_BLOB)
			blob_ref(x->blob);
		*ret = *x;
	}
	pthread_mutex_unlock(&h->lock);
	return r;
}

int handles_remove(struct handles *h, uint64_t fh, struct handle *ret)
{
	struct handle *x;
	int r = 0;

	pthread_mutex_lock(&h->lock);
	x = slot_locked(h, fh, &r);
	if (x) {
		*ret = *x;
		if (x->kind == HANDLE_FD)
			fdquota_release(&h->quota, x->owner);
		x->kind = HANDLE_NONE;
		x->opener = NULL;
		x->next_free = h->free_head;
		h->free_head = (uint32_t)(x - h->v);
	}
	pthread_mutex_unlock(&h->lock);
	return r;
}
