/*
 * test_pool.c - the bounded worker pool (server/workers.h) and the batched
 * verification-log writer (server/querylog.h).
 *
 * The pool refuses jobs beyond its queue with SEAL_EBUSY instead of
 * growing, runs every accepted job (also those queued when it is freed)
 * and hands each job its thread's state.  The log writer batches rows,
 * flushes on demand and on free, and drops (counting) when its queue is
 * full rather than blocking.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/errors.h"
#include "server/querylog.h"
#include "server/workers.h"

static atomic_int ran, inits;
static pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;

static void *
state_init(void *arg)
{
	(void)arg;
	atomic_fetch_add(&inits, 1);
	return (void *)0x5eal;
}

static void
job(void *j, void *state)
{
	(void)j;
	if (state != (void *)0x5eal)
		fail_msg("job state: expected the thread's state, got %p", state);
	pthread_mutex_lock(&gate);
	pthread_mutex_unlock(&gate);
	atomic_fetch_add(&ran, 1);
}

static void
test_pool_bounded(void **state)
{
	struct workers *w = NULL;
	int accepted = 0, refused = 0;

	(void)state;
	atomic_store(&ran, 0);
	pthread_mutex_lock(&gate); /* hold the jobs so the queue fills */
	assert_int_equal(workers_new(2, 4, state_init, NULL, NULL, &w), 0);
	for (int i = 0; i < 20; i++) {
		int rc = workers_submit(w, job, NULL);

		if (rc == 0)
			accepted++;
		else if (rc == SEAL_EBUSY)
			refused++;
		else
			fail_msg("submit: expected 0 or busy, got %s", seal_errname(rc));
	}
	/* 4 queued, plus at most 2 taken by the workers. */
	if (accepted < 4 || accepted > 6 || refused != 20 - accepted)
		fail_msg("20 jobs into 2 workers + 4 slots: accepted %d, refused %d", accepted,
		         refused);
	assert_int_equal(workers_rejected(w), (uint64_t)refused);
	assert_true(workers_depth(w) >= 4);
	pthread_mutex_unlock(&gate);
	workers_free(w); /* runs what was queued */
	if (atomic_load(&ran) != accepted)
		fail_msg("after free: expected %d jobs run, got %d", accepted, atomic_load(&ran));
	assert_int_equal(atomic_load(&inits) >= 2, 1);
}

static atomic_int sunk, calls;
static atomic_int sink_fail;

static int
sink(void *arg, const struct query_record *rows, size_t n)
{
	(void)arg;
	for (size_t i = 0; i < n; i++)
		if (strncmp(rows[i].code, "6101001", 7) != 0)
			fail_msg("row %zu: expected a code, got '%s'", i, rows[i].code);
	atomic_fetch_add(&calls, 1);
	if (atomic_load(&sink_fail))
		return SEAL_EIO;
	atomic_fetch_add(&sunk, (int)n);
	return 0;
}

static void
test_querylog(void **state)
{
	struct querylog *q = NULL;
	struct query_record row;

	(void)state;
	memset(&row, 0, sizeof(row));
	memcpy(row.code, "6101001000001", 14);
	/* Long interval: only the batch size and explicit flushes write. */
	assert_int_equal(querylog_new(sink, NULL, 60000, 100, 250, &q), 0);
	for (int i = 0; i < 250; i++)
		assert_int_equal(querylog_push(q, &row), 0);
	querylog_flush(q);
	assert_int_equal(atomic_load(&sunk), 250);
	if (atomic_load(&calls) < 3)
		fail_msg("250 rows in batches of 100: expected >= 3 writes, got %d",
		         atomic_load(&calls));
	assert_int_equal(querylog_written(q), 250);

	/* A full queue drops instead of blocking. */
	atomic_store(&sink_fail, 1);
	for (int i = 0; i < 1000; i++)
		(void)querylog_push(q, &row);
	querylog_flush(q);
	assert_true(querylog_dropped(q) >= 750);
	atomic_store(&sink_fail, 0);

	for (int i = 0; i < 10; i++)
		assert_int_equal(querylog_push(q, &row), 0);
	querylog_free(q); /* flushes */
	assert_int_equal(atomic_load(&sunk), 260);
}

static void *
pusher(void *arg)
{
	struct querylog *q = arg;
	struct query_record row;

	memset(&row, 0, sizeof(row));
	memcpy(row.code, "6101001000002", 14);
	for (int i = 0; i < 5000; i++)
		while (querylog_push(q, &row) != 0)
			usleep(100); /* full: let the flusher drain */
	return NULL;
}

static void
test_querylog_threads(void **state)
{
	struct querylog *q = NULL;
	pthread_t t[4];

	(void)state;
	atomic_store(&sunk, 0);
	atomic_store(&sink_fail, 0);
	/* Short interval, small queues: rings wrap many times under 4 pushers. */
	assert_int_equal(querylog_new(sink, NULL, 5, 100, 1000, &q), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, pusher, q), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	querylog_flush(q);
	if (atomic_load(&sunk) != 20000 || querylog_pending(q) != 0)
		fail_msg("4 threads x 5000 rows then flush: expected 20000 written and 0 pending, "
		         "got %d and %llu",
		         atomic_load(&sunk), (unsigned long long)querylog_pending(q));
	querylog_free(q);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pool_bounded),
	    cmocka_unit_test(test_querylog),
	    cmocka_unit_test(test_querylog_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
