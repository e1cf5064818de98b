/*
 * ratelimit.h - per-client token buckets for the public routes.
 *
 * Each client (any key bytes, e.g. its address) owns a bucket of `burst`
 * tokens refilled at `rate` tokens per second; a request takes one.  The
 * table is fixed-size and set-associative: when a set is full the least
 * recently seen client is forgotten (and starts again with a full bucket),
 * so memory stays bounded whatever the number of clients.  Thread-safe:
 * sets are guarded by striped mutexes.
 */
#ifndef SEAL_SERVER_RATELIMIT_H
#define SEAL_SERVER_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#define RATELIMIT_SLOTS_DEFAULT 65536 /* clients remembered */

struct ratelimit;

/* rate > 0 tokens per second, burst >= 1, slots >= 4 (rounded up to a power
 * of two).  Returns 0, SEAL_EINVAL or SEAL_ENOMEM. */
int ratelimit_new(double rate, double burst, size_t slots, struct ratelimit **out);

/* NULL is a no-op. */
void ratelimit_free(struct ratelimit *rl);

/* Take one token for key at time now_ns (any monotonic clock, nanoseconds).
 * Returns 0 when allowed, SEAL_EBUSY when the bucket is empty; then
 * *retry_after (may be NULL) receives the whole seconds until a token is
 * available (at least 1). */
int ratelimit_take(struct ratelimit *rl, const void *key, size_t keylen, uint64_t now_ns,
                   unsigned *retry_after);

#endif
