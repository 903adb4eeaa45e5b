/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Shared by the libFuzzer targets. An input is several files at once, split
 * on NUL bytes: no kernel text file holds a NUL, so a seed is simply real
 * files joined with "\0". A part the input does not reach, or a part that
 * is the single byte 0x01, stands for a file that does not exist. Gathers read a scratch tree (one
 * per process, on tmpfs) that each run rewrites from the parts, so the real gather code is what
 * gets fuzzed, buffer limits and all.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_PARTS 24

struct fuzz_parts {
	char *part[FUZZ_MAX_PARTS]; /* NUL-terminated, part[0] always there; NULL past n */
	size_t len[FUZZ_MAX_PARTS];
	size_t n;
	char *buf;
};

void fuzz_split(const uint8_t *data, size_t size, struct fuzz_parts *ret);
void fuzz_parts_done(struct fuzz_parts *p);

/* Part i as a file's contents; NULL when that file does not exist. */
const char *fuzz_file(const struct fuzz_parts *p, size_t i);
/* Writes part i to path under the scratch tree, or removes path (see fuzz_file). */
void fuzz_put_part(const char *path, const struct fuzz_parts *p, size_t i);

/* A file a gather reads under one name on cgroup v1 and another on v2 (NULL: none there). */
struct fuzz_cgfile {
	const char *v1, *v2;
};
/*
 * Part i (from 1 to n - 1) as files[i] under its v1 or its v2 name; the
 * other name is removed, so a run never sees a file the last run left.
 */
void fuzz_put_cgfiles(const struct fuzz_cgfile *files, size_t n, const struct fuzz_parts *p,
		      bool v2);

/* Flag bits from the first byte of part 0 (0 when it is empty or absent). */
unsigned fuzz_flags(const struct fuzz_parts *p);

/* The scratch tree's fd, made (and removed at exit) on first use. */
int fuzz_root(void);
/* The absolute path of path under the scratch tree, for APIs that take paths. */
void fuzz_path(const char *path, char *buf, size_t size);
/* mkdir -p of path under the scratch tree. */
void fuzz_mkdir(const char *path);
/* Writes path (dirs must exist) with text, or removes it when text is NULL. */
void fuzz_put(const char *path, const char *text, size_t len);
/* A symlink at path pointing at target (NULL: removed). */
void fuzz_symlink(const char *path, const char *target);

/* Aborts with a message: libFuzzer reports it as a crash with the input. */
#define fuzz_assert(cond, ...)                                             \
	do {                                                               \
		if (!(cond))                                               \
			fuzz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__); \
	} while (0)

void fuzz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 4, 5)));

/* Number of '\n'-terminated lines, counting a last line without one. */
size_t fuzz_lines(const char *text);
/* The n-th line (from 0) of text and its length; NULL past the end. */
const char *fuzz_line(const char *text, size_t n, size_t *ret_len);
