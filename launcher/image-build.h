/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Publishing: one image added to, or replaced in, a tree any static web
 * server can serve, laid out as LXC's image servers are:
 *
 *   TREE/meta/1.0/index-system                       rewritten atomically
 *   TREE/images/DIST/RELEASE/ARCH/VARIANT/BUILD/     rootfs.tar.xz meta.tar.xz
 *                                                    SHA256SUMS SHA256SUMS.minisig
 */
struct image_build_args {
	char *from_dir, *from_tar, *debootstrap;
	char *dist, *release, *arch, *variant, *build, *description;
	char *key, *out;
	char **settings; /* the image's default config keys */
	int level;	 /* xz preset, 0-9 */
};

int image_build(const struct image_build_args *a);
/* NAME.key (0600) and NAME.pub, minisign's formats; neither may exist yet. */
int image_keygen(const char *name);
