/*
 * test_webroot.c - static path canonicalisation (server/webroot.h).
 *
 * A temporary web root with a file, a subdirectory, a secret outside it
 * and a symlink pointing out: only files inside resolve, whatever the path
 * spells ("..", "%2e%2e", "//", symlinks).
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/errors.h"
#include "server/webroot.h"

static char base[PATH_MAX], root[PATH_MAX + 16];

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int
setup(void **state)
{
	char tmpl[] = "/tmp/test_webroot.XXXXXX", p[PATH_MAX + 80];

	(void)state;
	if (!mkdtemp(tmpl))
		return -1;
	if (!realpath(tmpl, base))
		return -1;
	snprintf(root, sizeof(root), "%s/web", base);
	mkdir(root, 0755);
	snprintf(p, sizeof(p), "%s/static", root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/index.html", root);
	write_file(p, "<html>");
	snprintf(p, sizeof(p), "%s/static/app.js", root);
	write_file(p, "//");
	snprintf(p, sizeof(p), "%s/secret.txt", base);
	write_file(p, "secret");
	snprintf(p, sizeof(p), "%s/static/escape", root);
	if (symlink("../../secret.txt", p) != 0)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	return system(cmd) == 0 ? 0 : -1;
}

static void
expect(const char *rel, int want)
{
	char out[WEBROOT_PATH_MAX];
	int rc = webroot_resolve(root, rel, out, sizeof(out));

	if (rc != want)
		fail_msg("resolve '%s': expected %s, got %s (%s)", rel, seal_errname(want),
		         seal_errname(rc), out);
	if (rc == 0 && strncmp(out, root, strlen(root)) != 0)
		fail_msg("resolve '%s': %s is outside %s", rel, out, root);
}

static void
test_inside(void **state)
{
	(void)state;
	expect("index.html", 0);
	expect("/static/app.js", 0);
	expect("static//app.js", 0);
	expect("static/../index.html", 0);
}

static void
test_outside(void **state)
{
	char decoded[256];

	(void)state;
	expect("../secret.txt", SEAL_ENOTFOUND);
	expect("static/../../secret.txt", SEAL_ENOTFOUND);
	expect("static/escape", SEAL_ENOTFOUND); /* symlink out of the root */
	expect("static", SEAL_ENOTFOUND);        /* a directory */
	expect("missing.html", SEAL_ENOTFOUND);
	expect("", SEAL_EINVAL);
	assert_int_equal(webroot_decode("%2e%2e/secret.txt", 17, decoded, sizeof(decoded)), 0);
	assert_string_equal(decoded, "../secret.txt");
	expect(decoded, SEAL_ENOTFOUND);
}

static void
test_decode(void **state)
{
	char out[16];

	(void)state;
	assert_int_equal(webroot_decode("a%20b+c", 7, out, sizeof(out)), 0);
	assert_string_equal(out, "a b+c");
	assert_int_equal(webroot_decode("%00", 3, out, sizeof(out)), SEAL_EINVAL);
	assert_int_equal(webroot_decode("%4", 2, out, sizeof(out)), SEAL_EINVAL);
	assert_int_equal(webroot_decode("%zz", 3, out, sizeof(out)), SEAL_EINVAL);
	assert_int_equal(webroot_decode("0123456789abcdefg", 17, out, sizeof(out)), SEAL_EINVAL);
}

static void
test_mime(void **state)
{
	(void)state;
	assert_string_equal(webroot_mime("/x/index.html"), "text/html; charset=utf-8");
	assert_string_equal(webroot_mime("a.JS"), "text/javascript; charset=utf-8");
	assert_string_equal(webroot_mime("a.png"), "image/png");
	assert_string_equal(webroot_mime("noext"), "application/octet-stream");
	assert_string_equal(webroot_mime("dir.d/noext"), "application/octet-stream");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_inside),
	    cmocka_unit_test(test_outside),
	    cmocka_unit_test(test_decode),
	    cmocka_unit_test(test_mime),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
