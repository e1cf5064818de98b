/*
 * router.h - the table of every route the daemon serves, and path matching.
 *
 * One row per route: the path pattern (also its name in logs and metrics),
 * the methods, who may call it, whether it runs on the worker pool, the
 * largest body it accepts and its handler.  Patterns are literal segments
 * and placeholders: "{name}" matches one non-empty segment, "{name*}" the
 * rest of the path (one or more segments).  Literal rows come before
 * placeholder rows that could match the same path.  HEAD is accepted
 * wherever GET is.  The table is static and read-only: thread-safe.
 */
#ifndef SEAL_SERVER_ROUTER_H
#define SEAL_SERVER_ROUTER_H

#include <stddef.h>

#define ROUTER_M_GET 0x01u
#define ROUTER_M_HEAD 0x02u
#define ROUTER_M_POST 0x04u
#define ROUTER_M_PUT 0x08u
#define ROUTER_M_DELETE 0x10u
#define ROUTER_M_OPTIONS 0x20u
#define ROUTER_M_PATCH 0x40u
#define ROUTER_M_OTHER 0x80u

#define ROUTER_PARAM_MAX 512 /* bytes of a captured placeholder (raw, undecoded) */

/* Who may call a route; auth.c decides what each level means. */
enum route_access {
	ACCESS_OPEN,     /* anyone, not rate-limited (pages, health, metrics) */
	ACCESS_PUBLIC,   /* anyone, per-client rate limit */
	ACCESS_REGISTER, /* engraver (own prefix) or admin */
	ACCESS_ENGRAVER, /* engraver (own prefix), police or admin */
	ACCESS_POLICE,   /* police or admin */
};

struct request;

struct route {
	const char *pattern;
	unsigned methods;
	enum route_access access;
	int pooled;      /* run on the worker pool (CPU work or writes) */
	size_t max_body; /* bytes; 0 = no body expected (anything sent is ignored) */
	void (*handler)(struct request *r);
};

struct route_match {
	const struct route *route;
	size_t index;                 /* into the table: metrics label */
	char param[ROUTER_PARAM_MAX]; /* the placeholder's text, raw */
	unsigned allow;               /* methods the path accepts (on SEAL_EINVAL) */
};

/*
 * Match path (no query string) and method.  Returns 0 with out->route,
 * SEAL_ENOTFOUND when no pattern matches the path, SEAL_EINVAL when a
 * pattern matches the path but not the method (out->allow lists the methods
 * that would do: answer 405 with an Allow header), SEAL_ETOOBIG when the
 * placeholder's text exceeds ROUTER_PARAM_MAX.
 */
int router_match(const char *path, unsigned method, struct route_match *out);

/* The table: router_count() rows, router_at(i) each. */
size_t router_count(void);
const struct route *router_at(size_t i);

/* "GET, HEAD, POST" for a method set, into buf. */
void router_allow_string(unsigned methods, char *buf, size_t cap);

/* The bit for a method name ("GET" -> ROUTER_M_GET); ROUTER_M_OTHER if unknown. */
unsigned router_method_bit(const char *name);

#endif
