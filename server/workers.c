/*
 * workers.c - a mutex + condition variable ring buffer of jobs.
 *
 * Submitting takes the lock, appends to the ring if there is room and
 * signals one worker.  Workers pop in FIFO order and run the job outside
 * the lock.  Stopping sets a flag and broadcasts; workers drain the ring
 * before they exit, so no accepted job is lost.
 */
#include "server/workers.h"

#include <pthread.h>
#include <stdlib.h>

#include "common/errors.h"

struct job_slot {
	worker_fn fn;
	void *job;
};

struct workers {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct job_slot *ring;
	unsigned cap, head, count, running;
	int stopping;
	uint64_t rejected;
	unsigned nthreads;
	pthread_t *threads;
	void *(*init)(void *);
	void (*fini)(void *);
	void *arg;
};

static void *
worker_main(void *p)
{
	struct workers *w = p;
	void *state = w->init ? w->init(w->arg) : NULL;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		struct job_slot s;

		while (w->count == 0 && !w->stopping)
			pthread_cond_wait(&w->cond, &w->lock);
		if (w->count == 0 && w->stopping)
			break;
		s = w->ring[w->head];
		w->head = (w->head + 1) % w->cap;
		w->count--;
		w->running++;
		pthread_mutex_unlock(&w->lock);
		s.fn(s.job, state);
		pthread_mutex_lock(&w->lock);
		w->running--;
	}
	pthread_mutex_unlock(&w->lock);
	if (w->fini)
		w->fini(state);
	return NULL;
}

int
workers_new(unsigned threads, unsigned queue_cap, void *(*init)(void *arg),
            void (*fini)(void *state), void *arg, struct workers **out)
{
	struct workers *w;

	if (!out || threads == 0 || queue_cap == 0)
		return SEAL_EINVAL;
	*out = NULL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return SEAL_ENOMEM;
	w->ring = calloc(queue_cap, sizeof(*w->ring));
	w->threads = calloc(threads, sizeof(*w->threads));
	if (!w->ring || !w->threads) {
		free(w->ring);
		free(w->threads);
		free(w);
		return SEAL_ENOMEM;
	}
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	w->cap = queue_cap;
	w->init = init;
	w->fini = fini;
	w->arg = arg;
	for (unsigned i = 0; i < threads; i++) {
		if (pthread_create(&w->threads[i], NULL, worker_main, w) != 0)
			break;
		w->nthreads++;
	}
	if (w->nthreads == 0) {
		workers_free(w);
		return SEAL_ENOMEM;
	}
	*out = w;
	return 0;
}

int
workers_submit(struct workers *w, worker_fn fn, void *job)
{
	int rc = 0;

	pthread_mutex_lock(&w->lock);
	if (w->stopping) {
		rc = SEAL_EINVAL;
	} else if (w->count == w->cap) {
		w->rejected++;
		rc = SEAL_EBUSY;
	} else {
		w->ring[(w->head + w->count) % w->cap] = (struct job_slot){fn, job};
		w->count++;
		pthread_cond_signal(&w->cond);
	}
	pthread_mutex_unlock(&w->lock);
	return rc;
}

unsigned
workers_depth(struct workers *w)
{
	unsigned d;

	pthread_mutex_lock(&w->lock);
	d = w->count + w->running;
	pthread_mutex_unlock(&w->lock);
	return d;
}

unsigned
workers_capacity(const struct workers *w)
{
	return w->cap;
}

uint64_t
workers_rejected(struct workers *w)
{
	uint64_t r;

	pthread_mutex_lock(&w->lock);
	r = w->rejected;
	pthread_mutex_unlock(&w->lock);
	return r;
}

void
workers_free(struct workers *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = 1;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	for (unsigned i = 0; i < w->nthreads; i++)
		pthread_join(w->threads[i], NULL);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
	free(w->ring);
	free(w->threads);
	free(w);
}
