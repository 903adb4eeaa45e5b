/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * minisign's file formats (https://jedisct1.github.io/minisign/), so that
 * either tool reads the other's keys and signatures. Ed25519 from
 * libsodium; nothing here is hand-written crypto, only the framing:
 *
 *   public key  "untrusted comment: ...\n" base64("Ed" keyid[8] pk[32])
 *   secret key  "untrusted comment: ...\n" base64("Ed" kdf[2] "B2" salt[32]
 *               opslimit[8] memlimit[8] keyid[8] sk[64] chk[32]); kdf "Sc"
 *               means keyid..chk is XORed with scrypt(password), "\0\0" none
 *   signature   "untrusted comment: ...\n" base64(alg[2] keyid[8] sig[64])
 *               "\ntrusted comment: TEXT\n" base64(global_sig[64])
 *
 * alg "Ed" signs the file itself, "ED" its BLAKE2b-512; the global signature
 * covers sig || TEXT, so the trusted comment cannot be swapped.
 */
#define MINISIGN_KEYID_LEN 8

struct minisign_pubkey {
	uint8_t id[MINISIGN_KEYID_LEN];
	uint8_t pk[32];
};

struct minisign_seckey {
	uint8_t id[MINISIGN_KEYID_LEN];
	uint8_t sk[64];
};

struct minisign_sig {
	bool prehashed; /* "ED" */
	uint8_t id[MINISIGN_KEYID_LEN];
	uint8_t sig[64];
	uint8_t global_sig[64];
	char *trusted_comment; /* owned */
};

int minisign_init(void);

/* -EBADMSG for text that is not one; why gets a short reason. */
int minisign_pubkey_parse(const char *text, struct minisign_pubkey *ret);
/*
 * password may be NULL for a key without a password; an encrypted key then
 * gives -ENOKEY, a wrong password -EKEYREJECTED.
 */
int minisign_seckey_parse(const char *text, const char *password, struct minisign_seckey *ret);
bool minisign_seckey_encrypted(const char *text);

int minisign_sig_parse(const char *text, struct minisign_sig *ret);
void minisign_sig_done(struct minisign_sig *s);

/* 0, or -EBADMSG when the signature or the trusted comment's signature is wrong. */
int minisign_verify(const struct minisign_sig *s, const struct minisign_pubkey *pk, const void *msg,
		    size_t len);

/* A new pair; both texts are malloc'd file contents (the secret without a password). */
int minisign_keygen(char **ret_pub, char **ret_sec);
/* The prehashed ("ED") signature file of msg, as minisign -S writes it. */
int minisign_sign(const struct minisign_seckey *k, const void *msg, size_t len,
		  const char *trusted_comment, char **ret);

/* The key id as minisign prints it: hex of the little-endian 64-bit number. */
void minisign_keyid_format(const uint8_t id[MINISIGN_KEYID_LEN], char buf[17]);
