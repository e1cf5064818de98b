/*
 * request.h - one HTTP request as the handlers see it, and its answer.
 *
 * The HTTP layer (http.c) fills a struct request from libevent's request
 * and sends the answer back; handlers never see libevent's HTTP objects, so
 * the same handler runs on an I/O thread or a worker.  The struct is reused
 * for inline requests on an I/O thread (no allocation per request) and
 * allocated per job for pooled ones.
 */
#ifndef SEAL_SERVER_REQUEST_H
#define SEAL_SERVER_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "common/limits.h"
#include "registry/registry.h"
#include "server/router.h"

struct evbuffer;
struct server;

#define REQUEST_PATH_MAX 2048  /* bytes of the path */
#define REQUEST_QUERY_MAX 2048 /* bytes of the query string */
#define REQUEST_CTYPE_MAX 255  /* bytes of the Content-Type header kept */
#define REQUEST_CLIENT_HEX 16  /* hex characters of the keyed client hash */
#define REQUEST_XHDR_MAX (SEAL_QR_PAYLOAD_MAX + 1)

struct request {
	/* Context: set by http.c. */
	struct server *srv;
	struct registry_txn *txn; /* renewed read snapshot for this request */
	const struct route *route;
	size_t route_index;
	unsigned method; /* ROUTER_M_* */
	char param[ROUTER_PARAM_MAX];
	char path[REQUEST_PATH_MAX];
	char query[REQUEST_QUERY_MAX];
	char content_type[REQUEST_CTYPE_MAX + 1];
	char client_ip[64];
	char client[REQUEST_CLIENT_HEX + 1];
	int authed; /* actor valid */
	struct registry_actor actor;
	struct evbuffer *body; /* the request body (possibly empty) */

	/* Answer: set by the handler. */
	int status;
	const char *ctype; /* static string */
	struct evbuffer *out;
	unsigned retry_after;  /* Retry-After when non-zero */
	char allow[64];        /* Allow when non-empty */
	char location[64];     /* Location when non-empty */
	const char *xhdr_name; /* one extra header, e.g. X-QR-Payload */
	char xhdr_value[REQUEST_XHDR_MAX];
	int www_authenticate;
	int cacheable; /* static files: allow caching */

	/* Owned by http.c. */
	void *io;
	void *ev;
	void *done;
	uint64_t start_ns;
	int pooled;
};

/* Clear the per-request fields (not the buffers) before reuse. */
void request_reset(struct request *r);

/* Value of query parameter name, percent-decoded ('+' = space) into out.
 * Returns 0, SEAL_ENOTFOUND, or SEAL_EINVAL (bad escape, does not fit). */
int request_query(const struct request *r, const char *name, char *out, size_t cap);

/* Parse an unsigned query parameter into *v within [min, max]; absent keeps
 * *v.  On a bad value answers 400 (field name) and returns SEAL_EINVAL. */
int request_query_uint(struct request *r, const char *name, unsigned min, unsigned max,
                       unsigned *v);

/* Contiguous view of the body (pulled up); *len its size. */
const void *request_body(struct request *r, size_t *len);

/* The Content-Type's media type equals type (case-insensitive, parameters ignored). */
int request_ctype_is(const struct request *r, const char *type);

/* Answer an error: JSON error body with status and the given code,
 * message and field (NULL for none).  Replaces anything written so far. */
void request_error(struct request *r, int status, const char *code, const char *message,
                   const char *field);

/* Answer a SEAL_E* error with its status (request_http_status()),
 * seal_errname() and seal_strerror(). */
void request_fail(struct request *r, int err, const char *field);

/* The HTTP status for a SEAL_E* code. */
int request_http_status(int err);

/* Set a JSON answer's status and content type (the body goes to r->out). */
void request_json(struct request *r, int status);

/* "2026-11-28T14:50:13Z" (21 bytes with NUL) and "2026-11-28" (11). */
void request_time_iso(int64_t unix_seconds, char out[21]);
void request_date(int64_t unix_seconds, char out[11]);

/* Copy src into dst (cap bytes, NUL-terminated), truncating; returns the
 * length copied.  For fixed fields on hot paths (no printf). */
size_t request_copy(char *dst, size_t cap, const char *src);

/* Monotonic and wall-clock nanoseconds. */
uint64_t request_now_ns(void);
int64_t request_wall_ns(void);

#endif
