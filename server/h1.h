/*
 * h1.h - a lean HTTP/1.1 server connection layer on libevent (plain TCP).
 *
 * Why: evhttp costs four system calls per keep-alive request (readv, an
 * ioctl(FIONREAD) before every read, writev, epoll_ctl to toggle reading)
 * and a dozen allocations (request object, one per header, printf'ed
 * answer headers).  This layer reads into a per-connection buffer with
 * read(2), parses the request in place, and writes the answer with one
 * write(2); reading stays enabled, so a keep-alive request costs a read and
 * a write and no epoll_ctl.
 *
 * What it does: accepts on a listening socket of one event_base; parses
 * request line and headers (at most SEAL_HTTP_HEADERS_MAX bytes); reads a
 * Content-Length or chunked body up to the cap the caller gives per target;
 * answers "100 Continue" to Expect; keeps the connection alive per
 * HTTP/1.1 and 1.0 rules; pipelined requests are answered in order, one at
 * a time; closes connections idle, or stalled mid-request, for longer than
 * the timeout; after an answer that closes, discards what the client still
 * sends until it closes or the timeout (lingering close, so the client
 * reads the answer instead of a reset).  Malformed requests get a JSON 400
 * (or 431 for oversized headers) and the connection is closed.
 *
 * Threading: a listener and its connections belong to one event_base and
 * are only touched from its thread.
 */
#ifndef SEAL_SERVER_H1_H
#define SEAL_SERVER_H1_H

#include <stddef.h>
#include <stdint.h>

#include <event2/util.h>

struct event_base;
struct evbuffer;
struct h1_listener;
struct h1_conn;

/* One parsed request, valid until the answer is given with h1_reply(). */
struct h1_request {
	struct h1_conn *conn;
	unsigned method;          /* ROUTER_M_* */
	int head;                 /* HEAD: answer without a body */
	const char *target;       /* request-target as sent (NUL-terminated) */
	const char *content_type; /* NULL when absent */
	const char *authorization;
	int has_length; /* Content-Length was given */
	uint64_t content_length;
	int too_big;           /* the body exceeds the cap: not read; answer 413 and close */
	struct evbuffer *body; /* the body read so far (all of it unless too_big) */
	const char *peer;      /* the client's numeric address */
};

/*
 * Called for each complete request.  The callee answers exactly once with
 * h1_reply(), now or later from the same thread.
 */
typedef void (*h1_request_cb)(struct h1_request *req, void *arg);

/* The body cap for a request: bytes, or 0 for the listener's default. */
typedef size_t (*h1_body_cap_cb)(unsigned method, const char *target, void *arg);

/* Called once per answer when it is written out or its connection died. */
typedef void (*h1_written_cb)(void *arg);

struct h1_config {
	unsigned timeout_s;  /* idle / stalled-request / linger timeout */
	size_t body_default; /* cap when body_cap returns 0 */
	h1_request_cb on_request;
	h1_body_cap_cb body_cap;
	h1_written_cb on_written;
	void *arg;
};

/*
 * Serve HTTP/1.1 on the listening socket fd (non-blocking, already
 * listening) in base.  The listener owns fd from then on.  Returns 0,
 * SEAL_ENOMEM.
 */
int h1_listener_new(struct event_base *base, evutil_socket_t fd, const struct h1_config *cfg,
                    struct h1_listener **out);

/*
 * Stop accepting (closes the listening socket), close connections idle
 * between requests, and answer "Connection: close" from now on.
 */
void h1_listener_drain(struct h1_listener *l);

/* Close every connection and free.  NULL is a no-op. */
void h1_listener_free(struct h1_listener *l);

/*
 * Answer req: status line, Date, Content-Length, the caller's header lines
 * (hdrs, hlen bytes, each ending in CRLF; may be empty), Connection when
 * needed, then body (drained; NULL = empty; not sent for HEAD).  close_after
 * closes the connection after the answer (with lingering).  The written
 * callback runs once, possibly before this returns.
 */
void h1_reply(struct h1_request *req, int status, const char *reason, const char *hdrs, size_t hlen,
              struct evbuffer *body, int close_after);

#endif
