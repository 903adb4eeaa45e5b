/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One sysinfo(2) notification, answered for the container of the thread
 * that made it: resolved as a FUSE read from that thread would be
 * (ctr_get()), from the same cached renders of /proc/meminfo and
 * /proc/uptime, so `free` and `busybox free` agree.
 *
 * Who sent us the listener does not matter: the answer depends only on the
 * caller the kernel names, and goes only into that caller's buffer. The
 * order below is what makes the write safe against a caller that dies and
 * a pid the kernel hands out again:
 *
 *   1. open the caller's /proc/TID directory, then mem and maps through it;
 *   2. SECCOMP_IOCTL_NOTIF_ID_VALID: the notification still waits, so TID
 *      was still the caller when those fds were opened, and they hold its
 *      memory, not a newcomer's;
 *   3. write through mem, only where maps shows writable memory that no
 *      FUSE server backs (below);
 *   4. SECCOMP_IOCTL_NOTIF_SEND with the result, or EFAULT as the kernel
 *      would give for a bad pointer.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "clock.h"
#include "content.h"
#include "daemon.h"
#include "fileio.h"
#include "macro.h"
#include "proc.h"
#include "seccomp-agent.h"
#include "sysinfo.h"

#define X32_SYSCALL_BIT 0x40000000

/* sysinfo's number for the architectures whose callers we can answer (little-endian). */
static bool is_sysinfo(const struct seccomp_data *sd)
{
	switch (sd->arch) {
	case AUDIT_ARCH_X86_64:
		return (sd->nr & ~X32_SYSCALL_BIT) == 99;
	case AUDIT_ARCH_I386:
	case AUDIT_ARCH_ARM:
		return sd->nr == 116;
	case AUDIT_ARCH_AARCH64:
		return sd->nr == 179;
	default:
		return false;
	}
}

static int blob_text(struct daemon *d, struct ctr *x, enum vfile k, char **ret)
{
	struct blob *b;
	char *s;
	int r;

	r = content_get(d, x, k, &b);
	if (r < 0)
		return r;
	s = strndup(b->data, b->len);
	blob_unref(b);
	if (!s)
		return -ENOMEM;
	*ret = s;
	return 0;
}

/* The figures of the container's /proc/meminfo, from the same render as its bytes. */
static int meminfo_figures(struct daemon *d, struct ctr *x, struct burrow_meminfo *ret)
{
	struct blob *b;
	int r;

	r = content_get(d, x, VF_MEMINFO, &b);
	if (r < 0)
		return r;
	blob_unref(b);
	pthread_mutex_lock(&x->lock);
	*ret = x->meminfo;
	pthread_mutex_unlock(&x->lock);
	return 0;
}

/* The container's figures; the host's own sysinfo for a caller of the host. */
static int container_sysinfo(struct daemon *d, struct ctr *x, struct burrow_sysinfo *ret)
{
	_cleanup_free_ char *uptime = NULL;
	struct burrow_meminfo mem;
	const struct burrow_container *c;
	unsigned long avenrun[3];
	struct sysinfo host;
	uint64_t procs;
	int r;

	if (sysinfo(&host) < 0)
		return -errno;
	r = meminfo_figures(d, x, &mem);
	if (r >= 0)
		r = blob_text(d, x, VF_UPTIME, &uptime);
	if (r < 0)
		return r;
	/*
	 * As /proc/loadavg: the container's own averages with -l, else the
	 * host's. A reader of either keeps the sampler sampling the container.
	 */
	if (d->opts.loadavg)
		__atomic_store_n(&x->loadavg_read, now_ns(), __ATOMIC_RELAXED);
	for (int i = 0; i < 3; i++)
		avenrun[i] = host.loads[i] >> (SI_LOAD_SHIFT - 11);
	pthread_mutex_lock(&x->lock);
	if (d->opts.loadavg)
		memcpy(avenrun, x->load.avenrun, sizeof(avenrun));
	r = ctr_container_locked(d, x, &c);
	if (r >= 0)
		r = burrow_gather_procs(d->root_fd, c, &procs);
	pthread_mutex_unlock(&x->lock);
	if (r < 0)
		return r;
	return burrow_sysinfo_fill(&mem, uptime, avenrun, procs, ret);
}

static int host_sysinfo(struct burrow_sysinfo *ret)
{
	struct sysinfo si;

	if (sysinfo(&si) < 0)
		return -errno;
	*ret = (struct burrow_sysinfo){
		.uptime = (uint64_t)si.uptime,
		.loads = { si.loads[0], si.loads[1], si.loads[2] },
		.totalram = (uint64_t)si.totalram * si.mem_unit,
		.freeram = (uint64_t)si.freeram * si.mem_unit,
		.sharedram = (uint64_t)si.sharedram * si.mem_unit,
		.bufferram = (uint64_t)si.bufferram * si.mem_unit,
		.totalswap = (uint64_t)si.totalswap * si.mem_unit,
		.freeswap = (uint64_t)si.freeswap * si.mem_unit,
		.procs = si.procs,
	};
	return 0;
}

/* A mapping's file is on a FUSE mount of the caller's (by its mountinfo, text only). */
static bool dev_is_fuse(int proc_dir, unsigned major, unsigned minor)
{
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ char *line = NULL;
	size_t size = 0;
	int fd;

	fd = openat(proc_dir, "mountinfo", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true;
	f = fdopen(fd, "re");
	if (!f) {
		close(fd);
		return true;
	}
	while (getline(&line, &size, f) > 0) {
		struct burrow_mountinfo m;

		/* A line we cannot read might be the FUSE mount: doubt counts as FUSE. */
		if (burrow_parse_mountinfo_line(line, &m) < 0)
			return true;
		if (m.major == major && m.minor == minor && strncmp(m.fstype, "fuse", 4) == 0)
			return true;
	}
	return false;
}

/* fgets() that drops the rest of a line longer than the buffer. */
static bool next_line(FILE *f, char *buf, size_t size)
{
	int c;

	if (!fgets(buf, (int)size, f))
		return false;
	if (!strchr(buf, '\n'))
		while ((c = getc(f)) != EOF && c != '\n')
			;
	return true;
}

/* One mapping of the caller's, from maps text or PROCMAP_QUERY. */
struct vma {
	uint64_t start, end, inode;
	unsigned major, minor;
	bool writable;
};

/*
 * PROCMAP_QUERY (Linux 6.11, include/uapi/linux/fs.h): the mapping at an
 * address in one ioctl on the maps fd, where the text means formatting
 * every mapping. Declared here for older headers; the layout is ABI.
 */
struct procmap_query {
	uint64_t size, query_flags, query_addr;
	uint64_t vma_start, vma_end, vma_flags, vma_page_size, vma_offset, inode;
	uint32_t dev_major, dev_minor, vma_name_size, build_id_size;
	uint64_t vma_name_addr, build_id_addr;
};
#define PROCMAP_QUERY		   _IOWR('f', 17, struct procmap_query)
#define PROCMAP_QUERY_VMA_WRITABLE 0x02

/* 0, -ENOENT when no mapping covers addr, -ENOTTY when the kernel has no PROCMAP_QUERY. */
static int vma_query(int maps_fd, uint64_t addr, struct vma *ret)
{
	struct procmap_query q = { .size = sizeof(q), .query_addr = addr };

	if (ioctl(maps_fd, PROCMAP_QUERY, &q) < 0)
		return errno == EINVAL || errno == ENOTTY ? -ENOTTY : -errno;
	*ret = (struct vma){ .start = q.vma_start,
			     .end = q.vma_end,
			     .inode = q.inode,
			     .major = q.dev_major,
			     .minor = q.dev_minor,
			     .writable = q.vma_flags & PROCMAP_QUERY_VMA_WRITABLE };
	return 0;
}

/* The same from the text, for kernels before 6.11. */
static int vma_text(int maps_fd, uint64_t addr, struct vma *ret)
{
	_cleanup_fclose_ FILE *f = NULL;
	char line[256];
	int fd;

	fd = dup(maps_fd);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "re");
	if (!f) {
		close(fd);
		return -errno;
	}
	while (next_line(f, line, sizeof(line))) {
		unsigned long lo, hi, ino;
		unsigned major, minor;
		char perms[5];

		if (sscanf(line, "%lx-%lx %4s %*x %x:%x %lu", &lo, &hi, perms, &major, &minor,
			   &ino) != 6)
			return -EIO;
		if (hi <= addr)
			continue;
		if (lo > addr)
			break;
		*ret = (struct vma){ lo, hi, ino, major, minor, perms[1] == 'w' };
		return 0;
	}
	return -ENOENT;
}

/*
 * Whether [addr, addr+len) lies in writable memory that no FUSE server
 * backs, per the caller's maps. The kernel's copy_to_user() fails on
 * read-only pages, which /proc/PID/mem (FOLL_FORCE) would write. And a page
 * of a FUSE file not yet faulted in would make our write wait on a server
 * the container may run itself, stalling a worker for as long as it likes.
 * Only text is read here: statting the mapped file would ask that server too.
 */
static int range_writable(int proc_dir, int maps_fd, uint64_t addr, size_t len)
{
	uint64_t want = addr, end = addr + len;
	bool query = true;

	if (end < addr)
		return -EFAULT;
	while (want < end) {
		struct vma v = { 0 };
		int r = -ENOTTY;

		if (query)
			r = vma_query(maps_fd, want, &v);
		if (r == -ENOTTY) {
			query = false;
			r = vma_text(maps_fd, want, &v);
		}
		if (r == -ENOENT)
			return -EFAULT;
		if (r < 0)
			return r;
		if (!v.writable || (v.inode != 0 && dev_is_fuse(proc_dir, v.major, v.minor)))
			return -EFAULT;
		want = v.end;
	}
	return 0;
}

static int notif_valid(int listener, uint64_t id)
{
	return ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) < 0 ? -errno : 0;
}

/*
 * Steps 1-3 above: 0 when the caller's buffer holds the answer. sender_mem:
 * the caller's mem as a proxy opened it (seccomp-lxc.c), written instead of
 * ours so that the write has no more authority than the proxy had; -1: ours.
 */
static int write_caller(int root_fd, int listener, const struct seccomp_notif *n, int sender_mem,
			const void *buf, size_t len)
{
	_cleanup_close_ int dir = -1, mem = -1, maps = -1;
	char path[32];
	ssize_t w;
	int r;

	snprintf(path, sizeof(path), "proc/%u", n->pid);
	dir = openat(root_fd, path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir >= 0 && sender_mem < 0)
		mem = openat(dir, "mem", O_RDWR | O_CLOEXEC);
	if (mem >= 0 || (dir >= 0 && sender_mem >= 0))
		maps = openat(dir, "maps", O_RDONLY | O_CLOEXEC);
	if (maps < 0)
		return -ESRCH;
	r = notif_valid(listener, n->id);
	if (r < 0)
		return r;
	r = range_writable(dir, maps, n->data.args[0], len);
	if (r < 0)
		return r;
	w = pwrite(sender_mem >= 0 ? sender_mem : mem, buf, len, (off_t)n->data.args[0]);
	if (w < 0)
		return errno == EIO ? -EFAULT : -errno;
	return (size_t)w == len ? 0 : -EFAULT;
}

/* The value the caller's syscall returns: 0, or -errno. */
static int answer(struct daemon *d, int listener, const struct seccomp_notif *n, int sender_mem)
{
	unsigned char buf[BURROW_SYSINFO_SIZE_64];
	struct burrow_sysinfo s;
	struct ctr *x;
	size_t len;
	int r;

	if (!is_sysinfo(&n->data))
		return -ENOSYS;
	/* pid 0: the caller is outside our pid namespace, which no container is. */
	if (n->pid == 0)
		return -ENOSYS;
	r = ctr_get(d, (pid_t)n->pid, &x);
	if (r < 0)
		return r;
	r = ctr_is_host(x) ? host_sysinfo(&s) : container_sysinfo(d, x, &s);
	ctr_unref(x);
	if (r < 0)
		return r;
	len = burrow_sysinfo_encode(&s, !(n->data.arch & __AUDIT_ARCH_64BIT), buf);
	return write_caller(d->root_fd, listener, n, sender_mem, buf, len);
}

int agent_answer_error(struct daemon *d, int listener, const struct seccomp_notif *n,
		       int sender_mem, bool *gone)
{
	int r = answer(d, listener, n, sender_mem);

	*gone = false;
	if (r == -ENOENT || r == -ESRCH) {
		/* The caller died (the notification is void) or vanished from /proc. */
		if (notif_valid(listener, n->id) < 0) {
			*gone = true;
			return -ESRCH;
		}
		r = -ESRCH;
	}
	/* Only what the kernel's sysinfo can return; our own failures read as EAGAIN. */
	if (r < 0 && r != -EFAULT && r != -ENOSYS) {
		log_ratelimited(&d->log, r, "sysinfo for pid %u: %m", n->pid);
		r = -EAGAIN;
	}
	return r;
}

int agent_answer(struct daemon *d, int listener, const struct seccomp_notif *n)
{
	struct seccomp_notif_resp resp = { .id = n->id };
	bool gone;
	int r = agent_answer_error(d, listener, n, -1, &gone);

	if (gone)
		return 0;
	resp.error = r;
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}
