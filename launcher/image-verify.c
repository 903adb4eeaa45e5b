/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "image-verify.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <string.h>
#include <unistd.h>

#include "glib-macro.h"
#include "launcher.h"
#include "minisign.h"

#define KEY_FILE_MAX 4096

char *image_keys_user_dir(void)
{
	return g_build_filename(g_get_user_config_dir(), "burrow", "keys.d", NULL);
}

static int read_small(const char *path, size_t max, char **ret)
{
	g_autofree char *text = NULL;
	gsize len;

	if (!g_file_get_contents(path, &text, &len, NULL))
		return -EIO;
	if (len > max || strlen(text) != len)
		return -EFBIG;
	*ret = g_steal_pointer(&text);
	return 0;
}

/* The key of dir with that id, if any: 1 and *ret filled, 0 when none matches. */
static int find_key_in(const char *dir, const uint8_t id[MINISIGN_KEYID_LEN],
		       struct minisign_pubkey *ret, char **ret_path)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	const char *name;

	if (!d)
		return 0;
	while ((name = g_dir_read_name(d))) {
		g_autofree char *path = g_build_filename(dir, name, NULL);
		g_autofree char *text = NULL;
		struct minisign_pubkey k;

		if (!g_str_has_suffix(name, ".pub"))
			continue;
		if (read_small(path, KEY_FILE_MAX, &text) < 0 ||
		    minisign_pubkey_parse(text, &k) < 0) {
			log_info("warning: %s is not a minisign public key; ignored", path);
			continue;
		}
		if (memcmp(k.id, id, MINISIGN_KEYID_LEN) != 0)
			continue;
		*ret = k;
		*ret_path = g_steal_pointer(&path);
		return 1;
	}
	return 0;
}

/* burrow's trusted comments carry "\timage:D;R;A;V;B"; minisign's own have none. */
static int check_image_tag(const char *what, const char *comment, const char *image)
{
	g_auto(GStrv) tags = g_strsplit(comment, "\t", -1);

	for (char **t = tags; image && *t; t++) {
		if (!g_str_has_prefix(*t, "image:"))
			continue;
		if (g_str_equal(*t + 6, image))
			return 0;
		log_error("%s is signed for the image %s, not %s", what, *t + 6, image);
		return -EBADMSG;
	}
	return 0;
}

int image_verify_sums(const char *what, const char *sums, size_t len, const char *sig_text,
		      const char *image)
{
	g_autofree char *user_dir = image_keys_user_dir();
	const char *dirs[] = { IMAGE_KEYS_SITE_DIR, user_dir };
	g_autofree char *key_path = NULL;
	struct minisign_sig sig;
	struct minisign_pubkey k;
	char idhex[17];
	int r, found = 0;

	r = minisign_init();
	if (r < 0)
		return log_error_errno(r, "cannot initialise libsodium");
	r = minisign_sig_parse(sig_text, &sig);
	if (r == -EPROTONOSUPPORT)
		return log_error_errno(-EBADMSG, "%s: unknown signature algorithm (not Ed or ED)",
				       what);
	if (r < 0)
		return log_error_errno(-EBADMSG, "%s is not a minisign signature", what);
	minisign_keyid_format(sig.id, idhex);
	for (size_t i = 0; i < G_N_ELEMENTS(dirs) && !found; i++)
		found = find_key_in(dirs[i], sig.id, &k, &key_path);
	if (!found)
		r = log_error_errno(-ENOKEY,
				    "%s is signed by key %s, which is not trusted (no such key in "
				    "%s/*.pub or %s/*.pub)",
				    what, idhex, IMAGE_KEYS_SITE_DIR, user_dir);
	else if (minisign_verify(&sig, &k, sums, len) < 0)
		r = log_error_errno(
			-EBADMSG, "%s: wrong signature: SHA256SUMS is not what key %s (%s) signed",
			what, idhex, key_path);
	else
		r = check_image_tag(what, sig.trusted_comment, image);
	if (r >= 0)
		log_debug("%s: good signature by %s (%s)", what, idhex, key_path);
	minisign_sig_done(&sig);
	return r;
}

int image_sums_lookup(const char *sums, const char *file, uint8_t ret[SHA256_LEN])
{
	g_auto(GStrv) lines = g_strsplit(sums, "\n", -1);

	for (char **l = lines; *l; l++) {
		const char *name;
		size_t got;

		if (!**l)
			continue;
		/* "HEX  NAME" (text) or "HEX *NAME" (binary), as sha256sum writes them. */
		if (strlen(*l) < 2 * SHA256_LEN + 3 || (*l)[2 * SHA256_LEN] != ' ')
			return -EBADMSG;
		name = *l + 2 * SHA256_LEN + 2;
		if (!g_str_equal(name, file))
			continue;
		if (sodium_hex2bin(ret, SHA256_LEN, *l, 2 * SHA256_LEN, NULL, &got, NULL) != 0 ||
		    got != SHA256_LEN)
			return -EBADMSG;
		return 0;
	}
	return -ENOENT;
}

int sha256_fd(int fd, uint8_t ret[SHA256_LEN])
{
	crypto_hash_sha256_state st;
	uint8_t buf[1 << 16];
	off_t off = 0;
	ssize_t n;

	crypto_hash_sha256_init(&st);
	while ((n = pread(fd, buf, sizeof(buf), off)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		crypto_hash_sha256_update(&st, buf, (size_t)n);
		off += n;
	}
	crypto_hash_sha256_final(&st, ret);
	return 0;
}

void sha256_hex(const uint8_t d[SHA256_LEN], char buf[2 * SHA256_LEN + 1])
{
	sodium_bin2hex(buf, 2 * SHA256_LEN + 1, d, SHA256_LEN);
}
