/*
 * querylog.c - bounded queue + flusher thread.
 *
 * Rows live in a ring of `cap` records.  The flusher waits on a condition
 * variable with a timeout of `interval_ms`; pushers signal it when `batch`
 * rows are waiting.  It copies up to `batch` rows out under the lock and
 * calls the sink without it, so pushers never wait for a commit.
 */
#include "server/querylog.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/errors.h"
#include "common/log.h"

struct querylog {
	pthread_mutex_t lock;
	pthread_cond_t wake, done;
	struct query_record *ring, *batchbuf;
	size_t cap, head, count, batch;
	unsigned interval_ms;
	int stopping, flush_req;
	uint64_t written, dropped, flushes_done;
	querylog_sink sink;
	void *arg;
	pthread_t thread;
};

static void *
flusher_main(void *p)
{
	struct querylog *q = p;

	pthread_mutex_lock(&q->lock);
	for (;;) {
		struct timespec ts;
		size_t n;
		int rc;

		if (q->count < q->batch && !q->stopping && !q->flush_req) {
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += (long)(q->interval_ms % 1000) * 1000000L;
			ts.tv_sec += q->interval_ms / 1000 + ts.tv_nsec / 1000000000L;
			ts.tv_nsec %= 1000000000L;
			pthread_cond_timedwait(&q->wake, &q->lock, &ts);
		}
		n = q->count < q->batch ? q->count : q->batch;
		for (size_t i = 0; i < n; i++)
			q->batchbuf[i] = q->ring[(q->head + i) % q->cap];
		q->head = (q->head + n) % q->cap;
		q->count -= n;
		if (n > 0) {
			pthread_mutex_unlock(&q->lock);
			rc = q->sink(q->arg, q->batchbuf, n);
			if (rc != 0)
				log_warnx("verification log: %zu rows lost: %s", n,
				          seal_strerror(rc));
			pthread_mutex_lock(&q->lock);
			if (rc == 0)
				q->written += n;
			else
				q->dropped += n;
		}
		if (q->count == 0 && q->flush_req) {
			q->flush_req = 0;
			q->flushes_done++;
			pthread_cond_broadcast(&q->done);
		}
		if (q->stopping && q->count == 0)
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
	q->ring = calloc(cap, sizeof(*q->ring));
	q->batchbuf = calloc(batch, sizeof(*q->batchbuf));
	if (!q->ring || !q->batchbuf)
		goto fail;
	q->cap = cap;
	q->batch = batch;
	q->interval_ms = interval_ms;
	q->sink = sink;
	q->arg = arg;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->wake, NULL);
	pthread_cond_init(&q->done, NULL);
	if (pthread_create(&q->thread, NULL, flusher_main, q) != 0) {
		pthread_mutex_destroy(&q->lock);
		pthread_cond_destroy(&q->wake);
		pthread_cond_destroy(&q->done);
		goto fail;
	}
	*out = q;
	return 0;
fail:
	free(q->ring);
	free(q->batchbuf);
	free(q);
	return SEAL_ENOMEM;
}

int
querylog_push(struct querylog *q, const struct query_record *row)
{
	int rc = 0;

	pthread_mutex_lock(&q->lock);
	if (q->count == q->cap) {
		q->dropped++;
		rc = SEAL_EFULL;
	} else {
		q->ring[(q->head + q->count) % q->cap] = *row;
		q->count++;
		if (q->count == q->batch)
			pthread_cond_signal(&q->wake);
	}
	pthread_mutex_unlock(&q->lock);
	return rc;
}

void
querylog_flush(struct querylog *q)
{
	uint64_t target;

	pthread_mutex_lock(&q->lock);
	q->flush_req = 1;
	target = q->flushes_done + 1;
	pthread_cond_signal(&q->wake);
	while (q->flushes_done < target)
		pthread_cond_wait(&q->done, &q->lock);
	pthread_mutex_unlock(&q->lock);
}

static uint64_t
read_locked(struct querylog *q, const uint64_t *field)
{
	uint64_t v;

	pthread_mutex_lock(&q->lock);
	v = *field;
	pthread_mutex_unlock(&q->lock);
	return v;
}

uint64_t
querylog_pending(struct querylog *q)
{
	uint64_t v;

	pthread_mutex_lock(&q->lock);
	v = q->count;
	pthread_mutex_unlock(&q->lock);
	return v;
}

uint64_t
querylog_written(struct querylog *q)
{
	return read_locked(q, &q->written);
}

uint64_t
querylog_dropped(struct querylog *q)
{
	return read_locked(q, &q->dropped);
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
	pthread_cond_destroy(&q->wake);
	pthread_cond_destroy(&q->done);
	free(q->ring);
	free(q->batchbuf);
	free(q);
}
