/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "conf.h"

/*
 * Each fills the empty directory dst with a rootfs whose files belong to the
 * container's ids. The ownership is shifted the way lxc-usernsexec does it:
 * tar unpacks inside a user namespace that maps the container's range, so
 * the kernel does the shifting and no step runs as real root.
 */
int rootfs_from_dir(const char *src, const char *dst, const struct container_config *c);
int rootfs_from_tar(const char *file, const char *dst, const struct container_config *c);
/* debootstrap minbase plus systemd, systemd-sysv, dbus and procps, then shifted. */
int rootfs_debootstrap(const char *suite, const char *dst, const struct container_config *c);

/*
 * Removes dir, after emptying rootfs (NULL: none) as the container's root
 * inside its id mapping.
 */
int rootfs_remove(const char *dir, const char *rootfs, const struct container_config *c);

/*
 * /etc/hostname: systemd in the guest sets the host name from it, over ours.
 * Written as the container's root, resolved inside the rootfs.
 */
int rootfs_set_hostname(const char *rootfs, const char *hostname, const struct container_config *c);

/*
 * A guest with no network config of its own (rootfs-net.c says what counts)
 * and systemd-networkd gets an eth0 by DHCP, networkd enabled. Written as the
 * container's root, resolved inside the rootfs.
 */
int rootfs_set_network(const char *rootfs, const struct container_config *c);

/* Checks, through the rootfs's own symlinks, that init exists and is executable. */
int rootfs_check_init(const char *rootfs, const char *init);
