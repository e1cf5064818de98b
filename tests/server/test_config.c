/*
 * test_config.c - the option table (server/config.h): defaults, the
 * command line over a config file, bounds, unknown options, listen
 * addresses, --help and --check-config.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/errors.h"
#include "server/config.h"

static int
load(struct config *c, enum config_action *a, char *err, int argc, ...)
{
	char *argv[16];
	va_list ap;

	va_start(ap, argc);
	for (int i = 0; i < argc; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	argv[argc] = NULL;
	config_defaults(c);
	return config_load(c, argc, argv, a, err, CONFIG_ERR_MAX);
}

static void
test_defaults_and_args(void **state)
{
	struct config c;
	enum config_action a;
	char err[CONFIG_ERR_MAX];

	(void)state;
	assert_int_equal(load(&c, &a, err, 1, "sealregd"), 0);
	assert_string_equal(c.listen, "127.0.0.1:8080");
	assert_int_equal(c.queue, 64);
	assert_int_equal(a, CONFIG_RUN);
	assert_int_equal(config_validate(&c, err, sizeof(err)), SEAL_EINVAL); /* no --db */

	assert_int_equal(load(&c, &a, err, 6, "sealregd", "--db", "/tmp/r", "--rate", "2.5",
	                      "--listen=127.0.0.1:0"),
	                 0);
	assert_string_equal(c.db, "/tmp/r");
	assert_true(c.rate > 2.49 && c.rate < 2.51);
	assert_int_equal(config_validate(&c, err, sizeof(err)), 0);

	assert_int_equal(load(&c, &a, err, 3, "sealregd", "--queue", "0"), SEAL_EINVAL);
	if (!strstr(err, "queue"))
		fail_msg("error for --queue 0 should name the option, got '%s'", err);
	assert_int_equal(load(&c, &a, err, 3, "sealregd", "--threads", "x"), SEAL_EINVAL);
	assert_int_equal(load(&c, &a, err, 2, "sealregd", "--bogus"), SEAL_EINVAL);
	assert_int_equal(load(&c, &a, err, 2, "sealregd", "stray"), SEAL_EINVAL);
	assert_int_equal(load(&c, &a, err, 2, "sealregd", "--help"), 0);
	assert_int_equal(a, CONFIG_HELP);
	assert_int_equal(load(&c, &a, err, 4, "sealregd", "--db", "d", "--check-config"), 0);
	assert_int_equal(a, CONFIG_CHECK);
}

static void
test_file(void **state)
{
	char path[] = "/tmp/test_config.XXXXXX";
	struct config c;
	enum config_action a;
	char err[CONFIG_ERR_MAX];
	int fd = mkstemp(path);
	FILE *f;

	(void)state;
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs("# sealregd\n db = /srv/reg \nrate=100\nburst = 200\naccess-log = no\n\n", f);
	fclose(f);
	assert_int_equal(load(&c, &a, err, 5, "sealregd", "--config", path, "--rate", "7"), 0);
	assert_string_equal(c.db, "/srv/reg");
	assert_true(c.rate > 6.9 && c.rate < 7.1); /* the command line wins */
	assert_int_equal(c.burst, 200);
	assert_int_equal(c.access_log, 0);

	f = fopen(path, "w");
	fputs("db = x\nnot an option line\n", f);
	fclose(f);
	assert_int_equal(load(&c, &a, err, 3, "sealregd", "--config", path), SEAL_EINVAL);
	if (!strstr(err, ":2:"))
		fail_msg("error should give the line number 2, got '%s'", err);
	unlink(path);
	assert_int_equal(load(&c, &a, err, 3, "sealregd", "--config", "/nonexistent/x"), SEAL_EIO);
}

static void
test_listen(void **state)
{
	char host[64];
	int port = -1;

	(void)state;
	assert_int_equal(config_listen_split("127.0.0.1:0", host, sizeof(host), &port), 0);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 0);
	assert_int_equal(config_listen_split("[::1]:8080", host, sizeof(host), &port), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 8080);
	assert_int_equal(config_listen_split("127.0.0.1", host, sizeof(host), &port), SEAL_EINVAL);
	assert_int_equal(config_listen_split("h:65536", host, sizeof(host), &port), SEAL_EINVAL);
	assert_int_equal(config_listen_split(":80", host, sizeof(host), &port), SEAL_EINVAL);
}

static void
test_usage(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	config_usage(f, "sealregd");
	fclose(f);
	if (!strstr(buf, "--listen HOST:PORT") || !strstr(buf, "--tls-cert FILE") ||
	    !strstr(buf, "--check-config"))
		fail_msg("usage should list every option, got:\n%s", buf);
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults_and_args),
	    cmocka_unit_test(test_file),
	    cmocka_unit_test(test_listen),
	    cmocka_unit_test(test_usage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
