/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "mount-plan.h"

/* A tmpfs /dev with the safe host devices, devpts, shm and mqueue. */
void dev_plan(struct mount_plan *pre, bool console);
