/*
 * test_model.c - the registry against a small model of itself.
 *
 * A seeded random sequence of 3000 operations - registrations (also under
 * unknown and suspended engravers), status changes to any status,
 * suspensions and reinstatements - runs against both the registry and an
 * in-memory model written from the specification (the lifecycle table of
 * lifecycle.h, serials 1, 2, ... per engraver, one audit entry per
 * successful mutation).  Every result code is compared as it happens; every
 * 250 operations, and at the end, the stats, the audit length, each
 * engraver's next serial and every seal's status, version and history are.
 * The audit chain must verify at the end.
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
#include "registry/registry.h"
#include "tests/support/regfix.h"

#define MODEL_ENGRAVERS 3
#define MODEL_SEALS_MAX 3000
#define MODEL_OPS 3000

static const char *const PREFIXES[MODEL_ENGRAVERS + 1] = {"6101001", "4401002", "1101003",
                                                          "6101009" /* never licensed */};

struct model_seal {
	char code[SEAL_CODE_LEN + 1];
	int status;
	unsigned changes;
};

struct model {
	int suspended[MODEL_ENGRAVERS];
	unsigned next_serial[MODEL_ENGRAVERS];
	struct model_seal seals[MODEL_SEALS_MAX];
	size_t n;
	uint64_t audit;
	uint64_t by_status[SEAL_STATUS_COUNT];
};

/* The specification's table, written out again rather than borrowed. */
static int
spec_allowed(int from, int to)
{
	static const int table[SEAL_STATUS_COUNT][SEAL_STATUS_COUNT] = {
	    /* to: active lost revoked destroyed disputed */
	    [SEAL_STATUS_ACTIVE] = {0, 1, 1, 1, 1},   [SEAL_STATUS_LOST] = {1, 0, 0, 0, 0},
	    [SEAL_STATUS_REVOKED] = {0, 0, 0, 0, 0},  [SEAL_STATUS_DESTROYED] = {0, 0, 0, 0, 0},
	    [SEAL_STATUS_DISPUTED] = {1, 0, 1, 0, 0},
	};

	return table[from][to];
}

static unsigned rng_state = 20261128;

static unsigned
rng(unsigned n)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return (rng_state >> 8) % n;
}

static void
compare(struct registry *reg, const struct model *m, const char *when)
{
	struct registry_txn *txn;
	struct registry_stats st;

	regfix_expect_rc(0, registry_read_begin(reg, &txn), "read_begin");
	regfix_expect_rc(0, registry_stats(txn, &st), "stats");
	if (st.seals != m->n || st.audit_length != m->audit)
		fail_msg("%s: expected %zu seals and %llu audit entries, got %llu and %llu", when,
		         m->n, (unsigned long long)m->audit, (unsigned long long)st.seals,
		         (unsigned long long)st.audit_length);
	for (int s = 0; s < SEAL_STATUS_COUNT; s++)
		if (st.by_status[s] != m->by_status[s])
			fail_msg("%s: expected %llu %s seals, got %llu", when,
			         (unsigned long long)m->by_status[s],
			         seal_status_name((enum seal_status)s),
			         (unsigned long long)st.by_status[s]);
	for (int e = 0; e < MODEL_ENGRAVERS; e++) {
		struct engraver_record er;

		regfix_expect_rc(0, registry_engraver_get(txn, PREFIXES[e], &er), "engraver_get");
		if (er.next_serial != m->next_serial[e] ||
		    er.status != (m->suspended[e] ? ENGRAVER_SUSPENDED : ENGRAVER_ACTIVE))
			fail_msg("%s: engraver %s: expected next serial %u %s, got %u %s", when,
			         PREFIXES[e], m->next_serial[e],
			         m->suspended[e] ? "suspended" : "active", er.next_serial,
			         er.status == ENGRAVER_ACTIVE ? "active" : "suspended");
	}
	for (size_t i = 0; i < m->n; i++) {
		struct seal_record rec;

		regfix_expect_rc(0, registry_seal_get(txn, m->seals[i].code, &rec), "seal_get");
		if (rec.status != m->seals[i].status || rec.version != 1 + m->seals[i].changes ||
		    rec.history_count != 1 + m->seals[i].changes)
			fail_msg(
			    "%s: seal %s: expected %s version %u, got %s version %u history %u",
			    when, m->seals[i].code,
			    seal_status_name((enum seal_status)m->seals[i].status),
			    1 + m->seals[i].changes, seal_status_name((enum seal_status)rec.status),
			    rec.version, rec.history_count);
	}
	registry_read_end(txn);
}

static void
test_model(void **state)
{
	struct model *m = calloc(1, sizeof *m);
	struct registry_actor admin;
	char dir[REGFIX_PATH_MAX], when[64];
	struct registry *reg = regfix_registry_new(dir, 0);
	uint64_t count = 0, bad = 0;
	const char *why = NULL;

	(void)state;
	registry_actor_local(&admin);
	m->audit = 1; /* registry.create */
	for (int e = 0; e < MODEL_ENGRAVERS; e++) {
		regfix_engraver(reg, PREFIXES[e]);
		m->next_serial[e] = 1;
		m->audit++;
	}
	for (unsigned op = 0; op < MODEL_OPS; op++) {
		unsigned kind = rng(10);
		int rc, want;

		snprintf(when, sizeof when, "operation %u", op);
		if (kind < 4 || m->n == 0) {
			/* Register under a random engraver (sometimes the unknown one). */
			unsigned e = rng(MODEL_ENGRAVERS + 1);
			struct seal_record rec;

			want = e == MODEL_ENGRAVERS ? SEAL_ECODE_ENGRAVER
			       : m->suspended[e]    ? SEAL_ECODE_SUSPENDED
			                            : 0;
			rc = regfix_seal(reg, PREFIXES[e], "模型公司", op, &rec);
			if (rc != want)
				fail_msg("%s: register under %s: expected %s, got %s", when,
				         PREFIXES[e], seal_errname(want), seal_errname(rc));
			if (rc == 0) {
				struct model_seal *s = &m->seals[m->n++];

				code_make(PREFIXES[e], m->next_serial[e]++, s->code);
				if (strcmp(rec.code, s->code) != 0)
					fail_msg("%s: expected code %s, got %s", when, s->code,
					         rec.code);
				s->status = SEAL_STATUS_ACTIVE;
				m->by_status[SEAL_STATUS_ACTIVE]++;
				m->audit++;
			}
		} else if (kind < 9) {
			/* Any status change on any seal. */
			struct model_seal *s = &m->seals[rng((unsigned)m->n)];
			int to = (int)rng(SEAL_STATUS_COUNT);

			want =
			    s->status != to && spec_allowed(s->status, to) ? 0 : SEAL_ETRANSITION;
			rc = registry_seal_set_status(reg, &admin, s->code, (enum seal_status)to,
			                              "模型", op % 3 ? NULL : "M-1", NULL);
			if (rc != want)
				fail_msg("%s: %s %s -> %s: expected %s, got %s", when, s->code,
				         seal_status_name((enum seal_status)s->status),
				         seal_status_name((enum seal_status)to), seal_errname(want),
				         seal_errname(rc));
			if (rc == 0) {
				m->by_status[s->status]--;
				m->by_status[to]++;
				s->status = to;
				s->changes++;
				m->audit++;
			}
		} else {
			/* Suspend or reinstate a random engraver. */
			unsigned e = rng(MODEL_ENGRAVERS);
			int to_suspended = (int)rng(2);

			want = to_suspended == m->suspended[e] ? SEAL_ETRANSITION : 0;
			rc = registry_engraver_set_status(reg, &admin, PREFIXES[e],
			                                  to_suspended ? ENGRAVER_SUSPENDED
			                                               : ENGRAVER_ACTIVE);
			if (rc != want)
				fail_msg("%s: engraver %s -> %s: expected %s, got %s", when,
				         PREFIXES[e], to_suspended ? "suspended" : "active",
				         seal_errname(want), seal_errname(rc));
			if (rc == 0) {
				m->suspended[e] = to_suspended;
				m->audit++;
			}
		}
		if (op % 250 == 249)
			compare(reg, m, when);
	}
	compare(reg, m, "the end");
	regfix_expect_rc(0, registry_audit_verify(reg, &count, &bad, &why), "audit verify");
	if (count != m->audit)
		fail_msg("audit verify: expected %llu entries, got %llu",
		         (unsigned long long)m->audit, (unsigned long long)count);
	registry_close(reg);
	regfix_rmrf(dir);
	free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
