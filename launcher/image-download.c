/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "image-download.h"

#include <errno.h>
#include <string.h>

#include "glib-macro.h"
#include "image-index.h"
#include "launcher.h"

void image_download_done(struct image_download *d)
{
	image_files_done(&d->files);
	image_meta_done(&d->meta);
}

static void log_missing(const char *server, const struct image_ref *want,
			const struct image_index *idx)
{
	GString *have = g_string_new(NULL);

	for (size_t i = 0; i < idx->n && i < 20; i++)
		g_string_append_printf(have, "%s%s:%s:%s:%s", i ? ", " : "", idx->images[i].dist,
				       idx->images[i].release, idx->images[i].arch,
				       idx->images[i].variant);
	log_error("no image %s:%s:%s:%s in the index of %s (it lists %s%s)", want->dist,
		  want->release, want->arch, want->variant, server, have->len ? have->str : "none",
		  idx->n > 20 ? ", ..." : "");
	g_string_free(have, TRUE);
}

int image_download_prepare(const char *spec, const char *server_opt, struct image_download *ret)
{
	const char *server = image_server(server_opt);
	struct image_index idx = { 0 };
	struct image_ref want = { 0 };
	const struct image_ref *found = NULL;
	g_autofree char *what = NULL;
	int r;

	*ret = (struct image_download){ .files = { -1, -1, false } };
	if (image_spec_parse(spec, &want) < 0) {
		log_error(
			"create: '%s' is not DIST:RELEASE[:ARCH[:VARIANT]] (e.g. debian:bookworm); "
			"each of A-Z a-z 0-9 . _ : + -",
			spec);
		return -EINVAL;
	}
	r = image_index_fetch(server, &idx);
	if (r >= 0 && !(found = image_index_find(&idx, &want))) {
		log_missing(server, &want, &idx);
		r = -ENOENT;
	}
	if (r >= 0)
		r = image_obtain(server, found, &ret->files);
	if (r >= 0) {
		what = g_strconcat(found->dist, ":", found->release, " meta.tar.xz", NULL);
		r = image_meta_read(what, ret->files.meta_fd, &ret->meta);
	}
	if (r < 0)
		image_download_done(ret);
	image_ref_done(&want);
	image_index_done(&idx);
	return r;
}
