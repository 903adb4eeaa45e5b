/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "records.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "rtnl.h"

/* Opens (making it if missing) dir below parent, refusing anything root does not own alone. */
static int open_root_dir(int parent, const char *name)
{
	struct stat st;
	int fd;

	if (mkdirat(parent, name, 0755) < 0 && errno != EEXIST)
		return -errno;
	fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || st.st_uid != 0 || (st.st_mode & 022)) {
		close(fd);
		return -EPERM;
	}
	return fd;
}

static int parse_record(int dirfd, const char *name, struct net_record *ret)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct net_record rec = { 0 };
	char buf[256], bridge[64];
	unsigned uid;
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return -EINVAL;
	buf[n] = '\0';
	if (sscanf(buf, "uid=%u bridge=%63s netns=%" SCNu64 ":%" SCNu64, &uid, bridge,
		   &rec.netns_dev, &rec.netns_ino) != 4 ||
	    !net_ifname_valid(bridge))
		return -EINVAL;
	/* Both checked by net_ifname_valid(): at most NET_IFNAME_MAX bytes. */
	memcpy(rec.host, name, strlen(name) + 1);
	memcpy(rec.bridge, bridge, strlen(bridge) + 1);
	rec.uid = uid;
	*ret = rec;
	return 0;
}

static int read_all(struct net_records *r)
{
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	int fd = dup(r->dirfd);

	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d))) {
		struct net_record rec;

		if (!net_ifname_valid(de->d_name) || strncmp(de->d_name, "bn", 2) ||
		    de->d_name[0] == '.')
			continue;
		if (r->n == NET_RECORDS_MAX)
			return -E2BIG;
		/* A torn record (a crash mid-write) names a link nobody counts: drop it. */
		if (parse_record(r->dirfd, de->d_name, &rec) < 0) {
			unlinkat(r->dirfd, de->d_name, 0);
			continue;
		}
		r->rec[r->n++] = rec;
	}
	return 0;
}

static void drop_stale(struct mnl_socket *nl, struct net_records *r)
{
	size_t i = 0;

	while (i < r->n) {
		struct rtnl_link l;

		if (rtnl_link_get(nl, r->rec[i].host, &l) == -ENODEV) {
			unlinkat(r->dirfd, r->rec[i].host, 0);
			r->rec[i] = r->rec[--r->n];
			continue;
		}
		i++;
	}
}

int records_open(struct mnl_socket *nl, struct net_records *ret)
{
	_cleanup_close_ int run = -1, top = -1, dirfd = -1, lockfd = -1;
	struct net_records r = { .dirfd = -1, .lockfd = -1 };
	int e;

	run = open(BURROW_NET_RUNPARENT, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (run < 0)
		return -errno;
	top = open_root_dir(run, "burrow");
	if (top < 0)
		return top;
	dirfd = open_root_dir(top, "net");
	if (dirfd < 0)
		return dirfd;
	lockfd = openat(dirfd, ".lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (lockfd < 0)
		return -errno;
	if (flock(lockfd, LOCK_EX) < 0)
		return -errno;
	r.rec = calloc(NET_RECORDS_MAX, sizeof(*r.rec));
	if (!r.rec)
		return -ENOMEM;
	r.dirfd = TAKE_FD(dirfd);
	r.lockfd = TAKE_FD(lockfd);
	e = read_all(&r);
	if (e < 0) {
		records_close(&r);
		return e;
	}
	drop_stale(nl, &r);
	*ret = r;
	return 0;
}

void records_close(struct net_records *r)
{
	free(r->rec);
	r->rec = NULL;
	if (r->dirfd >= 0)
		close(r->dirfd);
	/* Closing the last fd of the lock file releases the flock. */
	if (r->lockfd >= 0)
		close(r->lockfd);
	r->dirfd = r->lockfd = -1;
}

unsigned records_count(const struct net_records *r, uid_t uid, const char *bridge)
{
	unsigned n = 0;

	for (size_t i = 0; i < r->n; i++)
		if (r->rec[i].uid == uid && !strcmp(r->rec[i].bridge, bridge))
			n++;
	return n;
}

int records_write(struct net_records *r, const struct net_record *rec)
{
	char tmp[NET_IFNAME_MAX + 8], buf[256];
	_cleanup_close_ int fd = -1;
	int n;

	if (r->n == NET_RECORDS_MAX)
		return -E2BIG;
	n = snprintf(buf, sizeof(buf), "uid=%u bridge=%s netns=%" PRIu64 ":%" PRIu64 "\n",
		     (unsigned)rec->uid, rec->bridge, rec->netns_dev, rec->netns_ino);
	snprintf(tmp, sizeof(tmp), ".%s.tmp", rec->host);
	fd = openat(r->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, buf, n) != n || fsync(fd) < 0 ||
	    renameat(r->dirfd, tmp, r->dirfd, rec->host) < 0) {
		int e = errno ? -errno : -EIO;

		unlinkat(r->dirfd, tmp, 0);
		return e;
	}
	r->rec[r->n++] = *rec;
	return 0;
}

int records_remove(struct net_records *r, const char *host)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->rec[i].host, host)) {
			r->rec[i] = r->rec[--r->n];
			break;
		}
	if (unlinkat(r->dirfd, host, 0) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}
