/*
 * test_serial.c - serial allocation and all-or-nothing registration.
 *
 * Serials come from the engraver record inside the registering write
 * transaction: 2000 registrations over two engravers (one thread, then two
 * threads at once) must give each engraver 1..N with no gap and no
 * duplicate.  A registration that fails - bad credit code, bad text,
 * oversized impression or features, unknown or suspended engraver, a map
 * too small to hold it - must leave the store exactly as it was: the stats,
 * the signed audit head, a digest of every key and value of every database
 * and the bytes of data.mdb; the next good registration then takes the next
 * serial.  Also: the last serial (999999), batches (all or none), small
 * records into a full map, and a map grown by another process meanwhile.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/errors.h"
#include "registry/internal.h"
#include "registry/registry.h"
#include "tests/support/regfix.h"

struct walk {
	const char *prefix;
	unsigned n;
	int bad;
	char first_bad[SEAL_CODE_LEN + 1];
};

static int
walk_expect_next(const struct seal_record *rec, void *arg)
{
	struct walk *w = arg;
	char want[SEAL_CODE_LEN + 1];

	code_make(w->prefix, ++w->n, want);
	if (strcmp(rec->code, want) != 0 && !w->bad) {
		w->bad = 1;
		snprintf(w->first_bad, sizeof w->first_bad, "%s", rec->code);
	}
	return 0;
}

/* Every seal of prefix, in order, is serial 1..n; the engraver's next serial
 * is n + 1. */
static void
expect_serials(struct registry *reg, const char *prefix, unsigned n)
{
	struct registry_txn *txn;
	struct engraver_record e;
	struct walk w = {.prefix = prefix};

	regfix_expect_rc(0, registry_read_begin(reg, &txn), "read_begin");
	regfix_expect_rc(0, registry_seal_list(txn, prefix, NULL, (size_t)-1, walk_expect_next, &w),
	                 "registry_seal_list");
	regfix_expect_rc(0, registry_engraver_get(txn, prefix, &e), "registry_engraver_get");
	registry_read_end(txn);
	if (w.bad)
		fail_msg("%s: expected serials 1..%u in order, got %s at position %u", prefix, n,
		         w.first_bad, w.n);
	if (w.n != n)
		fail_msg("%s: expected %u seals, got %u", prefix, n, w.n);
	if (e.next_serial != n + 1)
		fail_msg("%s: expected next serial %u, got %u", prefix, n + 1, e.next_serial);
}

static void
test_serials_sequential(void **state)
{
	struct regfix_fx *fx = *state;
	struct seal_record rec;
	struct registry_txn *txn;
	struct registry_stats st;
	unsigned count[2] = {0, 0};

	for (unsigned i = 0; i < 2000; i++) {
		/* Uneven interleaving: two on one engraver, one on the other. */
		int which = i % 3 == 2;
		const char *prefix = which ? "4401002" : "6101001";
		char want[SEAL_CODE_LEN + 1], holder[32];

		snprintf(holder, sizeof holder, "序列公司%u", i);
		regfix_expect_rc(0, regfix_seal(fx->reg, prefix, holder, i, &rec), "register");
		code_make(prefix, ++count[which], want);
		if (strcmp(rec.code, want) != 0)
			fail_msg("registration %u: expected %s, got %s", i, want, rec.code);
	}
	expect_serials(fx->reg, "6101001", count[0]);
	expect_serials(fx->reg, "4401002", count[1]);
	regfix_expect_rc(0, registry_read_begin(fx->reg, &txn), "read_begin");
	regfix_expect_rc(0, registry_stats(txn, &st), "registry_stats");
	registry_read_end(txn);
	/* create + 2 engravers + 2000 seals */
	if (st.seals != 2000 || st.by_status[SEAL_STATUS_ACTIVE] != 2000 || st.audit_length != 2003)
		fail_msg("stats: expected 2000 active seals and 2003 audit entries, got %llu, %llu "
		         "and %llu",
		         (unsigned long long)st.seals,
		         (unsigned long long)st.by_status[SEAL_STATUS_ACTIVE],
		         (unsigned long long)st.audit_length);
}

struct worker {
	struct registry *reg;
	int id;
	unsigned done;
	int rc;
};

static void *
worker_run(void *arg)
{
	struct worker *w = arg;

	for (unsigned i = 0; i < 1000; i++) {
		const char *prefix = (i + (unsigned)w->id) % 2 ? "4401002" : "6101001";
		char holder[32];
		int rc;

		snprintf(holder, sizeof holder, "线程%d公司%u", w->id, i);
		rc = regfix_seal(w->reg, prefix, holder, i, NULL);
		if (rc != 0) {
			w->rc = rc;
			break;
		}
		w->done++;
	}
	return NULL;
}

static void
test_serials_threads(void **state)
{
	struct regfix_fx *fx = *state;
	struct worker w[2] = {{fx->reg, 0, 0, 0}, {fx->reg, 1, 0, 0}};
	pthread_t th[2];
	uint64_t count = 0, bad = 0;
	const char *why = NULL;

	for (int i = 0; i < 2; i++)
		if (pthread_create(&th[i], NULL, worker_run, &w[i]) != 0)
			fail_msg("pthread_create: expected 0, got an error");
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < 2; i++)
		if (w[i].rc != 0 || w[i].done != 1000)
			fail_msg("thread %d: expected 1000 registrations, got %u (%s)", i,
			         w[i].done, seal_errname(w[i].rc));
	expect_serials(fx->reg, "6101001", 1000);
	expect_serials(fx->reg, "4401002", 1000);
	regfix_expect_rc(0, registry_audit_verify(fx->reg, &count, &bad, &why), "audit verify");
	if (count != 2003)
		fail_msg("audit after threads: expected 2003 entries, got %llu",
		         (unsigned long long)count);
}

/* Take the state, run one failing registration, check nothing changed. */
static void
expect_failed_registration(struct regfix_fx *fx, const struct registry_actor *actor,
                           const struct seal_registration *in, int want, const char *what)
{
	struct regfix_state s0, s1;
	uint8_t f0[CRYPTO_SHA256_LEN], f1[CRYPTO_SHA256_LEN];
	struct seal_record out;
	int mismatch = 7, rc;

	regfix_state(fx->reg, &s0);
	regfix_file_sha256(fx->dir, "data.mdb", f0);
	memset(&out, 0x5a, sizeof out);
	rc = registry_seal_register(fx->reg, actor, in, &out, &mismatch);
	regfix_expect_rc(want, rc, what);
	regfix_state(fx->reg, &s1);
	regfix_file_sha256(fx->dir, "data.mdb", f1);
	regfix_expect_same_state(&s0, &s1, what);
	if (memcmp(f0, f1, sizeof f0) != 0)
		fail_msg("%s: expected data.mdb byte for byte as before, got different bytes",
		         what);
}

static void
test_failed_registration_changes_nothing(void **state)
{
	static uint8_t big[SEAL_IMPRESSION_MAX_BYTES + 1];
	struct regfix_fx *fx = *state;
	struct seal_registration in = {0}, bad;
	struct seal_record rec;
	struct regfix_state s0, s1;
	char credit[SEAL_CREDIT_LEN + 1], long_holder[SEAL_HOLDER_MAX + 2];
	uint8_t *png;
	size_t png_len;
	struct registry_actor eng;

	regfix_png(200, &png, &png_len);
	regfix_credit_code("610100", 5, credit);
	snprintf(in.engraver, sizeof in.engraver, "6101001");
	in.holder = "原子性测试公司";
	in.credit_code = credit;
	in.type = "发票专用章";
	in.shape = SEAL_SHAPE_SQUARE;
	in.impression = png;
	in.impression_len = png_len;
	regfix_expect_rc(0, registry_seal_register(fx->reg, &fx->admin, &in, &rec, NULL),
	                 "first registration");
	assert_string_equal(rec.code, "6101001000001");

	bad = in;
	{
		static char wrong[SEAL_CREDIT_LEN + 1];

		memcpy(wrong, credit, sizeof wrong);
		wrong[17] = wrong[17] == '0' ? '1' : '0';
		bad.credit_code = wrong;
	}
	expect_failed_registration(fx, &fx->admin, &bad, SEAL_ECREDIT_CHECK, "bad check character");
	bad = in;
	bad.credit_code = "ABC";
	expect_failed_registration(fx, &fx->admin, &bad, SEAL_ECREDIT_FORMAT, "short credit code");
	bad = in;
	bad.impression = big;
	bad.impression_len = sizeof big;
	expect_failed_registration(fx, &fx->admin, &bad, SEAL_ETOOBIG, "impression too big");
	bad = in;
	bad.features = big;
	bad.features_len = SEAL_FEATURES_MAX_BYTES + 1;
	expect_failed_registration(fx, &fx->admin, &bad, SEAL_ETOOBIG, "features too big");
	memset(long_holder, 'H', sizeof long_holder - 1);
	long_holder[sizeof long_holder - 1] = '\0';
	bad = in;
	bad.holder = long_holder;
	expect_failed_registration(fx, &fx->admin, &bad, SEAL_ETEXT, "holder too long");
	bad = in;
	bad.holder = "\xc0\xaf";
	expect_failed_registration(fx, &fx->admin, &bad, SEAL_ETEXT, "holder not UTF-8");
	bad = in;
	bad.type = "";
	expect_failed_registration(fx, &fx->admin, &bad, SEAL_ETEXT, "empty type");
	bad = in;
	bad.shape = SEAL_SHAPE_COUNT;
	expect_failed_registration(fx, &fx->admin, &bad, SEAL_EINVAL, "shape out of range");
	bad = in;
	snprintf(bad.engraver, sizeof bad.engraver, "6101009");
	expect_failed_registration(fx, &fx->admin, &bad, SEAL_ECODE_ENGRAVER, "unknown engraver");
	eng = fx->admin;
	eng.role = ROLE_ENGRAVER;
	snprintf(eng.scope, sizeof eng.scope, "4401002");
	expect_failed_registration(fx, &eng, &in, SEAL_EPERM, "engraver outside its prefix");
	regfix_expect_rc(
	    0, registry_engraver_set_status(fx->reg, &fx->admin, "6101001", ENGRAVER_SUSPENDED),
	    "suspend");
	expect_failed_registration(fx, &fx->admin, &in, SEAL_ECODE_SUSPENDED, "suspended engraver");
	regfix_expect_rc(
	    0, registry_engraver_set_status(fx->reg, &fx->admin, "6101001", ENGRAVER_ACTIVE),
	    "reinstate");

	/* Positive control: a good registration does change the state. */
	regfix_state(fx->reg, &s0);
	regfix_expect_rc(0, registry_seal_register(fx->reg, &fx->admin, &in, &rec, NULL),
	                 "registration after the failures");
	regfix_state(fx->reg, &s1);
	if (strcmp(rec.code, "6101001000002") != 0)
		fail_msg("after failed registrations: expected 6101001000002 (no gap), got %s",
		         rec.code);
	if (s1.stats.seals != s0.stats.seals + 1 || s1.stats.audit_length != s0.head.seq + 1 ||
	    memcmp(s0.digest, s1.digest, sizeof s0.digest) == 0)
		fail_msg("a good registration: expected one more seal, one more audit entry and a "
		         "new digest");
	free(png);
}

static void
fill_random(uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (uint8_t)(seed >> 16);
	}
}

static void
test_map_full(void **state)
{
	static uint8_t blob[SEAL_IMPRESSION_MAX_BYTES];
	char dir[REGFIX_PATH_MAX];
	struct registry *reg = regfix_registry_new(dir, (size_t)1 << 20);
	struct regfix_fx fx;
	struct seal_registration in = {0};
	struct seal_record rec;
	struct registry_options opt = {.map_size = (size_t)8 << 20};
	char credit[SEAL_CREDIT_LEN + 1], want[SEAL_CODE_LEN + 1];
	uint64_t count = 0, bad = 0;
	const char *why = NULL;
	unsigned n = 0;
	int rc;

	(void)state;
	memset(&fx, 0, sizeof fx);
	memcpy(fx.dir, dir, sizeof dir);
	fx.reg = reg;
	registry_actor_local(&fx.admin);
	regfix_engraver(reg, "6101001");
	regfix_credit_code("610100", 9, credit);
	snprintf(in.engraver, sizeof in.engraver, "6101001");
	in.holder = "满库测试公司";
	in.credit_code = credit;
	in.type = "公章";
	in.shape = SEAL_SHAPE_ROUND;
	in.impression = blob;
	in.impression_len = 100 * 1024;
	for (;;) {
		fill_random(blob, in.impression_len, n + 1);
		rc = registry_seal_register(reg, &fx.admin, &in, &rec, NULL);
		if (rc != 0)
			break;
		n++;
		if (n > 20)
			fail_msg("1 MiB map: expected registry_full within 20 registrations of "
			         "100 KiB, got none");
	}
	regfix_expect_rc(SEAL_EFULL, rc, "registration into a full map");
	if (n < 2)
		fail_msg("1 MiB map: expected a few 100 KiB registrations to fit, got %u", n);
	/* The failure itself changed nothing, a second time too. */
	fill_random(blob, in.impression_len, 4242);
	expect_failed_registration(&fx, &fx.admin, &in, SEAL_EFULL, "map full");
	expect_serials(reg, "6101001", n);
	regfix_expect_rc(0, registry_audit_verify(reg, &count, &bad, &why),
	                 "audit verify after map full");
	if (count != 2 + n)
		fail_msg("audit after map full: expected %u entries, got %llu", 2 + n,
		         (unsigned long long)count);
	/* Raise the map: the next registration takes the next serial. */
	registry_close(reg);
	regfix_expect_rc(0, registry_open(dir, &opt, &reg), "reopen with an 8 MiB map");
	regfix_expect_rc(0, registry_seal_register(reg, &fx.admin, &in, &rec, NULL),
	                 "registration after raising the map");
	code_make("6101001", n + 1, want);
	if (strcmp(rec.code, want) != 0)
		fail_msg("after map full: expected %s (no gap), got %s", want, rec.code);
	expect_serials(reg, "6101001", n + 1);
	registry_close(reg);
	regfix_rmrf(dir);
}

static void
test_serial_exhausted(void **state)
{
	struct regfix_fx *fx = *state;
	struct seal_record rec;
	struct store_txn *t;
	struct store_val v;
	struct engraver_record e;

	/* Bring an engraver to its last serial through the store: 999,999
	 * registrations would take too long. */
	regfix_expect_rc(0, store_txn_begin(fx->reg->st, 1, &t), "store_txn_begin");
	regfix_expect_rc(0, store_get(t, STORE_ENGRAVERS, "4401002", SEAL_PREFIX_LEN, &v),
	                 "store_get engraver");
	assert_int_equal(v.len, sizeof e);
	memcpy(&e, v.data, sizeof e);
	e.next_serial = SEAL_SERIAL_MAX;
	store_put(t, STORE_ENGRAVERS, "4401002", SEAL_PREFIX_LEN, &e, sizeof e, 0);
	regfix_expect_rc(0, store_txn_commit(t), "store_txn_commit");

	regfix_expect_rc(0, regfix_seal(fx->reg, "4401002", "广州公司", 1, &rec), "last serial");
	if (strcmp(rec.code, "4401002999999") != 0)
		fail_msg("last serial: expected 4401002999999, got %s", rec.code);
	{
		struct seal_registration in = {0};
		char credit[SEAL_CREDIT_LEN + 1];

		regfix_credit_code("440100", 2, credit);
		snprintf(in.engraver, sizeof in.engraver, "4401002");
		in.holder = "广州公司二";
		in.credit_code = credit;
		in.type = "公章";
		expect_failed_registration(fx, &fx->admin, &in, SEAL_EFULL, "serials exhausted");
	}
	/* The other engraver is unaffected. */
	regfix_expect_rc(0, regfix_seal(fx->reg, "6101001", "西安公司", 3, &rec), "other engraver");
	assert_string_equal(rec.code, "6101001000001");
}

static void
test_batch_all_or_none(void **state)
{
	struct regfix_fx *fx = *state;
	struct seal_registration in[5];
	struct seal_record out[5];
	struct regfix_state s0, s1;
	char credit[5][SEAL_CREDIT_LEN + 1], wrong[SEAL_CREDIT_LEN + 1];
	const char *prefixes[5] = {"6101001", "4401002", "6101001", "6101001", "4401002"};
	int mismatch[5];
	size_t failed = 99;
	int rc;

	memset(in, 0, sizeof in);
	for (int i = 0; i < 5; i++) {
		regfix_credit_code(i == 4  ? "350100"
		                   : i % 2 ? "440100"
		                           : "610100",
		                   50u + (unsigned)i, credit[i]);
		snprintf(in[i].engraver, sizeof in[i].engraver, "%s", prefixes[i]);
		in[i].holder = "批量公司";
		in[i].credit_code = credit[i];
		in[i].type = "合同专用章";
		in[i].shape = SEAL_SHAPE_ROUND;
	}
	regfix_expect_rc(0, regfix_seal(fx->reg, "6101001", "先来公司", 1, NULL), "first seal");

	/* One bad registration in the middle: none of the five is stored. */
	memcpy(wrong, credit[3], sizeof wrong);
	wrong[17] = wrong[17] == '0' ? '1' : '0';
	in[3].credit_code = wrong;
	regfix_state(fx->reg, &s0);
	rc = registry_seal_register_batch(fx->reg, &fx->admin, in, 5, out, mismatch, &failed);
	regfix_state(fx->reg, &s1);
	regfix_expect_rc(SEAL_ECREDIT_CHECK, rc, "batch with a bad credit code at 3");
	if (failed != 3)
		fail_msg("batch: expected failed index 3, got %zu", failed);
	regfix_expect_same_state(&s0, &s1, "failed batch");
	in[3].credit_code = credit[3];

	/* A suspended engraver at index 1. */
	regfix_expect_rc(
	    0, registry_engraver_set_status(fx->reg, &fx->admin, "4401002", ENGRAVER_SUSPENDED),
	    "suspend");
	regfix_state(fx->reg, &s0);
	failed = 99;
	rc = registry_seal_register_batch(fx->reg, &fx->admin, in, 5, out, mismatch, &failed);
	regfix_state(fx->reg, &s1);
	regfix_expect_rc(SEAL_ECODE_SUSPENDED, rc, "batch with a suspended engraver at 1");
	if (failed != 1)
		fail_msg("batch: expected failed index 1, got %zu", failed);
	regfix_expect_same_state(&s0, &s1, "failed batch (suspended)");
	regfix_expect_rc(
	    0, registry_engraver_set_status(fx->reg, &fx->admin, "4401002", ENGRAVER_ACTIVE),
	    "reinstate");

	/* An empty batch changes nothing either. */
	regfix_state(fx->reg, &s0);
	regfix_expect_rc(0,
	                 registry_seal_register_batch(fx->reg, &fx->admin, in, 0, NULL, NULL, NULL),
	                 "empty batch");
	regfix_state(fx->reg, &s1);
	regfix_expect_same_state(&s0, &s1, "empty batch");

	/* The good batch: serials in input order, no gap after the failures. */
	regfix_expect_rc(
	    0, registry_seal_register_batch(fx->reg, &fx->admin, in, 5, out, mismatch, NULL),
	    "good batch");
	{
		static const char *const want[5] = {"6101001000002", "4401002000001",
		                                    "6101001000003", "6101001000004",
		                                    "4401002000002"};
		static const int want_mismatch[5] = {0, 0, 0, 1, 1};

		for (int i = 0; i < 5; i++)
			if (strcmp(out[i].code, want[i]) != 0 || mismatch[i] != want_mismatch[i])
				fail_msg(
				    "batch row %d: expected %s mismatch %d, got %s mismatch %d", i,
				    want[i], want_mismatch[i], out[i].code, mismatch[i]);
	}
	regfix_state(fx->reg, &s1);
	if (s1.stats.seals != 6 || s1.stats.audit_length != s0.stats.audit_length + 5)
		fail_msg("good batch: expected 6 seals and 5 more audit entries, got %llu and %llu",
		         (unsigned long long)s1.stats.seals,
		         (unsigned long long)(s1.stats.audit_length - s0.stats.audit_length));
	expect_serials(fx->reg, "6101001", 4);
	expect_serials(fx->reg, "4401002", 2);
}

/* Small registrations into a 1 MiB map until it is full, for three holder
 * lengths: the map runs out at different puts of the transaction (record,
 * indexes, history, audit entry, head, counters), and each time nothing of
 * the failed registration remains. */
static void
test_map_full_small_records(void **state)
{
	static const size_t holder_lens[] = {3, 60, 180};

	(void)state;
	for (size_t h = 0; h < sizeof holder_lens / sizeof holder_lens[0]; h++) {
		char dir[REGFIX_PATH_MAX], holder[SEAL_HOLDER_MAX + 1], credit[SEAL_CREDIT_LEN + 1];
		struct registry *reg = regfix_registry_new(dir, (size_t)1 << 20);
		struct seal_registration in = {0};
		struct regfix_fx fx;
		uint64_t count = 0, bad = 0;
		const char *why = NULL;
		unsigned n = 0;
		int rc;

		memset(&fx, 0, sizeof fx);
		memcpy(fx.dir, dir, sizeof dir);
		fx.reg = reg;
		registry_actor_local(&fx.admin);
		regfix_engraver(reg, "6101001");
		snprintf(in.engraver, sizeof in.engraver, "6101001");
		in.credit_code = credit;
		in.holder = holder;
		in.type = "公章";
		for (;;) {
			memset(holder, 'a' + (int)(n % 26), holder_lens[h]);
			snprintf(holder + holder_lens[h] - 3, 4, "%03u", n % 1000);
			regfix_credit_code("610100", n, credit);
			rc = registry_seal_register(reg, &fx.admin, &in, NULL, NULL);
			if (rc != 0)
				break;
			if (++n > 5000)
				fail_msg(
				    "1 MiB map: expected registry_full within 5000 small seals");
		}
		regfix_expect_rc(SEAL_EFULL, rc, "small registration into a full map");
		expect_failed_registration(&fx, &fx.admin, &in, SEAL_EFULL, "map full (small)");
		/* A status change may or may not fit; either way the store is whole. */
		{
			struct regfix_state s0, s1;

			regfix_state(reg, &s0);
			rc = registry_seal_set_status(reg, &fx.admin, "6101001000001",
			                              SEAL_STATUS_LOST, "遗失", NULL, NULL);
			regfix_state(reg, &s1);
			if (rc == SEAL_EFULL)
				regfix_expect_same_state(&s0, &s1, "status change into a full map");
			else
				regfix_expect_rc(0, rc, "status change into a full map");
		}
		expect_serials(reg, "6101001", n);
		regfix_expect_rc(0, registry_audit_verify(reg, &count, &bad, &why),
		                 "audit verify after map full (small)");
		registry_close(reg);
		regfix_rmrf(dir);
	}
}

/* Another process grows the map (sealctl --map-size while the daemon runs):
 * this process adopts the new size on its next transaction - a new read, a
 * renewed read and a write - instead of failing. */
static void
test_map_grown_by_another_process(void **state)
{
	static uint8_t blob[100 * 1024];
	char dir[REGFIX_PATH_MAX], credit[SEAL_CREDIT_LEN + 1], want[SEAL_CODE_LEN + 1];
	struct registry *reg = regfix_registry_new(dir, (size_t)1 << 20);
	struct registry_actor admin;
	struct seal_registration in = {0};
	struct seal_record rec;
	struct registry_txn *held = NULL, *txn = NULL;
	unsigned n = 0;
	int rc, status = 0;
	pid_t pid;

	(void)state;
	registry_actor_local(&admin);
	regfix_engraver(reg, "6101001");
	regfix_credit_code("610100", 9, credit);
	snprintf(in.engraver, sizeof in.engraver, "6101001");
	in.holder = "扩容公司";
	in.credit_code = credit;
	in.type = "公章";
	in.impression = blob;
	in.impression_len = sizeof blob;
	do {
		fill_random(blob, sizeof blob, n + 7);
		rc = registry_seal_register(reg, &admin, &in, &rec, NULL);
	} while (rc == 0 && ++n < 20);
	regfix_expect_rc(SEAL_EFULL, rc, "filling the 1 MiB map");
	regfix_expect_rc(0, registry_read_begin(reg, &held), "read_begin (held)");
	registry_read_reset(held);

	pid = fork();
	if (pid == 0) {
		struct registry_options opt = {.map_size = (size_t)8 << 20};
		struct registry *big;

		if (registry_open(dir, &opt, &big) != 0)
			_exit(3);
		for (int i = 0; i < 4; i++) {
			fill_random(blob, sizeof blob, 1000u + (unsigned)i);
			if (registry_seal_register(big, &admin, &in, NULL, NULL) != 0)
				_exit(4);
		}
		registry_close(big);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		fail_msg("child growing the map: expected exit 0, got status 0x%x", status);

	code_make("6101001", n + 4, want);
	regfix_expect_rc(0, registry_read_renew(held),
	                 "renewed read transaction after the map grew");
	regfix_expect_rc(0, registry_seal_get(held, want, &rec), "the child's seal (renewed txn)");
	registry_read_end(held);
	rc = registry_read_begin(reg, &txn);
	regfix_expect_rc(0, rc, "new read transaction after the map grew");
	regfix_expect_rc(0, registry_seal_get(txn, want, &rec), "the child's last seal");
	registry_read_end(txn);
	fill_random(blob, sizeof blob, 99);
	regfix_expect_rc(0, registry_seal_register(reg, &admin, &in, &rec, NULL),
	                 "write after the map grew");
	code_make("6101001", n + 5, want);
	if (strcmp(rec.code, want) != 0)
		fail_msg("after the map grew: expected %s, got %s", want, rec.code);
	registry_close(reg);
	regfix_rmrf(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_serials_sequential, regfix_setup, regfix_teardown),
	    cmocka_unit_test_setup_teardown(test_serials_threads, regfix_setup, regfix_teardown),
	    cmocka_unit_test_setup_teardown(test_failed_registration_changes_nothing, regfix_setup,
	                                    regfix_teardown),
	    cmocka_unit_test(test_map_full),
	    cmocka_unit_test(test_map_full_small_records),
	    cmocka_unit_test(test_map_grown_by_another_process),
	    cmocka_unit_test_setup_teardown(test_serial_exhausted, regfix_setup, regfix_teardown),
	    cmocka_unit_test_setup_teardown(test_batch_all_or_none, regfix_setup, regfix_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
