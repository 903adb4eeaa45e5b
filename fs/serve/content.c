/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Which gather and render calls make each file. No rendering happens here:
 * this file only feeds bindings/ and caches what comes back.
 *
 * Why a render cache: readers come in bursts (`top` re-reads meminfo, stat,
 * uptime and loadavg every refresh; lscpu and systemd read a file many
 * times in a row; monitoring agents poll several containers at once), and
 * a render costs a dozen cgroup and proc reads. Keeping each container's
 * bytes for a short TTL (--cache-ms, 100 ms by default) turns a burst into
 * one render, which is what lets burrowfs beat lxcfs, which re-reads every
 * file on every open. 100 ms stays below what any tool displays: top and
 * free round to a tenth of a second at best.
 */
#include "content.h"

#include <errno.h>
#include <string.h>

#include "clock.h"
#include "daemon.h"
#include "fileio.h"
#include "macro.h"

static int host_text(struct daemon *d, const char *path, char **ret)
{
	return read_full_at(d->root_fd, path, ret, NULL);
}

static int render_mem(struct daemon *d, struct ctr *x, const struct burrow_container *c,
		      enum vfile k, struct strbuf *out)
{
	_cleanup_free_ char *host = NULL;
	struct burrow_mem m;
	int r;

	r = burrow_gather_mem(d->root_fd, c, &m);
	if (r < 0)
		return r;
	r = host_text(d, "proc/meminfo", &host);
	if (r < 0)
		return r;
	if (k == VF_MEMINFO) {
		r = burrow_meminfo_figures(&m, host, &d->opts, &x->meminfo);
		if (r < 0)
			return r;
		return burrow_render_meminfo(&m, host, &d->opts, out);
	}
	return burrow_render_swaps(&m, host, &d->opts, out);
}

static int render_vmstat(struct daemon *d, const struct burrow_container *c, struct strbuf *out)
{
	_cleanup_free_ char *host = NULL;
	struct burrow_vmstat v;
	int r;

	r = burrow_gather_vmstat(d->root_fd, c, d->page_size, &v);
	if (r < 0)
		return r;
	r = host_text(d, "proc/vmstat", &host);
	if (r < 0)
		return r;
	return burrow_render_vmstat(&v, host, out);
}

static int render_cpu(struct daemon *d, struct ctr *x, const struct burrow_container *c,
		      enum vfile k, struct strbuf *out)
{
	_cleanup_free_ char *host = NULL;
	const struct burrow_cpu *cpu;
	struct burrow_tasks t;
	struct burrow_clock clk;
	int r;

	r = ctr_cpu_locked(d, x, &cpu);
	if (r < 0)
		return r;
	switch (k) {
	case VF_CPUINFO:
		r = host_text(d, "proc/cpuinfo", &host);
		if (r < 0)
			return r;
		return burrow_render_cpuinfo(cpu, host, out);
	case VF_STAT:
		r = burrow_gather_tasks(d->root_fd, c, &t);
		if (r < 0)
			return r;
		r = burrow_gather_clock(d->root_fd, c, d->clk_tck, &clk);
		if (r < 0)
			return r;
		r = host_text(d, "proc/stat", &host);
		if (r < 0)
			return r;
		return burrow_render_stat(cpu, &t, &clk, host, &x->stat, out);
	case VF_UPTIME:
		r = burrow_gather_clock(d->root_fd, c, d->clk_tck, &clk);
		if (r < 0)
			return r;
		return burrow_render_uptime(cpu, &clk, out);
	default:
		return burrow_render_cpu_list(cpu, out);
	}
}

static int render_io(struct daemon *d, const struct burrow_container *c, struct strbuf *out)
{
	_cleanup_free_ char *host = NULL;
	struct burrow_io io = { 0 };
	int r;

	r = burrow_gather_io(d->root_fd, c, &io);
	if (r < 0)
		return r;
	r = host_text(d, "proc/diskstats", &host);
	if (r >= 0)
		r = burrow_render_diskstats(&io, host, out);
	burrow_io_done(&io);
	return r;
}

/* Passed-through text (slabinfo, PSI) as the gather returns it. */
static int take_text(int r, char *text, size_t len, struct strbuf *out)
{
	if (r < 0)
		return r;
	strbuf_free(out);
	*out = (struct strbuf){ .buf = text, .len = len, .cap = len + 1 };
	return 0;
}

static int render_loadavg(struct daemon *d, struct ctr *x, const struct burrow_container *c,
			  struct strbuf *out)
{
	struct burrow_tasks t;
	int r;

	char *text;
	size_t len;

	r = burrow_gather_tasks(d->root_fd, c, &t);
	if (r < 0)
		return r;
	if (t.host) {
		r = read_full_at(d->root_fd, vfile_host_path(VF_LOADAVG), &text, &len);
		return take_text(r, text, len, out);
	}
	return burrow_render_loadavg(&x->load, &t, out);
}

static int render_container(struct daemon *d, struct ctr *x, enum vfile k, struct strbuf *out)
{
	static const char *const psi[] = {
		[VF_PSI_CPU] = "cpu", [VF_PSI_IO] = "io", [VF_PSI_MEMORY] = "memory"
	};
	const struct burrow_container *c;
	char *text = NULL;
	size_t len = 0;
	int r;

	r = ctr_container_locked(d, x, &c);
	if (r < 0)
		return r;
	switch (k) {
	case VF_MEMINFO:
	case VF_SWAPS:
		return render_mem(d, x, c, k, out);
	case VF_CPUINFO:
	case VF_STAT:
	case VF_UPTIME:
	case VF_CPU_ONLINE:
	case VF_CPU_POSSIBLE:
	case VF_CPU_PRESENT:
		return render_cpu(d, x, c, k, out);
	case VF_LOADAVG:
		return render_loadavg(d, x, c, out);
	case VF_DISKSTATS:
		return render_io(d, c, out);
	case VF_VMSTAT:
		return render_vmstat(d, c, out);
	case VF_SLABINFO:
		r = burrow_gather_slabinfo(d->root_fd, c, &text, &len);
		return take_text(r, text, len, out);
	case VF_PSI_CPU:
	case VF_PSI_IO:
	case VF_PSI_MEMORY:
		r = burrow_gather_pressure(d->root_fd, c, psi[k], &text, &len);
		return take_text(r, text, len, out);
	default:
		return -EINVAL;
	}
}

static int render(struct daemon *d, struct ctr *x, enum vfile k, struct strbuf *out)
{
	char *text;
	size_t len;
	int r;

	/* The host, and everyone's loadavg with --disable-loadavg, read the host's own file. */
	if (ctr_is_host(x) || (k == VF_LOADAVG && !d->opts.loadavg)) {
		r = read_full_at(d->root_fd, vfile_host_path(k), &text, &len);
		return take_text(r, text, len, out);
	}
	r = render_container(d, x, k, out);
	if (r >= 0)
		r = strbuf_error(out);
	return r;
}

int content_get(struct daemon *d, struct ctr *x, enum vfile k, struct blob **ret)
{
	_cleanup_strbuf_ struct strbuf out = STRBUF_INIT;
	uint64_t now = now_ns();
	struct blob *b;
	char *text;
	size_t len;
	int r;

	if (k == VF_LOADAVG && d->opts.loadavg && !ctr_is_host(x))
		__atomic_store_n(&x->loadavg_read, now, __ATOMIC_RELAXED);

	/*
	 * One render per container and TTL: concurrent readers of the same
	 * container wait here for the first one's result instead of all reading
	 * the same cgroup files.
	 */
	pthread_mutex_lock(&x->lock);
	b = x->files[k].blob;
	if (b && now - x->files[k].time < d->cache_ns) {
		*ret = blob_ref(b);
		pthread_mutex_unlock(&x->lock);
		return 0;
	}
	r = render(d, x, k, &out);
	/*
	 * A runtime moved the init and removed its old cgroup: follow it now
	 * rather than fail every read until the paths' next refresh.
	 */
	if (r < 0 && ctr_error_gone(r) && !ctr_is_host(x) && ctr_reload_locked(d, x) > 0) {
		strbuf_reset(&out);
		r = render(d, x, k, &out);
	}
	if (r < 0) {
		pthread_mutex_unlock(&x->lock);
		return r;
	}
	text = strbuf_steal(&out, &len);
	if (!text)
		text = strdup("");
	b = text ? blob_new(text, len) : NULL;
	if (!b) {
		free(text);
		pthread_mutex_unlock(&x->lock);
		return -ENOMEM;
	}
	blob_unref(x->files[k].blob);
	x->files[k].blob = blob_ref(b);
	x->files[k].time = now;
	pthread_mutex_unlock(&x->lock);
	*ret = b;
	return 0;
}
