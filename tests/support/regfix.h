/*
 * regfix.h - test-only fixtures for the registry: temporary registry
 * directories, valid credit codes, a small red-ring PNG impression, one-call
 * engraver and seal set-up, and a digest of the whole store for "nothing
 * changed" assertions.
 *
 * Linked into every test binary (tests/support/); never used by the product.
 * Functions that set something up fail the running cmocka test with a
 * message (expected vs got) instead of returning an error, so tests stay
 * short.  Nothing here needs /work/shared.
 */
#ifndef SEAL_TESTS_REGFIX_H
#define SEAL_TESTS_REGFIX_H

#include <stddef.h>
#include <stdint.h>

#include "registry/registry.h"

#define REGFIX_PATH_MAX 256

/* Fail the current test when got != want, naming both codes and what. */
void regfix_expect_rc(int want, int got, const char *what);

/* Create a fresh empty directory under $TMPDIR (or /tmp) into out. */
void regfix_tmpdir(char out[REGFIX_PATH_MAX]);

/* Remove dir and everything below it.  Missing dir is fine. */
void regfix_rmrf(const char *dir);

/* Create a registry in a new temporary directory (map_size 0: default) and
 * open it; *dir receives the directory.  The caller closes and removes. */
struct registry *regfix_registry_new(char dir[REGFIX_PATH_MAX], size_t map_size);

/* A valid 18-character unified social credit code for division code region6
 * (6 digits, e.g. "610100") whose organisation part is derived from n:
 * "91" + region6 + 9 characters + the GB 32100 check character. */
void regfix_credit_code(const char *region6, unsigned n, char out[SEAL_CREDIT_LEN + 1]);

/* A side x side RGB PNG: a red ring (outer radius 0.45 side, width 0.05 side)
 * and a red five-pointed star on white.  *png is malloc'ed. */
void regfix_png(int side, uint8_t **png, size_t *len);

/* The same picture with near-white noise (values 224-255, seeded) on the
 * paper: it defeats PNG compression, so the file is large (about 0.4 bytes
 * per pixel and channel) while the seal is found as before. */
void regfix_png_noisy(int side, unsigned seed, uint8_t **png, size_t *len);

/* The common fixture of the registry tests: a fresh registry in a temporary
 * directory and the local admin actor. */
struct regfix_fx {
	char dir[REGFIX_PATH_MAX];
	struct registry *reg;
	struct registry_actor admin;
};

/* cmocka setup: a new struct regfix_fx with engravers 6101001 and 4401002. */
int regfix_setup(void **state);

/* cmocka teardown: close the registry, remove its directory, free the fixture. */
int regfix_teardown(void **state);

/* Add an active engraver prefix (7 digits) as the local admin. */
void regfix_engraver(struct registry *reg, const char *prefix);

/* Register a seal as the local admin with holder, a credit code of region
 * "<first 4 of prefix>00" and number n, type 公章, round, no impression.
 * Returns the registry's code; out may be NULL. */
int regfix_seal(struct registry *reg, const char *prefix, const char *holder, unsigned n,
                struct seal_record *out);

/* The registry's state in one value: registry_stats() (all fields except
 * map_used/map_size), the audit head with signature, and the SHA-256 over
 * every key and value of every database, in order. */
struct regfix_state {
	struct registry_stats stats;
	struct audit_head head;
	uint64_t entries; /* key/value pairs over all databases */
	uint8_t digest[CRYPTO_SHA256_LEN];
};

void regfix_state(struct registry *reg, struct regfix_state *out);

/* Fail the test naming the first field that differs. */
void regfix_expect_same_state(const struct regfix_state *want, const struct regfix_state *got,
                              const char *what);

/* SHA-256 of the bytes of file dir/name (e.g. "data.mdb"). */
void regfix_file_sha256(const char *dir, const char *name, uint8_t out[CRYPTO_SHA256_LEN]);

/* The same digest for a store opened directly (a copy, after close). */
void regfix_store_digest(struct store *st, uint64_t *entries, uint8_t out[CRYPTO_SHA256_LEN]);

#endif
