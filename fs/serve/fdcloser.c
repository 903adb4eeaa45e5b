/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One thread closes the fds senders hand us whose close may wait on
 * someone: a FUSE file (FUSE_FLUSH waits for its server), a socket with
 * SO_LINGER, an overlay over either, a network filesystem, or anything we
 * cannot name. It may wait forever on a hostile server; that stalls only
 * the closes queued behind it, never a worker.
 *
 * The bound: a uid with FDCLOSER_PER_UID closes pending has its
 * connections dropped and new ones refused until its closes drain
 * (fdcloser_over()); once FDCLOSER_MAX are pending in all, so has every
 * uid but host root (a user with a range of subordinate uids is many
 * uids). What is queued past that is what open connections had already
 * received: at most one message's fds each, and connections are capped
 * per uid and in all. So pending fds stay below FDCLOSER_MAX + one
 * message's fds per open connection, with one thread. Host root's
 * senders (runtimes run as root) are never refused for it.
 *
 * Classifying an fd must not wait either: its mount's fstype comes from
 * /proc/self/fdinfo and /proc/self/mountinfo, never from the file itself
 * (fstat/fstatfs on a FUSE file asks its server).
 */
#include "fdcloser.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "macro.h"
#include "proc.h"

struct pending {
	int fd;
	uid_t uid;
	struct pending *next;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct pending *head, **tail;
	unsigned n;
	int started; /* 1 running, <0 failed to start */
} closer = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, &closer.head, 0, 0 };

/* Filesystems whose release never waits on another process. */
static const char *const safe_fstypes[] = {
	"proc",	  "sysfs",  "tmpfs",	 "devtmpfs",   "anon_inodefs", "pipefs",  "nsfs", "pidfs",
	"mqueue", "cgroup", "cgroup2",	 "ext4",       "ext2",	       "ext3",	  "xfs",  "btrfs",
	"vfat",	  "ramfs",  "hugetlbfs", "securityfs", "debugfs",      "tracefs", "bpf",
};

static int fd_mnt_id(int fd)
{
	char path[64], line[128];
	_cleanup_fclose_ FILE *f = NULL;
	int id = -1;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "mnt_id: %d", &id) == 1)
			break;
	return id;
}

/* Sockets are on sockfs, which is not in the list: SO_LINGER may make close wait. */
static bool close_cannot_wait(int fd)
{
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ char *line = NULL;
	char path[64], target[32];
	size_t size = 0;
	ssize_t len;
	int id;

	/* The common case (a listener) without reading mountinfo. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	len = readlink(path, target, sizeof(target) - 1);
	if (len > 0) {
		target[len] = '\0';
		if (strncmp(target, "anon_inode:", STRLEN("anon_inode:")) == 0 ||
		    strncmp(target, "pipe:", STRLEN("pipe:")) == 0)
			return true;
	}
	id = fd_mnt_id(fd);
	if (id < 0)
		return false;
	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return false;
	while (getline(&line, &size, f) > 0) {
		struct burrow_mountinfo m;

		if (burrow_parse_mountinfo_line(line, &m) < 0 || m.id != (unsigned)id)
			continue;
		for (size_t i = 0; i < ELEMENTSOF(safe_fstypes); i++)
			if (strcmp(m.fstype, safe_fstypes[i]) == 0)
				return true;
		return false;
	}
	return false;
}

static void *closer_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&closer.lock);
	for (;;) {
		struct pending *p;

		while (!closer.head)
			pthread_cond_wait(&closer.cond, &closer.lock);
		p = closer.head;
		pthread_mutex_unlock(&closer.lock);
		/* May wait forever: then p stays counted, and its uid over its share. */
		(void)close(p->fd);
		pthread_mutex_lock(&closer.lock);
		closer.head = p->next;
		if (!closer.head)
			closer.tail = &closer.head;
		closer.n--;
		free(p);
	}
	return NULL;
}

int fdcloser_start(void)
{
	pthread_attr_t attr;
	pthread_t t;
	int r = 0;

	pthread_mutex_lock(&closer.lock);
	if (closer.started == 0) {
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		r = -pthread_create(&t, &attr, closer_main, NULL);
		pthread_attr_destroy(&attr);
		closer.started = r < 0 ? r : 1;
	} else if (closer.started < 0)
		r = closer.started;
	pthread_mutex_unlock(&closer.lock);
	return r;
}

static unsigned pending_of(uid_t uid)
{
	unsigned n = 0;

	for (struct pending *p = closer.head; p; p = p->next)
		n += p->uid == uid;
	return n;
}

static bool over_locked(uid_t uid)
{
	return uid != 0 && (closer.n >= FDCLOSER_MAX || pending_of(uid) >= FDCLOSER_PER_UID);
}

void fdcloser_drop(int fd, void *sender)
{
	struct fdcloser_sender *s = sender;

	if (fdcloser_close(fd, s->uid) < 0)
		s->over = true;
}

bool fdcloser_over(uid_t uid)
{
	bool over;

	pthread_mutex_lock(&closer.lock);
	over = over_locked(uid);
	pthread_mutex_unlock(&closer.lock);
	return over;
}

int fdcloser_close(int fd, uid_t uid)
{
	struct pending *p;
	bool over;

	if (fd < 0)
		return 0;
	if (close_cannot_wait(fd)) {
		(void)close(fd);
		return 0;
	}
	p = malloc(sizeof(*p));
	pthread_mutex_lock(&closer.lock);
	if (!p || closer.started != 1) {
		/* Nowhere to queue it: keeping it would leak; the only choice left. */
		pthread_mutex_unlock(&closer.lock);
		free(p);
		(void)close(fd);
		return -ENOMEM;
	}
	*p = (struct pending){ .fd = fd, .uid = uid };
	*closer.tail = p;
	closer.tail = &p->next;
	closer.n++;
	over = over_locked(uid);
	pthread_cond_signal(&closer.cond);
	pthread_mutex_unlock(&closer.lock);
	return over ? -EUSERS : 0;
}
