/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "vfile.h"

struct blob;
struct ctr;
struct daemon;

/* The bytes of file k for the container x, from its cache when fresh. */
int content_get(struct daemon *d, struct ctr *x, enum vfile k, struct blob **ret);
