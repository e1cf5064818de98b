/*
 * test_qrsig.c - QR payload signatures (server/qrsig.h).
 *
 * Round trip through sign, URL, parse and verify; every single-character
 * change of the signature, another code, another registration day or
 * another key must fail; the canonical message is pinned; the parser
 * accepts only our exact shape.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/crypto.h"
#include "common/errors.h"
#include "server/qrsig.h"

/* 2026-11-28 14:50:13 UTC */
#define T0 1795877413LL

static void
test_message(void **state)
{
	char msg[QRSIG_MESSAGE_MAX + 1];

	(void)state;
	assert_int_equal(qrsig_message("6101001000123", T0, msg), 38);
	assert_string_equal(msg, "sealreg-qr-v1|6101001000123|2026-11-28");
	/* The day is UTC: 23:59:59 is still the same day, +1 s the next. */
	qrsig_message("6101001000123", 1795910399LL, msg);
	assert_string_equal(msg, "sealreg-qr-v1|6101001000123|2026-11-28");
	qrsig_message("6101001000123", 1795910400LL, msg);
	assert_string_equal(msg, "sealreg-qr-v1|6101001000123|2026-11-29");
}

static void
test_round_trip_and_forgery(void **state)
{
	struct crypto_key *key = NULL, *other = NULL;
	char sig[QRSIG_B64_LEN + 1], url[SEAL_QR_PAYLOAD_MAX + 1], forged[QRSIG_B64_LEN + 1];
	char host[QRSIG_HOST_MAX + 1], code[SEAL_CODE_LEN + 1], psig[QRSIG_B64_LEN + 1];

	(void)state;
	assert_int_equal(crypto_key_generate(&key), 0);
	assert_int_equal(crypto_key_generate(&other), 0);
	assert_int_equal(qrsig_sign(key, "6101001000123", T0, sig), 0);
	assert_int_equal(strlen(sig), QRSIG_B64_LEN);
	assert_int_equal(qrsig_url("seals.example.gov.cn", "6101001000123", sig, url, sizeof(url)),
	                 0);
	assert_int_equal(qrsig_parse(url, strlen(url), host, code, psig), 0);
	assert_string_equal(host, "seals.example.gov.cn");
	assert_string_equal(code, "6101001000123");
	assert_string_equal(psig, sig);
	assert_int_equal(qrsig_verify(key, code, T0, psig), 0);
	/* Same day, another hour: still valid (only the date is signed). */
	assert_int_equal(qrsig_verify(key, code, T0 + 3600, psig), 0);

	if (qrsig_verify(key, "6101001000124", T0, sig) != SEAL_EBADSIG)
		fail_msg("another code: expected bad_signature");
	if (qrsig_verify(key, code, T0 + 86400, sig) != SEAL_EBADSIG)
		fail_msg("another registration day: expected bad_signature");
	if (qrsig_verify(other, code, T0, sig) != SEAL_EBADSIG)
		fail_msg("another key: expected bad_signature");
	for (int i = 0; i < QRSIG_B64_LEN; i++) {
		memcpy(forged, sig, sizeof(forged));
		forged[i] = forged[i] == 'A' ? 'B' : 'A';
		/* The last character carries 2 padding bits; a change may only flip those. */
		if (qrsig_verify(key, code, T0, forged) == 0 && i != QRSIG_B64_LEN - 1)
			fail_msg("signature changed at %d: expected bad_signature, got valid", i);
	}
	assert_int_equal(qrsig_verify(key, code, T0, "short"), SEAL_EBADSIG);
	assert_int_equal(qrsig_verify(key, code, T0, NULL), SEAL_EBADSIG);
	crypto_key_free(key);
	crypto_key_free(other);
}

static void
test_parse_shapes(void **state)
{
	char host[QRSIG_HOST_MAX + 1], code[SEAL_CODE_LEN + 1], sig[QRSIG_B64_LEN + 1];
	char s86[QRSIG_B64_LEN + 1], buf[512];

	(void)state;
	memset(s86, 'A', QRSIG_B64_LEN);
	s86[QRSIG_B64_LEN] = '\0';
	s86[3] = '-';
	s86[9] = '_';
#define OK(fmt)                                                                                    \
	do {                                                                                       \
		snprintf(buf, sizeof(buf), fmt, s86);                                              \
		if (qrsig_parse(buf, strlen(buf), host, code, sig) != 0)                           \
			fail_msg("expected %s to parse", buf);                                     \
	} while (0)
#define BAD(fmt)                                                                                   \
	do {                                                                                       \
		snprintf(buf, sizeof(buf), fmt, s86);                                              \
		if (qrsig_parse(buf, strlen(buf), host, code, sig) != SEAL_EINVAL)                 \
			fail_msg("expected %s to be refused", buf);                                \
	} while (0)
	OK("https://h.example/q/6101001000123.%s");
	OK("HTTP://127.0.0.1:8080/q/6101001000123.%s");
	OK("https://h/q/6101001000123.%s/");
	OK("https://h/q/6101001000123.%s?utm=1");
	OK("/q/6101001000123.%s");
	assert_string_equal(host, "");
	BAD("https://h/q/610100100012.%s");
	BAD("https://h/q/61010010001234.%s");
	BAD("https://h/q/6101001000123%s");
	BAD("https://h/x/6101001000123.%s");
	BAD("https://h/q/6101001000123.%sA");
	BAD("https://h/q/6101001000123.%s/more");
	BAD("https://user@h/q/6101001000123.%s");
	BAD("ftp://h/q/6101001000123.%s");
	BAD("https:///q/6101001000123.%s");
	BAD("WIFI:S:x;%s");
	assert_int_equal(qrsig_parse("https://h/q/6101001000123.AAA", 29, host, code, sig),
	                 SEAL_EINVAL);
	assert_string_equal(code, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_message),
	    cmocka_unit_test(test_round_trip_and_forgery),
	    cmocka_unit_test(test_parse_shapes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
