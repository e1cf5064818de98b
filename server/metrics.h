/*
 * metrics.h - request counters and latency histograms for /metrics.
 *
 * Each I/O thread (and the worker pool) writes its own shard with relaxed
 * atomic stores, so recording costs no lock and no shared cache line; the
 * scrape sums the shards.  Counters are by route (the router's table index,
 * plus one row for unmatched paths) and by status (a fixed list of the
 * statuses the daemon answers, plus "other").
 */
#ifndef SEAL_SERVER_METRICS_H
#define SEAL_SERVER_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct evbuffer;
struct metrics;

#define METRICS_LATENCY_BUCKETS 16

/* Gauges filled by the caller at scrape time. */
struct metrics_gauges {
	uint64_t queue_depth, queue_capacity, worker_rejected;
	uint64_t querylog_pending, querylog_dropped, querylog_written;
	uint64_t map_used, map_size, seals, audit_length;
	uint64_t inflight;
	int have_registry;
};

/* routes: rows (router_count() + 1 for unmatched); shards: writers.
 * Returns 0, SEAL_EINVAL or SEAL_ENOMEM. */
int metrics_new(size_t routes, size_t shards, struct metrics **out);
void metrics_free(struct metrics *m);

/* Record one answered request in shard (one writer per shard). */
void metrics_observe(struct metrics *m, size_t shard, size_t route, int status, uint64_t usec);

/* Prometheus text exposition into out; names[i] labels route i (NULL for
 * the unmatched row, labelled "unmatched"). */
void metrics_render(struct metrics *m, const char *const *names, const struct metrics_gauges *g,
                    struct evbuffer *out);

#endif
