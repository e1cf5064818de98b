/*
 * http.c - I/O threads and the request pipeline.
 *
 * Start-up binds the first socket (port 0 gets a free port from the
 * kernel), reads the port back and binds one more SO_REUSEPORT socket per
 * extra thread on that port.  Each thread: an event_base serving plain HTTP
 * through the lean layer (h1.c: one read and one write per keep-alive
 * request) or, with TLS, through evhttp with body, header and time limits;
 * its read transaction and a reusable struct request for inline routes (no
 * per-request allocation of ours on the lookup path).  Both transports fill
 * a struct inbound and run the same pipeline; only the sending differs.
 *
 * A request goes: split path/query -> router (404/405) -> rate limit for
 * public routes (429) -> body size (413) -> token and role (401/403) ->
 * inline handler, or a heap copy of the request queued on the worker pool
 * (503 when full).  Every answer leaves through finish(): headers, one
 * evhttp_send_reply(), one log line, metrics, in-flight count.
 *
 * Shutdown: the main thread sigwait()s; on SIGTERM it activates each
 * thread's drain event: the thread closes its listener, marks new answers
 * "Connection: close" and leaves its loop when nothing is in flight (or the
 * timeout passes).
 */
#include "server/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>
#include <event2/util.h>

#include "common/crypto.h"
#include "common/encode.h"
#include "common/errors.h"
#include "common/log.h"
#include "server/auth.h"
#include "server/h1.h"
#include "server/metrics.h"
#include "server/ratelimit.h"
#include "server/request.h"
#include "server/router.h"
#include "server/workers.h"

struct io_thread {
	struct server *srv;
	unsigned id;
	pthread_t thread;
	struct event_base *base;
	struct evhttp *http;
	struct evhttp_bound_socket *bound;
	struct h1_listener *h1; /* plain HTTP: the lean layer; TLS: evhttp */
	evutil_socket_t fd;
	struct registry_txn *txn;
	struct request *req; /* reused for inline routes */
	struct event *drain_ev, *deadline_ev, *grace_ev;
	unsigned inflight;  /* requests not answered yet */
	unsigned unflushed; /* answered, not yet written out */
	int draining;
	int close_after; /* the answer being sent closes its connection */
	char last_ip[64];
	char last_client[REQUEST_CLIENT_HEX + 1];
};

void
http_block_signals(void)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

/* ---- answers -------------------------------------------------------- */

static const char *
method_name(unsigned m)
{
	switch (m) {
	case ROUTER_M_GET:
		return "GET";
	case ROUTER_M_HEAD:
		return "HEAD";
	case ROUTER_M_POST:
		return "POST";
	case ROUTER_M_PUT:
		return "PUT";
	case ROUTER_M_DELETE:
		return "DELETE";
	case ROUTER_M_OPTIONS:
		return "OPTIONS";
	case ROUTER_M_PATCH:
		return "PATCH";
	default:
		return "OTHER";
	}
}

static unsigned
method_bit(enum evhttp_cmd_type cmd)
{
	switch (cmd) {
	case EVHTTP_REQ_GET:
		return ROUTER_M_GET;
	case EVHTTP_REQ_HEAD:
		return ROUTER_M_HEAD;
	case EVHTTP_REQ_POST:
		return ROUTER_M_POST;
	case EVHTTP_REQ_PUT:
		return ROUTER_M_PUT;
	case EVHTTP_REQ_DELETE:
		return ROUTER_M_DELETE;
	case EVHTTP_REQ_OPTIONS:
		return ROUTER_M_OPTIONS;
	case EVHTTP_REQ_PATCH:
		return ROUTER_M_PATCH;
	default:
		return ROUTER_M_OTHER;
	}
}

static const char *
reason_phrase(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 409:
		return "Conflict";
	case 413:
		return "Payload Too Large";
	case 415:
		return "Unsupported Media Type";
	case 422:
		return "Unprocessable Entity";
	case 429:
		return "Too Many Requests";
	case 500:
		return "Internal Server Error";
	case 501:
		return "Not Implemented";
	case 503:
		return "Service Unavailable";
	default:
		return "Status";
	}
}

#define DRAIN_FLUSH_GRACE_S 2 /* after the last answer, wait this long for writes */

/* While draining, leave the loop once every answer is answered and written. */
static void
maybe_exit(struct io_thread *io)
{
	struct timeval grace = {DRAIN_FLUSH_GRACE_S, 0};

	if (!io->draining || io->inflight > 0)
		return;
	if (io->unflushed == 0) {
		event_base_loopexit(io->base, NULL);
		return;
	}
	/* A connection that dies mid-write never reports completion. */
	if (io->grace_ev && !evtimer_pending(io->grace_ev, NULL))
		evtimer_add(io->grace_ev, &grace);
}

static void
on_reply_written(struct evhttp_request *ev, void *arg)
{
	struct io_thread *io = arg;

	(void)ev;
	if (io->unflushed > 0)
		io->unflushed--;
	maybe_exit(io);
}

/* Append "name: value\r\n" to h (n bytes used of cap); a value with a
 * line break is left out, as evhttp does.  Returns the new length. */
static size_t
hdr_add(char *h, size_t n, size_t cap, const char *name, const char *value)
{
	size_t nl = strlen(name), vl = strlen(value);

	if (strpbrk(value, "\r\n") || n + nl + vl + 4 > cap)
		return n;
	memcpy(h + n, name, nl);
	n += nl;
	h[n++] = ':';
	h[n++] = ' ';
	memcpy(h + n, value, vl);
	n += vl;
	h[n++] = '\r';
	h[n++] = '\n';
	return n;
}

#define HTTP_HDRS_MAX (1024 + REQUEST_XHDR_MAX) /* answer header lines we add */

/* Send r's answer on the lean layer's request. */
static void
send_h1(struct io_thread *io, struct request *r)
{
	char h[HTTP_HDRS_MAX], num[24];
	size_t n = 0;

	if (r->ctype)
		n = hdr_add(h, n, sizeof(h), "Content-Type", r->ctype);
	if (r->allow[0])
		n = hdr_add(h, n, sizeof(h), "Allow", r->allow);
	if (r->retry_after) {
		snprintf(num, sizeof(num), "%u", r->retry_after);
		n = hdr_add(h, n, sizeof(h), "Retry-After", num);
	}
	if (r->location[0])
		n = hdr_add(h, n, sizeof(h), "Location", r->location);
	if (r->xhdr_name)
		n = hdr_add(h, n, sizeof(h), r->xhdr_name, r->xhdr_value);
	if (r->www_authenticate)
		n = hdr_add(h, n, sizeof(h), "WWW-Authenticate", "Bearer realm=\"sealreg\"");
	if (!r->cacheable)
		n = hdr_add(h, n, sizeof(h), "Cache-Control", "no-store");
	n = hdr_add(h, n, sizeof(h), "X-Content-Type-Options", "nosniff");
	io->unflushed++;
	h1_reply(r->ev, r->status, reason_phrase(r->status), h, n, r->out,
	         io->draining || io->close_after);
	io->close_after = 0;
}

/* Send r's answer on its evhttp request (TLS). */
static void
send_evhttp(struct io_thread *io, struct request *r)
{
	struct evhttp_request *ev = r->ev;
	struct evkeyvalq *h = evhttp_request_get_output_headers(ev);
	struct evhttp_connection *conn;
	char num[24];

	if (r->ctype)
		evhttp_add_header(h, "Content-Type", r->ctype);
	if (r->allow[0])
		evhttp_add_header(h, "Allow", r->allow);
	if (r->retry_after) {
		snprintf(num, sizeof(num), "%u", r->retry_after);
		evhttp_add_header(h, "Retry-After", num);
	}
	if (r->location[0])
		evhttp_add_header(h, "Location", r->location);
	if (r->xhdr_name)
		evhttp_add_header(h, r->xhdr_name, r->xhdr_value);
	if (r->www_authenticate)
		evhttp_add_header(h, "WWW-Authenticate", "Bearer realm=\"sealreg\"");
	if (!r->cacheable)
		evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	if (io->draining || io->close_after)
		evhttp_add_header(h, "Connection", "close");
	io->close_after = 0;
	conn = evhttp_request_get_connection(ev);
	if (conn) {
		io->unflushed++;
		evhttp_request_set_on_complete_cb(ev, on_reply_written, io);
	}
	evhttp_send_reply(ev, r->status, reason_phrase(r->status), r->out);
}

/* Send r's answer (I/O thread only), then log and count it. */
static void
finish(struct io_thread *io, struct request *r)
{
	size_t bytes;
	uint64_t usec;

	if (r->status == 0)
		request_error(r, 500, "internal", "the handler gave no answer", NULL);
	bytes = evbuffer_get_length(r->out);
	if (io->h1)
		send_h1(io, r);
	else
		send_evhttp(io, r);
	evbuffer_drain(r->out, evbuffer_get_length(r->out));
	r->ev = NULL;

	usec = (request_now_ns() - r->start_ns) / 1000;
	metrics_observe(io->srv->metrics, io->id, r->route ? r->route_index : router_count(),
	                r->status, usec);
	if (io->srv->cfg->access_log)
		log_info("%s %s %d %zu %llu", method_name(r->method),
		         r->route ? r->route->pattern : "-", r->status, bytes,
		         (unsigned long long)usec);
	io->inflight--;
	atomic_fetch_sub(&io->srv->inflight, 1);
	maybe_exit(io);
}

/* ---- pooled jobs ---------------------------------------------------- */

struct worker_state {
	struct registry_txn *txn;
};

void *http_worker_init(void *arg);
void http_worker_fini(void *state);

void *
http_worker_init(void *arg)
{
	struct server *srv = arg;
	struct worker_state *ws = calloc(1, sizeof(*ws));

	if (ws && registry_read_begin(srv->reg, &ws->txn) == 0)
		registry_read_reset(ws->txn);
	return ws;
}

void
http_worker_fini(void *state)
{
	struct worker_state *ws = state;

	if (ws && ws->txn)
		registry_read_end(ws->txn);
	free(ws);
}

static void
job_run(void *job, void *state)
{
	struct request *r = job;
	struct worker_state *ws = state;

	if (!ws || !ws->txn || registry_read_renew(ws->txn) != 0) {
		request_fail(r, SEAL_EBUSY, NULL);
	} else {
		r->txn = ws->txn;
		r->route->handler(r);
		registry_read_reset(ws->txn);
		r->txn = NULL;
	}
	event_active((struct event *)r->done, EV_READ, 0);
}

static void
job_free(struct request *r)
{
	if (!r)
		return;
	if (r->done)
		event_free((struct event *)r->done);
	if (r->body)
		evbuffer_free(r->body);
	if (r->out)
		evbuffer_free(r->out);
	free(r);
}

static void
on_job_done(evutil_socket_t fd, short what, void *arg)
{
	struct request *r = arg;

	(void)fd;
	(void)what;
	finish(r->io, r);
	job_free(r);
}

/* Copy the inline request into a heap job and queue it.  Returns 0, or
 * an error after which the inline request still has to be answered. */
static int
submit_job(struct io_thread *io, struct request *src, struct evbuffer *input)
{
	struct request *r = malloc(sizeof(*r));
	int rc;

	if (!r)
		return SEAL_ENOMEM;
	memcpy(r, src, sizeof(*r));
	r->txn = NULL;
	r->pooled = 1;
	r->out = evbuffer_new();
	r->body = evbuffer_new();
	r->done = event_new(io->base, -1, 0, on_job_done, r);
	if (!r->out || !r->body || !r->done) {
		job_free(r);
		return SEAL_ENOMEM;
	}
	if (input)
		evbuffer_add_buffer(r->body, input);
	rc = workers_submit(io->srv->workers, job_run, r);
	if (rc != 0) {
		job_free(r);
		return rc;
	}
	return 0;
}

/* ---- early body-size check ----------------------------------------- */

/*
 * libevent 2.1 has no hook between reading a request's headers and reading
 * its body, and its own refusal (max body size) is an HTML page.  So each
 * connection's input buffer gets a callback that runs when bytes arrive,
 * before evhttp parses them: when the buffer starts with a complete
 * POST/PUT/PATCH header block whose Content-Length exceeds the route's cap,
 * the header is renamed in place to EARLY_TOO_BIG (same length).  evhttp
 * then sees a request without a body and dispatches it at once; on_request
 * answers 413 in JSON and closes the connection.  Nothing of the body is
 * read or stored.
 */
#define EARLY_TOO_BIG "X-Too-Big-Body" /* as long as "Content-Length" */

static void
early_size_check(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct evbuffer_ptr end;
	struct route_match m;
	size_t hlen, plen;
	char *h, *line, path[REQUEST_PATH_MAX];
	const char *p;
	unsigned method;

	(void)arg;
	if (info->n_added == 0 || evbuffer_get_length(buf) < 16)
		return;
	{
		unsigned char first;

		if (evbuffer_copyout(buf, &first, 1) != 1 || first != 'P')
			return;
	}
	end = evbuffer_search(buf, "\r\n\r\n", 4, NULL);
	if (end.pos < 0 || (size_t)end.pos > SEAL_HTTP_HEADERS_MAX)
		return;
	hlen = (size_t)end.pos + 2;
	h = (char *)evbuffer_pullup(buf, (ev_ssize_t)hlen + 2);
	if (!h)
		return;
	if (strncmp(h, "POST ", 5) == 0)
		method = ROUTER_M_POST, p = h + 5;
	else if (strncmp(h, "PUT ", 4) == 0)
		method = ROUTER_M_PUT, p = h + 4;
	else if (strncmp(h, "PATCH ", 6) == 0)
		method = ROUTER_M_PATCH, p = h + 6;
	else
		return;
	plen = strcspn(p, " ?\r\n");
	if (plen == 0 || plen >= sizeof(path))
		return;
	memcpy(path, p, plen);
	path[plen] = '\0';
	if (router_match(path, method, &m) != 0 || m.route->max_body == 0)
		return;
	for (line = memchr(h, '\n', hlen); line && (size_t)(line - h) + 16 < hlen;
	     line = memchr(line + 1, '\n', hlen - (size_t)(line + 1 - h))) {
		unsigned long long v;

		if (strncasecmp(line + 1, "Content-Length:", 15) != 0)
			continue;
		v = strtoull(line + 16, NULL, 10);
		if (v > m.route->max_body)
			memcpy(line + 1, EARLY_TOO_BIG, 14);
		return;
	}
}

static struct bufferevent *
make_bufferevent(struct event_base *base, void *arg)
{
	struct io_thread *io = arg;
	struct bufferevent *bev;

	if (io->srv->tls) {
		struct ssl_st *ssl = crypto_tls_session_new(io->srv->tls);

		if (!ssl)
			return NULL;
		bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
		                                     BEV_OPT_CLOSE_ON_FREE);
	} else {
		bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	}
	if (bev)
		evbuffer_add_cb(bufferevent_get_input(bev), early_size_check, NULL);
	return bev;
}

/* ---- the pipeline --------------------------------------------------- */

/* Keyed hash of the client address, cached for the last address seen. */
static void
client_hash(struct io_thread *io, struct request *r)
{
	uint8_t mac[CRYPTO_SHA256_LEN];

	if (strcmp(io->last_ip, r->client_ip) != 0 || !io->last_client[0]) {
		crypto_hmac_sha256(io->srv->client_key, 32, r->client_ip, strlen(r->client_ip),
		                   mac);
		hex_encode(mac, REQUEST_CLIENT_HEX / 2, io->last_client, sizeof(io->last_client));
		memcpy(io->last_ip, r->client_ip, sizeof(io->last_ip));
	}
	memcpy(r->client, io->last_client, sizeof(r->client));
}

/* What a transport (evhttp or the lean layer) tells the pipeline. */
struct inbound {
	void *handle; /* evhttp_request or h1_request: r->ev */
	const char *uri;
	unsigned method;
	const char *peer;          /* numeric client address, NULL unknown */
	const char *content_type;  /* NULL when absent */
	const char *authorization; /* NULL when absent */
	int has_length;
	uint64_t length;
	int too_big; /* declared or sent body beyond the cap, not read */
	struct evbuffer *body;
};

static void
pipeline(struct io_thread *io, const struct inbound *in)
{
	struct server *srv = io->srv;
	struct request *r = io->req;
	struct route_match m;
	const char *uri = in->uri, *q;
	struct evbuffer *input = in->body;
	size_t plen;
	int rc, renewed = 0;

	io->inflight++;
	atomic_fetch_add(&srv->inflight, 1);
	request_reset(r);
	r->start_ns = request_now_ns();
	r->ev = in->handle;
	r->io = io;
	r->done = NULL;
	r->pooled = 0;
	r->body = input;
	r->method = in->method;

	if (!uri)
		uri = "/";
	q = strchr(uri, '?');
	plen = q ? (size_t)(q - uri) : strlen(uri);
	if (plen >= sizeof(r->path) || (q && strlen(q + 1) >= sizeof(r->query))) {
		request_error(r, 414, "bad_request", "the request URI is too long", NULL);
		goto answer;
	}
	memcpy(r->path, uri, plen);
	r->path[plen] = '\0';
	if (q)
		memcpy(r->query, q + 1, strlen(q + 1) + 1);

	rc = router_match(r->path, r->method, &m);
	if (rc == SEAL_EINVAL) {
		router_allow_string(m.allow, r->allow, sizeof(r->allow));
		request_error(r, 405, "method_not_allowed", "method not allowed on this route",
		              NULL);
		goto answer;
	}
	if (rc != 0) {
		request_error(r, 404, "route_not_found", "no such route", NULL);
		goto answer;
	}
	r->route = m.route;
	r->route_index = m.index;
	memcpy(r->param, m.param, strlen(m.param) + 1);

	request_copy(r->client_ip, sizeof(r->client_ip), in->peer);
	if (r->route->access == ACCESS_PUBLIC) {
		unsigned retry = 1;

		if (srv->rl && ratelimit_take(srv->rl, r->client_ip, strlen(r->client_ip),
		                              r->start_ns, &retry) != 0) {
			request_error(r, 429, "rate_limited",
			              "too many requests from this address; retry later", NULL);
			r->retry_after = retry;
			goto answer;
		}
		client_hash(io, r);
	}

	/* Body limits: the declared length first, then what arrived. */
	if (r->route->max_body > 0) {
		if ((in->has_length && in->length > r->route->max_body) || in->too_big ||
		    evbuffer_get_length(input) > r->route->max_body) {
			char msg[96];

			snprintf(msg, sizeof(msg), "the body exceeds %zu bytes",
			         r->route->max_body);
			request_error(r, 413, "too_big", msg, "body");
			io->close_after = 1; /* the body may still be on its way */
			goto answer;
		}
		if (in->content_type)
			request_copy(r->content_type, sizeof(r->content_type), in->content_type);
	}

	if (auth_needs_token(r->route->access)) {
		if (registry_read_renew(io->txn) != 0) {
			request_fail(r, SEAL_EBUSY, NULL);
			goto answer;
		}
		renewed = 1;
		rc = auth_authenticate(io->txn, in->authorization, &r->actor);
		if (rc == 0)
			rc = auth_role_allows(r->route->access, &r->actor);
		if (rc != 0) {
			request_fail(r, rc == SEAL_EREVOKED || rc == SEAL_EPERM ? rc : SEAL_EAUTH,
			             NULL);
			goto answer;
		}
		r->authed = 1;
	}

	if (r->route->pooled) {
		if (renewed) {
			registry_read_reset(io->txn);
			renewed = 0;
		}
		rc = submit_job(io, r, input);
		if (rc == 0)
			return; /* answered by on_job_done() */
		if (rc == SEAL_EBUSY) {
			request_error(r, 503, "overloaded",
			              "the server is busy with other images; retry shortly", NULL);
			r->retry_after = 1;
		} else if (rc == SEAL_EINVAL) {
			request_error(r, 503, "shutting_down", "the server is shutting down", NULL);
			r->retry_after = 1;
		} else {
			request_fail(r, rc, NULL);
		}
		goto answer;
	}

	if (!renewed) {
		if (registry_read_renew(io->txn) != 0) {
			request_fail(r, SEAL_EBUSY, NULL);
			goto answer;
		}
		renewed = 1;
	}
	r->txn = io->txn;
	r->route->handler(r);
	r->txn = NULL;
answer:
	if (renewed)
		registry_read_reset(io->txn);
	finish(io, r);
}

/* evhttp's request (TLS connections). */
static void
on_request(struct evhttp_request *ev, void *arg)
{
	struct evkeyvalq *ih = evhttp_request_get_input_headers(ev);
	struct evhttp_connection *conn = evhttp_request_get_connection(ev);
	const char *cl = evhttp_find_header(ih, "Content-Length");
	struct inbound in = {0};
	char *addr = NULL;
	ev_uint16_t port = 0;

	if (conn)
		evhttp_connection_get_peer(conn, &addr, &port);
	in.handle = ev;
	in.uri = evhttp_request_get_uri(ev);
	in.method = method_bit(evhttp_request_get_command(ev));
	in.peer = addr;
	in.content_type = evhttp_find_header(ih, "Content-Type");
	in.authorization = evhttp_find_header(ih, "Authorization");
	in.has_length = cl != NULL;
	in.length = cl ? strtoull(cl, NULL, 10) : 0;
	in.too_big = evhttp_find_header(ih, EARLY_TOO_BIG) != NULL;
	in.body = evhttp_request_get_input_buffer(ev);
	pipeline(arg, &in);
}

/* The lean layer's request (plain HTTP). */
static void
on_h1_request(struct h1_request *q, void *arg)
{
	struct inbound in = {0};

	in.handle = q;
	in.uri = q->target;
	in.method = q->method;
	in.peer = q->peer;
	in.content_type = q->content_type;
	in.authorization = q->authorization;
	in.has_length = q->has_length;
	in.length = q->content_length;
	in.too_big = q->too_big;
	in.body = q->body;
	pipeline(arg, &in);
}

/* The body cap of the route a target names (0: none, the layer's default). */
static size_t
h1_body_cap(unsigned method, const char *target, void *arg)
{
	char path[REQUEST_PATH_MAX];
	size_t plen = strcspn(target, "?");
	struct route_match m;

	(void)arg;
	if (plen >= sizeof(path))
		return 0;
	memcpy(path, target, plen);
	path[plen] = '\0';
	if (router_match(path, method, &m) != 0)
		return 0;
	return m.route->max_body;
}

static void
h1_written(void *arg)
{
	struct io_thread *io = arg;

	if (io->unflushed > 0)
		io->unflushed--;
	maybe_exit(io);
}

/* ---- threads -------------------------------------------------------- */

static void
on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct io_thread *io = arg;

	(void)fd;
	(void)what;
	if (io->inflight)
		log_warnx("thread %u: %u requests still in flight at the drain deadline", io->id,
		          io->inflight);
	event_base_loopexit(io->base, NULL);
}

static void
on_drain(evutil_socket_t fd, short what, void *arg)
{
	struct io_thread *io = arg;
	struct timeval tv = {io->srv->cfg->timeout, 0};

	(void)fd;
	(void)what;
	if (io->draining)
		return;
	io->draining = 1;
	if (io->bound) {
		evhttp_del_accept_socket(io->http, io->bound);
		io->bound = NULL;
	}
	if (io->h1)
		h1_listener_drain(io->h1);
	io->deadline_ev = evtimer_new(io->base, on_deadline, io);
	io->grace_ev = evtimer_new(io->base, on_deadline, io);
	maybe_exit(io);
	if (io->deadline_ev)
		evtimer_add(io->deadline_ev, &tv);
}

static void *
io_main(void *arg)
{
	struct io_thread *io = arg;

	event_base_dispatch(io->base);
	return NULL;
}

static int
io_setup(struct io_thread *io, struct server *srv, unsigned id, evutil_socket_t fd)
{
	io->srv = srv;
	io->id = id;
	io->fd = fd;
	{
		/* The changelist folds evhttp's per-request disable/enable of
		 * reading and writing into at most one epoll_ctl per loop. */
		struct event_config *ec = event_config_new();

		if (!ec)
			return SEAL_ENOMEM;
		event_config_set_flag(ec, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
		io->base = event_base_new_with_config(ec);
		event_config_free(ec);
	}
	if (!io->base)
		return SEAL_ENOMEM;
	io->req = calloc(1, sizeof(*io->req));
	io->drain_ev = event_new(io->base, -1, 0, on_drain, io);
	if (!io->req || !io->drain_ev)
		return SEAL_ENOMEM;
	io->req->out = evbuffer_new();
	if (!io->req->out)
		return SEAL_ENOMEM;
	io->req->srv = srv;
	if (registry_read_begin(srv->reg, &io->txn) != 0)
		return SEAL_ENOMEM;
	registry_read_reset(io->txn);
	if (!srv->tls) {
		struct h1_config hc = {0};

		hc.timeout_s = srv->cfg->timeout;
		hc.body_default = 2 * SEAL_HTTP_BODY_MAX;
		hc.on_request = on_h1_request;
		hc.body_cap = h1_body_cap;
		hc.on_written = h1_written;
		hc.arg = io;
		return h1_listener_new(io->base, fd, &hc, &io->h1);
	}
	io->http = evhttp_new(io->base);
	if (!io->http)
		return SEAL_ENOMEM;
	/* Twice the largest route cap: bodies in between get our JSON 413. */
	evhttp_set_max_body_size(io->http, 2 * SEAL_HTTP_BODY_MAX);
	evhttp_set_max_headers_size(io->http, SEAL_HTTP_HEADERS_MAX);
	evhttp_set_timeout(io->http, srv->cfg->timeout);
	evhttp_set_flags(io->http, EVHTTP_SERVER_LINGERING_CLOSE);
	evhttp_set_allowed_methods(io->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
	                                         EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	                                         EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	evhttp_set_bevcb(io->http, make_bufferevent, io);
	evhttp_set_gencb(io->http, on_request, io);
	io->bound = evhttp_accept_socket_with_handle(io->http, fd);
	if (!io->bound)
		return SEAL_EIO;
	return 0;
}

static void
io_teardown(struct io_thread *io)
{
	h1_listener_free(io->h1);
	if (io->http)
		evhttp_free(io->http);
	if (io->drain_ev)
		event_free(io->drain_ev);
	if (io->deadline_ev)
		event_free(io->deadline_ev);
	if (io->grace_ev)
		event_free(io->grace_ev);
	if (io->req) {
		if (io->req->out)
			evbuffer_free(io->req->out);
		free(io->req);
	}
	if (io->txn)
		registry_read_end(io->txn);
	if (io->base)
		event_base_free(io->base);
}

/* A listening socket on host:port; SO_REUSEPORT so siblings can share it. */
static int
listen_on(const char *host, int port, evutil_socket_t *out, int *bound_port)
{
	struct addrinfo hints = {0}, *ai = NULL;
	char portstr[8];
	evutil_socket_t fd = -1;
	int one = 1, rc;

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(portstr, sizeof(portstr), "%d", port);
	rc = getaddrinfo(host, portstr, &hints, &ai);
	if (rc != 0) {
		log_error("%s: %s", host, gai_strerror(rc));
		return SEAL_EIO;
	}
	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
	if (fd < 0)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0)
		goto fail;
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 1024) != 0)
		goto fail;
	{
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);

		if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0)
			goto fail;
		*bound_port = ss.ss_family == AF_INET6
		                  ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
		                  : ntohs(((struct sockaddr_in *)&ss)->sin_port);
	}
	freeaddrinfo(ai);
	*out = fd;
	return 0;
fail:
	log_warn("listen on %s:%d", host, port);
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
	return SEAL_EIO;
}

int
http_serve(struct server *srv)
{
	struct io_thread *io;
	char host[256];
	int port, bound_port = 0, rc = 0;
	unsigned started = 0;
	sigset_t set;

	if (config_listen_split(srv->cfg->listen, host, sizeof(host), &port) != 0)
		return SEAL_EINVAL;
	if (evthread_use_pthreads() != 0)
		return SEAL_ENOMEM;
	io = calloc(srv->nthreads, sizeof(*io));
	if (!io)
		return SEAL_ENOMEM;
	for (unsigned i = 0; i < srv->nthreads; i++) {
		evutil_socket_t fd;

		rc = listen_on(host, i == 0 ? port : bound_port, &fd, &bound_port);
		if (rc != 0)
			goto out;
		rc = io_setup(&io[i], srv, i, fd);
		if (rc != 0) {
			if (!io[i].bound && !io[i].h1)
				close(fd);
			goto out;
		}
	}
	if (strchr(host, ':'))
		printf("listening on [%s]:%d\n", host, bound_port);
	else
		printf("listening on %s:%d\n", host, bound_port);
	fflush(stdout);
	log_info("listening on %s:%d with %u I/O threads", host, bound_port, srv->nthreads);

	for (; started < srv->nthreads; started++)
		if (pthread_create(&io[started].thread, NULL, io_main, &io[started]) != 0) {
			rc = SEAL_ENOMEM;
			break;
		}

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	while (rc == 0) {
		int sig = 0;

		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			if (log_open(srv->cfg->log[0] ? srv->cfg->log : NULL) != 0)
				fprintf(stderr, "sealregd: cannot reopen log %s\n", srv->cfg->log);
			log_info("log reopened");
			continue;
		}
		log_info("signal %d: draining %u requests in flight", sig,
		         atomic_load(&srv->inflight));
		break;
	}
	atomic_store(&srv->draining, 1);
	for (unsigned i = 0; i < started; i++)
		event_active(io[i].drain_ev, EV_READ, 0);
	for (unsigned i = 0; i < started; i++)
		pthread_join(io[i].thread, NULL);
out:
	/* Jobs still running hold events of these bases: finish them first. */
	workers_free(srv->workers);
	srv->workers = NULL;
	for (unsigned i = 0; i < srv->nthreads; i++)
		io_teardown(&io[i]);
	free(io);
	return rc;
}
