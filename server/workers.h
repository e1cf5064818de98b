/*
 * workers.h - a bounded pool of worker threads for CPU-heavy work.
 *
 * Jobs go into a fixed-capacity FIFO; when it is full workers_submit()
 * refuses at once (the HTTP layer answers 503 with Retry-After) instead of
 * letting a backlog grow.  Each worker thread owns a state object built by
 * the caller's init function (e.g. a registry read transaction) and passed
 * to every job it runs.  A job's function runs on a worker and must hand
 * its result back to its owner itself (the HTTP layer activates an event of
 * the owning I/O thread).
 */
#ifndef SEAL_SERVER_WORKERS_H
#define SEAL_SERVER_WORKERS_H

#include <stddef.h>
#include <stdint.h>

struct workers;

typedef void (*worker_fn)(void *job, void *thread_state);

/*
 * Start threads workers with a queue of queue_cap jobs.  init(arg) runs on
 * each new thread and returns its state (NULL is allowed); fini(state)
 * runs when the thread ends.  Returns 0, SEAL_EINVAL or SEAL_ENOMEM.
 */
int workers_new(unsigned threads, unsigned queue_cap, void *(*init)(void *arg),
                void (*fini)(void *state), void *arg, struct workers **out);

/* Queue fn(job, state).  Returns 0, SEAL_EBUSY (queue full; counted as a
 * rejection) or SEAL_EINVAL (the pool is stopping). */
int workers_submit(struct workers *w, worker_fn fn, void *job);

/* Jobs waiting plus running; capacity; rejections so far. */
unsigned workers_depth(struct workers *w);
unsigned workers_capacity(const struct workers *w);
uint64_t workers_rejected(struct workers *w);

/* Run every queued job, stop and join the threads, free.  NULL is a no-op. */
void workers_free(struct workers *w);

#endif
