/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

/*
 * LXC's image index, meta/1.0/index-system: one image a line,
 * "dist;release;arch;variant;build;path", path relative to the server's root
 * ("/images/debian/bookworm/amd64/default/20240101_05:24/").
 */
#define IMAGE_INDEX_PATH "meta/1.0/index-system"
#define IMAGE_INDEX_MAX	 (4u << 20) /* LXC's own index is about 40 kB */

struct image_ref {
	char *dist, *release, *arch, *variant, *build, *path;
};

struct image_index {
	struct image_ref *images;
	size_t n;
};

/*
 * Every line is checked: each field of [A-Za-z0-9._:+-], the path of those
 * and '/', with no "." or ".." component. The first bad line is logged with
 * its number and what is wrong, and the parse fails -EBADMSG.
 */
int image_index_parse(const char *what, const char *text, struct image_index *ret);
void image_index_done(struct image_index *idx);

/* "DIST:RELEASE[:ARCH[:VARIANT]]", with the host's arch and "default" filled in. */
int image_spec_parse(const char *spec, struct image_ref *ret);
void image_ref_done(struct image_ref *r);

/* The newest build (by name, as LXC's builds sort by date) matching want; NULL if none. */
const struct image_ref *image_index_find(const struct image_index *idx,
					 const struct image_ref *want);

/* "dist;release;arch;variant;build", the line without its path. */
char *image_ref_id(const struct image_ref *r);
/* The host's architecture in LXC's (Debian's) names: amd64, arm64, ... */
const char *image_host_arch(void);
/* A field, name for messages: 1 to 64 of [A-Za-z0-9._:+-], not "." or "..". */
int image_field_check(const char *name, const char *v);
/* The index line for r; index line text with image replaced or added, sorted. */
char *image_index_render(const struct image_index *idx);
