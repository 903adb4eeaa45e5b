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
