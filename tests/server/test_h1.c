/*
 * test_h1.c - the lean HTTP/1.1 layer (server/h1.h) over a real loopback
 * socket, the event loop pumped by the test.
 *
 * Keep-alive requests on one connection, pipelined requests answered in
 * order, a body arriving in pieces, a chunked body, a declared body over
 * the cap (handed over unread, answer closes), a chunked body over the cap,
 * HEAD, HTTP/1.0, a malformed request line (JSON 400, closed), oversized
 * headers (431), an answer given later (as from a worker) with a pipelined
 * request waiting behind it, and the written callback once per answer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/buffer.h>
#include <event2/event.h>

#include "common/errors.h"
#include "server/h1.h"
#include "server/router.h"

#define CAP 1000 /* body cap for /small */

struct fx {
	struct event_base *base;
	struct h1_listener *l;
	int port;
	int defer; /* keep the request instead of answering */
	struct h1_request *pending;
	int calls, written, too_big;
	unsigned method;
	char target[256];
	char body[4096];
	size_t body_len;
	char ctype[64];
};

static void
answer(struct fx *fx, struct h1_request *q)
{
	struct evbuffer *b = evbuffer_new();
	static const char hdrs[] = "Content-Type: text/plain\r\n";

	evbuffer_add_printf(b, "got %s %zu", q->target, evbuffer_get_length(q->body));
	(void)fx;
	h1_reply(q, q->too_big ? 413 : 200, q->too_big ? "Payload Too Large" : "OK", hdrs,
	         sizeof(hdrs) - 1, b, q->too_big);
	evbuffer_free(b);
}

static void
on_req(struct h1_request *q, void *arg)
{
	struct fx *fx = arg;

	fx->calls++;
	fx->method = q->method;
	fx->too_big = q->too_big;
	snprintf(fx->target, sizeof(fx->target), "%s", q->target);
	snprintf(fx->ctype, sizeof(fx->ctype), "%s", q->content_type ? q->content_type : "");
	fx->body_len = evbuffer_get_length(q->body);
	evbuffer_copyout(q->body, fx->body, sizeof(fx->body) - 1);
	fx->body[fx->body_len < sizeof(fx->body) ? fx->body_len : sizeof(fx->body) - 1] = '\0';
	if (fx->defer) {
		fx->pending = q;
		return;
	}
	answer(fx, q);
}

static size_t
body_cap(unsigned method, const char *target, void *arg)
{
	(void)method;
	(void)arg;
	return strncmp(target, "/small", 6) == 0 ? CAP : 0;
}

static void
on_written(void *arg)
{
	((struct fx *)arg)->written++;
}

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	struct sockaddr_in sa = {0};
	socklen_t sl = sizeof(sa);
	struct h1_config cfg = {0};
	int fd;

	fx->base = event_base_new();
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 16) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) != 0)
		fail_msg("loopback listener: %s", strerror(errno));
	fx->port = ntohs(sa.sin_port);
	cfg.timeout_s = 5;
	cfg.body_default = 1 << 20;
	cfg.on_request = on_req;
	cfg.body_cap = body_cap;
	cfg.on_written = on_written;
	cfg.arg = fx;
	assert_int_equal(h1_listener_new(fx->base, fd, &cfg, &fx->l), 0);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	h1_listener_free(fx->l);
	event_base_free(fx->base);
	free(fx);
	return 0;
}

static int
client(struct fx *fx)
{
	struct sockaddr_in sa = {0};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)fx->port);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		fail_msg("connect: %s", strerror(errno));
	return fd;
}

static void
send_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);

		if (w <= 0)
			fail_msg("send: %s", strerror(errno));
		s += w;
		n -= (size_t)w;
	}
}

static void
send_str(int fd, const char *s)
{
	send_all(fd, s, strlen(s));
}

/* Answers complete in buf (HEAD answers carry no body when head_only). */
static int
complete_answers(const char *buf, size_t len, int head_only)
{
	int n = 0;
	size_t off = 0;

	for (;;) {
		const char *h = buf + off, *end = memmem(h, len - off, "\r\n\r\n", 4), *cl;
		size_t hl, bl = 0;

		if (!end)
			return n;
		hl = (size_t)(end + 4 - h);
		cl = memmem(h, hl, "Content-Length: ", 16);
		if (cl && !head_only)
			bl = strtoul(cl + 16, NULL, 10);
		if (off + hl + bl > len)
			return n;
		off += hl + bl;
		n++;
	}
}

/* Pump the loop and read until want answers arrived or the server closed
 * (2 s at most).  Returns bytes read into out (NUL-terminated); *closed. */
static size_t
pump(struct fx *fx, int fd, int want, int head_only, char *out, size_t cap, int *closed)
{
	size_t len = 0;
	struct timespec t0, t;

	*closed = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		ssize_t n;

		event_base_loop(fx->base, EVLOOP_NONBLOCK);
		n = recv(fd, out + len, cap - 1 - len, MSG_DONTWAIT);
		if (n > 0)
			len += (size_t)n;
		else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
			*closed = 1;
		out[len] = '\0';
		if (*closed || (want > 0 && complete_answers(out, len, head_only) >= want))
			break;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec >= 2)
			break;
		usleep(1000);
	}
	return len;
}

static void
expect_in(const char *buf, const char *what, const char *context)
{
	if (!strstr(buf, what))
		fail_msg("%s: expected \"%s\" in the answer, got:\n%s", context, what, buf);
}

static void
test_keepalive_two_requests(void **state)
{
	struct fx *fx = *state;
	char buf[8192];
	int fd = client(fx), closed;

	send_str(fd, "GET /a?x=1 HTTP/1.1\r\nHost: h\r\n\r\n");
	pump(fx, fd, 1, 0, buf, sizeof(buf), &closed);
	expect_in(buf, "HTTP/1.1 200 OK\r\n", "first GET");
	expect_in(buf, "Content-Length: 12\r\n", "first GET");
	expect_in(buf, "got /a?x=1 0", "first GET");
	if (strstr(buf, "Connection: close") || closed)
		fail_msg("HTTP/1.1 GET: expected keep-alive, got a close:\n%s", buf);
	assert_int_equal(fx->method, ROUTER_M_GET);
	send_str(fd, "GET /b HTTP/1.1\r\n\r\n");
	pump(fx, fd, 1, 0, buf, sizeof(buf), &closed);
	expect_in(buf, "got /b 0", "second GET on the same connection");
	if (fx->calls != 2 || fx->written != 2)
		fail_msg("two requests: expected 2 calls and 2 written, got %d and %d", fx->calls,
		         fx->written);
	close(fd);
}

static void
test_pipelined_in_order(void **state)
{
	struct fx *fx = *state;
	char buf[8192];
	int fd = client(fx), closed;
	const char *req =
	    "GET /one HTTP/1.1\r\n\r\nGET /two HTTP/1.1\r\n\r\nGET /three HTTP/1.1\r\n\r\n";
	char *a, *b, *c;

	send_all(fd, req, strlen(req));
	pump(fx, fd, 3, 0, buf, sizeof(buf), &closed);
	a = strstr(buf, "got /one");
	b = strstr(buf, "got /two");
	c = strstr(buf, "got /three");
	if (!a || !b || !c || !(a < b && b < c))
		fail_msg("three pipelined requests: expected three answers in order, got:\n%s",
		         buf);
	close(fd);
}

static void
test_body_in_pieces_and_chunked(void **state)
{
	struct fx *fx = *state;
	char buf[8192];
	int fd = client(fx), closed;

	send_str(fd,
	         "POST /up HTTP/1.1\r\nContent-Type: image/png\r\nContent-Length: 10\r\n\r\nhel");
	pump(fx, fd, 0, 0, buf, sizeof(buf), &closed);
	if (fx->calls != 0)
		fail_msg("3 of 10 body bytes: expected no request yet, got %d", fx->calls);
	send_str(fd, "lo worl");
	pump(fx, fd, 1, 0, buf, sizeof(buf), &closed);
	if (strcmp(fx->body, "hello worl") != 0 || strcmp(fx->ctype, "image/png") != 0)
		fail_msg("body in two pieces: expected \"hello worl\" (image/png), got \"%s\" (%s)",
		         fx->body, fx->ctype);
	expect_in(buf, "got /up 10", "POST in pieces");
	send_str(fd, "POST /ch HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
	             "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n");
	pump(fx, fd, 1, 0, buf, sizeof(buf), &closed);
	if (strcmp(fx->body, "hello world") != 0)
		fail_msg("chunked body: expected \"hello world\", got \"%s\"", fx->body);
	expect_in(buf, "got /ch 11", "chunked POST");
	close(fd);
}

static void
test_too_big(void **state)
{
	struct fx *fx = *state;
	char buf[8192], big[3000];
	int fd = client(fx), closed;

	send_str(fd, "POST /small HTTP/1.1\r\nContent-Length: 5000\r\n\r\nabc");
	pump(fx, fd, 1, 0, buf, sizeof(buf), &closed);
	if (!fx->too_big || fx->body_len != 0)
		fail_msg("Content-Length 5000 over a cap of %d: expected too_big and no body read, "
		         "got too_big %d, %zu bytes",
		         CAP, fx->too_big, fx->body_len);
	expect_in(buf, "HTTP/1.1 413", "declared body over the cap");
	expect_in(buf, "Connection: close", "declared body over the cap");
	/* The rest of the body is read and dropped until the client closes. */
	send_str(fd, "more body");
	shutdown(fd, SHUT_WR);
	pump(fx, fd, 0, 0, buf, sizeof(buf), &closed);
	if (!closed)
		fail_msg("after a 413 and the client's FIN: expected the server to close");
	close(fd);

	fd = client(fx);
	memset(big, 'x', sizeof(big));
	send_str(fd, "POST /small HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nbb8\r\n");
	send_all(fd, big, sizeof(big));
	pump(fx, fd, 1, 0, buf, sizeof(buf), &closed);
	if (!fx->too_big)
		fail_msg("chunked body of 3000 over a cap of %d: expected too_big", CAP);
	expect_in(buf, "HTTP/1.1 413", "chunked body over the cap");
	close(fd);
}

static void
test_head_and_http10(void **state)
{
	struct fx *fx = *state;
	char buf[8192];
	int fd = client(fx), closed;

	send_str(fd, "HEAD /h HTTP/1.1\r\n\r\nGET /g HTTP/1.1\r\n\r\n");
	pump(fx, fd, 2, 1, buf, sizeof(buf), &closed);
	expect_in(buf, "Content-Length: 8\r\n", "HEAD (the length of \"got /h 0\")");
	if (strstr(buf, "got /h"))
		fail_msg("HEAD: expected no body, got:\n%s", buf);
	expect_in(buf, "got /g", "GET after HEAD");
	close(fd);

	fd = client(fx);
	send_str(fd, "GET /old HTTP/1.0\r\n\r\n");
	pump(fx, fd, 1, 0, buf, sizeof(buf), &closed);
	expect_in(buf, "Connection: close", "HTTP/1.0 without keep-alive");
	pump(fx, fd, 0, 0, buf, sizeof(buf), &closed);
	if (!closed)
		fail_msg("HTTP/1.0 without keep-alive: expected the connection closed");
	close(fd);

	fd = client(fx);
	send_str(fd, "GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
	pump(fx, fd, 1, 0, buf, sizeof(buf), &closed);
	expect_in(buf, "Connection: keep-alive", "HTTP/1.0 with keep-alive");
	close(fd);
}

static void
test_malformed_and_oversized(void **state)
{
	struct fx *fx = *state;
	char buf[8192], *head;
	size_t n = 20000;
	int fd = client(fx), closed;

	send_str(fd, "GARBAGE\r\n\r\n");
	pump(fx, fd, 1, 0, buf, sizeof(buf), &closed);
	expect_in(buf, "HTTP/1.1 400", "malformed request line");
	expect_in(buf, "\"code\":\"bad_request\"", "malformed request line");
	if (fx->calls != 0)
		fail_msg("malformed request: expected no callback, got %d", fx->calls);
	close(fd);

	fd = client(fx);
	head = malloc(n);
	memcpy(head, "GET / HTTP/1.1\r\nX-Filler: ", 26);
	memset(head + 26, 'a', n - 26);
	send_all(fd, head, n);
	pump(fx, fd, 1, 0, buf, sizeof(buf), &closed);
	expect_in(buf, "HTTP/1.1 431", "20 KB of headers");
	free(head);
	close(fd);
}

static void
test_deferred_answer_then_pipelined(void **state)
{
	struct fx *fx = *state;
	char buf[8192];
	int fd = client(fx), closed;

	fx->defer = 1;
	send_str(fd, "GET /slow HTTP/1.1\r\n\r\nGET /next HTTP/1.1\r\n\r\n");
	pump(fx, fd, 0, 0, buf, sizeof(buf), &closed);
	if (fx->calls != 1 || !fx->pending)
		fail_msg("while the first answer is pending: expected 1 call, got %d", fx->calls);
	fx->defer = 0;
	answer(fx, fx->pending);
	fx->pending = NULL;
	pump(fx, fd, 2, 0, buf, sizeof(buf), &closed);
	if (!strstr(buf, "got /slow") || !strstr(buf, "got /next") ||
	    strstr(buf, "got /slow") > strstr(buf, "got /next"))
		fail_msg(
		    "a later answer then the pipelined request: expected both in order, got:\n%s",
		    buf);
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_keepalive_two_requests, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pipelined_in_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_body_in_pieces_and_chunked, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_too_big, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_head_and_http10, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_malformed_and_oversized, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_deferred_answer_then_pipelined, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
