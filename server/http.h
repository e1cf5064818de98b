/*
 * http.h - the daemon's HTTP layer: listening sockets, I/O threads, the
 * request pipeline (route, rate limit, body limits, auth, inline or pooled
 * handler, answer, log line, metrics) and the orderly shutdown.
 *
 * N I/O threads each run their own event_base on their own SO_REUSEPORT
 * listening socket bound to the same address, so the kernel spreads
 * connections.  Plain HTTP goes through the lean layer of h1.h; TLS through
 * evhttp with an OpenSSL bufferevent.  Each keeps one registry read transaction, renewed
 * around every request.  Pooled handlers run on the worker pool; the result
 * comes back to the owning I/O thread through event_active() on an event of
 * its base - libevent's HTTP objects are only ever touched by their own
 * thread.
 */
#ifndef SEAL_SERVER_HTTP_H
#define SEAL_SERVER_HTTP_H

#include <limits.h>
#include <stdatomic.h>
#include <stdint.h>

#include "registry/registry.h"
#include "server/config.h"

struct querylog;
struct ratelimit;
struct metrics;
struct workers;

/* Everything the handlers share (read-only after start, except atomics). */
struct server {
	const struct config *cfg;
	struct registry *reg;
	const struct crypto_key *key;
	const uint8_t *client_key;
	struct querylog *qlog;
	struct ratelimit *rl; /* NULL: no rate limit */
	struct metrics *metrics;
	struct workers *workers;
	struct crypto_tls *tls; /* NULL: plain HTTP */
	unsigned nthreads;
	char web_root[PATH_MAX]; /* canonical; "" when the directory is missing */
	char pubkey_pem[256];
	char pubkey_b64[64];
	atomic_int draining;
	atomic_uint inflight;
};

/* Block SIGTERM, SIGINT, SIGHUP (taken by http_serve() with sigwait) and
 * ignore SIGPIPE.  Call before any thread is created. */
void http_block_signals(void);

/*
 * Bind, print "listening on HOST:PORT" on stdout (flushed), serve until
 * SIGTERM or SIGINT, then stop accepting, finish the requests in flight
 * (at most cfg->timeout seconds), stop the I/O threads, free the worker
 * pool (srv->workers becomes NULL) and return 0.  The caller then frees the
 * query log (which flushes).
 * SIGHUP reopens the log file.  Returns SEAL_EIO when the address cannot
 * be bound, SEAL_ENOMEM.
 */
int http_serve(struct server *srv);

#endif
