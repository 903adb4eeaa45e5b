/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fileio.h"
#include "glib-macro.h"
#include "idmap.h"
#include "launcher.h"
#include "rootfs.h"

/*
 * A guest "has a network config" when any of these is there; then create
 * leaves it alone:
 *   /etc/systemd/network/ *.network            systemd-networkd
 *   /etc/network/interfaces: an iface, auto, allow- or mapping line for anything
 *     but lo; /etc/network/interfaces.d/ not empty   ifupdown
 *   /etc/netplan/ *.yaml                        netplan
 *   /etc/NetworkManager/system-connections/ not empty
 *   /etc/sysconfig/network-scripts/ifcfg-* but ifcfg-lo   (Fedora's network-scripts)
 * Otherwise, when the guest has systemd-networkd, it gets an eth0 with DHCP,
 * and networkd enabled. Everything runs as the container's root in a forked
 * helper, paths resolved inside the rootfs.
 */

#define NETWORK_FILE "80-burrow-eth0.network"

/*
 * Kind=: only the interfaces burrow gives a guest (a veth from burrow-net,
 * pasta's tap); with network=host the guest would otherwise run DHCP on the
 * host's own eth0.
 */
static const char network_text[] = "# Written by burrow create: the container's network (veth or "
				   "pasta) by DHCP.\n"
				   "[Match]\nName=eth0\nKind=veth tun\n\n"
				   "[Network]\nDHCP=yes\n";

static const char *const unit_dirs[] = { "/lib/systemd/system", "/usr/lib/systemd/system" };

/* 1 when dir (inside the rootfs) has an entry matching pattern other than except. */
static int dir_has(int root, const char *dir, const char *pattern, const char *except)
{
	char buf[4096];
	int fd = open_in_root(root, dir, O_RDONLY | O_DIRECTORY);
	long n;

	if (fd < 0)
		return 0;
	while ((n = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);

			off += d->d_reclen;
			if (d->d_name[0] == '.' && (!d->d_name[1] || !strcmp(d->d_name, "..")))
				continue;
			if (fnmatch(pattern, d->d_name, 0) == 0 &&
			    (!except || strcmp(d->d_name, except) != 0)) {
				close(fd);
				return 1;
			}
		}
	}
	close(fd);
	return 0;
}

/* An ifupdown line that configures something: "iface eth0 ...", "auto eth0", "mapping ...". */
static int ifupdown_line(const char *line)
{
	/*
	 * Not "source": Debian's default file sources interfaces.d, which
	 * counts by itself when it holds anything.
	 */
	static const char *const words[] = { "iface", "auto", "allow-", "mapping" };

	line += strspn(line, " \t");
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		size_t len = strlen(words[i]);
		const char *arg;

		if (strncmp(line, words[i], len) != 0)
			continue;
		if (words[i][len - 1] != '-' && line[len] != ' ' && line[len] != '\t')
			continue;
		if (i == 3)
			return 1;
		arg = line + len + strcspn(line + len, " \t");
		arg += strspn(arg, " \t");
		/* "auto lo" and "iface lo inet loopback" are every Debian's default. */
		if (*arg && !(arg[0] == 'l' && arg[1] == 'o' && (!arg[2] || strchr(" \t", arg[2]))))
			return 1;
	}
	return 0;
}

static int has_ifupdown(int root)
{
	char buf[65536];
	int fd = open_in_root(root, "/etc/network/interfaces", O_RDONLY | O_NOFOLLOW);
	ssize_t n;

	if (dir_has(root, "/etc/network/interfaces.d", "*", NULL))
		return 1;
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	for (char *line = buf, *nl; line && *line; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if (ifupdown_line(line))
			return 1;
	}
	return 0;
}

static int has_network_config(int root)
{
	return dir_has(root, "/etc/systemd/network", "*.network", NULL) || has_ifupdown(root) ||
	       dir_has(root, "/etc/netplan", "*.yaml", NULL) ||
	       dir_has(root, "/etc/NetworkManager/system-connections", "*", NULL) ||
	       dir_has(root, "/etc/sysconfig/network-scripts", "ifcfg-*", "ifcfg-lo");
}

/* dir inside the rootfs, made if missing (its parent must exist); an fd or -errno. */
static int open_dir(int root, const char *parent, const char *name)
{
	int p = open_in_root(root, parent, O_PATH | O_DIRECTORY), fd;

	if (p < 0)
		return p;
	if (mkdirat(p, name, 0755) < 0 && errno != EEXIST) {
		fd = -errno;
		close(p);
		return fd;
	}
	fd = openat(p, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		fd = -errno;
	close(p);
	return fd;
}

static int link_unit(int root, const char *wants, const char *name, const char *target)
{
	int dir = open_dir(root, "/etc/systemd/system", wants);
	int r = 0;

	if (dir < 0)
		return -dir;
	if (symlinkat(target, dir, name) < 0 && errno != EEXIST)
		r = errno;
	close(dir);
	return r;
}

static int write_network(int root)
{
	const int fl = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
	int dir = open_dir(root, "/etc/systemd", "network"), fd, r = 0;

	if (dir < 0)
		return -dir;
	fd = openat(dir, NETWORK_FILE, fl, 0644);
	close(dir);
	if (fd < 0)
		return errno;
	if (write(fd, network_text, sizeof(network_text) - 1) != (ssize_t)sizeof(network_text) - 1)
		r = EIO;
	if (close(fd) < 0 && !r)
		r = errno;
	return r;
}

/* In the helper, as the container's root: returns 0 or a positive errno. */
static int set_network(void *arg)
{
	int root = *(int *)arg, unit;
	const char *dir = NULL;
	char target[128], socket_target[128];
	int r;

	for (size_t i = 0; i < sizeof(unit_dirs) / sizeof(unit_dirs[0]) && !dir; i++) {
		snprintf(target, sizeof(target), "%s/systemd-networkd.service", unit_dirs[i]);
		unit = open_in_root(root, target, O_PATH);
		if (unit >= 0) {
			close(unit);
			dir = unit_dirs[i];
		}
	}
	if (!dir || has_network_config(root))
		return 0;
	r = write_network(root);
	/* etc/systemd/network is a symlink or a file: the image arranges it, leave it be. */
	if (r == ENOTDIR || r == ELOOP || r == EEXIST)
		return 0;
	if (r == 0)
		r = link_unit(root, "multi-user.target.wants", "systemd-networkd.service", target);
	if (r == 0) {
		snprintf(socket_target, sizeof(socket_target), "%s/systemd-networkd.socket", dir);
		r = link_unit(root, "sockets.target.wants", "systemd-networkd.socket",
			      socket_target);
	}
	if (r == 0)
		r = link_unit(root, ".", "dbus-org.freedesktop.network1.service", target);
	return r;
}

int rootfs_set_network(const char *rootfs, const struct container_config *c)
{
	int fd = open(rootfs, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), r;

	if (fd < 0)
		return log_error_errno(-errno, "cannot open %s: %m", rootfs);
	r = userns_run(&c->uid_map, &c->gid_map, 0, set_network, &fd);
	close(fd);
	if (r > 0)
		r = -r;
	if (r < 0)
		return log_error_errno(r, "cannot give %s a network config (eth0 by DHCP): %m",
				       rootfs);
	return 0;
}
