/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * burrowfs --print-binds MOUNTPOINT: the systemd-nspawn arguments that give a
 * container the files of the burrowfs mounted at MOUNTPOINT, one per line on
 * stdout (bindings/bind-args.h). Errors go to stderr; returns 0 or a
 * negative errno.
 */
int print_binds(const char *mountpoint);
