/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "conf.h"
#include "image-cache.h"
#include "image-meta.h"

/* create --download: everything that can fail is done before the container's directory exists. */
struct image_download {
	struct image_files files;
	struct image_meta meta;
};

/* Finds DIST:RELEASE[:ARCH[:VARIANT]] in server's index, obtains it verified, reads its meta. */
int image_download_prepare(const char *spec, const char *server_opt, struct image_download *ret);
void image_download_done(struct image_download *d);
