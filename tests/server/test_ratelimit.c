/*
 * test_ratelimit.c - token buckets (server/ratelimit.h).
 *
 * A client gets its burst, is refused with a sensible Retry-After, recovers
 * at the configured rate; clients do not share buckets; a full table
 * forgets the oldest client instead of growing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/errors.h"
#include "server/ratelimit.h"

#define SEC 1000000000ULL

static void
test_burst_then_refuse(void **state)
{
	struct ratelimit *rl = NULL;
	unsigned retry = 0;
	uint64_t t = 100 * SEC;

	(void)state;
	assert_int_equal(ratelimit_new(2.0, 5, 64, &rl), 0);
	for (int i = 0; i < 5; i++)
		if (ratelimit_take(rl, "1.2.3.4", 7, t, &retry) != 0)
			fail_msg("request %d of a burst of 5: expected allowed, got refused",
			         i + 1);
	assert_int_equal(ratelimit_take(rl, "1.2.3.4", 7, t, &retry), SEAL_EBUSY);
	if (retry != 1)
		fail_msg("Retry-After at 2/s: expected 1 s, got %u", retry);
	/* Half a second later one token (2/s) is back, and only one. */
	assert_int_equal(ratelimit_take(rl, "1.2.3.4", 7, t + SEC / 2, &retry), 0);
	assert_int_equal(ratelimit_take(rl, "1.2.3.4", 7, t + SEC / 2, &retry), SEAL_EBUSY);
	/* Ten seconds later the bucket is full again (burst 5, not 20). */
	for (int i = 0; i < 5; i++)
		assert_int_equal(ratelimit_take(rl, "1.2.3.4", 7, t + 11 * SEC, &retry), 0);
	assert_int_equal(ratelimit_take(rl, "1.2.3.4", 7, t + 11 * SEC, &retry), SEAL_EBUSY);
	ratelimit_free(rl);
}

static void
test_slow_rate_retry_after(void **state)
{
	struct ratelimit *rl = NULL;
	unsigned retry = 0;

	(void)state;
	assert_int_equal(ratelimit_new(0.1, 1, 16, &rl), 0);
	assert_int_equal(ratelimit_take(rl, "a", 1, SEC, &retry), 0);
	assert_int_equal(ratelimit_take(rl, "a", 1, SEC, &retry), SEAL_EBUSY);
	if (retry != 10)
		fail_msg("Retry-After at 0.1/s: expected 10 s, got %u", retry);
	ratelimit_free(rl);
}

static void
test_clients_independent(void **state)
{
	struct ratelimit *rl = NULL;

	(void)state;
	assert_int_equal(ratelimit_new(1.0, 1, 64, &rl), 0);
	assert_int_equal(ratelimit_take(rl, "10.0.0.1", 8, SEC, NULL), 0);
	assert_int_equal(ratelimit_take(rl, "10.0.0.1", 8, SEC, NULL), SEAL_EBUSY);
	assert_int_equal(ratelimit_take(rl, "10.0.0.2", 8, SEC, NULL), 0);
	ratelimit_free(rl);
}

static void
test_bounded_table(void **state)
{
	struct ratelimit *rl = NULL;
	char key[32];
	int allowed = 0;

	(void)state;
	assert_int_equal(ratelimit_new(1.0, 1, 8, &rl), 0);
	/* 10000 clients through an 8-slot table: each is new, so allowed. */
	for (int i = 0; i < 10000; i++) {
		int n = snprintf(key, sizeof(key), "client-%d", i);

		if (ratelimit_take(rl, key, (size_t)n, SEC + (uint64_t)i, NULL) == 0)
			allowed++;
	}
	if (allowed != 10000)
		fail_msg("new clients in a full table: expected 10000 allowed, got %d", allowed);
	ratelimit_free(rl);
}

static void
test_bad_args(void **state)
{
	struct ratelimit *rl = NULL;

	(void)state;
	assert_int_equal(ratelimit_new(0, 1, 64, &rl), SEAL_EINVAL);
	assert_int_equal(ratelimit_new(1, 0.5, 64, &rl), SEAL_EINVAL);
	assert_int_equal(ratelimit_new(1, 1, 2, &rl), SEAL_EINVAL);
	ratelimit_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_burst_then_refuse),
	    cmocka_unit_test(test_slow_rate_retry_after),
	    cmocka_unit_test(test_clients_independent),
	    cmocka_unit_test(test_bounded_table),
	    cmocka_unit_test(test_bad_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
