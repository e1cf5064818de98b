/*
 * test_sealctl.c - the sealctl CLI end to end: $BIN/sealctl (default
 * bin/sealctl) is run with posix_spawn on a temporary registry, its exit
 * code, stdout and stderr captured in files and checked.  Exit codes are
 * 0 success, 1 failure, 2 usage error; `audit verify` must exit 1 and name
 * the entry after one byte of it was flipped through the store API.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/errors.h"
#include "registry/store.h"
#include "tests/support/regfix.h"

extern char **environ;

#define OUT_MAX 65536

struct fx {
	char dir[REGFIX_PATH_MAX];
	char db[REGFIX_PATH_MAX + 16];
	char sealctl[512];
	char out[OUT_MAX], err[OUT_MAX];
};

static void
slurp(const char *path, char *buf)
{
	FILE *f = fopen(path, "rb");
	size_t n = 0;

	buf[0] = '\0';
	if (f == NULL)
		return;
	n = fread(buf, 1, OUT_MAX - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/* Run sealctl --db DB with the NULL-terminated arguments; returns the exit
 * code with stdout and stderr in fx->out and fx->err. */
static int
run(struct fx *fx, ...)
{
	char *argv[32], outp[REGFIX_PATH_MAX + 16], errp[REGFIX_PATH_MAX + 16];
	posix_spawn_file_actions_t fa;
	va_list ap;
	pid_t pid;
	int argc = 0, status = 0, rc;

	argv[argc++] = fx->sealctl;
	argv[argc++] = "--db";
	argv[argc++] = fx->db;
	va_start(ap, fx);
	for (char *a; (a = va_arg(ap, char *)) != NULL && argc < 31;)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	snprintf(outp, sizeof outp, "%s/out.txt", fx->dir);
	snprintf(errp, sizeof errp, "%s/err.txt", fx->dir);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, outp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_addopen(&fa, 2, errp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	rc = posix_spawn(&pid, fx->sealctl, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		fail_msg("posix_spawn %s: expected 0, got %s", fx->sealctl, strerror(rc));
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		fail_msg("%s %s: expected a normal exit, got status 0x%x", fx->sealctl,
		         argc > 3 ? argv[3] : "", status);
	slurp(outp, fx->out);
	slurp(errp, fx->err);
	return WEXITSTATUS(status);
}

static void
expect_exit(struct fx *fx, int want, int got, const char *what)
{
	if (want != got)
		fail_msg("sealctl %s: expected exit %d, got %d\nstdout: %s\nstderr: %s", what, want,
		         got, fx->out, fx->err);
}

static void
expect_in(const char *hay, const char *needle, const char *what)
{
	if (strstr(hay, needle) == NULL)
		fail_msg("sealctl %s: expected output containing \"%s\", got: %s", what, needle,
		         hay);
}

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof *fx);
	const char *bin = getenv("BIN");

	snprintf(fx->sealctl, sizeof fx->sealctl, "%s/sealctl", bin && *bin ? bin : "bin");
	if (access(fx->sealctl, X_OK) != 0)
		fail_msg("expected an executable %s (run `make` first, or set BIN), got none",
		         fx->sealctl);
	regfix_tmpdir(fx->dir);
	snprintf(fx->db, sizeof fx->db, "%s/reg", fx->dir);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	regfix_rmrf(fx->dir);
	free(fx);
	return 0;
}

/* init, an engraver, a registered seal; returns nothing, fills fx. */
static void
populate(struct fx *fx, char code[SEAL_CODE_LEN + 1])
{
	char png_path[REGFIX_PATH_MAX + 16], credit[SEAL_CREDIT_LEN + 1];
	uint8_t *png;
	size_t len;
	FILE *f;

	expect_exit(fx, 0, run(fx, "init", NULL), "init");
	expect_in(fx->out, "created registry", "init");
	expect_exit(fx, 0,
	            run(fx, "engraver", "add", "--region", "6101", "--number", "001", "--name",
	                "西安市碑林区刻章厂", "--licence", "陕公刻字 0001", NULL),
	            "engraver add");
	expect_in(fx->out, "6101001", "engraver add");
	regfix_png(400, &png, &len);
	snprintf(png_path, sizeof png_path, "%s/seal.png", fx->dir);
	f = fopen(png_path, "wb");
	if (f == NULL || fwrite(png, 1, len, f) != len || fclose(f) != 0)
		fail_msg("write %s: expected %zu bytes written", png_path, len);
	free(png);
	regfix_credit_code("610100", 321, credit);
	expect_exit(fx, 0,
	            run(fx, "seal", "register", "--engraver", "6101001", "--holder",
	                "西安某某科技有限公司", "--credit-code", credit, "--type", "公章",
	                "--shape", "round", "--impression", png_path, NULL),
	            "seal register");
	if (strncmp(fx->out, "6101001000001\n", 14) != 0)
		fail_msg("seal register: expected \"6101001000001\", got \"%s\" (stderr %s)",
		         fx->out, fx->err);
	memcpy(code, "6101001000001", SEAL_CODE_LEN + 1);
}

static void
test_usage(void **state)
{
	struct fx *fx = *state;

	expect_exit(fx, 0, run(fx, "--help", NULL), "--help");
	expect_in(fx->out, "audit verify", "--help");
	expect_exit(fx, 0, run(fx, "seal", "register", "--help", NULL), "seal register --help");
	expect_in(fx->out, "--credit-code", "seal register --help");
	expect_exit(fx, 2, run(fx, "frobnicate", NULL), "unknown command");
	expect_exit(fx, 2, run(fx, NULL), "no command");
	expect_exit(fx, 2, run(fx, "engraver", "add", "--region", "6101", NULL),
	            "engraver add without --number");
	expect_exit(fx, 2, run(fx, "token", "issue", "--role", "police", NULL),
	            "police token without --unit");
	expect_exit(fx, 2, run(fx, "token", "issue", "--role", "king", NULL), "unknown role");
	expect_exit(fx, 1, run(fx, "stats", NULL), "stats without a registry");
}

static void
test_lifecycle(void **state)
{
	struct fx *fx = *state;
	char code[SEAL_CODE_LEN + 1];

	populate(fx, code);
	expect_exit(fx, 1, run(fx, "init", NULL), "init twice");
	expect_exit(fx, 1,
	            run(fx, "engraver", "add", "--region", "9999", "--number", "001", "--name", "x",
	                "--licence", "y", NULL),
	            "engraver in an unknown region");
	expect_exit(fx, 0, run(fx, "--json", "engraver", "list", NULL), "engraver list");
	expect_in(fx->out, "\"next_serial\": 2", "engraver list --json");
	expect_in(fx->out, "西安市", "engraver list --json");

	expect_exit(fx, 0, run(fx, "seal", "show", "6101 001 000001", NULL), "seal show");
	expect_in(fx->out, "6101 001 000001", "seal show");
	expect_in(fx->out, "西安某某科技有限公司", "seal show");
	expect_in(fx->out, "active", "seal show");
	expect_exit(fx, 0, run(fx, "seal", "show", code, "--json", NULL), "seal show --json");
	expect_in(fx->out, "\"status\": \"active\"", "seal show --json");
	expect_in(fx->out, "\"features_bytes\"", "seal show --json");
	if (strstr(fx->out, "\"impression_bytes\": 0") != NULL)
		fail_msg("seal show --json: expected a stored impression, got %s", fx->out);
	expect_exit(fx, 1, run(fx, "seal", "show", "6101001000002", NULL), "show unregistered");
	expect_in(fx->err, "not registered", "show unregistered");
	expect_exit(fx, 1, run(fx, "seal", "show", "610100100000", NULL), "show 12 digits");
	expect_exit(fx, 1, run(fx, "seal", "show", "9999001000001", NULL), "show unknown region");

	expect_exit(fx, 0,
	            run(fx, "seal", "status", code, "--set", "lost", "--reason", "办公室失窃",
	                "--case", "碑公刑 2026-88", NULL),
	            "status lost");
	expect_in(fx->out, "lost", "status lost");
	expect_exit(fx, 1,
	            run(fx, "seal", "status", code, "--set", "disputed", "--reason", "x", NULL),
	            "lost -> disputed");
	expect_in(fx->err, "not allowed", "lost -> disputed");
	expect_exit(fx, 2,
	            run(fx, "seal", "status", code, "--set", "stolen", "--reason", "x", NULL),
	            "unknown status");
	expect_exit(fx, 2, run(fx, "seal", "status", code, "--set", "active", NULL),
	            "status without --reason");
	expect_exit(fx, 0,
	            run(fx, "seal", "status", code, "--set", "active", "--reason", "找回", NULL),
	            "status active");
	expect_exit(fx, 0, run(fx, "--json", "seal", "history", code, NULL), "history");
	expect_in(fx->out, "\"case_ref\": \"碑公刑 2026-88\"", "history --json");
	expect_in(fx->out, "\"reason\": \"找回\"", "history --json");

	expect_exit(fx, 0,
	            run(fx, "token", "issue", "--role", "police", "--unit", "碑林分局", NULL),
	            "token issue");
	expect_in(fx->out, "token sr_", "token issue");
	expect_exit(fx, 1,
	            run(fx, "token", "issue", "--role", "engraver", "--engraver", "6101002", NULL),
	            "token for an unknown engraver");
	{
		char id[ACCOUNT_ID_LEN + 1];
		const char *p;

		expect_exit(fx, 0, run(fx, "--json", "token", "issue", "--role", "admin", NULL),
		            "token issue --json");
		p = strstr(fx->out, "\"id\": \"");
		if (p == NULL)
			fail_msg("token issue --json: expected an id, got %s", fx->out);
		memcpy(id, p + 7, ACCOUNT_ID_LEN);
		id[ACCOUNT_ID_LEN] = '\0';
		expect_exit(fx, 0, run(fx, "token", "revoke", id, NULL), "token revoke");
		expect_exit(fx, 1, run(fx, "token", "revoke", id, NULL), "token revoke twice");
	}
	expect_exit(fx, 0, run(fx, "engraver", "suspend", "6101001", NULL), "engraver suspend");
	expect_exit(fx, 0, run(fx, "--json", "stats", NULL), "stats");
	expect_in(fx->out, "\"seals\": 1", "stats --json");
	expect_in(fx->out, "\"accounts\": 2", "stats --json");
	/* create, engraver, seal, 2 status, 2 tokens, revoke, suspend */
	expect_in(fx->out, "\"audit_length\": 9", "stats --json");
	expect_exit(fx, 0, run(fx, "audit", "verify", NULL), "audit verify");
	expect_in(fx->out, "9 entries", "audit verify");
}

static void
flip_entry(struct fx *fx, uint64_t seq, size_t pos)
{
	struct store *st;
	struct store_txn *t;
	struct store_val v;
	uint8_t key[8], buf[512];

	for (int i = 7; i >= 0; i--, seq >>= 8)
		key[i] = (uint8_t)seq;
	regfix_expect_rc(0, store_open(fx->db, 0, 0, &st), "store_open");
	regfix_expect_rc(0, store_txn_begin(st, 1, &t), "store_txn_begin");
	regfix_expect_rc(0, store_get(t, STORE_AUDIT, key, sizeof key, &v), "store_get");
	assert_true(v.len <= sizeof buf && pos < v.len);
	memcpy(buf, v.data, v.len);
	buf[pos] ^= 0x10;
	store_put(t, STORE_AUDIT, key, sizeof key, buf, v.len, 0);
	regfix_expect_rc(0, store_txn_commit(t), "store_txn_commit");
	store_close(st);
}

static void
test_audit_and_backup(void **state)
{
	struct fx *fx = *state;
	char code[SEAL_CODE_LEN + 1], dest[REGFIX_PATH_MAX + 16], db[REGFIX_PATH_MAX + 16];

	populate(fx, code);
	expect_exit(fx, 0,
	            run(fx, "seal", "status", code, "--set", "disputed", "--reason", "查", NULL),
	            "status");
	expect_exit(fx, 0, run(fx, "audit", "verify", NULL), "audit verify");
	expect_in(fx->out, "4 entries", "audit verify");

	snprintf(dest, sizeof dest, "%s/backup", fx->dir);
	expect_exit(fx, 0, run(fx, "backup", dest, NULL), "backup");
	memcpy(db, fx->db, sizeof db);
	memcpy(fx->db, dest, sizeof fx->db);
	expect_exit(fx, 0, run(fx, "audit", "verify", NULL), "audit verify of the backup");
	expect_in(fx->out, "4 entries", "audit verify of the backup");
	expect_exit(fx, 0, run(fx, "seal", "show", code, NULL), "show from the backup");
	expect_in(fx->out, "disputed", "show from the backup");
	memcpy(fx->db, db, sizeof fx->db);

	flip_entry(fx, 2, 90); /* entry 2's action */
	expect_exit(fx, 1, run(fx, "audit", "verify", NULL), "audit verify, entry 2 flipped");
	expect_in(fx->err, "entry 2:", "audit verify, entry 2 flipped");
	expect_exit(fx, 1, run(fx, "--json", "audit", "verify", NULL), "audit verify --json");
	expect_in(fx->out, "\"first_bad\": 2", "audit verify --json");
	expect_in(fx->out, "\"ok\": false", "audit verify --json");
	flip_entry(fx, 2, 90);
	flip_entry(fx, 4, 200); /* the last entry's link */
	expect_exit(fx, 1, run(fx, "audit", "verify", NULL), "audit verify, entry 4 flipped");
	expect_in(fx->err, "entry 4:", "audit verify, entry 4 flipped");
	flip_entry(fx, 4, 200);
	expect_exit(fx, 0, run(fx, "audit", "verify", NULL), "audit verify, restored");
}

/* A registry made with --map-size 1 MiB fills up after a few large
 * impressions: sealctl says "raise --map-size", exits 1, and nothing of the
 * failed registration remains; a larger --map-size then goes on with the
 * next serial. */
static void
test_map_full(void **state)
{
	struct fx *fx = *state;
	char png_path[REGFIX_PATH_MAX + 16], credit[SEAL_CREDIT_LEN + 1], want[64];
	int ok = 0, rc = 0;

	regfix_credit_code("610100", 9, credit);
	snprintf(png_path, sizeof png_path, "%s/noisy.png", fx->dir);
	expect_exit(fx, 0, run(fx, "--map-size", "1048576", "init", NULL), "init 1 MiB");
	expect_exit(fx, 0,
	            run(fx, "engraver", "add", "--region", "6101", "--number", "001", "--name",
	                "刻章厂", "--licence", "L1", NULL),
	            "engraver add");
	for (int i = 0; i < 12; i++) {
		uint8_t *png;
		size_t len;
		FILE *f;

		regfix_png_noisy(400, 1u + (unsigned)i, &png, &len);
		f = fopen(png_path, "wb");
		if (f == NULL || fwrite(png, 1, len, f) != len || fclose(f) != 0)
			fail_msg("write %s: expected %zu bytes written", png_path, len);
		free(png);
		if (len < 150 * 1024 || len > SEAL_IMPRESSION_MAX_BYTES)
			fail_msg("noisy PNG: expected 150 KiB to %d bytes, got %zu",
			         SEAL_IMPRESSION_MAX_BYTES, len);
		rc = run(fx, "seal", "register", "--engraver", "6101001", "--holder", "满库公司",
		         "--credit-code", credit, "--type", "公章", "--shape", "round",
		         "--impression", png_path, NULL);
		if (rc != 0)
			break;
		ok++;
	}
	expect_exit(fx, 1, rc, "seal register into a full registry");
	expect_in(fx->err, "raise --map-size", "seal register into a full registry");
	if (ok < 1)
		fail_msg("1 MiB registry: expected at least one large impression to fit, got %d",
		         ok);
	expect_exit(fx, 0, run(fx, "--json", "stats", NULL), "stats");
	snprintf(want, sizeof want, "\"seals\": %d,", ok);
	expect_in(fx->out, want, "stats after map full");
	expect_exit(fx, 0, run(fx, "audit", "verify", NULL), "audit verify after map full");
	expect_exit(fx, 0,
	            run(fx, "--map-size", "8388608", "seal", "register", "--engraver", "6101001",
	                "--holder", "满库公司", "--credit-code", credit, "--type", "公章",
	                "--shape", "round", "--impression", png_path, NULL),
	            "seal register with --map-size 8 MiB");
	snprintf(want, sizeof want, "6101001%06d\n", ok + 1);
	if (strcmp(fx->out, want) != 0)
		fail_msg("after raising the map: expected %s(no gap), got %s", want, fx->out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_usage, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lifecycle, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_audit_and_backup, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_map_full, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
