/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The low-level API with fuse_session_loop_mt()'s 3.12 config. */
#define FUSE_USE_VERSION 312

#include <fuse_lowlevel.h>
