#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# test-cgtree-boot.sh with burrowfs-mount=per-container (issue 14): the
# guest's systemd boots and manages its units on a cgroup tree served by a
# connection of its own, cached by the kernel.
CGTREE_PER_CONTAINER=1 exec bash "$(dirname "$0")/test-cgtree-boot.sh"
