/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

/*
 * meta.tar.xz: "config", the image's default config keys (KEY=VALUE lines,
 * the keys of default.conf, checked like -c), and "description", one line.
 * LXC's meta tarballs hold more (templates, config-user); those are ignored.
 */
#define IMAGE_META_MAX	     (16u << 20)
#define IMAGE_META_ENTRY_MAX (64u << 10)

struct image_meta {
	char **config; /* KEY=VALUE, NULL-terminated, never NULL */
	char *description;
};

/* Reads meta from fd (a tar.xz); -EBADMSG, logged with what, if it is not one. */
int image_meta_read(const char *what, int fd, struct image_meta *ret);
void image_meta_done(struct image_meta *m);
/* Writes meta.tar.xz to fd. */
int image_meta_write(int fd, char **config, const char *description);
