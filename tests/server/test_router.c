/*
 * test_router.c - the route table (server/router.h) and its agreement with
 * docs/openapi.yaml.
 *
 * Matching: literals before placeholders, 404 vs 405 with the Allow set,
 * HEAD wherever GET.  Agreement: every row of the table is a path of the
 * document with the same methods, and every path of the document is served
 * (read from the repository root, where the test suite runs).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/errors.h"
#include "server/router.h"

static void
expect_route(const char *path, unsigned method, const char *pattern, const char *param)
{
	struct route_match m;
	int rc = router_match(path, method, &m);

	if (rc != 0)
		fail_msg("%s: expected route %s, got %s", path, pattern, seal_errname(rc));
	if (strcmp(m.route->pattern, pattern) != 0)
		fail_msg("%s: expected route %s, got %s", path, pattern, m.route->pattern);
	if (strcmp(m.param, param) != 0)
		fail_msg("%s: expected parameter '%s', got '%s'", path, param, m.param);
}

static void
test_match(void **state)
{
	struct route_match m;
	char allow[64];

	(void)state;
	expect_route("/v1/seals/6101001000123", ROUTER_M_GET, "/v1/seals/{code}", "6101001000123");
	expect_route("/v1/seals/6101001000123", ROUTER_M_HEAD, "/v1/seals/{code}", "6101001000123");
	expect_route("/v1/seals", ROUTER_M_POST, "/v1/seals", "");
	expect_route("/v1/seals/x/qr.png", ROUTER_M_GET, "/v1/seals/{code}/qr.png", "x");
	expect_route("/v1/archive/search/impression", ROUTER_M_POST,
	             "/v1/archive/search/impression", "");
	expect_route("/v1/archive/6101001000123/status", ROUTER_M_POST, "/v1/archive/{code}/status",
	             "6101001000123");
	expect_route("/static/css/site.css", ROUTER_M_GET, "/static/{path*}", "css/site.css");
	expect_route("/q/6101001000123.abc", ROUTER_M_GET, "/q/{qr}", "6101001000123.abc");
	expect_route("/", ROUTER_M_GET, "/", "");

	assert_int_equal(router_match("/v1/seals/123", ROUTER_M_DELETE, &m), SEAL_EINVAL);
	router_allow_string(m.allow, allow, sizeof(allow));
	assert_string_equal(allow, "GET, HEAD");
	assert_int_equal(router_match("/v1/seals", ROUTER_M_GET, &m), SEAL_EINVAL);
	router_allow_string(m.allow, allow, sizeof(allow));
	assert_string_equal(allow, "POST");
	assert_int_equal(router_match("/v1/nope", ROUTER_M_GET, &m), SEAL_ENOTFOUND);
	assert_int_equal(router_match("/v1/seals/", ROUTER_M_GET, &m), SEAL_ENOTFOUND);
	assert_int_equal(router_match("/v1/seals/a/b", ROUTER_M_GET, &m), SEAL_ENOTFOUND);
	assert_int_equal(router_match("/static/", ROUTER_M_GET, &m), SEAL_ENOTFOUND);
	assert_int_equal(router_method_bit("PATCH"), ROUTER_M_PATCH);
	assert_int_equal(router_method_bit("BREW"), ROUTER_M_OTHER);
}

static void
test_long_param(void **state)
{
	char path[ROUTER_PARAM_MAX + 32];
	struct route_match m;

	(void)state;
	memcpy(path, "/v1/seals/", 10);
	memset(path + 10, '1', ROUTER_PARAM_MAX + 5);
	path[10 + ROUTER_PARAM_MAX + 5] = '\0';
	assert_int_equal(router_match(path, ROUTER_M_GET, &m), SEAL_ETOOBIG);
}

/* The document's paths and methods, read line by line. */
struct doc_path {
	char path[128];
	unsigned methods;
	int seen;
};

static size_t
read_doc(struct doc_path *out, size_t max)
{
	FILE *f = fopen("docs/openapi.yaml", "r");
	char line[512];
	size_t n = 0;
	int in_paths = 0;

	if (!f)
		fail_msg("docs/openapi.yaml: expected it readable from the repository root");
	while (fgets(line, sizeof(line), f)) {
		size_t len = strlen(line);

		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (strcmp(line, "paths:") == 0) {
			in_paths = 1;
			continue;
		}
		if (!in_paths || len == 0)
			continue;
		if (line[0] != ' ' && line[0] != '#')
			break;
		if (strncmp(line, "  /", 3) == 0 && line[len - 1] == ':' && n < max) {
			memset(&out[n], 0, sizeof(out[n]));
			snprintf(out[n].path, sizeof(out[n].path), "%.*s", (int)(len - 3),
			         line + 2);
			n++;
		} else if (n > 0 && strncmp(line, "    ", 4) == 0 && line[4] != ' ' &&
		           line[len - 1] == ':') {
			char m[16];

			snprintf(m, sizeof(m), "%.*s", (int)(len - 5), line + 4);
			if (!strcmp(m, "get"))
				out[n - 1].methods |= ROUTER_M_GET | ROUTER_M_HEAD;
			else if (!strcmp(m, "post"))
				out[n - 1].methods |= ROUTER_M_POST;
			else if (!strcmp(m, "put"))
				out[n - 1].methods |= ROUTER_M_PUT;
			else if (!strcmp(m, "delete"))
				out[n - 1].methods |= ROUTER_M_DELETE;
		}
	}
	fclose(f);
	return n;
}

/* "/static/{path*}" is "/static/{path}" in the document. */
static void
doc_form(const char *pattern, char *out, size_t cap)
{
	size_t k = 0;

	for (const char *p = pattern; *p && k + 1 < cap; p++)
		if (!(*p == '*' && p[1] == '}'))
			out[k++] = *p;
	out[k] = '\0';
}

static void
test_openapi_agrees(void **state)
{
	struct doc_path doc[64];
	size_t n = read_doc(doc, 64);

	(void)state;
	if (n < 10)
		fail_msg("docs/openapi.yaml: expected the paths section, found %zu paths", n);
	for (size_t i = 0; i < router_count(); i++) {
		const struct route *r = router_at(i);
		char form[128];
		size_t j;

		doc_form(r->pattern, form, sizeof(form));
		for (j = 0; j < n; j++)
			if (strcmp(doc[j].path, form) == 0)
				break;
		if (j == n)
			fail_msg("route %s is served but not in docs/openapi.yaml", r->pattern);
		if (doc[j].methods != r->methods)
			fail_msg("route %s: methods 0x%x served, 0x%x documented", r->pattern,
			         r->methods, doc[j].methods);
		doc[j].seen = 1;
	}
	for (size_t j = 0; j < n; j++)
		if (!doc[j].seen)
			fail_msg("docs/openapi.yaml documents %s, which the daemon does not serve",
			         doc[j].path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_match),
	    cmocka_unit_test(test_long_param),
	    cmocka_unit_test(test_openapi_agrees),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
