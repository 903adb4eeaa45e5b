/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "minisign.h"

#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "glib-macro.h"

#define UNTRUSTED  "untrusted comment: "
#define TRUSTED	   "trusted comment: "
#define KEY_ALG	   "Ed"
#define SIG_LEGACY "Ed"
#define SIG_HASHED "ED"

/* The secret key file's layout, packed as minisign writes it. */
struct seckey_blob {
	uint8_t sig_alg[2], kdf_alg[2], chk_alg[2];
	uint8_t salt[32];
	uint8_t opslimit[8], memlimit[8];
	uint8_t id[MINISIGN_KEYID_LEN]; /* from here to chk: what the password encrypts */
	uint8_t sk[64];
	uint8_t chk[32];
} __attribute__((packed));

struct pubkey_blob {
	uint8_t alg[2];
	uint8_t id[MINISIGN_KEYID_LEN];
	uint8_t pk[32];
} __attribute__((packed));

struct sig_blob {
	uint8_t alg[2];
	uint8_t id[MINISIGN_KEYID_LEN];
	uint8_t sig[64];
} __attribute__((packed));

int minisign_init(void)
{
	return sodium_init() < 0 ? -EIO : 0;
}

/* Line n (from 0) of text, without its line end; NULL past the end. */
static char *line_at(const char *text, unsigned n)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", (gint)n + 2);

	if (g_strv_length(lines) <= n)
		return NULL;
	return g_strchomp(g_strdup(lines[n]));
}

/* Exactly len bytes of base64 (minisign's "original" alphabet, padded). */
static int b64_exact(const char *s, void *out, size_t len)
{
	size_t got = 0;

	if (!s ||
	    sodium_base642bin(out, len, s, strlen(s), NULL, &got, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    got != len)
		return -EBADMSG;
	return 0;
}

static char *b64_of(const void *bin, size_t len)
{
	size_t size = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
	char *s = g_malloc(size);

	return sodium_bin2base64(s, size, bin, len, sodium_base64_VARIANT_ORIGINAL);
}

static bool has_comment(const char *text, const char *prefix)
{
	return g_str_has_prefix(text, prefix);
}

int minisign_pubkey_parse(const char *text, struct minisign_pubkey *ret)
{
	g_autofree char *b64 = line_at(text, 1);
	struct pubkey_blob b;

	if (!has_comment(text, UNTRUSTED) || b64_exact(b64, &b, sizeof(b)) < 0 ||
	    memcmp(b.alg, KEY_ALG, 2) != 0)
		return -EBADMSG;
	memcpy(ret->id, b.id, sizeof(b.id));
	memcpy(ret->pk, b.pk, sizeof(b.pk));
	return 0;
}

static void seckey_chk(const struct seckey_blob *b, uint8_t chk[32])
{
	crypto_generichash_state hs;

	crypto_generichash_init(&hs, NULL, 0, 32);
	crypto_generichash_update(&hs, b->sig_alg, sizeof(b->sig_alg));
	crypto_generichash_update(&hs, b->id, sizeof(b->id));
	crypto_generichash_update(&hs, b->sk, sizeof(b->sk));
	crypto_generichash_final(&hs, chk, 32);
}

bool minisign_seckey_encrypted(const char *text)
{
	g_autofree char *b64 = line_at(text, 1);
	struct seckey_blob b;
	bool r;

	if (b64_exact(b64, &b, sizeof(b)) < 0)
		return false;
	r = memcmp(b.kdf_alg, "Sc", 2) == 0;
	sodium_memzero(&b, sizeof(b));
	return r;
}

/* The scrypt stream XORed over id..chk, with the parameters the file names. */
static int seckey_decrypt(struct seckey_blob *b, const char *password)
{
	uint8_t stream[MINISIGN_KEYID_LEN + 64 + 32];
	uint8_t *p = b->id;
	uint64_t ops = 0, mem = 0;

	for (int i = 7; i >= 0; i--) {
		ops = ops << 8 | b->opslimit[i];
		mem = mem << 8 | b->memlimit[i];
	}
	/* A hostile file could ask for terabytes of scrypt memory: minisign's own are 1 GiB. */
	if (mem > (UINT64_C(1) << 31) || ops > (UINT64_C(1) << 32))
		return -E2BIG;
	if (crypto_pwhash_scryptsalsa208sha256(stream, sizeof(stream), password, strlen(password),
					       b->salt, ops, (size_t)mem) != 0)
		return -ENOMEM;
	for (size_t i = 0; i < sizeof(stream); i++)
		p[i] ^= stream[i];
	sodium_memzero(stream, sizeof(stream));
	return 0;
}

static int seckey_check(struct seckey_blob *b, const char *password)
{
	static const uint8_t zero[32];
	uint8_t chk[32];
	int r;

	if (memcmp(b->sig_alg, KEY_ALG, 2) != 0 || memcmp(b->chk_alg, "B2", 2) != 0)
		return -EBADMSG;
	if (memcmp(b->kdf_alg, "Sc", 2) == 0) {
		if (!password)
			return -ENOKEY;
		r = seckey_decrypt(b, password);
		if (r < 0)
			return r;
	} else if (memcmp(b->kdf_alg, "\0\0", 2) != 0)
		return -EBADMSG;
	seckey_chk(b, chk);
	/* minisign -W leaves the checksum of a key without password zero. */
	if (memcmp(chk, b->chk, 32) != 0 &&
	    (memcmp(b->kdf_alg, "Sc", 2) == 0 || memcmp(b->chk, zero, 32) != 0))
		r = memcmp(b->kdf_alg, "Sc", 2) == 0 ? -EKEYREJECTED : -EBADMSG;
	else
		r = 0;
	sodium_memzero(chk, sizeof(chk));
	return r;
}

int minisign_seckey_parse(const char *text, const char *password, struct minisign_seckey *ret)
{
	g_autofree char *b64 = line_at(text, 1);
	struct seckey_blob b;
	int r;

	if (!has_comment(text, UNTRUSTED) || b64_exact(b64, &b, sizeof(b)) < 0)
		return -EBADMSG;
	r = seckey_check(&b, password);
	if (r >= 0) {
		memcpy(ret->id, b.id, sizeof(b.id));
		memcpy(ret->sk, b.sk, sizeof(b.sk));
	}
	sodium_memzero(&b, sizeof(b));
	if (b64)
		sodium_memzero(b64, strlen(b64));
	return r;
}

int minisign_sig_parse(const char *text, struct minisign_sig *ret)
{
	g_autofree char *sig_b64 = line_at(text, 1);
	g_autofree char *comment = line_at(text, 2);
	g_autofree char *global_b64 = line_at(text, 3);
	struct sig_blob b;

	if (!has_comment(text, UNTRUSTED) || b64_exact(sig_b64, &b, sizeof(b)) < 0)
		return -EBADMSG;
	if (!comment || !g_str_has_prefix(comment, TRUSTED))
		return -EBADMSG;
	if (memcmp(b.alg, SIG_LEGACY, 2) != 0 && memcmp(b.alg, SIG_HASHED, 2) != 0)
		return -EPROTONOSUPPORT;
	*ret = (struct minisign_sig){ .prehashed = memcmp(b.alg, SIG_HASHED, 2) == 0 };
	if (b64_exact(global_b64, ret->global_sig, sizeof(ret->global_sig)) < 0)
		return -EBADMSG;
	memcpy(ret->id, b.id, sizeof(b.id));
	memcpy(ret->sig, b.sig, sizeof(b.sig));
	ret->trusted_comment = g_strdup(comment + strlen(TRUSTED));
	return 0;
}

void minisign_sig_done(struct minisign_sig *s)
{
	g_clear_pointer(&s->trusted_comment, g_free);
}

int minisign_verify(const struct minisign_sig *s, const struct minisign_pubkey *pk, const void *msg,
		    size_t len)
{
	uint8_t hash[crypto_generichash_BYTES_MAX];
	size_t clen = strlen(s->trusted_comment);
	g_autofree uint8_t *global = g_malloc(sizeof(s->sig) + clen);

	if (memcmp(s->id, pk->id, MINISIGN_KEYID_LEN) != 0)
		return -ENOKEY;
	if (s->prehashed) {
		crypto_generichash(hash, sizeof(hash), msg, len, NULL, 0);
		msg = hash;
		len = sizeof(hash);
	}
	if (crypto_sign_verify_detached(s->sig, msg, len, pk->pk) != 0)
		return -EBADMSG;
	memcpy(global, s->sig, sizeof(s->sig));
	memcpy(global + sizeof(s->sig), s->trusted_comment, clen);
	if (crypto_sign_verify_detached(s->global_sig, global, sizeof(s->sig) + clen, pk->pk) != 0)
		return -EBADMSG;
	return 0;
}

void minisign_keyid_format(const uint8_t id[MINISIGN_KEYID_LEN], char buf[17])
{
	uint64_t v = 0;

	for (int i = MINISIGN_KEYID_LEN - 1; i >= 0; i--)
		v = v << 8 | id[i];
	snprintf(buf, 17, "%016" PRIX64, v);
}

int minisign_keygen(char **ret_pub, char **ret_sec)
{
	struct seckey_blob s = { .sig_alg = "Ed", .chk_alg = "B2" };
	struct pubkey_blob p = { .alg = "Ed" };
	g_autofree char *pub_b64 = NULL, *sec_b64 = NULL;
	char idhex[17];

	if (crypto_sign_keypair(p.pk, s.sk) != 0)
		return -EIO;
	randombytes_buf(s.id, sizeof(s.id));
	memcpy(p.id, s.id, sizeof(s.id));
	seckey_chk(&s, s.chk);
	minisign_keyid_format(s.id, idhex);
	pub_b64 = b64_of(&p, sizeof(p));
	sec_b64 = b64_of(&s, sizeof(s));
	sodium_memzero(&s, sizeof(s));
	*ret_pub = g_strdup_printf(UNTRUSTED "minisign public key %s\n%s\n", idhex, pub_b64);
	*ret_sec = g_strdup_printf(UNTRUSTED "minisign secret key %s (no password)\n%s\n", idhex,
				   sec_b64);
	sodium_memzero(sec_b64, strlen(sec_b64));
	return 0;
}

int minisign_sign(const struct minisign_seckey *k, const void *msg, size_t len,
		  const char *trusted_comment, char **ret)
{
	uint8_t hash[crypto_generichash_BYTES_MAX];
	struct sig_blob b = { .alg = "ED" };
	size_t clen = strlen(trusted_comment);
	g_autofree uint8_t *global = g_malloc(sizeof(b.sig) + clen);
	g_autofree char *sig_b64 = NULL, *global_b64 = NULL;
	uint8_t global_sig[64];
	char idhex[17];

	if (strchr(trusted_comment, '\n'))
		return -EINVAL;
	memcpy(b.id, k->id, sizeof(b.id));
	crypto_generichash(hash, sizeof(hash), msg, len, NULL, 0);
	if (crypto_sign_detached(b.sig, NULL, hash, sizeof(hash), k->sk) != 0)
		return -EIO;
	memcpy(global, b.sig, sizeof(b.sig));
	memcpy(global + sizeof(b.sig), trusted_comment, clen);
	if (crypto_sign_detached(global_sig, NULL, global, sizeof(b.sig) + clen, k->sk) != 0)
		return -EIO;
	sig_b64 = b64_of(&b, sizeof(b));
	global_b64 = b64_of(global_sig, sizeof(global_sig));
	minisign_keyid_format(k->id, idhex);
	*ret = g_strdup_printf(UNTRUSTED "signature from burrow secret key %s\n%s\n" TRUSTED
					 "%s\n%s\n",
			       idhex, sig_b64, trusted_comment, global_b64);
	return 0;
}
