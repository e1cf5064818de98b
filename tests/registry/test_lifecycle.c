/*
 * test_lifecycle.c - seal status changes (registry/lifecycle.h and
 * registry_seal_set_status()).
 *
 * Every cell of the 5x5 transition matrix is tried on a real seal brought
 * into the `from` status: allowed changes succeed and leave a history row
 * with actor, reason and case reference plus an audit entry; refused ones
 * return SEAL_ETRANSITION and leave the whole store as it was.  Then the
 * role checks: engravers cannot change a status nor register outside their
 * prefix, police can change a status but not register.
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
#include "registry/lifecycle.h"
#include "registry/registry.h"
#include "tests/support/regfix.h"

#define HIST_MAX 8

struct hist {
	size_t n;
	struct history_record rows[HIST_MAX];
};

static int
hist_collect(const struct history_record *h, void *arg)
{
	struct hist *hs = arg;

	if (hs->n < HIST_MAX)
		hs->rows[hs->n] = *h;
	hs->n++;
	return 0;
}

static void
read_seal(struct registry *reg, const char *code, struct seal_record *rec, struct hist *hs)
{
	struct registry_txn *txn;

	regfix_expect_rc(0, registry_read_begin(reg, &txn), "read_begin");
	regfix_expect_rc(0, registry_seal_get(txn, code, rec), "registry_seal_get");
	if (hs != NULL) {
		memset(hs, 0, sizeof *hs);
		regfix_expect_rc(0, registry_seal_history(txn, code, hist_collect, hs),
		                 "registry_seal_history");
	}
	registry_read_end(txn);
}

static int
allowed(int from, int to)
{
	switch (from) {
	case SEAL_STATUS_ACTIVE:
		return to != SEAL_STATUS_ACTIVE;
	case SEAL_STATUS_DISPUTED:
		return to == SEAL_STATUS_ACTIVE || to == SEAL_STATUS_REVOKED;
	case SEAL_STATUS_LOST:
		return to == SEAL_STATUS_ACTIVE;
	default:
		return 0;
	}
}

static void
test_check_matrix(void **state)
{
	(void)state;
	for (int from = 0; from < SEAL_STATUS_COUNT; from++)
		for (int to = 0; to < SEAL_STATUS_COUNT; to++) {
			int want = allowed(from, to) ? 0 : SEAL_ETRANSITION;
			int got = lifecycle_check(from, to);

			if (got != want)
				fail_msg("lifecycle_check(%s, %s): expected %s, got %s",
				         seal_status_name((enum seal_status)from),
				         seal_status_name((enum seal_status)to), seal_errname(want),
				         seal_errname(got));
		}
	regfix_expect_rc(SEAL_ETRANSITION, lifecycle_check(-1, 0), "from -1");
	regfix_expect_rc(SEAL_ETRANSITION, lifecycle_check(0, SEAL_STATUS_COUNT), "to COUNT");
	regfix_expect_rc(SEAL_ETRANSITION, lifecycle_check(SEAL_STATUS_COUNT, 0), "from COUNT");
	if (lifecycle_advice(SEAL_STATUS_ACTIVE) != NULL)
		fail_msg("advice for active: expected NULL, got \"%s\"",
		         lifecycle_advice(SEAL_STATUS_ACTIVE));
	for (int s = 1; s < SEAL_STATUS_COUNT; s++)
		if (lifecycle_advice((enum seal_status)s) == NULL)
			fail_msg("advice for %s: expected a sentence, got NULL",
			         seal_status_name((enum seal_status)s));
}

/* Bring a fresh seal into status `from` (admin, one allowed step). */
static void
seal_in_status(struct regfix_fx *fx, int from, unsigned n, struct seal_record *rec)
{
	char holder[64];

	snprintf(holder, sizeof holder, "矩阵测试公司%u", n);
	regfix_expect_rc(0, regfix_seal(fx->reg, "6101001", holder, n, rec), "register");
	if (from != SEAL_STATUS_ACTIVE)
		regfix_expect_rc(0,
		                 registry_seal_set_status(fx->reg, &fx->admin, rec->code,
		                                          (enum seal_status)from, "准备", NULL,
		                                          rec),
		                 "bring into from-status");
}

static void
test_transition_matrix(void **state)
{
	struct regfix_fx *fx = *state;
	unsigned n = 0;

	for (int from = 0; from < SEAL_STATUS_COUNT; from++)
		for (int to = 0; to < SEAL_STATUS_COUNT; to++) {
			struct seal_record before, after, got;
			struct regfix_state s0, s1;
			struct hist hs;
			char reason[64], case_ref[32];
			const char *fname = seal_status_name((enum seal_status)from);
			const char *tname = seal_status_name((enum seal_status)to);
			int rc;

			seal_in_status(fx, from, ++n, &before);
			snprintf(reason, sizeof reason, "理由 %s->%s", fname, tname);
			snprintf(case_ref, sizeof case_ref, "CASE-%02d%02d", from, to);
			regfix_state(fx->reg, &s0);
			memset(&got, 0, sizeof got);
			rc = registry_seal_set_status(fx->reg, &fx->admin, before.code,
			                              (enum seal_status)to, reason,
			                              (from + to) % 2 ? case_ref : NULL, &got);
			regfix_state(fx->reg, &s1);
			read_seal(fx->reg, before.code, &after, &hs);
			if (!allowed(from, to)) {
				if (rc != SEAL_ETRANSITION)
					fail_msg("%s -> %s: expected illegal_transition, got %s",
					         fname, tname, seal_errname(rc));
				regfix_expect_same_state(&s0, &s1, "refused transition");
				if (memcmp(&before, &after, sizeof before) != 0)
					fail_msg("%s -> %s refused: expected the record unchanged",
					         fname, tname);
				continue;
			}
			if (rc != 0)
				fail_msg("%s -> %s: expected ok, got %s", fname, tname,
				         seal_errname(rc));
			if (after.status != to || got.status != to)
				fail_msg(
				    "%s -> %s: expected stored status %s, got %s / returned %s",
				    fname, tname, tname,
				    seal_status_name((enum seal_status)after.status),
				    seal_status_name((enum seal_status)got.status));
			if (after.version != before.version + 1 ||
			    after.history_count != before.history_count + 1)
				fail_msg("%s -> %s: expected version %u history %u, got %u %u",
				         fname, tname, before.version + 1, before.history_count + 1,
				         after.version, after.history_count);
			if (memcmp(&got, &after, sizeof got) != 0)
				fail_msg(
				    "%s -> %s: expected the returned record to be the stored one",
				    fname, tname);
			if (hs.n != after.history_count || hs.n > HIST_MAX)
				fail_msg("%s -> %s: expected %u history rows, got %zu", fname,
				         tname, after.history_count, hs.n);
			{
				const struct history_record *h = &hs.rows[hs.n - 1];
				const char *want_case = (from + to) % 2 ? case_ref : "";

				if (h->seq != hs.n || h->from != from || h->to != to)
					fail_msg("%s -> %s: expected history row %zu %s->%s, got "
					         "%u %s->%s",
					         fname, tname, hs.n, fname, tname, h->seq,
					         seal_status_name((enum seal_status)h->from),
					         seal_status_name((enum seal_status)h->to));
				if (strcmp(h->actor, "admin:local") != 0 ||
				    strcmp(h->reason, reason) != 0 ||
				    strcmp(h->case_ref, want_case) != 0)
					fail_msg("%s -> %s: expected actor/reason/case "
					         "admin:local/%s/%s, got %s/%s/%s",
					         fname, tname, reason, want_case, h->actor,
					         h->reason, h->case_ref);
				if (h->time < before.registered_at || h->time != after.updated_at)
					fail_msg("%s -> %s: expected the row's time to be the "
					         "record's updated_at",
					         fname, tname);
			}
			if (s1.stats.audit_length != s0.stats.audit_length + 1)
				fail_msg("%s -> %s: expected one audit entry, got %llu", fname,
				         tname,
				         (unsigned long long)(s1.stats.audit_length -
				                              s0.stats.audit_length));
			if (s1.stats.by_status[from] + 1 != s0.stats.by_status[from] ||
			    s1.stats.by_status[to] != s0.stats.by_status[to] + 1 ||
			    s1.stats.seals != s0.stats.seals)
				fail_msg("%s -> %s: expected the counters to move one seal", fname,
				         tname);
		}
}

static void
test_status_arguments(void **state)
{
	struct regfix_fx *fx = *state;
	struct seal_record rec;
	struct regfix_state s0, s1;
	char long_case[SEAL_CASE_MAX + 2];

	regfix_expect_rc(0, regfix_seal(fx->reg, "6101001", "参数公司", 1, &rec), "register");
	memset(long_case, 'C', sizeof long_case - 1);
	long_case[sizeof long_case - 1] = '\0';
	regfix_state(fx->reg, &s0);
	regfix_expect_rc(SEAL_ETEXT,
	                 registry_seal_set_status(fx->reg, &fx->admin, rec.code, SEAL_STATUS_LOST,
	                                          "", NULL, NULL),
	                 "empty reason");
	regfix_expect_rc(SEAL_ETEXT,
	                 registry_seal_set_status(fx->reg, &fx->admin, rec.code, SEAL_STATUS_LOST,
	                                          NULL, NULL, NULL),
	                 "NULL reason");
	regfix_expect_rc(SEAL_ETEXT,
	                 registry_seal_set_status(fx->reg, &fx->admin, rec.code, SEAL_STATUS_LOST,
	                                          "遗失", long_case, NULL),
	                 "case reference over SEAL_CASE_MAX");
	regfix_expect_rc(SEAL_ETEXT,
	                 registry_seal_set_status(fx->reg, &fx->admin, rec.code, SEAL_STATUS_LOST,
	                                          "bad\x01text", NULL, NULL),
	                 "control character in reason");
	regfix_expect_rc(SEAL_ENOT_REGISTERED,
	                 registry_seal_set_status(fx->reg, &fx->admin, "6101001999999",
	                                          SEAL_STATUS_LOST, "遗失", NULL, NULL),
	                 "unregistered code");
	regfix_expect_rc(SEAL_ECODE_LENGTH,
	                 registry_seal_set_status(fx->reg, &fx->admin, "610100100000",
	                                          SEAL_STATUS_LOST, "遗失", NULL, NULL),
	                 "12-digit code");
	regfix_expect_rc(SEAL_ETRANSITION,
	                 registry_seal_set_status(fx->reg, &fx->admin, rec.code,
	                                          (enum seal_status)SEAL_STATUS_COUNT, "遗失", NULL,
	                                          NULL),
	                 "status out of range");
	regfix_state(fx->reg, &s1);
	regfix_expect_same_state(&s0, &s1, "refused status changes");
}

/* An actor from a real token of the given role and scope. */
static void
actor_for(struct regfix_fx *fx, enum account_role role, const char *scope,
          struct registry_actor *out)
{
	char token[REGISTRY_TOKEN_LEN + 1], id[ACCOUNT_ID_LEN + 1];
	struct account_record acct;
	struct registry_txn *txn;

	regfix_expect_rc(0, registry_token_issue(fx->reg, &fx->admin, role, scope, token, id),
	                 "registry_token_issue");
	regfix_expect_rc(0, registry_read_begin(fx->reg, &txn), "read_begin");
	regfix_expect_rc(0, registry_token_check(txn, token, &acct), "registry_token_check");
	registry_read_end(txn);
	registry_actor_from_account(&acct, out);
}

static int
register_as(struct regfix_fx *fx, const struct registry_actor *actor, const char *prefix,
            struct seal_record *out)
{
	struct seal_registration in = {0};
	char credit[SEAL_CREDIT_LEN + 1];

	regfix_credit_code("610100", 77, credit);
	snprintf(in.engraver, sizeof in.engraver, "%s", prefix);
	in.holder = "角色测试公司";
	in.credit_code = credit;
	in.type = "财务专用章";
	in.shape = SEAL_SHAPE_OVAL;
	return registry_seal_register(fx->reg, actor, &in, out, NULL);
}

static void
test_roles(void **state)
{
	struct regfix_fx *fx = *state;
	struct registry_actor eng, police;
	struct seal_record rec, got;
	struct regfix_state s0, s1;
	struct hist hs;

	actor_for(fx, ROLE_ENGRAVER, "6101001", &eng);
	actor_for(fx, ROLE_POLICE, "西安市公安局碑林分局", &police);
	regfix_expect_rc(0, register_as(fx, &eng, "6101001", &rec), "engraver in its prefix");
	if (strcmp(rec.engraver, "6101001") != 0 || rec.shape != SEAL_SHAPE_OVAL)
		fail_msg("engraver registration: expected engraver 6101001 oval, got %s %s",
		         rec.engraver, record_shape_name((enum seal_shape)rec.shape));
	regfix_state(fx->reg, &s0);
	regfix_expect_rc(SEAL_EPERM, register_as(fx, &eng, "4401002", NULL),
	                 "engraver outside its prefix");
	regfix_expect_rc(SEAL_EPERM, register_as(fx, &police, "6101001", NULL),
	                 "police registering");
	regfix_expect_rc(
	    SEAL_EPERM,
	    registry_seal_set_status(fx->reg, &eng, rec.code, SEAL_STATUS_LOST, "遗失", NULL, NULL),
	    "engraver changing a status");
	{
		struct registry_actor none = eng;

		none.role = ROLE_NONE;
		regfix_expect_rc(SEAL_EPERM,
		                 registry_seal_set_status(fx->reg, &none, rec.code,
		                                          SEAL_STATUS_LOST, "遗失", NULL, NULL),
		                 "role none changing a status");
		regfix_expect_rc(SEAL_EPERM, register_as(fx, &none, "6101001", NULL),
		                 "role none registering");
	}
	{
		struct engraver_record e = {0};

		snprintf(e.prefix, sizeof e.prefix, "6101003");
		snprintf(e.company, sizeof e.company, "x");
		snprintf(e.licence, sizeof e.licence, "y");
		regfix_expect_rc(SEAL_EPERM, registry_engraver_add(fx->reg, &eng, &e),
		                 "engraver adding an engraver");
		regfix_expect_rc(
		    SEAL_EPERM,
		    registry_engraver_set_status(fx->reg, &police, "6101001", ENGRAVER_SUSPENDED),
		    "police suspending an engraver");
		regfix_expect_rc(SEAL_EPERM,
		                 registry_seal_set_features(fx->reg, &police, rec.code, "f", 1),
		                 "police replacing features");
	}
	regfix_state(fx->reg, &s1);
	regfix_expect_same_state(&s0, &s1, "refused by role");
	regfix_expect_rc(0,
	                 registry_seal_set_status(fx->reg, &police, rec.code, SEAL_STATUS_DISPUTED,
	                                          "伪造嫌疑", "碑公(刑)2026-17", &got),
	                 "police disputing");
	read_seal(fx->reg, rec.code, &got, &hs);
	if (hs.n != 2 || strcmp(hs.rows[1].actor, police.name) != 0 ||
	    strncmp(police.name, "police:", 7) != 0 ||
	    strcmp(hs.rows[1].case_ref, "碑公(刑)2026-17") != 0)
		fail_msg("police history row: expected 2 rows, actor %s, case 碑公(刑)2026-17; got "
		         "%zu rows, actor %s, case %s",
		         police.name, hs.n, hs.n > 1 ? hs.rows[1].actor : "",
		         hs.n > 1 ? hs.rows[1].case_ref : "");
	if (hs.rows[0].seq != 1 || strcmp(hs.rows[0].actor, eng.name) != 0 ||
	    strcmp(hs.rows[0].reason, "registered") != 0)
		fail_msg("first history row: expected seq 1 by %s 'registered', got %u by %s '%s'",
		         eng.name, hs.rows[0].seq, hs.rows[0].actor, hs.rows[0].reason);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_check_matrix),
	    cmocka_unit_test_setup_teardown(test_transition_matrix, regfix_setup, regfix_teardown),
	    cmocka_unit_test_setup_teardown(test_status_arguments, regfix_setup, regfix_teardown),
	    cmocka_unit_test_setup_teardown(test_roles, regfix_setup, regfix_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
