/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A connection's share of the dynamic nodes. Their numbers come from the
 * daemon's one node table (d->nodes): the journal keeps it across restarts
 * and upgrades, so an inode number a connection's kernel holds never
 * changes meaning. The table counts lookups over all superblocks; each
 * connection also counts its own, because FORGET comes per superblock and a
 * connection that ends with its container (the superblock gone, no FORGET
 * sent) must give back exactly what its kernel held, no more: another
 * connection, or the shared mount, may hold the same node.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "daemon.h"
#include "macro.h"
#include "pconn-keep.h"
#include "pconn-tree.h"

/* Index of ino in the sorted array, or where it would go. */
static size_t find(const struct pconn_lookups *l, fuse_ino_t ino)
{
	size_t lo = 0, hi = l->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (l->v[mid].ino < ino)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* A record slot for a new node: a freed one first, so that hw stays small. */
static uint32_t rec_slot_take(struct pconn_lookups *l)
{
	if (l->n_free)
		return l->free[--l->n_free];
	return l->hw < PCONN_REC_LOOKUPS ? l->hw++ : PCONN_REC_NO_SLOT;
}

static void rec_slot_give(struct pconn_lookups *l, uint32_t slot)
{
	if (slot == PCONN_REC_NO_SLOT)
		return;
	if (l->n_free == l->free_cap) {
		size_t cap = l->free_cap ? l->free_cap * 2 : 16;
		uint32_t *f = realloc(l->free, cap * sizeof(*f));

		/* Without memory the slot is not reused: the record stays right, only larger. */
		if (!f)
			return;
		l->free = f;
		l->free_cap = cap;
	}
	l->free[l->n_free++] = slot;
}

static int count_locked(struct pconn *c, fuse_ino_t ino)
{
	struct pconn_lookups *l = &c->lookups;
	size_t i = find(l, ino);

	if (i < l->n && l->v[i].ino == ino) {
		l->v[i].n++;
		pconn_rec_lookup(c, l->v[i].slot, ino, l->v[i].n);
		return 0;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct pconn_lookup *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	memmove(l->v + i + 1, l->v + i, (l->n - i) * sizeof(*l->v));
	l->v[i] = (struct pconn_lookup){ .ino = ino, .n = 1, .slot = rec_slot_take(l) };
	l->n++;
	pconn_rec_lookup(c, l->v[i].slot, ino, 1);
	return 0;
}

/* Takes up to n of ino's lookups off c's count; how many it had. */
static uint64_t uncount_locked(struct pconn *c, fuse_ino_t ino, uint64_t n)
{
	struct pconn_lookups *l = &c->lookups;
	size_t i = find(l, ino);
	uint64_t had;

	if (i == l->n || l->v[i].ino != ino)
		return 0;
	had = MIN(n, l->v[i].n);
	l->v[i].n -= had;
	pconn_rec_lookup(c, l->v[i].slot, ino, l->v[i].n);
	if (l->v[i].n == 0) {
		rec_slot_give(l, l->v[i].slot);
		memmove(l->v + i, l->v + i + 1, (l->n - i - 1) * sizeof(*l->v));
		l->n--;
	}
	return had;
}

int pconn_node_lookup(struct pconn *c, const struct provider *p, const char *vpath, fuse_ino_t *ret)
{
	fuse_ino_t ino;
	int r;

	r = nodes_lookup(&c->d->nodes, p, vpath, &ino);
	if (r < 0)
		return r;
	pthread_mutex_lock(&c->lock);
	r = count_locked(c, ino);
	pthread_mutex_unlock(&c->lock);
	if (r < 0) {
		nodes_forget(&c->d->nodes, ino, 1);
		return r;
	}
	*ret = ino;
	return 0;
}

void pconn_node_forget(struct pconn *c, fuse_ino_t ino, uint64_t n)
{
	uint64_t had;

	pthread_mutex_lock(&c->lock);
	had = uncount_locked(c, ino, n);
	pthread_mutex_unlock(&c->lock);
	/* Never more than this kernel was given: a bogus count cannot free another's node. */
	if (had)
		nodes_forget(&c->d->nodes, ino, had);
}

void pconn_op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	if (!ino_is_static(ino))
		pconn_node_forget(fuse_req_userdata(req), ino, nlookup);
	fuse_reply_none(req);
}

void pconn_op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	for (size_t i = 0; i < count; i++)
		if (!ino_is_static(forgets[i].ino))
			pconn_node_forget(fuse_req_userdata(req), forgets[i].ino,
					  forgets[i].nlookup);
	fuse_reply_none(req);
}

void pconn_lookups_release(struct pconn *c)
{
	int mode = __atomic_load_n(&c->d->stop_mode, __ATOMIC_ACQUIRE);
	struct pconn_lookups *l = &c->lookups;

	/* Stopping for a successor: the kernel keeps these numbers, and the journal with them. */
	if (mode == STOP_NONE || mode == STOP_FULL)
		for (size_t i = 0; i < l->n; i++)
			nodes_forget(&c->d->nodes, l->v[i].ino, l->v[i].n);
	free(l->v);
	free(l->free);
	*l = (struct pconn_lookups){ 0 };
}

void pconn_inval_held(struct pconn *c)
{
	_cleanup_free_ fuse_ino_t *inos = NULL;
	size_t n = 0;

	pthread_mutex_lock(&c->lock);
	inos = malloc(MAX(c->lookups.n, (size_t)1) * sizeof(*inos));
	for (size_t i = 0; inos && i < c->lookups.n; i++)
		inos[n++] = c->lookups.v[i].ino;
	pthread_mutex_unlock(&c->lock);
	/* Attributes only (a negative offset): no page or inode lock taken, never a wait. */
	for (size_t i = 0; i < n; i++)
		(void)fuse_lowlevel_notify_inval_inode(c->se, inos[i], -1, 0);
}
