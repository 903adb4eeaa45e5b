/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "state.h"

/*
 * Asks the monitor of ct to stop it (a clean poweroff, SIGKILL after
 * timeout_s; at once with force) and waits until the monitor is gone.
 * 0 if it was not running; -errno, logged.
 */
int container_stop(const struct ct *ct, int timeout_s, bool force);
