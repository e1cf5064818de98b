/*
 * test_audit.c - the tamper-evident audit log (registry/audit.h).
 *
 * A registry gets a dozen mutations of every kind; the test checks that each
 * left the entry it should (action, subject, actor, chained prev).  Then it
 * tampers with the stored bytes through the store API with the registry
 * closed - one byte of every entry at many positions, the signed head's
 * seq, hash and signature, a deleted last or middle entry, an appended
 * entry, a history rewritten and re-chained without the private key - and
 * expects registry_audit_verify() to fail naming exactly the entry
 * audit.h promises.  Undoing each change makes the log verify again.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/errors.h"
#include "registry/audit.h"
#include "registry/registry.h"
#include "registry/store.h"
#include "tests/support/regfix.h"

struct fx {
	char dir[REGFIX_PATH_MAX];
	struct registry *reg;
	struct registry_actor admin;
	uint64_t n; /* entries */
	char codes[6][SEAL_CODE_LEN + 1];
	char token_id[ACCOUNT_ID_LEN + 1];
};

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof *fx);
	char token[REGISTRY_TOKEN_LEN + 1];
	struct seal_record rec;

	fx->reg = regfix_registry_new(fx->dir, 0); /* 1 registry.create */
	registry_actor_local(&fx->admin);
	regfix_engraver(fx->reg, "6101001"); /* 2 engraver.add */
	regfix_engraver(fx->reg, "4401002"); /* 3 engraver.add */
	for (unsigned i = 0; i < 6; i++) {   /* 4-9 seal.register */
		regfix_expect_rc(
		    0, regfix_seal(fx->reg, i % 2 ? "4401002" : "6101001", "审计公司", i, &rec),
		    "register");
		memcpy(fx->codes[i], rec.code, sizeof rec.code);
	}
	regfix_expect_rc(0,
	                 registry_seal_set_status(fx->reg, &fx->admin, fx->codes[0],
	                                          SEAL_STATUS_LOST, "遗失", NULL, NULL),
	                 "status"); /* 10 seal.status */
	regfix_expect_rc(
	    0,
	    registry_token_issue(fx->reg, &fx->admin, ROLE_POLICE, "某分局", token, fx->token_id),
	    "token issue"); /* 11 token.issue */
	regfix_expect_rc(0, registry_token_revoke(fx->reg, &fx->admin, fx->token_id),
	                 "token revoke"); /* 12 token.revoke */
	regfix_expect_rc(
	    0, registry_engraver_set_status(fx->reg, &fx->admin, "4401002", ENGRAVER_SUSPENDED),
	    "suspend"); /* 13 engraver.suspend */
	regfix_expect_rc(0, registry_audit_read(fx->reg, &fx->admin, "archive", fx->codes[1]),
	                 "audit read"); /* 14 read:archive */
	regfix_expect_rc(0, registry_seal_set_features(fx->reg, &fx->admin, fx->codes[2], "F", 1),
	                 "features"); /* 15 seal.features */
	fx->n = 15;
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	registry_close(fx->reg);
	regfix_rmrf(fx->dir);
	free(fx);
	return 0;
}

static void
expect_ok(struct fx *fx, const char *what)
{
	uint64_t count = 0, bad = 99;
	const char *why = "unset";
	int rc = registry_audit_verify(fx->reg, &count, &bad, &why);

	if (rc != 0 || count != fx->n || bad != 0)
		fail_msg("%s: expected ok with %llu entries, got %s with %llu entries, first bad "
		         "%llu (%s)",
		         what, (unsigned long long)fx->n, seal_errname(rc),
		         (unsigned long long)count, (unsigned long long)bad, why ? why : "");
}

static void
expect_bad(struct fx *fx, uint64_t want_bad, const char *what)
{
	uint64_t count = 0, bad = 0;
	const char *why = NULL;
	int rc = registry_audit_verify(fx->reg, &count, &bad, &why);

	if (rc != SEAL_EAUDIT || bad != want_bad || count != want_bad - 1 || why == NULL)
		fail_msg("%s: expected audit_broken at entry %llu (%llu good before it), got %s "
		         "at entry %llu (%llu good): %s",
		         what, (unsigned long long)want_bad, (unsigned long long)(want_bad - 1),
		         seal_errname(rc), (unsigned long long)bad, (unsigned long long)count,
		         why ? why : "(no reason)");
}

static void
be64(uint8_t out[8], uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		out[i] = (uint8_t)v;
}

/* Close the registry, open its store, let fn change it, reopen. */
typedef void (*tamper_fn)(struct store_txn *t, void *arg);

static void
tamper(struct fx *fx, tamper_fn fn, void *arg)
{
	struct store *st;
	struct store_txn *t;

	registry_close(fx->reg);
	fx->reg = NULL;
	regfix_expect_rc(0, store_open(fx->dir, 0, 0, &st), "store_open");
	regfix_expect_rc(0, store_txn_begin(st, 1, &t), "store_txn_begin");
	fn(t, arg);
	regfix_expect_rc(0, store_txn_commit(t), "store_txn_commit (tamper)");
	store_close(st);
	regfix_expect_rc(0, registry_open(fx->dir, NULL, &fx->reg), "registry_open");
}

struct flip {
	enum store_db db;
	uint8_t key[16];
	size_t klen;
	size_t pos;
	uint8_t mask;
};

static void
flip_fn(struct store_txn *t, void *arg)
{
	const struct flip *f = arg;
	struct store_val v;
	uint8_t buf[512];

	regfix_expect_rc(0, store_get(t, f->db, f->key, f->klen, &v), "store_get (flip)");
	if (v.len > sizeof buf || f->pos >= v.len)
		fail_msg("flip: expected a value of at most %zu bytes longer than %zu, got %zu",
		         sizeof buf, f->pos, v.len);
	memcpy(buf, v.data, v.len);
	buf[f->pos] ^= f->mask;
	regfix_expect_rc(0, store_put(t, f->db, f->key, f->klen, buf, v.len, 0), "store_put");
}

static void
test_entries_content(void **state)
{
	static const char *const actions[] = {"registry.create",  "engraver.add",  "engraver.add",
	                                      "seal.register",    "seal.register", "seal.register",
	                                      "seal.register",    "seal.register", "seal.register",
	                                      "seal.status",      "token.issue",   "token.revoke",
	                                      "engraver.suspend", "read:archive",  "seal.features"};
	struct fx *fx = *state;
	struct registry_txn *txn;
	struct audit_head head;
	struct store *st;
	struct store_txn *t;
	uint8_t prev[CRYPTO_SHA256_LEN] = {0}, zero[CRYPTO_SHA256_LEN] = {0};

	expect_ok(fx, "fresh registry");
	regfix_expect_rc(0, registry_read_begin(fx->reg, &txn), "read_begin");
	regfix_expect_rc(0, registry_audit_head(txn, &head), "registry_audit_head");
	registry_read_end(txn);
	if (head.seq != fx->n)
		fail_msg("head: expected seq %llu, got %llu", (unsigned long long)fx->n,
		         (unsigned long long)head.seq);
	registry_close(fx->reg);
	fx->reg = NULL;
	regfix_expect_rc(0, store_open(fx->dir, 0, STORE_READONLY, &st), "store_open");
	regfix_expect_rc(0, store_txn_begin(st, 0, &t), "store_txn_begin");
	for (uint64_t k = 1; k <= fx->n; k++) {
		struct audit_entry e;

		regfix_expect_rc(0, audit_entry_get(t, k, &e), "audit_entry_get");
		if (e.seq != k || strcmp(e.action, actions[k - 1]) != 0 ||
		    strcmp(e.actor, "admin:local") != 0)
			fail_msg(
			    "entry %llu: expected seq %llu %s by admin:local, got %llu %s by %s",
			    (unsigned long long)k, (unsigned long long)k, actions[k - 1],
			    (unsigned long long)e.seq, e.action, e.actor);
		if (memcmp(e.prev, prev, sizeof prev) != 0)
			fail_msg("entry %llu: expected prev = SHA-256 of entry %llu",
			         (unsigned long long)k, (unsigned long long)(k - 1));
		if (memcmp(e.digest, zero, sizeof zero) == 0)
			fail_msg("entry %llu: expected a digest of the change, got zeros",
			         (unsigned long long)k);
		if (k >= 4 && k <= 9 && strcmp(e.subject, fx->codes[k - 4]) != 0)
			fail_msg("entry %llu: expected subject %s, got %s", (unsigned long long)k,
			         fx->codes[k - 4], e.subject);
		crypto_sha256(&e, sizeof e, prev);
	}
	if (memcmp(prev, head.hash, sizeof prev) != 0)
		fail_msg("head: expected the hash of the last entry");
	{
		struct audit_entry e;

		regfix_expect_rc(SEAL_ENOTFOUND, audit_entry_get(t, fx->n + 1, &e),
		                 "entry after the head");
	}
	store_txn_abort(t);
	store_close(st);
	regfix_expect_rc(0, registry_open(fx->dir, NULL, &fx->reg), "registry_open");
}

static void
test_flip_every_entry(void **state)
{
	/* seq (first and last byte), time, actor, action, subject, digest,
	 * prev (first and last byte). */
	static const size_t positions[] = {0,   7,   8,   15,  16,  79,  80,
	                                   111, 112, 143, 144, 175, 176, 207};
	struct fx *fx = *state;

	assert_int_equal(sizeof(struct audit_entry), 208);
	for (uint64_t k = 1; k <= fx->n; k++)
		for (size_t i = 0; i < sizeof positions / sizeof positions[0]; i++) {
			struct flip f = {.db = STORE_AUDIT, .klen = 8, .pos = positions[i]};
			char what[96];

			f.mask = (uint8_t)(i % 2 ? 0x80 : 0x01);
			be64(f.key, k);
			snprintf(what, sizeof what, "entry %llu byte %zu flipped",
			         (unsigned long long)k, f.pos);
			tamper(fx, flip_fn, &f);
			expect_bad(fx, k, what);
			tamper(fx, flip_fn, &f);
			expect_ok(fx, "flipped back");
		}
}

static void
test_flip_head(void **state)
{
	/* struct audit_head: seq 0..7, hash 8..39, sig 40..103. */
	static const size_t positions[] = {0, 7, 8, 39, 40, 103};
	struct fx *fx = *state;

	assert_int_equal(sizeof(struct audit_head), 104);
	for (size_t i = 0; i < sizeof positions / sizeof positions[0]; i++) {
		struct flip f = {.db = STORE_META, .klen = 10, .pos = positions[i], .mask = 0x04};
		char what[64];

		memcpy(f.key, "audit_head", 10);
		snprintf(what, sizeof what, "head byte %zu flipped", f.pos);
		tamper(fx, flip_fn, &f);
		expect_bad(fx, fx->n + 1, what);
		tamper(fx, flip_fn, &f);
		expect_ok(fx, "head flipped back");
	}
}

struct entry_op {
	uint64_t seq;
	struct audit_entry saved;
};

static void
delete_fn(struct store_txn *t, void *arg)
{
	struct entry_op *op = arg;
	uint8_t key[8];

	regfix_expect_rc(0, audit_entry_get(t, op->seq, &op->saved), "audit_entry_get");
	be64(key, op->seq);
	regfix_expect_rc(0, store_del(t, STORE_AUDIT, key, sizeof key), "store_del");
}

static void
restore_fn(struct store_txn *t, void *arg)
{
	struct entry_op *op = arg;
	uint8_t key[8];

	be64(key, op->seq);
	regfix_expect_rc(
	    0, store_put(t, STORE_AUDIT, key, sizeof key, &op->saved, sizeof op->saved, 0),
	    "store_put (restore)");
}

static void
test_delete_entries(void **state)
{
	struct fx *fx = *state;
	struct entry_op op = {.seq = fx->n};

	tamper(fx, delete_fn, &op);
	expect_bad(fx, fx->n, "last entry deleted");
	tamper(fx, restore_fn, &op);
	expect_ok(fx, "last entry restored");
	op.seq = 6;
	tamper(fx, delete_fn, &op);
	expect_bad(fx, 6, "entry 6 deleted");
	tamper(fx, restore_fn, &op);
	op.seq = 1;
	tamper(fx, delete_fn, &op);
	expect_bad(fx, 1, "entry 1 deleted");
	tamper(fx, restore_fn, &op);
	expect_ok(fx, "entries restored");
}

/* Append a well-chained entry after the head without signing it. */
static void
append_fn(struct store_txn *t, void *arg)
{
	struct entry_op *op = arg;
	struct audit_entry last, e;
	uint8_t key[8];

	regfix_expect_rc(0, audit_entry_get(t, op->seq - 1, &last), "audit_entry_get");
	memset(&e, 0, sizeof e);
	e.seq = op->seq;
	e.time_ns = last.time_ns + 1;
	snprintf(e.actor, sizeof e.actor, "admin:forger");
	snprintf(e.action, sizeof e.action, "seal.status");
	crypto_sha256(&last, sizeof last, e.prev);
	be64(key, op->seq);
	regfix_expect_rc(0, store_put(t, STORE_AUDIT, key, sizeof key, &e, sizeof e, 0),
	                 "store_put (append)");
}

static void
remove_fn(struct store_txn *t, void *arg)
{
	struct entry_op *op = arg;
	uint8_t key[8];

	be64(key, op->seq);
	regfix_expect_rc(0, store_del(t, STORE_AUDIT, key, sizeof key), "store_del");
}

static void
test_append_unsigned(void **state)
{
	struct fx *fx = *state;
	struct entry_op op = {.seq = fx->n + 1};

	tamper(fx, append_fn, &op);
	expect_bad(fx, fx->n + 1, "entry appended after the signed head");
	tamper(fx, remove_fn, &op);
	expect_ok(fx, "appended entry removed");
}

/* Rewrite entry 5 (a registration's subject) and re-chain every later entry
 * and the head's hash: only the signature can tell. */
static void
rewrite_fn(struct store_txn *t, void *arg)
{
	struct fx *fx = arg;
	struct audit_head head;
	uint8_t prev[CRYPTO_SHA256_LEN], key[8];

	for (uint64_t k = 5; k <= fx->n; k++) {
		struct audit_entry e;

		regfix_expect_rc(0, audit_entry_get(t, k, &e), "audit_entry_get");
		if (k == 5)
			e.subject[0] = '9';
		else
			memcpy(e.prev, prev, sizeof prev);
		crypto_sha256(&e, sizeof e, prev);
		be64(key, k);
		store_put(t, STORE_AUDIT, key, sizeof key, &e, sizeof e, 0);
	}
	regfix_expect_rc(0, audit_head_get(t, &head), "audit_head_get");
	memcpy(head.hash, prev, sizeof prev);
	store_put(t, STORE_META, "audit_head", 10, &head, sizeof head, 0);
}

static void
test_rewritten_history(void **state)
{
	struct fx *fx = *state;

	tamper(fx, rewrite_fn, fx);
	expect_bad(fx, fx->n + 1, "history rewritten and re-chained without the key");
}

/* A registry whose audit grows after tampering: the new entries chain to
 * the altered one, so the verdict still names it. */
static void
test_damage_survives_new_entries(void **state)
{
	struct fx *fx = *state;
	struct flip f = {.db = STORE_AUDIT, .klen = 8, .pos = 100, .mask = 0x20};

	be64(f.key, 7);
	tamper(fx, flip_fn, &f);
	regfix_expect_rc(0, regfix_seal(fx->reg, "6101001", "新公司", 99, NULL), "register");
	fx->n++;
	expect_bad(fx, 7, "entry 7 flipped, then one more registration");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_entries_content, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_flip_every_entry, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_flip_head, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_delete_entries, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_append_unsigned, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rewritten_history, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_damage_survives_new_entries, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
