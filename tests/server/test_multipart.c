/*
 * test_multipart.c - the multipart/form-data parser (server/multipart.h).
 *
 * Good bodies (quoted and bare boundaries, a preamble, a file part with
 * binary data containing CR LF and dashes), truncated bodies at every
 * length, an oversized part, too many parts and bad boundaries.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/errors.h"
#include "server/multipart.h"

static const char good[] = "preamble to ignore\r\n"
                           "--XyZ\r\n"
                           "Content-Disposition: form-data; name=\"holder\"\r\n"
                           "\r\n"
                           "西安市某某有限公司\r\n"
                           "--XyZ\r\n"
                           "Content-Disposition: form-data; name=\"impression\"; "
                           "filename=\"seal.png\"\r\n"
                           "Content-Type: image/png\r\n"
                           "\r\n"
                           "\x89PNG\r\n--X\r\n-- not a boundary\r\n"
                           "--XyZ--\r\n"
                           "epilogue";

static void
expect_rc(int want, int got, const char *what)
{
	if (want != got)
		fail_msg("%s: expected %s (%d), got %s (%d)", what, seal_errname(want), want,
		         seal_errname(got), got);
}

static void
test_boundary(void **state)
{
	char b[MULTIPART_BOUNDARY_MAX + 1];

	(void)state;
	expect_rc(0, multipart_boundary("multipart/form-data; boundary=abc", b, sizeof(b)), "bare");
	assert_string_equal(b, "abc");
	expect_rc(0,
	          multipart_boundary("Multipart/Form-Data; charset=utf-8; boundary=\"a b;c\"", b,
	                             sizeof(b)),
	          "quoted");
	assert_string_equal(b, "a b;c");
	expect_rc(SEAL_EINVAL, multipart_boundary("multipart/form-data", b, sizeof(b)), "none");
	expect_rc(SEAL_EINVAL, multipart_boundary("text/plain; boundary=x", b, sizeof(b)), "type");
	expect_rc(SEAL_EINVAL,
	          multipart_boundary("multipart/form-data; boundary=\"\"", b, sizeof(b)), "empty");
	{
		char longct[200];

		memset(longct, 0, sizeof(longct));
		snprintf(longct, sizeof(longct), "multipart/form-data; boundary=%0*d", 71, 7);
		expect_rc(SEAL_EINVAL, multipart_boundary(longct, b, sizeof(b)), "71 chars");
	}
}

static void
test_good(void **state)
{
	struct multipart_part parts[MULTIPART_MAX_PARTS];
	const struct multipart_part *p;
	size_t n = 0;

	(void)state;
	expect_rc(0,
	          multipart_parse((const uint8_t *)good, sizeof(good) - 1, "XyZ", 1024, parts,
	                          MULTIPART_MAX_PARTS, &n),
	          "good body");
	assert_int_equal(n, 2);
	p = multipart_find(parts, n, "holder");
	assert_non_null(p);
	assert_int_equal(p->len, strlen("西安市某某有限公司"));
	assert_memory_equal(p->data, "西安市某某有限公司", p->len);
	assert_string_equal(p->filename, "");
	p = multipart_find(parts, n, "impression");
	assert_non_null(p);
	assert_string_equal(p->filename, "seal.png");
	assert_string_equal(p->content_type, "image/png");
	assert_int_equal(p->len, strlen("\x89PNG\r\n--X\r\n-- not a boundary"));
	assert_null(multipart_find(parts, n, "missing"));
}

static void
test_lf_only_headers(void **state)
{
	static const char body[] =
	    "--b\r\nContent-Disposition: form-data; name=a\n\nvalue\r\n--b--";
	struct multipart_part parts[4];
	size_t n = 0;

	(void)state;
	expect_rc(0,
	          multipart_parse((const uint8_t *)body, sizeof(body) - 1, "b", 64, parts, 4, &n),
	          "LF headers");
	assert_int_equal(n, 1);
	assert_string_equal(parts[0].name, "a");
	assert_int_equal(parts[0].len, 5);
}

/* Every proper prefix of a good body that lacks the closing delimiter fails. */
static void
test_truncated(void **state)
{
	struct multipart_part parts[MULTIPART_MAX_PARTS];
	const char *close = strstr(good, "--XyZ--");
	size_t full = (size_t)(close - good) + 7;

	(void)state;
	for (size_t len = 0; len < full; len++) {
		size_t n = 0;
		int rc = multipart_parse((const uint8_t *)good, len, "XyZ", 1024, parts,
		                         MULTIPART_MAX_PARTS, &n);

		if (rc == 0)
			fail_msg("truncated at %zu of %zu bytes: expected an error, got 0", len,
			         full);
	}
}

static void
test_oversized_part(void **state)
{
	struct multipart_part parts[MULTIPART_MAX_PARTS];
	size_t n = 0;

	(void)state;
	expect_rc(SEAL_ETOOBIG,
	          multipart_parse((const uint8_t *)good, sizeof(good) - 1, "XyZ", 10, parts,
	                          MULTIPART_MAX_PARTS, &n),
	          "part over 10 bytes");
}

static void
test_too_many_parts(void **state)
{
	char body[4096];
	struct multipart_part parts[3];
	size_t len = 0, n = 0;

	(void)state;
	for (int i = 0; i < 4; i++)
		len += (size_t)snprintf(
		    body + len, sizeof(body) - len,
		    "--q\r\nContent-Disposition: form-data; name=\"f%d\"\r\n\r\nv\r\n", i);
	len += (size_t)snprintf(body + len, sizeof(body) - len, "--q--\r\n");
	expect_rc(SEAL_ETOOBIG, multipart_parse((const uint8_t *)body, len, "q", 64, parts, 3, &n),
	          "4 parts into 3 slots");
}

static void
test_malformed(void **state)
{
	static const char *bad[] = {
	    "no delimiter at all",
	    "--b\r\nContent-Type: text/plain\r\n\r\nno name\r\n--b--",
	    "--b\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--b--",
	    "--bX\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--b--",
	    "--b\r\nContent-Disposition: form-data; name=\"unterminated\r\n\r\nx\r\n--b--",
	    "--b\r\nbroken header line\r\n\r\nx\r\n--b--",
	};
	struct multipart_part parts[4];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t n = 0;
		int rc =
		    multipart_parse((const uint8_t *)bad[i], strlen(bad[i]), "b", 64, parts, 4, &n);

		if (rc == 0)
			fail_msg("malformed body %zu: expected an error, got 0", i);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_boundary),        cmocka_unit_test(test_good),
	    cmocka_unit_test(test_lf_only_headers), cmocka_unit_test(test_truncated),
	    cmocka_unit_test(test_oversized_part),  cmocka_unit_test(test_too_many_parts),
	    cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
