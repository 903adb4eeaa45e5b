/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "conf.h"

/* argv[1] of the helper: hidden from the verb list. */
#define IMAGE_EXTRACT_VERB "__image-extract"

/*
 * Unpacks the tar.xz archive_fd into the empty directory dst, shifted to the
 * container's ids. libarchive runs in-process in a helper (burrow itself,
 * re-executed) that is root of a user namespace mapping only the
 * container's ids, chrooted into dst: the kernel shifts each owner as the
 * file is made, and nothing it writes can land outside dst even if
 * libarchive's own checks were fooled. Every entry is checked first; the
 * first bad one is named in the error (exit status 1 from the helper).
 */
int image_extract(int archive_fd, const char *dst, const struct container_config *c);

/* The helper's side: stdin is the archive, the cwd is dst. Returns an exit status. */
int image_extract_helper(void);
