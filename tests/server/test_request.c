/*
 * test_request.c - request helpers and the JSON writer (server/request.h,
 * server/json_reply.h): query parameters, bounded copies, dates against
 * gmtime_r(), error bodies, escaping and nesting.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <event2/buffer.h>
#include <jansson.h>

#include "common/errors.h"
#include "server/json_reply.h"
#include "server/request.h"

static void
test_query(void **state)
{
	struct request *r = calloc(1, sizeof(*r));
	char v[32];
	unsigned n = 7;

	(void)state;
	r->out = evbuffer_new();
	snprintf(r->query, sizeof(r->query), "a=1&holder=%%E8%%A5%%BF+x&empty=&flag&limit=50");
	assert_int_equal(request_query(r, "a", v, sizeof(v)), 0);
	assert_string_equal(v, "1");
	assert_int_equal(request_query(r, "holder", v, sizeof(v)), 0);
	assert_string_equal(v, "\xE8\xA5\xBF x");
	assert_int_equal(request_query(r, "empty", v, sizeof(v)), 0);
	assert_string_equal(v, "");
	assert_int_equal(request_query(r, "flag", v, sizeof(v)), 0);
	assert_int_equal(request_query(r, "hold", v, sizeof(v)), SEAL_ENOTFOUND);
	assert_int_equal(request_query_uint(r, "limit", 1, 500, &n), 0);
	assert_int_equal(n, 50);
	assert_int_equal(request_query_uint(r, "missing", 1, 500, &n), 0);
	assert_int_equal(n, 50);
	assert_int_equal(request_query_uint(r, "limit", 1, 10, &n), SEAL_EINVAL);
	assert_int_equal(r->status, 400);
	snprintf(r->query, sizeof(r->query), "x=%%zz");
	assert_int_equal(request_query(r, "x", v, sizeof(v)), SEAL_EINVAL);
	evbuffer_free(r->out);
	free(r);
}

static void
test_copy_and_dates(void **state)
{
	char small[4], a[21], b[32];

	(void)state;
	assert_int_equal(request_copy(small, sizeof(small), "abcdef"), 3);
	assert_string_equal(small, "abc");
	assert_int_equal(request_copy(small, sizeof(small), NULL), 0);
	assert_string_equal(small, "");
	for (int64_t t = -100000000; t < 4102444800LL; t += 86399LL * 37 + 13) {
		struct tm tm;
		time_t tt = (time_t)t;

		gmtime_r(&tt, &tm);
		strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%SZ", &tm);
		request_time_iso(t, a);
		if (strcmp(a, b) != 0)
			fail_msg("time %lld: expected %s, got %s", (long long)t, b, a);
	}
	request_date(951782400, a); /* 2000-02-29 00:00:00 */
	assert_string_equal(a, "2000-02-29");
}

static json_t *
parse(struct evbuffer *b)
{
	size_t n = evbuffer_get_length(b);
	json_error_t e;
	json_t *j = json_loadb((const char *)evbuffer_pullup(b, -1), n, 0, &e);

	if (!j)
		fail_msg("expected valid JSON, got '%.*s' (%s)", (int)n,
		         (const char *)evbuffer_pullup(b, -1), e.text);
	return j;
}

static void
test_json_writer(void **state)
{
	struct evbuffer *b = evbuffer_new();
	struct json_writer *w = malloc(sizeof(*w));
	json_t *j;
	char big[6000];

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	jw_init(w, b);
	jw_obj_begin(w);
	jw_kstr(w, "s", "q\"b\\n\n\t\x01 西安");
	jw_kint(w, "i", -42);
	jw_kdouble(w, "d", 0.5);
	jw_kbool(w, "t", 1);
	jw_kstr(w, "null", NULL);
	jw_key(w, "arr");
	jw_arr_begin(w);
	jw_int(w, 1);
	jw_obj_begin(w);
	jw_kstr(w, "k", "v");
	jw_obj_end(w);
	jw_arr_begin(w);
	jw_arr_end(w);
	jw_arr_end(w);
	jw_kstr(w, "big", big);
	jw_obj_end(w);
	jw_finish(w);
	j = parse(b);
	assert_string_equal(json_string_value(json_object_get(j, "s")), "q\"b\\n\n\t\x01 西安");
	assert_int_equal(json_integer_value(json_object_get(j, "i")), -42);
	assert_true(json_is_true(json_object_get(j, "t")));
	assert_true(json_is_null(json_object_get(j, "null")));
	assert_int_equal(json_array_size(json_object_get(j, "arr")), 3);
	assert_int_equal(strlen(json_string_value(json_object_get(j, "big"))), sizeof(big) - 1);
	json_decref(j);

	evbuffer_drain(b, evbuffer_get_length(b));
	json_error_body(b, "not_registered", "treat the seal as suspect", "code");
	j = parse(b);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(j, "error"), "field")), "code");
	json_decref(j);
	free(w);
	evbuffer_free(b);
}

static void
test_error_status(void **state)
{
	(void)state;
	assert_int_equal(request_http_status(SEAL_ECODE_LENGTH), 400);
	assert_int_equal(request_http_status(SEAL_ENOT_REGISTERED), 404);
	assert_int_equal(request_http_status(SEAL_EREVOKED), 401);
	assert_int_equal(request_http_status(SEAL_EPERM), 403);
	assert_int_equal(request_http_status(SEAL_ETRANSITION), 409);
	assert_int_equal(request_http_status(SEAL_ETOOBIG), 413);
	assert_int_equal(request_http_status(SEAL_ENOQR), 422);
	assert_int_equal(request_http_status(SEAL_EBUSY), 503);
	assert_int_equal(request_http_status(SEAL_EIO), 500);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_query),
	    cmocka_unit_test(test_copy_and_dates),
	    cmocka_unit_test(test_json_writer),
	    cmocka_unit_test(test_error_status),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
