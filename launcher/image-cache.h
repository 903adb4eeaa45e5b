/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "image-index.h"

/*
 * The image cache: BURROW_CACHE_DIR if set, else /var/cache/burrow/images
 * for root and $XDG_CACHE_HOME/burrow/images (~/.cache) for users. One
 * directory per server, then dist/release/arch/variant/build, holding the
 * four files as the server has them. An entry is made whole in a temporary
 * directory beside it and renamed into place only once verified, and it is
 * verified again (signature and both digests) each time it is used.
 */
#define IMAGE_DEFAULT_SERVER "https://images.linuxcontainers.org"
#define IMAGE_ROOTFS_MAX     (UINT64_C(16) << 30)

char *image_cache_dir(void);
/* --server, else BURROW_IMAGE_SERVER, else the default. */
const char *image_server(const char *opt);

/* The server's index, fetched (at most IMAGE_INDEX_MAX) and parsed. */
int image_index_fetch(const char *server, struct image_index *ret);

struct image_files {
	int rootfs_fd, meta_fd;
	bool from_cache;
};

/*
 * The image want names (its build filled from the index), from the cache
 * if a verified entry is there, downloaded and verified otherwise. The fds
 * are on the verified files.
 */
int image_obtain(const char *server, const struct image_ref *want, struct image_files *ret);
void image_files_done(struct image_files *f);

/* Removes the cached builds of server that its index no longer lists; *ret_n: how many. */
int image_cache_prune(const char *server, const struct image_index *idx, unsigned *ret_n);
/* Whether the cache holds r (not verified: for listing only). */
bool image_cache_has(const char *server, const struct image_ref *r);
