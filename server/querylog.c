/*
 * querylog.c - per-thread lock-free rings + flusher thread.
 *
 * Each pushing thread gets its own single-producer single-consumer ring of
 * `cap` rows on its first push (found again through a thread-local pointer
 * tagged with the log's id).  A push writes the slot and publishes it with a
 * release store of the ring's head: no lock, no shared cache line with the
 * other I/O threads.  The flusher drains every ring (acquire on the head,
 * release on the tail) into a batch of at most `batch` rows and calls the
 * sink without any lock.  It sleeps on a condition variable for
 * `interval_ms`; a pusher whose ring reaches `batch` rows signals it (under
 * the mutex, so the wake-up cannot be lost), which happens once per `batch`
 * pushes.  Threads beyond QUERYLOG_RINGS_MAX share the first ring under a
 * producer mutex.
 */
#include "server/querylog.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/errors.h"
#include "common/log.h"

#define QUERYLOG_RINGS_MAX 64 /* rings of their own; more threads share ring 0 */

struct ring {
	_Atomic uint64_t head; /* written by the producer */
	char pad1[64 - sizeof(uint64_t)];
	_Atomic uint64_t tail; /* written by the flusher */
	char pad2[64 - sizeof(uint64_t)];
	_Atomic uint64_t dropped;
	int shared; /* ring 0 once threads outnumber the rings: producers lock */
	struct query_record *rows;
};

struct querylog {
	uint64_t id;
	pthread_mutex_t lock; /* registration, wake-ups, flush requests */
	pthread_mutex_t shared_push;
	pthread_cond_t wake, done;
	struct ring *rings[QUERYLOG_RINGS_MAX];
	_Atomic size_t nrings;
	struct query_record *batchbuf;
	size_t cap, batch;
	unsigned interval_ms;
	int stopping, flush_req, waiting;
	_Atomic uint64_t written, dropped;
	uint64_t flushes_done;
	querylog_sink sink;
	void *arg;
	pthread_t thread;
};

static _Atomic uint64_t querylog_ids;

/* This thread's ring, per log (a thread may push to several in tests). */
static _Thread_local uint64_t tl_id;
static _Thread_local struct ring *tl_ring;

static struct ring *
ring_new(size_t cap)
{
	struct ring *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->rows = calloc(cap, sizeof(*r->rows));
	if (!r->rows) {
		free(r);
		return NULL;
	}
	return r;
}

static uint64_t
pending_rows(struct querylog *q)
{
	size_t n = atomic_load_explicit(&q->nrings, memory_order_acquire);
	uint64_t t = 0;

	for (size_t i = 0; i < n; i++)
		t += atomic_load_explicit(&q->rings[i]->head, memory_order_acquire) -
		     atomic_load_explicit(&q->rings[i]->tail, memory_order_acquire);
	return t;
}

/* Write out the batch buffer's n rows. */
static void
sink_rows(struct querylog *q, size_t n)
{
	int rc;

	if (n == 0)
		return;
	rc = q->sink(q->arg, q->batchbuf, n);
	if (rc != 0) {
		log_warnx("verification log: %zu rows lost: %s", n, seal_strerror(rc));
		atomic_fetch_add(&q->dropped, n);
	} else {
		atomic_fetch_add(&q->written, n);
	}
}

/* Move every row queued now to the sink, in batches. */
static void
drain(struct querylog *q)
{
	size_t nr = atomic_load_explicit(&q->nrings, memory_order_acquire), n = 0;

	for (size_t i = 0; i < nr; i++) {
		struct ring *r = q->rings[i];
		uint64_t h = atomic_load_explicit(&r->head, memory_order_acquire);
		uint64_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);

		while (t < h) {
			q->batchbuf[n++] = r->rows[t % q->cap];
			t++;
			if (n == q->batch) {
				atomic_store_explicit(&r->tail, t, memory_order_release);
				sink_rows(q, n);
				n = 0;
			}
		}
		atomic_store_explicit(&r->tail, t, memory_order_release);
	}
	sink_rows(q, n);
}

static void *
flusher_main(void *p)
{
	struct querylog *q = p;
	struct sched_param sp = {0};

	/* SCHED_BATCH: no wake-up preemption.  A batch takes milliseconds of
	 * CPU; waking into an I/O thread's core must not stall its requests
	 * for that long.  Same share of the CPU as before (nice 0). */
	(void)pthread_setschedparam(pthread_self(), SCHED_BATCH, &sp);

	pthread_mutex_lock(&q->lock);
	for (;;) {
		struct timespec ts;
		int flush_req;

		if (!q->stopping && !q->flush_req && pending_rows(q) < q->batch) {
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += (long)(q->interval_ms % 1000) * 1000000L;
			ts.tv_sec += q->interval_ms / 1000 + ts.tv_nsec / 1000000000L;
			ts.tv_nsec %= 1000000000L;
			q->waiting = 1;
			pthread_cond_timedwait(&q->wake, &q->lock, &ts);
			q->waiting = 0;
		}
		flush_req = q->flush_req;
		q->flush_req = 0;
		pthread_mutex_unlock(&q->lock);
		drain(q);
		pthread_mutex_lock(&q->lock);
		if (flush_req) {
			q->flushes_done++;
			pthread_cond_broadcast(&q->done);
		}
		if (q->stopping && pending_rows(q) == 0)
			break;
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

int
querylog_new(querylog_sink sink, void *arg, unsigned interval_ms, size_t batch, size_t cap,
             struct querylog **out)
{
	struct querylog *q;

	if (!out || !sink || batch == 0 || cap < batch || interval_ms == 0)
		return SEAL_EINVAL;
	*out = NULL;
	q = calloc(1, sizeof(*q));
	if (!q)
		return SEAL_ENOMEM;
	q->batchbuf = calloc(batch, sizeof(*q->batchbuf));
	q->rings[0] = ring_new(cap);
	if (!q->batchbuf || !q->rings[0])
		goto fail;
	q->rings[0]->shared = 1; /* ring 0: shared under shared_push */
	atomic_store(&q->nrings, 1);
	q->id = atomic_fetch_add(&querylog_ids, 1) + 1;
	q->cap = cap;
	q->batch = batch;
	q->interval_ms = interval_ms;
	q->sink = sink;
	q->arg = arg;
	pthread_mutex_init(&q->lock, NULL);
	pthread_mutex_init(&q->shared_push, NULL);
	pthread_cond_init(&q->wake, NULL);
	pthread_cond_init(&q->done, NULL);
	if (pthread_create(&q->thread, NULL, flusher_main, q) != 0) {
		pthread_mutex_destroy(&q->lock);
		pthread_mutex_destroy(&q->shared_push);
		pthread_cond_destroy(&q->wake);
		pthread_cond_destroy(&q->done);
		goto fail;
	}
	*out = q;
	return 0;
fail:
	if (q->rings[0])
		free(q->rings[0]->rows);
	free(q->rings[0]);
	free(q->batchbuf);
	free(q);
	return SEAL_ENOMEM;
}

/* The calling thread's ring: its own, or the shared ring 0 when all are taken. */
static struct ring *
my_ring(struct querylog *q)
{
	struct ring *r = NULL;
	size_t n;

	if (tl_id == q->id && tl_ring)
		return tl_ring;
	pthread_mutex_lock(&q->lock);
	n = atomic_load_explicit(&q->nrings, memory_order_relaxed);
	if (n < QUERYLOG_RINGS_MAX && (r = ring_new(q->cap)) != NULL) {
		q->rings[n] = r;
		atomic_store_explicit(&q->nrings, n + 1, memory_order_release);
	} else {
		r = q->rings[0];
	}
	pthread_mutex_unlock(&q->lock);
	tl_id = q->id;
	tl_ring = r;
	return r;
}

int
querylog_push(struct querylog *q, const struct query_record *row)
{
	struct ring *r = my_ring(q);
	uint64_t h, t;
	int rc = 0;

	if (r->shared)
		pthread_mutex_lock(&q->shared_push);
	h = atomic_load_explicit(&r->head, memory_order_relaxed);
	t = atomic_load_explicit(&r->tail, memory_order_acquire);
	if (h - t >= q->cap) {
		atomic_fetch_add_explicit(&r->dropped, 1, memory_order_relaxed);
		rc = SEAL_EFULL;
	} else {
		r->rows[h % q->cap] = *row;
		atomic_store_explicit(&r->head, h + 1, memory_order_release);
		if (h + 1 - t == q->batch) {
			pthread_mutex_lock(&q->lock);
			if (q->waiting)
				pthread_cond_signal(&q->wake);
			pthread_mutex_unlock(&q->lock);
		}
	}
	if (r->shared)
		pthread_mutex_unlock(&q->shared_push);
	return rc;
}

void
querylog_flush(struct querylog *q)
{
	uint64_t target;

	pthread_mutex_lock(&q->lock);
	q->flush_req = 1;
	/* The request may be taken by a drain already under way, which may
	 * have passed rows pushed just before: wait for the one after it. */
	target = q->flushes_done + 2;
	pthread_cond_signal(&q->wake);
	while (q->flushes_done < target && !q->stopping) {
		if (!q->flush_req)
			q->flush_req = 1;
		pthread_cond_signal(&q->wake);
		pthread_cond_wait(&q->done, &q->lock);
	}
	pthread_mutex_unlock(&q->lock);
}

uint64_t
querylog_pending(struct querylog *q)
{
	return pending_rows(q);
}

uint64_t
querylog_written(struct querylog *q)
{
	return atomic_load(&q->written);
}

uint64_t
querylog_dropped(struct querylog *q)
{
	size_t n = atomic_load_explicit(&q->nrings, memory_order_acquire);
	uint64_t d = atomic_load(&q->dropped);

	for (size_t i = 0; i < n; i++)
		d += atomic_load_explicit(&q->rings[i]->dropped, memory_order_relaxed);
	return d;
}

void
querylog_free(struct querylog *q)
{
	if (!q)
		return;
	pthread_mutex_lock(&q->lock);
	q->stopping = 1;
	pthread_cond_signal(&q->wake);
	pthread_mutex_unlock(&q->lock);
	pthread_join(q->thread, NULL);
	pthread_mutex_destroy(&q->lock);
	pthread_mutex_destroy(&q->shared_push);
	pthread_cond_destroy(&q->wake);
	pthread_cond_destroy(&q->done);
	for (size_t i = 0; i < atomic_load(&q->nrings); i++) {
		free(q->rings[i]->rows);
		free(q->rings[i]);
	}
	free(q->batchbuf);
	free(q);
}
