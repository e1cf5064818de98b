/*
 * querylog.h - the batched writer of the verification log.
 *
 * Request handlers push query records into a bounded in-memory queue (a
 * lock-free ring per pushing thread, no I/O); a flusher thread hands them to a sink - the
 * daemon's is registry_query_log(), one write transaction per batch - every
 * interval or as soon as `batch` rows wait, and once more on shutdown.  So a
 * GET never opens a write transaction.  When the queue is full, rows are
 * dropped and counted (the answer to the citizen matters more).
 */
#ifndef SEAL_SERVER_QUERYLOG_H
#define SEAL_SERVER_QUERYLOG_H

#include <stddef.h>
#include <stdint.h>

#include "registry/record.h"

#define QUERYLOG_INTERVAL_MS 200 /* flush at least this often */
#define QUERYLOG_BATCH 1000      /* or when this many rows wait */
#define QUERYLOG_QUEUE_MAX 16384 /* rows held in memory at most, per pushing thread */

struct querylog;

/* Write n rows; returns 0 or a SEAL_E* code (the rows are then dropped and
 * counted). */
typedef int (*querylog_sink)(void *arg, const struct query_record *rows, size_t n);

/* Start the flusher; cap is the queue of each pushing thread (cap >= batch).
 * Returns 0, SEAL_EINVAL or SEAL_ENOMEM. */
int querylog_new(querylog_sink sink, void *arg, unsigned interval_ms, size_t batch, size_t cap,
                 struct querylog **out);

/* Queue a copy of row.  Never blocks (a thread's first push allocates its
 * ring; past QUERYLOG_RINGS_MAX threads a shared ring takes a mutex).
 * Returns 0 or SEAL_EFULL (dropped: this thread's queue is full). */
int querylog_push(struct querylog *q, const struct query_record *row);

/* Write everything queued now and wait until it is written. */
void querylog_flush(struct querylog *q);

/* Counters. */
uint64_t querylog_pending(struct querylog *q);
uint64_t querylog_written(struct querylog *q);
uint64_t querylog_dropped(struct querylog *q);

/* Flush what is queued, stop the thread and free.  NULL is a no-op. */
void querylog_free(struct querylog *q);

#endif
