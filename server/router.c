/*
 * router.c - the route table and a segment-by-segment matcher.
 *
 * Matching walks the table in order comparing '/'-separated segments;
 * allocation-free.  For a path that some rows match with another method,
 * their methods are gathered into the Allow set.
 */
#include "server/router.h"

#include <string.h>
#include <strings.h>

#include "common/errors.h"
#include "common/limits.h"
#include "server/routes.h"

#define M_GET (ROUTER_M_GET | ROUTER_M_HEAD)

#define KB *1024

static const struct route routes[] = {
    /* Public API. */
    {"/v1/seals/{code}", M_GET, ACCESS_PUBLIC, 0, 0, route_lookup},
    {"/v1/verify/qr", ROUTER_M_POST, ACCESS_PUBLIC, 1, SEAL_HTTP_BODY_MAX, route_verify_qr},
    {"/v1/qr/check", M_GET, ACCESS_PUBLIC, 0, 0, route_qr_check},
    {"/v1/verify/impression", ROUTER_M_POST, ACCESS_PUBLIC, 1, SEAL_HTTP_BODY_MAX,
     route_verify_impression},
    {"/v1/keys", M_GET, ACCESS_PUBLIC, 0, 0, route_keys},
    {"/healthz", M_GET, ACCESS_OPEN, 0, 0, route_healthz},
    {"/metrics", M_GET, ACCESS_OPEN, 0, 0, route_metrics},
    /* Engraver. */
    {"/v1/seals", ROUTER_M_POST, ACCESS_REGISTER, 1, SEAL_IMPRESSION_MAX_BYTES * 4 + 64 KB,
     route_register},
    {"/v1/seals/{code}/qr.png", M_GET, ACCESS_ENGRAVER, 1, 0, route_qr_png},
    {"/v1/engraver/seals", M_GET, ACCESS_ENGRAVER, 0, 0, route_engraver_list},
    /* Police. */
    {"/v1/archive", M_GET, ACCESS_POLICE, 1, 0, route_archive_search},
    {"/v1/archive/search/impression", ROUTER_M_POST, ACCESS_POLICE, 1, SEAL_HTTP_BODY_MAX,
     route_archive_search_impression},
    {"/v1/archive/{code}", M_GET, ACCESS_POLICE, 1, 0, route_archive_get},
    {"/v1/archive/{code}/impression.png", M_GET, ACCESS_POLICE, 1, 0, route_archive_impression},
    {"/v1/archive/{code}/verifications", M_GET, ACCESS_POLICE, 1, 0, route_archive_verifications},
    {"/v1/archive/{code}/status", ROUTER_M_POST, ACCESS_POLICE, 1, 16 KB, route_archive_status},
    /* Pages. */
    {"/", M_GET, ACCESS_OPEN, 0, 0, route_page},
    {"/engraver", M_GET, ACCESS_OPEN, 0, 0, route_page},
    {"/police", M_GET, ACCESS_OPEN, 0, 0, route_page},
    {"/q/{qr}", M_GET, ACCESS_OPEN, 0, 0, route_page},
    {"/static/{path*}", M_GET, ACCESS_OPEN, 0, 0, route_static},
};

size_t
router_count(void)
{
	return sizeof(routes) / sizeof(routes[0]);
}

const struct route *
router_at(size_t i)
{
	return i < router_count() ? &routes[i] : NULL;
}

/* Does path match pattern?  1 yes (param filled), 0 no, SEAL_ETOOBIG. */
static int
match_one(const char *pattern, const char *path, char *param, size_t cap)
{
	const char *p = pattern, *s = path;

	param[0] = '\0';
	while (*p && *s) {
		if (*p == '{') {
			const char *close = strchr(p, '}');
			int rest = close && close > p && close[-1] == '*';
			const char *end = rest ? s + strlen(s) : strchrnul(s, '/');
			size_t n = (size_t)(end - s);

			if (!close || n == 0)
				return 0;
			if (n >= cap)
				return SEAL_ETOOBIG;
			memcpy(param, s, n);
			param[n] = '\0';
			p = close + 1;
			s = end;
			continue;
		}
		if (*p != *s)
			return 0;
		p++;
		s++;
	}
	return *p == '\0' && *s == '\0';
}

int
router_match(const char *path, unsigned method, struct route_match *out)
{
	unsigned allow = 0;
	char param[ROUTER_PARAM_MAX];
	int too_big = 0;

	out->route = NULL;
	out->index = 0;
	out->allow = 0;
	out->param[0] = '\0';
	for (size_t i = 0; i < router_count(); i++) {
		int m = match_one(routes[i].pattern, path, param, sizeof(param));

		if (m == SEAL_ETOOBIG) {
			too_big = 1;
			continue;
		}
		if (m != 1)
			continue;
		if (routes[i].methods & method) {
			out->route = &routes[i];
			out->index = i;
			memcpy(out->param, param, strlen(param) + 1);
			return 0;
		}
		allow |= routes[i].methods;
	}
	if (allow) {
		out->allow = allow;
		return SEAL_EINVAL;
	}
	return too_big ? SEAL_ETOOBIG : SEAL_ENOTFOUND;
}

void
router_allow_string(unsigned methods, char *buf, size_t cap)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {{ROUTER_M_GET, "GET"},       {ROUTER_M_HEAD, "HEAD"},
	             {ROUTER_M_POST, "POST"},     {ROUTER_M_PUT, "PUT"},
	             {ROUTER_M_DELETE, "DELETE"}, {ROUTER_M_OPTIONS, "OPTIONS"},
	             {ROUTER_M_PATCH, "PATCH"}};
	size_t len = 0;

	if (cap == 0)
		return;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t n;

		if (!(methods & names[i].bit))
			continue;
		n = strlen(names[i].name);
		if (len + n + 3 > cap)
			break;
		if (len) {
			memcpy(buf + len, ", ", 2);
			len += 2;
		}
		memcpy(buf + len, names[i].name, n);
		len += n;
		buf[len] = '\0';
	}
}

unsigned
router_method_bit(const char *name)
{
	static const struct {
		const char *name;
		unsigned bit;
	} names[] = {{"GET", ROUTER_M_GET},       {"HEAD", ROUTER_M_HEAD},
	             {"POST", ROUTER_M_POST},     {"PUT", ROUTER_M_PUT},
	             {"DELETE", ROUTER_M_DELETE}, {"OPTIONS", ROUTER_M_OPTIONS},
	             {"PATCH", ROUTER_M_PATCH}};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i].name) == 0)
			return names[i].bit;
	return ROUTER_M_OTHER;
}
