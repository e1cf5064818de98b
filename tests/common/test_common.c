/*
 * test_common.c - errors, hex/base64 and the crypto wrapper, with published
 * test vectors where they exist (RFC 4648, FIPS 180-2, RFC 4231).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/crypto.h"
#include "common/encode.h"
#include "common/errors.h"

static void
test_error_names_unique(void **state)
{
	static const int codes[] = {
#define CODE(name, value, id, text) value,
	    SEAL_ERRORS(CODE)
#undef CODE
	};
	size_t n = sizeof codes / sizeof codes[0];

	(void)state;
	for (size_t i = 0; i < n; i++) {
		assert_non_null(seal_strerror(codes[i]));
		for (size_t j = i + 1; j < n; j++) {
			if (strcmp(seal_errname(codes[i]), seal_errname(codes[j])) == 0)
				fail_msg("codes %d and %d share the name %s", codes[i], codes[j],
				         seal_errname(codes[i]));
		}
	}
	assert_string_equal(seal_errname(SEAL_EFULL), "registry_full");
	assert_string_equal(seal_strerror(SEAL_EFULL), "registry full: raise --map-size");
	assert_string_equal(seal_errname(-9999), "unknown");
}

static void
test_base64_rfc4648(void **state)
{
	static const char *const in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
	static const char *const std[] = {"",         "Zg==",     "Zm8=",    "Zm9v",
	                                  "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
	static const char *const url[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
	char out[32];
	uint8_t back[32];
	size_t len;

	(void)state;
	for (size_t i = 0; i < 7; i++) {
		base64_encode(in[i], strlen(in[i]), out, sizeof out);
		assert_string_equal(out, std[i]);
		base64url_encode(in[i], strlen(in[i]), out, sizeof out);
		assert_string_equal(out, url[i]);
		assert_int_equal(base64url_decode(url[i], strlen(url[i]), back, sizeof back, &len),
		                 0);
		assert_int_equal(len, strlen(in[i]));
		assert_memory_equal(back, in[i], len);
	}
	/* One encoding per byte string: non-zero leftover bits, bad length, bad character. */
	assert_int_equal(base64url_decode("Zh", 2, back, sizeof back, &len), SEAL_EINVAL);
	assert_int_equal(base64url_decode("Z", 1, back, sizeof back, &len), SEAL_EINVAL);
	assert_int_equal(base64url_decode("Zm9v+", 5, back, sizeof back, &len), SEAL_EINVAL);
	assert_int_equal(base64url_decode("Zm9vYmFy", 8, back, 5, &len), SEAL_EINVAL);
	/* A buffer too small gives 0 and an empty string. */
	assert_int_equal(base64_encode("foobar", 6, out, 8), 0);
	assert_string_equal(out, "");
}

static void
test_hex(void **state)
{
	uint8_t back[4];
	char out[9];
	size_t len;

	(void)state;
	assert_int_equal(hex_encode("\x01\xab\xff", 3, out, sizeof out), 6);
	assert_string_equal(out, "01abff");
	assert_int_equal(hex_decode("01ABff", 6, back, sizeof back, &len), 0);
	assert_int_equal(len, 3);
	assert_memory_equal(back, "\x01\xab\xff", 3);
	assert_int_equal(hex_decode("0g", 2, back, sizeof back, &len), SEAL_EINVAL);
	assert_int_equal(hex_decode("012", 3, back, sizeof back, &len), SEAL_EINVAL);
	assert_int_equal(hex_digit('F'), 15);
	assert_int_equal(hex_digit('x'), -1);
}

static void
test_sha256_hmac_vectors(void **state)
{
	uint8_t h[CRYPTO_SHA256_LEN], key[20];
	char hex[65];
	const void *parts[2] = {"ab", "c"};
	size_t lens[2] = {2, 1};

	(void)state;
	/* FIPS 180-2, "abc". */
	crypto_sha256("abc", 3, h);
	hex_encode(h, sizeof h, hex, sizeof hex);
	assert_string_equal(hex,
	                    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	crypto_sha256_parts(parts, lens, 2, h);
	hex_encode(h, sizeof h, hex, sizeof hex);
	assert_string_equal(hex,
	                    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	/* RFC 4231 test case 1. */
	memset(key, 0x0b, sizeof key);
	crypto_hmac_sha256(key, sizeof key, "Hi There", 8, h);
	hex_encode(h, sizeof h, hex, sizeof hex);
	assert_string_equal(hex,
	                    "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	assert_true(crypto_equal("abc", "abc", 3));
	assert_false(crypto_equal("abc", "abd", 3));
}

static void
test_ed25519_sign_save_load(void **state)
{
	struct crypto_key *key = NULL, *loaded = NULL, *pub = NULL;
	uint8_t sig[CRYPTO_ED25519_SIG_LEN], raw[CRYPTO_ED25519_PUB_LEN],
	    raw2[CRYPTO_ED25519_PUB_LEN];
	char dir[] = "/tmp/test_common.XXXXXX", path[64], pem[256];
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/k.pem", dir);
	assert_int_equal(crypto_key_generate(&key), 0);
	assert_int_equal(crypto_sign(key, "message", 7, sig), 0);
	assert_int_equal(crypto_verify(key, "message", 7, sig), 0);
	assert_int_equal(crypto_verify(key, "messagE", 7, sig), SEAL_EBADSIG);
	sig[0] ^= 1;
	assert_int_equal(crypto_verify(key, "message", 7, sig), SEAL_EBADSIG);
	sig[0] ^= 1;
	/* Saved 0600, never over an existing file; loads back to the same key. */
	assert_int_equal(crypto_key_save(key, path), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(crypto_key_save(key, path), SEAL_EEXIST);
	assert_int_equal(crypto_key_load(path, &loaded), 0);
	assert_int_equal(crypto_verify(loaded, "message", 7, sig), 0);
	/* A public-only key verifies but cannot sign. */
	assert_int_equal(crypto_key_public_raw(key, raw), 0);
	assert_int_equal(crypto_key_from_public(raw, &pub), 0);
	assert_int_equal(crypto_key_public_raw(pub, raw2), 0);
	assert_memory_equal(raw, raw2, sizeof raw);
	assert_int_equal(crypto_verify(pub, "message", 7, sig), 0);
	assert_int_equal(crypto_sign(pub, "message", 7, sig), SEAL_EINVAL);
	assert_int_equal(crypto_key_public_pem(pub, pem, sizeof pem), 0);
	assert_non_null(strstr(pem, "-----BEGIN PUBLIC KEY-----"));
	assert_int_equal(crypto_key_public_pem(pub, pem, 10), SEAL_ETOOBIG);
	snprintf(path, sizeof path, "%s/none.pem", dir);
	assert_int_equal(crypto_key_load(path, &loaded), SEAL_ENOTFOUND);
	crypto_key_free(key);
	crypto_key_free(loaded);
	crypto_key_free(pub);
	snprintf(path, sizeof path, "%s/k.pem", dir);
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_error_names_unique),
	    cmocka_unit_test(test_base64_rfc4648),
	    cmocka_unit_test(test_hex),
	    cmocka_unit_test(test_sha256_hmac_vectors),
	    cmocka_unit_test(test_ed25519_sign_save_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
