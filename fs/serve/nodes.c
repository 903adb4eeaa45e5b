/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "journal.h"
#include "macro.h"
#include "tree.h"

/* ---- dynamic nodes ------------------------------------------------------- */

struct dnode {
	fuse_ino_t ino;
	uint64_t nlookup;
	uint64_t rec; /* its journal record, JOURNAL_NO_REC when it has none */
	const struct provider *provider;
	struct dnode *next_ino, *next_path;
	char vpath[];
};

/* Every provider a journal record may name. */
static const struct provider *const providers[] = {
	&sysfs_cpu_provider,
	&cgroup_provider,
};

static const struct provider *provider_by_id(unsigned id)
{
	for (size_t i = 0; i < ELEMENTSOF(providers); i++)
		if (providers[i]->id == id)
			return providers[i];
	return NULL;
}

#define NODE_BUCKETS 4096

int nodes_init(struct nodes *t)
{
	*t = (struct nodes){ .next_ino = INO_DYNAMIC, .nbuckets = NODE_BUCKETS };
	t->by_ino = calloc(t->nbuckets, sizeof(*t->by_ino));
	t->by_path = calloc(t->nbuckets, sizeof(*t->by_path));
	if (!t->by_ino || !t->by_path) {
		free(t->by_ino);
		free(t->by_path);
		return -ENOMEM;
	}
	pthread_mutex_init(&t->lock, NULL);
	return 0;
}

void nodes_done(struct nodes *t)
{
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct dnode *n = t->by_ino[i];

		while (n) {
			struct dnode *next = n->next_ino;

			free(n);
			n = next;
		}
	}
	free(t->by_ino);
	free(t->by_path);
	pthread_mutex_destroy(&t->lock);
}

/* FNV-1a over the provider's id and the path: the same in every daemon. */
static size_t path_hash(const struct provider *p, const char *vpath, size_t nbuckets)
{
	uint64_t h = UINT64_C(1469598103934665603) ^ p->id;

	for (const char *s = vpath; *s; s++)
		h = (h ^ (unsigned char)*s) * UINT64_C(1099511628211);
	return (size_t)(h & (nbuckets - 1));
}

static size_t ino_hash(fuse_ino_t ino, size_t nbuckets)
{
	return (size_t)(ino & (nbuckets - 1));
}

static struct dnode *find_ino_locked(struct nodes *t, fuse_ino_t ino)
{
	struct dnode *n;

	for (n = t->by_ino[ino_hash(ino, t->nbuckets)]; n; n = n->next_ino)
		if (n->ino == ino)
			return n;
	return NULL;
}

static struct dnode *node_new_locked(struct nodes *t, const struct provider *p, fuse_ino_t ino,
				     const char *vpath)
{
	size_t len = strlen(vpath), hi, hp;
	struct dnode *n = malloc(sizeof(*n) + len + 1);

	if (!n)
		return NULL;
	*n = (struct dnode){ .ino = ino, .provider = p, .rec = JOURNAL_NO_REC };
	memcpy(n->vpath, vpath, len + 1);
	hi = ino_hash(ino, t->nbuckets);
	hp = path_hash(p, vpath, t->nbuckets);
	n->next_ino = t->by_ino[hi];
	t->by_ino[hi] = n;
	n->next_path = t->by_path[hp];
	t->by_path[hp] = n;
	t->n++;
	return n;
}

static void moved(void *ud, uint64_t ino, uint64_t rec)
{
	struct dnode *n = find_ino_locked(ud, ino);

	if (n)
		n->rec = rec;
}

/*
 * A node the journal cannot hold (it is full of live nodes) still works in
 * this daemon; only a restart forgets it, and the kernel then gets ESTALE.
 */
static void persist_locked(struct nodes *t, struct dnode *n)
{
	int r;

	if (!t->journal)
		return;
	r = journal_node_add(t->journal, n->ino, n->provider->id, n->nlookup, n->vpath, &n->rec);
	if (r == -ENOSPC && journal_node_garbage(t->journal)) {
		journal_node_compact(t->journal, moved, t);
		(void)journal_node_add(t->journal, n->ino, n->provider->id, n->nlookup, n->vpath,
				       &n->rec);
	}
	journal_set_next_ino(t->journal, t->next_ino);
}

struct restore_ctx {
	struct nodes *t;
	fuse_ino_t max_ino;
};

static int restore_one(void *ud, uint64_t ino, unsigned provider, uint64_t nlookup,
		       const char *vpath, uint64_t rec)
{
	struct restore_ctx *c = ud;
	const struct provider *p = provider_by_id(provider);
	struct dnode *n;

	/* A provider this build lacks (a downgrade): its nodes go stale, nothing else. */
	if (!p || ino_is_static(ino) || find_ino_locked(c->t, ino))
		return 0;
	n = node_new_locked(c->t, p, ino, vpath);
	if (!n)
		return -ENOMEM;
	n->nlookup = nlookup;
	n->rec = rec;
	c->max_ino = MAX(c->max_ino, ino);
	return 0;
}

int nodes_attach(struct nodes *t, struct journal *j)
{
	struct restore_ctx c = { .t = t, .max_ino = 0 };
	int r;

	pthread_mutex_lock(&t->lock);
	r = journal_node_load(j, restore_one, &c);
	/* Damage loses the nodes after it, not the daemon: theirs go stale (ESTALE). */
	if (r == -EPROTO)
		r = 0;
	if (r >= 0) {
		/* Never hand out a nodeid the kernel may still hold for another path. */
		t->next_ino = MAX(t->next_ino, journal_next_ino(j));
		t->next_ino = MAX(t->next_ino, c.max_ino + 1);
		journal_set_next_ino(j, t->next_ino);
		t->journal = j;
	}
	pthread_mutex_unlock(&t->lock);
	return r;
}

int nodes_lookup(struct nodes *t, const struct provider *p, const char *vpath, fuse_ino_t *ret)
{
	size_t hp = path_hash(p, vpath, t->nbuckets);
	struct dnode *n;

	pthread_mutex_lock(&t->lock);
	for (n = t->by_path[hp]; n; n = n->next_path)
		if (n->provider == p && strcmp(n->vpath, vpath) == 0)
			break;
	if (!n) {
		/* Inode numbers are never reused: a stale kernel inode can't alias a new node. */
		if (t->next_ino >= INO_LATE0 && t->next_ino < INO_LATE0 + INO_LATE_SPAN)
			t->next_ino = INO_LATE0 + INO_LATE_SPAN;
		n = node_new_locked(t, p, t->next_ino, vpath);
		if (!n) {
			pthread_mutex_unlock(&t->lock);
			return -ENOMEM;
		}
		t->next_ino++;
		n->nlookup = 1;
		persist_locked(t, n);
	} else {
		n->nlookup++;
		if (t->journal)
			journal_node_set_nlookup(t->journal, n->rec, n->nlookup);
	}
	*ret = n->ino;
	pthread_mutex_unlock(&t->lock);
	return 0;
}

int nodes_path(struct nodes *t, fuse_ino_t ino, char *buf, size_t size,
	       const struct provider **ret_provider)
{
	struct dnode *n;
	int r = 0;

	pthread_mutex_lock(&t->lock);
	n = find_ino_locked(t, ino);
	if (!n)
		r = -ESTALE;
	else if (strlen(n->vpath) >= size)
		r = -ENAMETOOLONG;
	else {
		strcpy(buf, n->vpath);
		*ret_provider = n->provider;
	}
	pthread_mutex_unlock(&t->lock);
	return r;
}

static void unlink_node_locked(struct nodes *t, struct dnode *n)
{
	struct dnode **pp;

	for (pp = &t->by_ino[ino_hash(n->ino, t->nbuckets)]; *pp; pp = &(*pp)->next_ino)
		if (*pp == n) {
			*pp = n->next_ino;
			break;
		}
	for (pp = &t->by_path[path_hash(n->provider, n->vpath, t->nbuckets)]; *pp;
	     pp = &(*pp)->next_path)
		if (*pp == n) {
			*pp = n->next_path;
			break;
		}
	t->n--;
}

void nodes_forget(struct nodes *t, fuse_ino_t ino, uint64_t nlookup)
{
	struct dnode *n;

	pthread_mutex_lock(&t->lock);
	n = find_ino_locked(t, ino);
	if (n) {
		n->nlookup = nlookup >= n->nlookup ? 0 : n->nlookup - nlookup;
		if (n->nlookup == 0) {
			if (t->journal)
				journal_node_drop(t->journal, n->rec);
			unlink_node_locked(t, n);
			free(n);
		} else if (t->journal)
			journal_node_set_nlookup(t->journal, n->rec, n->nlookup);
	}
	pthread_mutex_unlock(&t->lock);
}

size_t nodes_count(struct nodes *t)
{
	size_t n;

	pthread_mutex_lock(&t->lock);
	n = t->n;
	pthread_mutex_unlock(&t->lock);
	return n;
}

/* ---- directory listings -------------------------------------------------- */

int dirlist_add(struct dirlist *l, const char *name, mode_t type)
{
	char *copy;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 32;
		struct dirent_entry *e = realloc(l->e, cap * sizeof(*e));

		if (!e)
			return -ENOMEM;
		l->e = e;
		l->cap = cap;
	}
	copy = strdup(name);
	if (!copy)
		return -ENOMEM;
	l->e[l->n++] = (struct dirent_entry){ .name = copy, .type = type };
	return 0;
}

static mode_t dtype_to_mode(unsigned char t)
{
	switch (t) {
	case DT_DIR:
		return S_IFDIR;
	case DT_REG:
		return S_IFREG;
	case DT_LNK:
		return S_IFLNK;
	default:
		return 0;
	}
}

int dirlist_add_host(struct dirlist *l, int root_fd, const char *path,
		     bool (*keep)(const char *name, void *userdata), void *userdata)
{
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	int r;

	r = opendir_at(root_fd, path, O_NOFOLLOW, &d);
	if (r < 0)
		return r;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (keep && !keep(de->d_name, userdata))
			continue;
		r = dirlist_add(l, de->d_name, dtype_to_mode(de->d_type));
		if (r < 0)
			return r;
	}
	return 0;
}

void dirlist_free(struct dirlist *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		free(l->e[i].name);
	free(l->e);
	free(l);
}
