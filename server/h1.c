/*
 * h1.c - the lean HTTP/1.1 connection layer.
 *
 * Each connection has a fixed input buffer (a little more than the header
 * cap) filled with read(2) and parsed in place: the request line and header
 * values are NUL-terminated where they lie and the request points at them.
 * A body is copied from that buffer into the connection's body evbuffer
 * (Content-Length or chunked, up to the cap for its target).  States:
 * HEAD (waiting for a header block) -> BODY -> BUSY (the callee has the
 * request) -> HEAD again, or CLOSING (output still to write) -> LINGER
 * (write side shut, reading and discarding until the client closes).
 *
 * An answer up to H1_DIRECT_MAX bytes is assembled in a stack buffer and
 * written with one write(2); what the socket does not take, and larger
 * answers, go through the connection's output evbuffer and a write event.
 * The read event stays armed while a request is handled inline, so a
 * keep-alive request costs one read and one write; it is disarmed only
 * while a request waits on another thread.  A per-listener timer sweeps
 * connections idle longer than the timeout once a second.
 */
#include "server/h1.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "common/errors.h"
#include "common/limits.h"
#include "common/log.h"
#include "server/router.h"

#define H1_IN_CAP (SEAL_HTTP_HEADERS_MAX + 4096) /* input buffer per connection */
#define H1_DIRECT_MAX 16384   /* answers up to this size: one write from the stack */
#define H1_HDRS_MAX 8192      /* caller's header lines at most */
#define H1_ACCEPT_BATCH 64    /* accepts per wake-up */
#define H1_CHUNK_LINE_MAX 256 /* bytes of a chunk-size line */

enum h1_state { ST_HEAD, ST_BODY, ST_BUSY, ST_CLOSING, ST_LINGER };
enum chunk_phase { CH_SIZE, CH_DATA, CH_DATA_END, CH_TRAILER };

struct h1_listener {
	struct event_base *base;
	evutil_socket_t fd;
	struct event *lev, *sweep;
	struct h1_config cfg;
	struct h1_conn *conns;
	int draining;
	time_t date_sec;
	char date[64]; /* "Date: ...\r\n" for date_sec */
	size_t date_len;
};

struct h1_conn {
	struct h1_listener *l;
	struct h1_conn *prev, *next;
	evutil_socket_t fd;
	struct event *rev, *wev;
	enum h1_state state;
	char *in;
	size_t in_len, in_off;
	struct h1_request req;
	struct evbuffer *body, *out;
	int keep_alive, http10, expect;
	int chunked;
	enum chunk_phase phase;
	uint64_t body_left; /* Content-Length: bytes still to read; chunked: of this chunk */
	uint64_t body_cap;
	int reading;   /* rev is added */
	int writing;   /* wev is added */
	int owed;      /* the on_written callback is due for the last answer */
	int nest;      /* inside process(): freeing is deferred */
	int dead;      /* closed while nested */
	time_t last;   /* last activity (cached loop time) */
	char *head_at; /* the current header block in the input buffer */
	size_t head_len;
	char *head_copy; /* its copy while a body spans reads (lazy) */
	char peer[INET6_ADDRSTRLEN];
};

static void on_read(evutil_socket_t fd, short what, void *arg);
static void process(struct h1_conn *c);

static time_t
loop_now(struct h1_listener *l)
{
	struct timeval tv;

	if (event_base_gettimeofday_cached(l->base, &tv) != 0)
		return time(NULL);
	return tv.tv_sec;
}

/* ---- connections ---------------------------------------------------- */

static void
conn_free(struct h1_conn *c)
{
	struct h1_listener *l = c->l;

	if (c->prev)
		c->prev->next = c->next;
	else
		l->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if (c->owed) {
		c->owed = 0;
		l->cfg.on_written(l->cfg.arg);
	}
	if (c->rev)
		event_free(c->rev);
	if (c->wev)
		event_free(c->wev);
	if (c->body)
		evbuffer_free(c->body);
	if (c->out)
		evbuffer_free(c->out);
	if (c->fd >= 0)
		close(c->fd);
	free(c->in);
	free(c->head_copy);
	free(c);
}

/* Close now, or when process() unwinds. */
static void
conn_close(struct h1_conn *c)
{
	if (c->nest > 0) {
		c->dead = 1;
		if (c->reading) {
			event_del(c->rev);
			c->reading = 0;
		}
		if (c->writing) {
			event_del(c->wev);
			c->writing = 0;
		}
		return;
	}
	conn_free(c);
}

static void
set_reading(struct h1_conn *c, int on)
{
	if (on && !c->reading) {
		if (event_add(c->rev, NULL) == 0)
			c->reading = 1;
	} else if (!on && c->reading) {
		event_del(c->rev);
		c->reading = 0;
	}
}

/* Output written: the answer is delivered; close or linger if it was the last. */
static void
output_done(struct h1_conn *c)
{
	if (c->writing) {
		event_del(c->wev);
		c->writing = 0;
	}
	if (c->owed) {
		c->owed = 0;
		c->l->cfg.on_written(c->l->cfg.arg);
	}
	if (c->state == ST_CLOSING) {
		/* Lingering close: the client may still be sending a body we
		 * refused; reading it to its end lets it read our answer. */
		shutdown(c->fd, SHUT_WR);
		c->state = ST_LINGER;
		c->last = loop_now(c->l);
		set_reading(c, 1);
	}
}

/* Write what is queued; arm the write event when the socket is full.
 * Returns -1 when the connection was closed (and possibly freed). */
static int
flush_out(struct h1_conn *c)
{
	while (evbuffer_get_length(c->out) > 0) {
		int n = evbuffer_write(c->out, c->fd);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				break;
			conn_close(c);
			return -1;
		}
		if (n == 0)
			break;
		c->last = loop_now(c->l);
	}
	if (evbuffer_get_length(c->out) > 0) {
		if (!c->writing && event_add(c->wev, NULL) == 0)
			c->writing = 1;
		return 0;
	}
	output_done(c);
	return 0;
}

static void
on_write(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)flush_out(arg);
}

/* Send a small fixed answer of our own (parse errors) and close. */
static void
reply_error(struct h1_conn *c, int status, const char *reason, const char *code,
            const char *message)
{
	struct evbuffer *b = evbuffer_new();
	char hdrs[] = "Content-Type: application/json\r\nCache-Control: no-store\r\n"
	              "X-Content-Type-Options: nosniff\r\n";

	memset(&c->req, 0, sizeof(c->req));
	c->req.conn = c;
	c->state = ST_BUSY;
	if (b)
		evbuffer_add_printf(b, "{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}", code,
		                    message);
	h1_reply(&c->req, status, reason, hdrs, sizeof(hdrs) - 1, b, 1);
	if (b)
		evbuffer_free(b);
}

static void
conn_new(struct h1_listener *l, evutil_socket_t fd, const struct sockaddr_storage *ss)
{
	struct h1_conn *c = calloc(1, sizeof(*c));
	int one = 1;

	if (!c) {
		close(fd);
		return;
	}
	c->l = l;
	c->fd = fd;
	c->in = malloc(H1_IN_CAP);
	c->body = evbuffer_new();
	c->out = evbuffer_new();
	c->rev = event_new(l->base, fd, EV_READ | EV_PERSIST, on_read, c);
	c->wev = event_new(l->base, fd, EV_WRITE | EV_PERSIST, on_write, c);
	c->next = l->conns;
	if (l->conns)
		l->conns->prev = c;
	l->conns = c;
	if (!c->in || !c->body || !c->out || !c->rev || !c->wev) {
		conn_free(c);
		return;
	}
	if (ss->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, c->peer,
		          sizeof(c->peer));
	else if (ss->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, c->peer,
		          sizeof(c->peer));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->state = ST_HEAD;
	c->last = loop_now(l);
	set_reading(c, 1);
	if (!c->reading)
		conn_free(c);
}

static void
on_accept(evutil_socket_t fd, short what, void *arg)
{
	struct h1_listener *l = arg;

	(void)what;
	for (int i = 0; i < H1_ACCEPT_BATCH; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int cfd = accept4(fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (cfd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				log_warn("accept");
			return;
		}
		conn_new(l, cfd, &ss);
	}
}

static void
on_sweep(evutil_socket_t fd, short what, void *arg)
{
	struct h1_listener *l = arg;
	time_t now = loop_now(l);
	struct h1_conn *c, *next;

	(void)fd;
	(void)what;
	for (c = l->conns; c; c = next) {
		next = c->next;
		if (c->state != ST_BUSY && now - c->last >= (time_t)l->cfg.timeout_s)
			conn_free(c);
	}
}

/* ---- parsing -------------------------------------------------------- */

static unsigned
method_of(const char *m, size_t n, int *head)
{
	*head = 0;
	switch (n) {
	case 3:
		if (memcmp(m, "GET", 3) == 0)
			return ROUTER_M_GET;
		if (memcmp(m, "PUT", 3) == 0)
			return ROUTER_M_PUT;
		break;
	case 4:
		if (memcmp(m, "POST", 4) == 0)
			return ROUTER_M_POST;
		if (memcmp(m, "HEAD", 4) == 0) {
			*head = 1;
			return ROUTER_M_HEAD;
		}
		break;
	case 5:
		if (memcmp(m, "PATCH", 5) == 0)
			return ROUTER_M_PATCH;
		break;
	case 6:
		if (memcmp(m, "DELETE", 6) == 0)
			return ROUTER_M_DELETE;
		break;
	case 7:
		if (memcmp(m, "OPTIONS", 7) == 0)
			return ROUTER_M_OPTIONS;
		break;
	default:
		break;
	}
	return ROUTER_M_OTHER;
}

/* The token tok appears in the comma-separated list v (case-insensitive). */
static int
has_token(const char *v, const char *tok)
{
	size_t n = strlen(tok);

	while (*v) {
		while (*v == ' ' || *v == '\t' || *v == ',')
			v++;
		if (strncasecmp(v, tok, n) == 0 &&
		    (v[n] == '\0' || v[n] == ',' || v[n] == ' ' || v[n] == '\t'))
			return 1;
		while (*v && *v != ',')
			v++;
	}
	return 0;
}

/* Offset just past the blank line ending the header block, or 0. */
static size_t
head_end(const char *p, size_t n)
{
	const char *s = p, *e = p + n;

	while ((s = memchr(s, '\n', (size_t)(e - s))) != NULL) {
		s++;
		if (s < e && *s == '\n')
			return (size_t)(s + 1 - p);
		if (s + 1 < e && s[0] == '\r' && s[1] == '\n')
			return (size_t)(s + 2 - p);
		if (s >= e || (s + 1 >= e && *s == '\r'))
			return 0;
	}
	return 0;
}

/* Next line of the block [*p, e): NUL-terminated, CR stripped. */
static char *
next_line(char **p, char *e)
{
	char *s = *p, *nl = memchr(s, '\n', (size_t)(e - s));

	if (!nl)
		return NULL;
	*nl = '\0';
	if (nl > s && nl[-1] == '\r')
		nl[-1] = '\0';
	*p = nl + 1;
	return s;
}

/*
 * Parse the header block at in_off.  Returns 1 with the request set up
 * (state BODY), 0 when more bytes are needed, -1 after answering an error.
 */
static int
parse_head(struct h1_conn *c)
{
	struct h1_request *q = &c->req;
	char *p, *e, *line, *sp, *ver;
	size_t avail, hlen;
	int te_other = 0;

	while (c->in_off < c->in_len && (c->in[c->in_off] == '\r' || c->in[c->in_off] == '\n'))
		c->in_off++;
	avail = c->in_len - c->in_off;
	hlen = head_end(c->in + c->in_off, avail);
	if (hlen == 0) {
		if (avail >= SEAL_HTTP_HEADERS_MAX) {
			reply_error(c, 431, "Request Header Fields Too Large", "headers_too_big",
			            "the request headers are too large");
			return -1;
		}
		if (c->in_off > 0 && (c->in_len == H1_IN_CAP || avail == 0)) {
			memmove(c->in, c->in + c->in_off, avail);
			c->in_off = 0;
			c->in_len = avail;
		}
		return 0;
	}
	if (hlen > SEAL_HTTP_HEADERS_MAX) {
		reply_error(c, 431, "Request Header Fields Too Large", "headers_too_big",
		            "the request headers are too large");
		return -1;
	}
	p = c->in + c->in_off;
	e = p + hlen;
	c->head_at = p;
	c->head_len = hlen;
	c->in_off += hlen;
	memset(q, 0, sizeof(*q));
	q->conn = c;
	q->peer = c->peer;
	q->body = c->body;
	c->chunked = 0;
	c->expect = 0;

	/* Request line: METHOD SP target SP HTTP/x.y */
	line = next_line(&p, e);
	sp = line ? strchr(line, ' ') : NULL;
	if (!sp)
		goto bad;
	q->method = method_of(line, (size_t)(sp - line), &q->head);
	q->target = sp + 1;
	ver = strchr(sp + 1, ' ');
	if (!ver || ver == sp + 1)
		goto bad;
	*ver++ = '\0';
	if (strncmp(ver, "HTTP/1.", 7) != 0 || ver[7] < '0' || ver[7] > '9' || ver[8] != '\0')
		goto bad;
	c->http10 = ver[7] == '0';
	c->keep_alive = !c->http10;

	while ((line = next_line(&p, e)) != NULL && line[0] != '\0') {
		char *colon = strchr(line, ':'), *v, *end;
		size_t nlen;

		if (!colon || colon == line || line[0] == ' ' || line[0] == '\t')
			goto bad;
		nlen = (size_t)(colon - line);
		if (line[nlen - 1] == ' ' || line[nlen - 1] == '\t')
			goto bad;
		v = colon + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		end = v + strlen(v);
		while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		switch (nlen) {
		case 6:
			if (strncasecmp(line, "Expect", 6) == 0 &&
			    strcasecmp(v, "100-continue") == 0)
				c->expect = 1;
			break;
		case 10:
			if (strncasecmp(line, "Connection", 10) == 0) {
				if (has_token(v, "close"))
					c->keep_alive = 0;
				else if (has_token(v, "keep-alive"))
					c->keep_alive = 1;
			}
			break;
		case 12:
			if (strncasecmp(line, "Content-Type", 12) == 0 && !q->content_type)
				q->content_type = v;
			break;
		case 13:
			if (strncasecmp(line, "Authorization", 13) == 0 && !q->authorization)
				q->authorization = v;
			break;
		case 14:
			if (strncasecmp(line, "Content-Length", 14) == 0) {
				uint64_t n = 0;

				if (*v == '\0')
					goto bad;
				for (const char *d = v; *d; d++) {
					if (*d < '0' || *d > '9' || n > UINT64_MAX / 10 - 1)
						goto bad;
					n = n * 10 + (uint64_t)(*d - '0');
				}
				if (q->has_length && n != q->content_length)
					goto bad;
				q->has_length = 1;
				q->content_length = n;
			}
			break;
		case 17:
			if (strncasecmp(line, "Transfer-Encoding", 17) == 0) {
				if (strcasecmp(v, "chunked") == 0)
					c->chunked = 1;
				else if (strcasecmp(v, "identity") != 0)
					te_other = 1;
			}
			break;
		default:
			break;
		}
	}
	if (te_other) {
		reply_error(c, 501, "Not Implemented", "not_implemented",
		            "only the chunked transfer coding is supported");
		return -1;
	}
	if (c->chunked) {
		/* Both framings: chunked wins, and the connection is not reused
		 * (RFC 9112 6.3: a sign of request smuggling). */
		if (q->has_length)
			c->keep_alive = 0;
		q->has_length = 0;
		q->content_length = 0;
	}
	c->body_cap = 0;
	if (c->chunked || (q->has_length && q->content_length > 0)) {
		size_t cap = c->l->cfg.body_cap(q->method, q->target, c->l->cfg.arg);

		c->body_cap = cap ? cap : c->l->cfg.body_default;
	}
	if (q->has_length && q->content_length > c->body_cap) {
		q->too_big = 1;
		c->keep_alive = 0;
	}
	c->phase = CH_SIZE;
	c->body_left = c->chunked ? 0 : q->content_length;
	if (c->expect && !q->too_big && (c->chunked || c->body_left > 0) && !c->http10) {
		static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";

		if (write(c->fd, cont, sizeof(cont) - 1) < 0 && errno != EAGAIN)
			log_debug("100 Continue: %s", strerror(errno));
	}
	c->state = ST_BODY;
	return 1;
bad:
	reply_error(c, 400, "Bad Request", "bad_request", "the HTTP request is malformed");
	return -1;
}

/* The body too big: hand the request over unread and close after. */
static int
body_too_big(struct h1_conn *c)
{
	c->req.too_big = 1;
	c->keep_alive = 0;
	c->in_off = c->in_len;
	return 1;
}

/*
 * Move body bytes from the input buffer.  Returns 1 when the body is
 * complete (or found too big), 0 when more is needed, -1 after an error
 * answer.
 */
static int
take_body(struct h1_conn *c)
{
	if (c->req.too_big)
		return 1;
	if (!c->chunked) {
		size_t avail = c->in_len - c->in_off;
		size_t n = avail < c->body_left ? avail : (size_t)c->body_left;

		if (n > 0 && evbuffer_add(c->body, c->in + c->in_off, n) != 0) {
			reply_error(c, 500, "Internal Server Error", "internal", "out of memory");
			return -1;
		}
		c->in_off += n;
		c->body_left -= n;
		if (c->in_off == c->in_len)
			c->in_off = c->in_len = 0;
		return c->body_left == 0;
	}
	for (;;) {
		char *p = c->in + c->in_off, *nl;
		size_t avail = c->in_len - c->in_off;

		switch (c->phase) {
		case CH_SIZE:
		case CH_TRAILER:
			nl = memchr(p, '\n', avail);
			if (!nl) {
				if (avail > H1_CHUNK_LINE_MAX)
					goto bad;
				if (c->in_off > 0) {
					memmove(c->in, p, avail);
					c->in_off = 0;
					c->in_len = avail;
				}
				return 0;
			}
			c->in_off += (size_t)(nl + 1 - p);
			if (c->phase == CH_TRAILER) {
				if (nl == p || (nl == p + 1 && p[0] == '\r')) {
					if (c->in_off == c->in_len)
						c->in_off = c->in_len = 0;
					return 1;
				}
				break;
			} else {
				uint64_t n = 0;
				int digits = 0;

				for (; p < nl; p++, digits++) {
					int d = (*p >= '0' && *p <= '9')   ? *p - '0'
					        : (*p >= 'a' && *p <= 'f') ? *p - 'a' + 10
					        : (*p >= 'A' && *p <= 'F') ? *p - 'A' + 10
					                                   : -1;

					if (d < 0)
						break;
					if (n > (UINT64_MAX >> 4))
						goto bad;
					n = n * 16 + (uint64_t)d;
				}
				if (digits == 0 || (p < nl && *p != ';' && *p != '\r' && *p != ' '))
					goto bad;
				if (n == 0) {
					c->phase = CH_TRAILER;
					break;
				}
				if (n > c->body_cap ||
				    evbuffer_get_length(c->body) + n > c->body_cap)
					return body_too_big(c);
				c->body_left = n;
				c->phase = CH_DATA;
			}
			break;
		case CH_DATA: {
			size_t n = avail < c->body_left ? avail : (size_t)c->body_left;

			if (n == 0) {
				c->in_off = c->in_len = 0;
				return 0;
			}
			if (evbuffer_add(c->body, p, n) != 0) {
				reply_error(c, 500, "Internal Server Error", "internal",
				            "out of memory");
				return -1;
			}
			c->in_off += n;
			c->body_left -= n;
			if (c->body_left == 0)
				c->phase = CH_DATA_END;
			break;
		}
		case CH_DATA_END:
			if (avail == 0) {
				c->in_off = c->in_len = 0;
				return 0;
			}
			if (p[0] == '\n') {
				c->in_off += 1;
			} else if (p[0] == '\r') {
				if (avail < 2)
					return 0;
				if (p[1] != '\n')
					goto bad;
				c->in_off += 2;
			} else {
				goto bad;
			}
			c->phase = CH_SIZE;
			break;
		}
	}
bad:
	reply_error(c, 400, "Bad Request", "bad_request", "the chunked body is malformed");
	return -1;
}

/*
 * The body is not all in the buffer: copy the header block aside, since
 * reading more reuses the buffer, and point the request at the copy.
 * Returns 0 or -1 after an error answer.
 */
static int
keep_head(struct h1_conn *c)
{
	struct h1_request *q = &c->req;
	const char **fields[] = {&q->target, &q->content_type, &q->authorization};

	if (!c->head_copy && !(c->head_copy = malloc(SEAL_HTTP_HEADERS_MAX))) {
		reply_error(c, 500, "Internal Server Error", "internal", "out of memory");
		return -1;
	}
	memcpy(c->head_copy, c->head_at, c->head_len);
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (*fields[i])
			*fields[i] = c->head_copy + (*fields[i] - c->head_at);
	c->head_at = c->head_copy;
	return 0;
}

/* Parse and dispatch what the input buffer holds, request by request. */
static void
process(struct h1_conn *c)
{
	c->nest++;
	while (!c->dead && (c->state == ST_HEAD || c->state == ST_BODY)) {
		if (c->state == ST_HEAD) {
			if (parse_head(c) <= 0)
				break;
			if (!c->req.too_big &&
			    (c->chunked || c->body_left > c->in_len - c->in_off) &&
			    keep_head(c) < 0)
				break;
		}
		if (c->state == ST_BODY) {
			if (take_body(c) <= 0)
				break;
			c->state = ST_BUSY;
			c->l->cfg.on_request(&c->req, c->l->cfg.arg);
		}
	}
	if (!c->dead && c->state == ST_HEAD && c->in_off == c->in_len)
		c->in_off = c->in_len = 0;
	c->nest--;
	if (c->dead && c->nest == 0)
		conn_free(c);
}

static void
on_read(evutil_socket_t fd, short what, void *arg)
{
	struct h1_conn *c = arg;
	ssize_t n;

	(void)what;
	if (c->state == ST_LINGER) {
		char junk[16384];

		while ((n = read(fd, junk, sizeof(junk))) > 0)
			c->last = loop_now(c->l);
		if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
			conn_close(c);
		return;
	}
	if (c->state == ST_BUSY || c->state == ST_CLOSING) {
		/* Wait: the answer re-arms reading (or closes). */
		set_reading(c, 0);
		return;
	}
	if (!c->reading)
		set_reading(c, 1);
	if (c->in_len == H1_IN_CAP && c->in_off > 0) {
		memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
		c->in_len -= c->in_off;
		c->in_off = 0;
	}
	if (c->in_len < H1_IN_CAP) {
		n = read(fd, c->in + c->in_len, H1_IN_CAP - c->in_len);
		if (n == 0) {
			conn_close(c);
			return;
		}
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
				conn_close(c);
				return;
			}
		} else {
			c->in_len += (size_t)n;
			c->last = loop_now(c->l);
		}
	}
	process(c);
}

/* ---- answers -------------------------------------------------------- */

static char *
put(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

static char *
put_uint(char *p, uint64_t v)
{
	char t[24];
	size_t n = 0;

	do {
		t[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = t[--n];
	return p;
}

static void
refresh_date(struct h1_listener *l)
{
	time_t now = loop_now(l);
	struct tm tm;

	if (now == l->date_sec && l->date_len)
		return;
	l->date_sec = now;
	gmtime_r(&now, &tm);
	l->date_len =
	    strftime(l->date, sizeof(l->date), "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
}

void
h1_reply(struct h1_request *req, int status, const char *reason, const char *hdrs, size_t hlen,
         struct evbuffer *body, int close_after)
{
	struct h1_conn *c = req->conn;
	struct h1_listener *l = c->l;
	char buf[H1_DIRECT_MAX], *p = buf;
	size_t blen = body ? evbuffer_get_length(body) : 0, rlen = strlen(reason), total;
	int keep = c->keep_alive && !close_after && !l->draining && !req->too_big;

	if (hlen > H1_HDRS_MAX)
		hlen = 0; /* cannot happen with the daemon's headers; never overflow */
	refresh_date(l);
	p = put(p, "HTTP/1.1 ", 9);
	p = put_uint(p, (uint64_t)(status % 1000));
	*p++ = ' ';
	p = put(p, reason, rlen < 64 ? rlen : 64);
	p = put(p, "\r\n", 2);
	p = put(p, l->date, l->date_len);
	p = put(p, "Content-Length: ", 16);
	p = put_uint(p, blen);
	p = put(p, "\r\n", 2);
	p = put(p, hdrs, hlen);
	if (!keep)
		p = put(p, "Connection: close\r\n", 19);
	else if (c->http10)
		p = put(p, "Connection: keep-alive\r\n", 24);
	p = put(p, "\r\n", 2);
	if (req->head && body) {
		evbuffer_drain(body, blen);
		blen = 0;
	}
	evbuffer_drain(c->body, evbuffer_get_length(c->body));
	c->state = keep ? ST_HEAD : ST_CLOSING;
	c->owed = 1;
	total = (size_t)(p - buf) + blen;
	if (c->dead) {
		if (body)
			evbuffer_drain(body, blen);
	} else if (!c->writing && evbuffer_get_length(c->out) == 0 && total <= sizeof(buf)) {
		ssize_t n;

		if (blen)
			evbuffer_remove(body, p, blen);
		n = write(c->fd, buf, total);
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			conn_close(c);
			return;
		}
		if (n < 0)
			n = 0;
		if ((size_t)n < total)
			evbuffer_add(c->out, buf + n, total - (size_t)n);
		if (flush_out(c) < 0)
			return;
	} else {
		evbuffer_add(c->out, buf, (size_t)(p - buf));
		if (blen)
			evbuffer_add_buffer(c->out, body);
		if (flush_out(c) < 0)
			return;
	}
	if (c->dead || c->nest > 0)
		return;
	/* Answered from another thread's job: resume reading and serve any
	 * pipelined request already buffered. */
	if (c->state == ST_HEAD) {
		set_reading(c, 1);
		if (c->in_off < c->in_len)
			event_active(c->rev, EV_READ, 0);
	}
}

/* ---- listener ------------------------------------------------------- */

int
h1_listener_new(struct event_base *base, evutil_socket_t fd, const struct h1_config *cfg,
                struct h1_listener **out)
{
	struct h1_listener *l = calloc(1, sizeof(*l));
	struct timeval tick = {1, 0};

	*out = NULL;
	if (!l)
		return SEAL_ENOMEM;
	l->base = base;
	l->fd = fd;
	l->cfg = *cfg;
	l->lev = event_new(base, fd, EV_READ | EV_PERSIST, on_accept, l);
	l->sweep = event_new(base, -1, EV_PERSIST, on_sweep, l);
	if (!l->lev || !l->sweep || event_add(l->lev, NULL) != 0 ||
	    event_add(l->sweep, &tick) != 0) {
		l->fd = -1; /* the caller still owns it on failure */
		h1_listener_free(l);
		return SEAL_ENOMEM;
	}
	*out = l;
	return 0;
}

void
h1_listener_drain(struct h1_listener *l)
{
	struct h1_conn *c, *next;

	if (l->draining)
		return;
	l->draining = 1;
	if (l->lev)
		event_del(l->lev);
	if (l->fd >= 0) {
		close(l->fd);
		l->fd = -1;
	}
	for (c = l->conns; c; c = next) {
		next = c->next;
		if (c->state == ST_HEAD && c->in_off == c->in_len && !c->writing &&
		    evbuffer_get_length(c->out) == 0)
			conn_free(c);
	}
}

void
h1_listener_free(struct h1_listener *l)
{
	if (!l)
		return;
	while (l->conns)
		conn_free(l->conns);
	if (l->lev)
		event_free(l->lev);
	if (l->sweep)
		event_free(l->sweep);
	if (l->fd >= 0)
		close(l->fd);
	free(l);
}
