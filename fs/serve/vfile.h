/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdlib.h>

/* enum vfile, the files burrowfs renders: rows of the served table. */
#include "served.h"

/*
 * Rendered bytes, immutable once made and shared by reference: the cache
 * slot holds one reference and every open file handle another, so a handle
 * keeps serving exactly the bytes it opened with while the slot moves on.
 */
struct blob {
	unsigned refs;
	size_t len;
	char *data;
};

/* Takes ownership of data (malloc'ed). NULL on allocation failure. */
static inline struct blob *blob_new(char *data, size_t len)
{
	struct blob *b = malloc(sizeof(*b));

	if (!b)
		return NULL;
	*b = (struct blob){ .refs = 1, .len = len, .data = data };
	return b;
}

static inline struct blob *blob_ref(struct blob *b)
{
	__atomic_add_fetch(&b->refs, 1, __ATOMIC_RELAXED);
	return b;
}

static inline void blob_unref(struct blob *b)
{
	if (b && __atomic_sub_fetch(&b->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		free(b->data);
		free(b);
	}
}
