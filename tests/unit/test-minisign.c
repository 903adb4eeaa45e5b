/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * launcher/minisign.c against files Debian's minisign 0.11 wrote (minisign
 * -G -W, -S and -S -l over "hello\n"): both signature algorithms verify,
 * and any change to the message, the trusted comment or the key fails.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../launcher/minisign.h"

#define MSG "hello\n"

static const char pub_text[] = "untrusted comment: minisign public key 6888E1808373C842\n"
			       "RWRCyHODgOGIaFXIDfy9yWbIxk1Uwh2f8S4uC2UkM/fmoNNTVbGyWR76\n";
static const char sec_text[] =
	"untrusted comment: minisign encrypted secret key\n"
	"RWQAAEIyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQshzg4DhiGiQoq3x1m"
	"JYum3D6y2CECYQHWMpoG0ZciIFe3tGnFQPqVXIDfy9yWbIxk1Uwh2f8S4uC2UkM/fmoNNTVbGyWR76AAAAAAAAAAAA"
	"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
static const char sig_hashed[] =
	"untrusted comment: signature from minisign secret key\n"
	"RURCyHODgOGIaMk/YA0LTuEqW9hHiJ+FXjTzEVPfApB8PS3ZvhxVnXBwPaFOMaLZHd+zJuxIMXZG9S551hhHBx4irC"
	"huu4CdUQQ=\n"
	"trusted comment: timestamp:1796317945\tfile:f\thashed\n"
	"SWuJ7GiWJ9MlqMbH/7qWh2sx+URq+LYpqjPEt+9RWZW+Yb2ocGD6vw1DUDa+23pxXQF/YHFBcd6sy8vUCRhZDg==\n";
static const char sig_legacy[] =
	"untrusted comment: signature from minisign secret key\n"
	"RWRCyHODgOGIaJb4uDjGHaBdcXUbppRkaHU3OygjifJI43UVQiAFwWrRuGk3QfrCPCgPSqbj+vLLx9hbtna+XzD53D"
	"q6+J8MhAI=\n"
	"trusted comment: timestamp:1796317945\tfile:f\n"
	"Im1LUt8cOxRaI9RJQ9p87Lqpttv6f3C5r/xjwh5tfjhNd0scYkTkaZrNl9ZjyqvqQuu/a17swZbY1WMhzlOCDQ==\n";

static int verify_text(const char *sig_text, const char *msg)
{
	struct minisign_pubkey pk;
	struct minisign_sig s;
	int r;

	ck_assert_int_eq(minisign_pubkey_parse(pub_text, &pk), 0);
	r = minisign_sig_parse(sig_text, &s);
	if (r < 0)
		return r;
	r = minisign_verify(&s, &pk, msg, strlen(msg));
	minisign_sig_done(&s);
	return r;
}

START_TEST(test_key_id)
{
	struct minisign_pubkey pk;
	char id[17];

	ck_assert_int_eq(minisign_pubkey_parse(pub_text, &pk), 0);
	minisign_keyid_format(pk.id, id);
	ck_assert_str_eq(id, "6888E1808373C842");
	ck_assert_int_eq(minisign_pubkey_parse("untrusted comment: x\nRWRCyHOD\n", &pk), -EBADMSG);
}
END_TEST

START_TEST(test_verify_both_algorithms)
{
	ck_assert_int_eq(verify_text(sig_hashed, MSG), 0);
	ck_assert_int_eq(verify_text(sig_legacy, MSG), 0);
	ck_assert_int_eq(verify_text(sig_hashed, "hellO\n"), -EBADMSG);
	ck_assert_int_eq(verify_text(sig_legacy, "hello"), -EBADMSG);
}
END_TEST

START_TEST(test_trusted_comment_is_signed)
{
	char *t = strdup(sig_hashed);

	memcpy(strstr(t, "file:f"), "file:g", 6);
	ck_assert_int_eq(verify_text(t, MSG), -EBADMSG);
	free(t);
}
END_TEST

START_TEST(test_unknown_algorithm)
{
	char *t = strdup(sig_hashed);

	/* "RUR" is base64 of "ED"; "RUX" makes the algorithm "E\x17". */
	t[strlen("untrusted comment: signature from minisign secret key\n") + 2] = 'X';
	ck_assert_int_eq(verify_text(t, MSG), -EPROTONOSUPPORT);
	free(t);
}
END_TEST

START_TEST(test_minisign_unencrypted_key_signs)
{
	struct minisign_seckey k;
	struct minisign_pubkey pk;
	struct minisign_sig s;
	char *sig;

	ck_assert(!minisign_seckey_encrypted(sec_text));
	ck_assert_int_eq(minisign_seckey_parse(sec_text, NULL, &k), 0);
	ck_assert_int_eq(minisign_pubkey_parse(pub_text, &pk), 0);
	ck_assert_int_eq(memcmp(k.id, pk.id, sizeof(k.id)), 0);
	ck_assert_int_eq(minisign_sign(&k, MSG, strlen(MSG), "file:f", &sig), 0);
	ck_assert_int_eq(minisign_sig_parse(sig, &s), 0);
	ck_assert(s.prehashed);
	ck_assert_str_eq(s.trusted_comment, "file:f");
	ck_assert_int_eq(minisign_verify(&s, &pk, MSG, strlen(MSG)), 0);
	free(sig);
	ck_assert_int_eq(minisign_sign(&k, MSG, 1, "a\nb", &sig), -EINVAL);
	minisign_sig_done(&s);
}
END_TEST

START_TEST(test_keygen_round_trip)
{
	char *pub, *sec, *sig;
	struct minisign_seckey k;
	struct minisign_pubkey pk, other;
	struct minisign_sig s;

	ck_assert_int_eq(minisign_keygen(&pub, &sec), 0);
	ck_assert_int_eq(minisign_pubkey_parse(pub, &pk), 0);
	ck_assert_int_eq(minisign_seckey_parse(sec, NULL, &k), 0);
	ck_assert_int_eq(minisign_sign(&k, "x", 1, "c", &sig), 0);
	ck_assert_int_eq(minisign_sig_parse(sig, &s), 0);
	ck_assert_int_eq(minisign_verify(&s, &pk, "x", 1), 0);
	ck_assert_int_eq(minisign_pubkey_parse(pub_text, &other), 0);
	ck_assert_int_eq(minisign_verify(&s, &other, "x", 1), -ENOKEY);
	/* A corrupted checksum of a key without password is caught. */
	sec[strlen(sec) - 6] = sec[strlen(sec) - 6] == 'A' ? 'B' : 'A';
	ck_assert_int_eq(minisign_seckey_parse(sec, NULL, &k), -EBADMSG);
	minisign_sig_done(&s);
	free(pub);
	free(sec);
	free(sig);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("minisign");
	TCase *tc = tcase_create("minisign");
	SRunner *sr;
	int failed;

	if (minisign_init() < 0)
		return EXIT_FAILURE;
	tcase_add_test(tc, test_key_id);
	tcase_add_test(tc, test_verify_both_algorithms);
	tcase_add_test(tc, test_trusted_comment_is_signed);
	tcase_add_test(tc, test_unknown_algorithm);
	tcase_add_test(tc, test_minisign_unencrypted_key_signs);
	tcase_add_test(tc, test_keygen_round_trip);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
