/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sys/devices/system/cpu for the reader: online, possible and present are
 * rendered (static nodes); cpuN/ exists for the reader's visible CPUs only
 * and is the host's directory of the CPU it stands for; everything else
 * (kernel_max, vulnerabilities/, cpufreq/, cpuidle/, smt/, ...) is the
 * host's. glibc's get_nprocs_conf() counts the cpuN entries and
 * get_nprocs() reads online, so both agree with proc/cpuinfo.
 */
#include "sysfs-cpu.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "daemon.h"
#include "parse.h"

#define HOST_CPU_DIR SYSFS_CPU_DIR

bool sysfs_cpu_component(const char *vpath, unsigned *ret_n, const char **ret_rest)
{
	const char *p = vpath;
	uint64_t n;

	if (strncmp(p, "cpu", 3) != 0)
		return false;
	p += 3;
	/* Only the kernel's spelling: no sign, no leading zero. */
	if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] >= '0' && p[1] <= '9'))
		return false;
	if (parse_u64_prefix(&p, &n) < 0 || n >= BURROW_MAX_CPUS)
		return false;
	if (*p != '\0' && *p != '/')
		return false;
	*ret_n = (unsigned)n;
	*ret_rest = p;
	return true;
}

int sysfs_cpu_host(struct daemon *d, struct ctr *x, unsigned n)
{
	const struct burrow_cpu *cpu;
	int r;

	if (ctr_is_host(x))
		return (int)n;
	pthread_mutex_lock(&x->lock);
	r = ctr_cpu_locked(d, x, &cpu);
	if (r >= 0)
		r = n < cpu->nr_visible ? burrow_cpu_host_index(cpu, n) : -ENOENT;
	pthread_mutex_unlock(&x->lock);
	return r;
}

int sysfs_cpu_nr_visible(struct daemon *d, struct ctr *x)
{
	const struct burrow_cpu *cpu;
	int r;

	if (ctr_is_host(x))
		return -EOPNOTSUPP;
	pthread_mutex_lock(&x->lock);
	r = ctr_cpu_locked(d, x, &cpu);
	if (r >= 0)
		r = (int)cpu->nr_visible;
	pthread_mutex_unlock(&x->lock);
	return r;
}

int sysfs_cpu_visible(struct daemon *d, struct ctr *x, unsigned h)
{
	const struct burrow_cpu *cpu;
	int r;

	if (ctr_is_host(x))
		return (int)h;
	pthread_mutex_lock(&x->lock);
	r = ctr_cpu_locked(d, x, &cpu);
	if (r >= 0)
		r = burrow_cpu_visible_index(cpu, h);
	if (r >= 0 && (unsigned)r >= cpu->nr_visible)
		r = -ENOENT;
	pthread_mutex_unlock(&x->lock);
	return r;
}

static int cpu_map(struct daemon *d, struct ctr *x, const char *vpath, char *buf, size_t size)
{
	const char *rest;
	unsigned n;
	int h, k;

	if (sysfs_cpu_component(vpath, &n, &rest)) {
		h = sysfs_cpu_host(d, x, n);
		if (h < 0)
			return h;
		k = snprintf(buf, size, HOST_CPU_DIR "/cpu%d%s", h, rest);
	} else
		k = snprintf(buf, size, HOST_CPU_DIR "%s%s", *vpath ? "/" : "", vpath);
	return k < 0 || (size_t)k >= size ? -ENAMETOOLONG : 0;
}

struct keep_args {
	bool hide_cpus;
};

static bool keep_root_entry(const char *name, void *userdata)
{
	const struct keep_args *a = userdata;
	const char *rest;
	unsigned n;

	/* online, possible, present: the static nodes list themselves. */
	if (snode_child(INO_SYS_CPU, name) != 0)
		return false;
	return !(a->hide_cpus && sysfs_cpu_component(name, &n, &rest) && *rest == '\0');
}

static int cpu_list_root(struct daemon *d, struct ctr *x, struct dirlist *l)
{
	struct keep_args a = { .hide_cpus = !ctr_is_host(x) };
	const struct burrow_cpu *cpu;
	unsigned nr;
	int r;

	r = dirlist_add_host(l, d->root_fd, HOST_CPU_DIR, keep_root_entry, &a);
	if (r < 0 || ctr_is_host(x))
		return r;
	pthread_mutex_lock(&x->lock);
	r = ctr_cpu_locked(d, x, &cpu);
	nr = r >= 0 ? cpu->nr_visible : 0;
	pthread_mutex_unlock(&x->lock);
	if (r < 0)
		return r;
	for (unsigned i = 0; i < nr; i++) {
		char name[16];

		snprintf(name, sizeof(name), "cpu%u", i);
		r = dirlist_add(l, name, S_IFDIR);
		if (r < 0)
			return r;
	}
	return 0;
}

/* cpuN/… differs per reader; the rest is the host's for everyone. */
static bool cpu_shared(const char *vpath)
{
	const char *rest;
	unsigned n;

	return !sysfs_cpu_component(vpath, &n, &rest);
}

const struct provider sysfs_cpu_provider = {
	.id = PROVIDER_SYSFS_CPU,
	.map = cpu_map,
	.list_root = cpu_list_root,
	.shared = cpu_shared,
};
