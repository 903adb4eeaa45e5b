/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "mounts.h"

#include <glib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroups.h"
#include "cgtree.h"
#include "conf.h"
#include "dev.h"
#include "served.h"

/*
 * Each bound entry of the served table that burrowfs has. Planned here, in
 * the parent: the child only walks the steps. A file this kernel's /proc
 * lacks (slabinfo without SLUB debug, pressure/ without PSI) has no target
 * in the guest's procfs: its step is optional and skipped there. sysfs
 * always has the cpu directory: a failure to bind it is one.
 *
 * burrowfs-mount=per-container: each bind is skipped in the child when the
 * container got a mount of its own connection for that path, and those are
 * placed after the binds. Which ones it gets is known only then (burrowfs
 * may refuse, or serve some files per container and not others): what
 * comes from neither is bound from the shared mount, as before.
 */
static void plan_burrowfs(struct mount_plan *pre, const char *fs, bool ctl)
{
	for (size_t i = 0; i < BURROW_SERVED_N; i++) {
		const struct burrow_served *e = &burrow_served[i];
		g_autofree char *src = g_build_filename(fs, e->path, NULL);

		if (!burrow_served_bound(e) || access(src, F_OK) < 0)
			continue;
		plan_add(pre, &(struct mop){ .kind = MOP_BIND,
					     .src = src,
					     .dst = (char *)e->path,
					     .optional = e->type == S_IFREG,
					     .ctl = ctl });
	}
	if (ctl)
		plan_add(pre, &(struct mop){ .kind = MOP_CTL });
}

/*
 * cgroup=burrowfs: each hierarchy is burrowfs's cgroup/<name>, which shows
 * the container's cgroups at the paths its /proc/self/cgroup names (there is
 * no cgroup namespace). systemd takes a non-cgroupfs name=systemd for the
 * legacy layout. Co-mounted controllers get a link per controller
 * (cpu -> cpu,cpuacct), as the host's own /sys/fs/cgroup has.
 */
static void plan_cgroups_burrowfs(struct mount_plan *pre, const struct cg_set *cg, const char *fs,
				  bool ctl)
{
	for (size_t i = 0; i < cg->n; i++) {
		const struct cg_hier *h = &cg->h[i];
		g_autofree char *dst = g_build_filename("sys/fs/cgroup", h->dirname, NULL);
		g_autofree char *src = NULL, *ctl_path = NULL;
		char name[256];

		if (burrow_cgtree_hier_name(h->controllers, h->v2, name, sizeof(name)) < 0)
			continue;
		src = g_build_filename(fs, "cgroup", name, NULL);
		plan_mkdir(pre, dst, 0755);
		/* burrowfs-mount=per-container: the container's own cgroup/NAME when it got one. */
		ctl_path = g_build_filename("cgroup", name, NULL);
		plan_add(pre, &(struct mop){ .kind = MOP_BIND,
					     .src = src,
					     .dst = dst,
					     .ctl = ctl,
					     .data = ctl_path });
		if (h->v2 || !strchr(h->controllers, ','))
			continue;
		g_auto(GStrv) ctrls = g_strsplit(h->controllers, ",", -1);
		for (char **c = ctrls; *c; c++) {
			g_autofree char *link = NULL;

			if (!**c || g_str_has_prefix(*c, "name=") || g_str_equal(*c, h->dirname))
				continue;
			link = g_build_filename("sys/fs/cgroup", *c, NULL);
			plan_symlink(pre, h->dirname, link);
		}
	}
}

static void plan_cgroups(struct mount_plan *pre, const struct cg_set *cg, const char *fs, bool ctl)
{
	const unsigned long fl = MS_NOSUID | MS_NODEV | MS_NOEXEC;

	/*
	 * Pure v2: the container's own cgroup is its /sys/fs/cgroup, a cgroup2
	 * filesystem, writable (cg_delegate() gave it to the container's root).
	 * In its cgroup namespace /proc/self/cgroup says "0::/", which is this
	 * directory, and systemd runs in the unified layout; on a tmpfs it
	 * would want the legacy one, which a v2 host doesn't have.
	 */
	if (!fs && cg_pure_v2(cg)) {
		plan_add(pre, &(struct mop){ .kind = MOP_BIND,
					     .src = cg->h[0].path,
					     .dst = "sys/fs/cgroup" });
		return;
	}
	plan_mount(pre, "tmpfs", "sys/fs/cgroup", "tmpfs", fl, "mode=755");
	if (fs)
		plan_cgroups_burrowfs(pre, cg, fs, ctl);
	for (size_t i = 0; !fs && i < cg->n; i++) {
		g_autofree char *dst = g_build_filename("sys/fs/cgroup", cg->h[i].dirname, NULL);

		plan_mkdir(pre, dst, 0755);
		plan_add(pre, &(struct mop){ .kind = MOP_BIND, .src = cg->h[i].path, .dst = dst });
	}
	/* systemd takes a read-only tmpfs here for the legacy/hybrid layout, as nspawn gives. */
	plan_add(pre, &(struct mop){ .kind = MOP_REMOUNT,
				     .dst = "sys/fs/cgroup",
				     .flags = MS_RDONLY | fl,
				     .data = "mode=755" });
}

/*
 * What Docker (and so runc, crun, podman and Kubernetes by default) hides or
 * freezes; its masked list is runc's example spec plus /proc/interrupts and
 * /sys/devices/virtual/powercap (RAPL energy counters, a side channel:
 * CVE-2020-8694, "Platypus").
 *
 * These are made inside the container's user and mount namespaces, so they
 * are not locked: guest root can unmount or remount them, and may mount a
 * fresh procfs of its own. That is on purpose. The guest's systemd gives
 * services ProtectProc=, ProtectKernelTunables= and PrivateDevices=, which
 * mount a fresh procfs or sysfs, and the kernel refuses that while locked
 * mounts cover files of /proc (mount_too_revealing()); LXC and
 * systemd-nspawn choose the same. The boundary is the user namespace: with
 * every mask gone, guest root still can't write a global sysctl or
 * /proc/sysrq-trigger (their files are owned by host root, unmapped there)
 * nor read /proc/kcore or kernel addresses (CAP_SYS_RAWIO and CAP_SYSLOG
 * count only in the initial namespace). tests/launcher/test-sec-unmask.sh
 * proves it. The masks keep well-behaved guests from tripping on them.
 */
static const char *const masked[] = {
	"/proc/acpi",	    "/proc/asound",	 "/proc/interrupts",
	"/proc/kcore",	    "/proc/keys",	 "/proc/latency_stats",
	"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
	"/proc/scsi",	    "/sys/firmware",	 "/sys/devices/virtual/powercap",
};
static const char *const readonly[] = {
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

static void plan_user_binds(struct mount_plan *pre, const struct mount_inputs *in)
{
	const struct container_config *c = in->config;

	for (size_t i = 0; i < c->n_binds; i++) {
		const char *dst = c->binds[i].dest + 1; /* relative to the rootfs */
		struct stat st;
		bool dir = stat(c->binds[i].source, &st) < 0 || S_ISDIR(st.st_mode);

		if (dir)
			plan_mkdir(pre, dst, 0755);
		else
			plan_touch(pre, dst, 0644);
		plan_add(pre, &(struct mop){ .kind = MOP_ATTACH,
					     .dst = (char *)dst,
					     .tree = in->bind_tree + (int)i,
					     .ro = c->binds[i].ro });
	}
}

void mounts_plan(const struct mount_inputs *in, struct mount_plan *pre, struct mount_plan *post)
{
	const struct container_config *c = in->config;
	const unsigned long fl = MS_NOSUID | MS_NODEV | MS_NOEXEC;

	plan_mount(pre, "proc", "proc", "proc", fl, NULL);
	/* Every mode but host unshares a netns that the container's userns owns. */
	if (c->network != NET_HOST)
		plan_mount(pre, "sysfs", "sys", "sysfs", MS_RDONLY | fl, NULL);
	else
		/* sysfs only mounts in a userns that owns the netns: take the host's, read-only. */
		plan_bind(pre, "/sys", "sys", true, true);
	if (in->cg)
		plan_cgroups(pre, in->cg, in->cg_burrowfs ? in->burrowfs : NULL, in->ctl);
	dev_plan(pre, in->console);
	plan_mount(pre, "tmpfs", "run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=755,size=20%");
	if (in->host_tree >= 0) {
		plan_mkdir(pre, "run/host", 0755);
		plan_add(pre, &(struct mop){ .kind = MOP_ATTACH,
					     .dst = "run/host",
					     .tree = in->host_tree,
					     .ro = true });
	}
	if (in->burrowfs)
		plan_burrowfs(pre, in->burrowfs, in->ctl);
	plan_user_binds(pre, in);
	plan_add(pre, &(struct mop){ .kind = MOP_PIVOT });

	for (size_t i = 0; i < G_N_ELEMENTS(masked); i++)
		plan_add(post, &(struct mop){ .kind = MOP_MASK,
					      .dst = (char *)masked[i],
					      .optional = true });
	for (size_t i = 0; i < G_N_ELEMENTS(readonly); i++)
		plan_add(post, &(struct mop){ .kind = MOP_RO,
					      .dst = (char *)readonly[i],
					      .optional = true });
}
