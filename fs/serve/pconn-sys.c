/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sys/devices/system/cpu on a container's own connection: the same view as
 * the shared mount's (sysfs-cpu.c), for the connection's container rather
 * than for whoever reads. cpuN/ exists for its visible CPUs only and is the
 * host directory of the CPU it stands for; the rest is the host's.
 *
 * The kernel caches entries, attributes, pages and listings here for one
 * render TTL (--cache-ms), as the connection's rendered files:
 *   - a node is a host object: "cpu0" of a container on host CPU 3 is
 *     looked up as the node "cpu3". When its cpuset changes, the entry's
 *     next lookup (after the TTL) names another node, and the kernel drops
 *     the dentry and everything it cached below it;
 *   - there is no OPEN here (no-open: pages are kept across opens). A sysfs
 *     file says 4096 bytes and holds fewer; the first read's short answer
 *     sets the kernel's size to the true one, and the next getattr (after
 *     the TTL) says 4096 again, which drops the pages (auto_inval_data):
 *     no page is older than the TTL;
 *   - listings (FOPEN_CACHE_DIR, the no-opendir default) are dropped when
 *     the directory's mtime changes: the cpu directory's follows its CPU
 *     count, a host directory's is sysfs's own.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "pconn-tree.h"
#include "reply.h"
#include "sysfs-cpu.h"

/* What a sysfs attribute holds at most; also the size of one that says 0. */
#define SYSFS_FILE_SIZE 4096

static double ttl(const struct pconn *c)
{
	return (double)c->d->cache_ns / 1e9;
}

/* The host path of node vpath; -ENOENT when it is below a CPU the container does not see. */
static int host_path(struct pconn *c, const char *vpath, char *buf, size_t size)
{
	const char *rest;
	unsigned h;
	int r, n;

	if (sysfs_cpu_component(vpath, &h, &rest)) {
		r = sysfs_cpu_visible(c->d, c->x, h);
		if (r < 0)
			return r == -ENOENT ? r : -EIO;
	}
	n = snprintf(buf, size, SYSFS_CPU_DIR "%s%s", *vpath ? "/" : "", vpath);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static int node_stat(struct pconn *c, const char *host, fuse_ino_t ino, struct stat *st)
{
	if (fstatat(c->d->root_fd, host, st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	st->st_ino = ino;
	/* Read-only, as the shared mount's view: no write bits to offer. */
	if (!S_ISLNK(st->st_mode))
		st->st_mode &= ~(mode_t)0222;
	if (S_ISREG(st->st_mode) && st->st_size == 0)
		st->st_size = SYSFS_FILE_SIZE;
	return 0;
}

void pconn_sys_lookup(fuse_req_t req, struct pconn *c, const char *parent_vpath, const char *name)
{
	struct fuse_entry_param e = { 0 };
	char host[PATH_MAX];
	const char *vpath;
	size_t skip = strlen(SYSFS_CPU_DIR) + 1;
	int r, n;

	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || strchr(name, '/')) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (*parent_vpath)
		r = host_path(c, parent_vpath, host, sizeof(host));
	else
		/* A name in the cpu directory: cpuN is the container's Nth CPU. */
		r = sysfs_cpu_provider.map(c->d, c->x, name, host, sizeof(host));
	if (r >= 0 && *parent_vpath) {
		size_t len = strlen(host);

		n = snprintf(host + len, sizeof(host) - len, "/%s", name);
		r = n < 0 || (size_t)n >= sizeof(host) - len ? -ENAMETOOLONG : 0;
	}
	if (r >= 0 && strlen(host) <= skip)
		r = -ENOENT;
	vpath = host + skip;
	if (r >= 0)
		r = node_stat(c, host, 0, &e.attr);
	if (r >= 0)
		r = pconn_node_lookup(c, &sysfs_cpu_provider, vpath, &e.ino);
	if (r < 0) {
		pconn_reply_err(req, c, r, "lookup");
		return;
	}
	e.attr.st_ino = e.ino;
	e.entry_timeout = e.attr_timeout = ttl(c);
	/* An interrupted lookup never reached the kernel: it will never forget it. */
	if (fuse_reply_entry(req, &e) < 0)
		pconn_node_forget(c, e.ino, 1);
}

void pconn_sys_getattr(fuse_req_t req, struct pconn *c, fuse_ino_t ino, const char *vpath)
{
	char host[PATH_MAX];
	struct stat st;
	int r;

	r = host_path(c, vpath, host, sizeof(host));
	if (r >= 0)
		r = node_stat(c, host, ino, &st);
	if (r < 0) {
		pconn_reply_err(req, c, r, "getattr");
		return;
	}
	fuse_reply_attr(req, &st, ttl(c));
}

void pconn_sys_read(fuse_req_t req, struct pconn *c, const char *vpath, size_t size, off_t off)
{
	char host[PATH_MAX];
	int r, fd;

	r = host_path(c, vpath, host, sizeof(host));
	if (r < 0) {
		pconn_reply_err(req, c, r, "read");
		return;
	}
	fd = openat(c->d->root_fd, host, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		fuse_reply_err(req, errno);
		return;
	}
	reply_pread(req, fd, size, off);
	close(fd);
}

void pconn_sys_readlink(fuse_req_t req, struct pconn *c, const char *vpath)
{
	char host[PATH_MAX], target[PATH_MAX];
	ssize_t n;
	int r;

	r = host_path(c, vpath, host, sizeof(host));
	if (r < 0) {
		pconn_reply_err(req, c, r, "readlink");
		return;
	}
	n = readlinkat(c->d->root_fd, host, target, sizeof(target) - 1);
	if (n < 0) {
		fuse_reply_err(req, errno);
		return;
	}
	target[n] = '\0';
	fuse_reply_readlink(req, target);
}

int pconn_sys_list(struct pconn *c, const char *vpath, struct dirlist *l)
{
	char host[PATH_MAX];
	int r;

	if (!*vpath)
		return sysfs_cpu_provider.list_root(c->d, c->x, l);
	r = host_path(c, vpath, host, sizeof(host));
	if (r < 0)
		return r;
	return dirlist_add_host(l, c->d->root_fd, host, NULL, NULL);
}

void pconn_sys_cpu_dir_attr(struct pconn *c, struct stat *st)
{
	int n = sysfs_cpu_nr_visible(c->d, c->x);

	/* A distinct mtime per CPU count: the kernel drops its cached listing when it changes. */
	if (n > 0)
		st->st_mtim.tv_nsec = st->st_ctim.tv_nsec = n;
}
