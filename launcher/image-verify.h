/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32

/*
 * The trusted keys: minisign public key files named *.pub in
 * /etc/burrow/keys.d and $XDG_CONFIG_HOME/burrow/keys.d (~/.config). A file
 * that is not a key is skipped with a warning, never trusted.
 */
char *image_keys_user_dir(void);
#define IMAGE_KEYS_SITE_DIR "/etc/burrow/keys.d"

/*
 * Checks sig_text, a SHA256SUMS.minisig, over sums with the trusted keys.
 * Logs why not, naming what (an URL or a path) and the key id, and returns
 * -EBADMSG (bad or malformed signature), -ENOKEY (no trusted key has that id).
 * image, when not NULL, must match an "image:" tag in the trusted comment
 * when the comment has one (burrow's own signatures bind the image's name).
 */
int image_verify_sums(const char *what, const char *sums, size_t len, const char *sig_text,
		      const char *image);

/* The digest SHA256SUMS lists for file: -ENOENT if it lists none, -EBADMSG if malformed. */
int image_sums_lookup(const char *sums, const char *file, uint8_t ret[SHA256_LEN]);

/* SHA-256 of the whole of fd from offset 0. */
int sha256_fd(int fd, uint8_t ret[SHA256_LEN]);
void sha256_hex(const uint8_t d[SHA256_LEN], char buf[2 * SHA256_LEN + 1]);
