/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * glib and bindings/macro.h both define MIN and MAX. Included through here,
 * glib's are dropped for macro.h's (the same semantics, evaluated once).
 */
#include <glib.h>
#undef MIN
#undef MAX
#include "macro.h"

/*
 * The launcher's cleanup idiom is glib's: g_autofree, g_autoptr, g_auto, and
 * g_autofd for fds. g_autofd came with glib 2.76; Debian 12 has 2.74, so
 * until then it is macro.h's closep under glib's name: the fd, if >= 0, is
 * closed as it leaves scope, errno kept. g_steal_fd() hands it out.
 * (bindings/ and burrow-net use no glib, and keep macro.h's _cleanup_.)
 */
#if !GLIB_CHECK_VERSION(2, 76, 0)
#define g_autofd _cleanup_close_
#endif
