/*
 * metrics.c - sharded counters and the Prometheus text renderer.
 *
 * A shard is a flat array of counters: [route][status] request counts,
 * [route][bucket] latency histogram counts and [route] latency sums.  Only
 * the owning thread writes a shard (load + store, relaxed); the renderer
 * reads all shards with relaxed loads.
 */
#include "server/metrics.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <stdlib.h>

#include <event2/buffer.h>

#include "common/errors.h"

static const int statuses[] = {200, 201, 204, 304, 400, 401, 403, 404, 405,
                               409, 413, 415, 422, 429, 500, 501, 503, 0};
#define NSTATUS (sizeof(statuses) / sizeof(statuses[0])) /* last = other */

/* Upper bounds in microseconds; the last bucket is +Inf. */
static const uint64_t bounds_us[METRICS_LATENCY_BUCKETS - 1] = {
    50,    100,   250,    500,    1000,   2500,    5000,   10000,
    25000, 50000, 100000, 250000, 500000, 1000000, 5000000};

struct shard {
	_Atomic uint64_t *count; /* routes * NSTATUS */
	_Atomic uint64_t *hist;  /* routes * METRICS_LATENCY_BUCKETS */
	_Atomic uint64_t *sum;   /* routes, microseconds */
};

struct metrics {
	size_t routes, nshards;
	struct shard *shards;
};

int
metrics_new(size_t routes, size_t shards, struct metrics **out)
{
	struct metrics *m;

	if (!out || routes == 0 || shards == 0)
		return SEAL_EINVAL;
	*out = NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return SEAL_ENOMEM;
	m->routes = routes;
	m->nshards = shards;
	m->shards = calloc(shards, sizeof(*m->shards));
	if (!m->shards)
		goto fail;
	for (size_t i = 0; i < shards; i++) {
		struct shard *s = &m->shards[i];

		s->count = calloc(routes * NSTATUS, sizeof(*s->count));
		s->hist = calloc(routes * METRICS_LATENCY_BUCKETS, sizeof(*s->hist));
		s->sum = calloc(routes, sizeof(*s->sum));
		if (!s->count || !s->hist || !s->sum)
			goto fail;
	}
	*out = m;
	return 0;
fail:
	metrics_free(m);
	return SEAL_ENOMEM;
}

void
metrics_free(struct metrics *m)
{
	if (!m)
		return;
	for (size_t i = 0; m->shards && i < m->nshards; i++) {
		free(m->shards[i].count);
		free(m->shards[i].hist);
		free(m->shards[i].sum);
	}
	free(m->shards);
	free(m);
}

static void
bump(_Atomic uint64_t *c, uint64_t by)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + by,
	                      memory_order_relaxed);
}

void
metrics_observe(struct metrics *m, size_t shard, size_t route, int status, uint64_t usec)
{
	struct shard *s;
	size_t si = NSTATUS - 1, b = METRICS_LATENCY_BUCKETS - 1;

	if (!m || shard >= m->nshards)
		return;
	if (route >= m->routes)
		route = m->routes - 1;
	s = &m->shards[shard];
	for (size_t i = 0; i + 1 < NSTATUS; i++)
		if (statuses[i] == status) {
			si = i;
			break;
		}
	for (size_t i = 0; i < METRICS_LATENCY_BUCKETS - 1; i++)
		if (usec <= bounds_us[i]) {
			b = i;
			break;
		}
	bump(&s->count[route * NSTATUS + si], 1);
	bump(&s->hist[route * METRICS_LATENCY_BUCKETS + b], 1);
	bump(&s->sum[route], usec);
}

static uint64_t
total(struct metrics *m, size_t which, size_t idx)
{
	uint64_t t = 0;

	for (size_t i = 0; i < m->nshards; i++) {
		struct shard *s = &m->shards[i];
		_Atomic uint64_t *a = which == 0 ? s->count : which == 1 ? s->hist : s->sum;

		t += atomic_load_explicit(&a[idx], memory_order_relaxed);
	}
	return t;
}

void
metrics_render(struct metrics *m, const char *const *names, const struct metrics_gauges *g,
               struct evbuffer *out)
{
	evbuffer_add_printf(out, "# HELP sealregd_requests_total Requests answered, by route "
	                         "pattern and status.\n# TYPE sealregd_requests_total counter\n");
	for (size_t r = 0; r < m->routes; r++) {
		const char *name = names[r] ? names[r] : "unmatched";

		for (size_t s = 0; s < NSTATUS; s++) {
			uint64_t c = total(m, 0, r * NSTATUS + s);

			if (!c)
				continue;
			if (statuses[s])
				evbuffer_add_printf(out,
				                    "sealregd_requests_total{route=\"%s\","
				                    "status=\"%d\"} %" PRIu64 "\n",
				                    name, statuses[s], c);
			else
				evbuffer_add_printf(out,
				                    "sealregd_requests_total{route=\"%s\","
				                    "status=\"other\"} %" PRIu64 "\n",
				                    name, c);
		}
	}
	evbuffer_add_printf(out, "# HELP sealregd_request_duration_seconds Time from request "
	                         "to answer.\n# TYPE sealregd_request_duration_seconds "
	                         "histogram\n");
	for (size_t r = 0; r < m->routes; r++) {
		const char *name = names[r] ? names[r] : "unmatched";
		uint64_t cum = 0;

		for (size_t b = 0; b < METRICS_LATENCY_BUCKETS; b++)
			cum += total(m, 1, r * METRICS_LATENCY_BUCKETS + b);
		if (!cum)
			continue;
		cum = 0;
		for (size_t b = 0; b < METRICS_LATENCY_BUCKETS; b++) {
			cum += total(m, 1, r * METRICS_LATENCY_BUCKETS + b);
			if (b + 1 < METRICS_LATENCY_BUCKETS)
				evbuffer_add_printf(
				    out,
				    "sealregd_request_duration_seconds_bucket{route="
				    "\"%s\",le=\"%g\"} %" PRIu64 "\n",
				    name, (double)bounds_us[b] / 1e6, cum);
			else
				evbuffer_add_printf(
				    out,
				    "sealregd_request_duration_seconds_bucket{route="
				    "\"%s\",le=\"+Inf\"} %" PRIu64 "\n",
				    name, cum);
		}
		evbuffer_add_printf(out,
		                    "sealregd_request_duration_seconds_sum{route=\"%s\"} %.6f\n"
		                    "sealregd_request_duration_seconds_count{route=\"%s\"} %" PRIu64
		                    "\n",
		                    name, (double)total(m, 2, r) / 1e6, name, cum);
	}
	if (!g)
		return;
	evbuffer_add_printf(
	    out,
	    "# TYPE sealregd_inflight_requests gauge\nsealregd_inflight_requests %" PRIu64 "\n"
	    "# TYPE sealregd_worker_queue_depth gauge\nsealregd_worker_queue_depth %" PRIu64 "\n"
	    "# TYPE sealregd_worker_queue_capacity gauge\nsealregd_worker_queue_capacity "
	    "%" PRIu64 "\n"
	    "# TYPE sealregd_worker_rejected_total counter\nsealregd_worker_rejected_total "
	    "%" PRIu64 "\n"
	    "# TYPE sealregd_querylog_pending gauge\nsealregd_querylog_pending %" PRIu64 "\n"
	    "# TYPE sealregd_querylog_written_total counter\nsealregd_querylog_written_total "
	    "%" PRIu64 "\n"
	    "# TYPE sealregd_querylog_dropped_total counter\nsealregd_querylog_dropped_total "
	    "%" PRIu64 "\n",
	    g->inflight, g->queue_depth, g->queue_capacity, g->worker_rejected, g->querylog_pending,
	    g->querylog_written, g->querylog_dropped);
	if (g->have_registry)
		evbuffer_add_printf(
		    out,
		    "# TYPE sealregd_lmdb_map_used_bytes gauge\nsealregd_lmdb_map_used_bytes "
		    "%" PRIu64 "\n"
		    "# TYPE sealregd_lmdb_map_size_bytes gauge\nsealregd_lmdb_map_size_bytes "
		    "%" PRIu64 "\n"
		    "# TYPE sealregd_seals gauge\nsealregd_seals %" PRIu64 "\n"
		    "# TYPE sealregd_audit_length gauge\nsealregd_audit_length %" PRIu64 "\n",
		    g->map_used, g->map_size, g->seals, g->audit_length);
}
