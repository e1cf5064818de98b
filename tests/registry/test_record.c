/*
 * test_record.c - registry/record.h: the enum names and their parsers, and
 * record_set_text(), the one way text enters a record (strict UTF-8, no
 * control characters, bounded, required or not).  Also engraver licences
 * (add, duplicates, bad fields, listing order) and the features walk.
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
#include "registry/record.h"
#include "registry/registry.h"
#include "tests/support/regfix.h"

static void
test_names(void **state)
{
	static const char *const statuses[] = {"active", "lost", "revoked", "destroyed",
	                                       "disputed"};
	static const char *const shapes[] = {"round", "oval", "square"};
	static const char *const roles[] = {"none", "admin", "engraver", "police"};

	(void)state;
	for (int i = 0; i < SEAL_STATUS_COUNT; i++)
		if (strcmp(seal_status_name((enum seal_status)i), statuses[i]) != 0 ||
		    seal_status_parse(statuses[i]) != i)
			fail_msg("status %d: expected \"%s\" both ways, got \"%s\" / %d", i,
			         statuses[i], seal_status_name((enum seal_status)i),
			         seal_status_parse(statuses[i]));
	for (int i = 0; i < SEAL_SHAPE_COUNT; i++)
		if (strcmp(record_shape_name((enum seal_shape)i), shapes[i]) != 0 ||
		    record_shape_parse(shapes[i]) != i)
			fail_msg("shape %d: expected \"%s\" both ways", i, shapes[i]);
	for (int i = 1; i < ROLE_COUNT; i++)
		if (strcmp(account_role_name((enum account_role)i), roles[i]) != 0 ||
		    account_role_parse(roles[i]) != i)
			fail_msg("role %d: expected \"%s\" both ways", i, roles[i]);
	assert_string_equal(seal_status_name((enum seal_status)SEAL_STATUS_COUNT), "unknown");
	assert_string_equal(record_shape_name((enum seal_shape)99), "unknown");
	assert_string_equal(account_role_name((enum account_role)ROLE_COUNT), "unknown");
	if (seal_status_parse("Active") != -1 || seal_status_parse("") != -1 ||
	    seal_status_parse(NULL) != -1 || record_shape_parse("circle") != -1 ||
	    account_role_parse("none") != -1 || account_role_parse("root") != -1)
		fail_msg("unknown names: expected -1 from every parser (and 'none' is no role)");
}

static void
expect_text(const char *src, size_t cap, int required, int want, const char *what)
{
	char buf[300];
	int rc;

	memset(buf, 0x55, sizeof buf);
	rc = record_set_text(buf, cap, src, required);
	if (rc != want)
		fail_msg("record_set_text(%s): expected %s, got %s", what, seal_errname(want),
		         seal_errname(rc));
	if (rc == 0) {
		if (strcmp(buf, src ? src : "") != 0)
			fail_msg("record_set_text(%s): expected the text copied", what);
		for (size_t i = strlen(buf); i < cap; i++)
			if (buf[i] != 0)
				fail_msg(
				    "record_set_text(%s): expected the field zero-filled, byte "
				    "%zu is 0x%02x",
				    what, i, (unsigned char)buf[i]);
	}
}

static void
test_set_text(void **state)
{
	char exact[48], over[49];

	(void)state;
	memset(exact, 'x', sizeof exact - 1);
	exact[sizeof exact - 1] = '\0';
	memset(over, 'x', sizeof over - 1);
	over[sizeof over - 1] = '\0';
	expect_text("公章", 48, 1, 0, "CJK");
	expect_text("Ünïcödé ok €𝄞", 48, 1, 0, "2-, 3- and 4-byte sequences");
	expect_text(exact, 48, 1, 0, "cap - 1 bytes");
	expect_text(over, 48, 1, SEAL_ETEXT, "cap bytes");
	expect_text("", 48, 1, SEAL_ETEXT, "empty, required");
	expect_text(NULL, 48, 1, SEAL_ETEXT, "NULL, required");
	expect_text("", 48, 0, 0, "empty, optional");
	expect_text(NULL, 48, 0, 0, "NULL, optional");
	expect_text("tab\there", 48, 1, SEAL_ETEXT, "tab");
	expect_text("new\nline", 48, 1, SEAL_ETEXT, "newline");
	expect_text("del\x7f", 48, 1, SEAL_ETEXT, "DEL");
	expect_text("c1 \xc2\x85", 48, 1, SEAL_ETEXT, "C1 control U+0085");
	expect_text("\xc0\xaf", 48, 1, SEAL_ETEXT, "overlong '/'");
	expect_text("\xe0\x80\xaf", 48, 1, SEAL_ETEXT, "overlong 3-byte");
	expect_text("\xed\xa0\x80", 48, 1, SEAL_ETEXT, "surrogate U+D800");
	expect_text("\xf4\x90\x80\x80", 48, 1, SEAL_ETEXT, "above U+10FFFF");
	expect_text("\xe5\x85", 48, 1, SEAL_ETEXT, "truncated sequence");
	expect_text("\x85", 48, 1, SEAL_ETEXT, "lone continuation byte");
	expect_text("\xff", 48, 1, SEAL_ETEXT, "0xff");
	/* A multibyte character that would end past the cap is refused whole. */
	expect_text("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx公", 48, 1, SEAL_ETEXT,
	            "46 bytes + a 3-byte character");
}

static int
setup(void **state)
{
	struct regfix_fx *fx = calloc(1, sizeof *fx);

	fx->reg = regfix_registry_new(fx->dir, 0);
	registry_actor_local(&fx->admin);
	*state = fx;
	return 0;
}

struct elist {
	int n;
	char prefixes[8][SEAL_PREFIX_LEN + 1];
};

static int
e_collect(const struct engraver_record *e, void *arg)
{
	struct elist *l = arg;

	if (l->n < 8)
		memcpy(l->prefixes[l->n], e->prefix, SEAL_PREFIX_LEN + 1);
	l->n++;
	return 0;
}

static void
test_engravers(void **state)
{
	struct regfix_fx *fx = *state;
	struct engraver_record e = {0}, got;
	struct registry_txn *txn;
	struct elist l = {0};
	struct regfix_state s0, s1;

	regfix_engraver(fx->reg, "6101001");
	regfix_engraver(fx->reg, "1101002");
	regfix_engraver(fx->reg, "4401001");
	regfix_state(fx->reg, &s0);
	snprintf(e.company, sizeof e.company, "西安刻字厂");
	snprintf(e.licence, sizeof e.licence, "陕-0001");
	snprintf(e.prefix, sizeof e.prefix, "6101001");
	regfix_expect_rc(SEAL_EEXIST, registry_engraver_add(fx->reg, &fx->admin, &e), "duplicate");
	snprintf(e.prefix, sizeof e.prefix, "9999001");
	regfix_expect_rc(SEAL_ECODE_REGION, registry_engraver_add(fx->reg, &fx->admin, &e),
	                 "unknown region");
	snprintf(e.prefix, sizeof e.prefix, "610100");
	regfix_expect_rc(SEAL_ECODE_LENGTH, registry_engraver_add(fx->reg, &fx->admin, &e),
	                 "6-digit prefix");
	snprintf(e.prefix, sizeof e.prefix, "6101002");
	e.company[0] = '\0';
	regfix_expect_rc(SEAL_ETEXT, registry_engraver_add(fx->reg, &fx->admin, &e),
	                 "empty company");
	snprintf(e.company, sizeof e.company, "西安刻字厂");
	regfix_expect_rc(
	    SEAL_ECODE_ENGRAVER,
	    registry_engraver_set_status(fx->reg, &fx->admin, "6101009", ENGRAVER_SUSPENDED),
	    "suspend an unknown engraver");
	regfix_expect_rc(
	    SEAL_ECODE_LENGTH,
	    registry_engraver_set_status(fx->reg, &fx->admin, "61010", ENGRAVER_SUSPENDED),
	    "suspend a short prefix");
	regfix_expect_rc(
	    SEAL_EINVAL,
	    registry_engraver_set_status(fx->reg, &fx->admin, "6101001", (enum engraver_status)7),
	    "status 7");
	regfix_state(fx->reg, &s1);
	regfix_expect_same_state(&s0, &s1, "refused engraver changes");

	/* The prefix may be typed with a space; status and serial start fresh. */
	snprintf(e.prefix, sizeof e.prefix, "6101 02");
	e.status = ENGRAVER_SUSPENDED;
	e.next_serial = 77;
	regfix_expect_rc(SEAL_ECODE_LENGTH, registry_engraver_add(fx->reg, &fx->admin, &e),
	                 "6 digits with a space");
	snprintf(e.prefix, sizeof e.prefix, "6101002");
	regfix_expect_rc(0, registry_engraver_add(fx->reg, &fx->admin, &e), "add 6101002");
	regfix_expect_rc(0, registry_read_begin(fx->reg, &txn), "read_begin");
	regfix_expect_rc(0, registry_engraver_get(txn, "6101002", &got), "get");
	if (got.status != ENGRAVER_ACTIVE || got.next_serial != 1 || got.created_at <= 0 ||
	    strcmp(got.company, "西安刻字厂") != 0 || strcmp(got.licence, "陕-0001") != 0)
		fail_msg("new engraver: expected active, next serial 1, the texts; got status %u "
		         "serial %u %s %s",
		         got.status, got.next_serial, got.company, got.licence);
	regfix_expect_rc(SEAL_ENOTFOUND, registry_engraver_get(txn, "6101009", &got),
	                 "get unknown");
	regfix_expect_rc(SEAL_ENOTFOUND, registry_engraver_get(txn, "61", &got), "get short");
	regfix_expect_rc(0, registry_engraver_each(txn, e_collect, &l), "engraver_each");
	registry_read_end(txn);
	{
		static const char *const want[] = {"1101002", "4401001", "6101001", "6101002"};

		if (l.n != 4)
			fail_msg("engraver list: expected 4, got %d", l.n);
		for (int i = 0; i < 4; i++)
			if (strcmp(l.prefixes[i], want[i]) != 0)
				fail_msg("engraver list row %d: expected %s, got %s", i, want[i],
				         l.prefixes[i]);
	}
}

struct flist {
	int n;
	char codes[8][SEAL_CODE_LEN + 1];
	size_t lens[8];
};

static int
f_collect(const char *code, const void *features, size_t len, void *arg)
{
	struct flist *l = arg;

	(void)features;
	if (l->n < 8) {
		memcpy(l->codes[l->n], code, SEAL_CODE_LEN + 1);
		l->lens[l->n] = len;
	}
	l->n++;
	return 0;
}

static void
test_features_walk(void **state)
{
	struct regfix_fx *fx = *state;
	struct seal_registration in = {0};
	struct registry_txn *txn;
	struct flist l = {0};
	char credit[SEAL_CREDIT_LEN + 1];
	uint8_t f[64] = {1, 2, 3};

	regfix_engraver(fx->reg, "6101001");
	regfix_engraver(fx->reg, "4401001");
	regfix_credit_code("610100", 3, credit);
	in.holder = "特征公司";
	in.credit_code = credit;
	in.type = "公章";
	for (int i = 0; i < 5; i++) {
		snprintf(in.engraver, sizeof in.engraver, "%s", i % 2 ? "4401001" : "6101001");
		in.features = i == 2 ? NULL : f;
		in.features_len = i == 2 ? 0 : 10u + (size_t)i;
		regfix_expect_rc(0, registry_seal_register(fx->reg, &fx->admin, &in, NULL, NULL),
		                 "register");
	}
	regfix_expect_rc(0, registry_read_begin(fx->reg, &txn), "read_begin");
	regfix_expect_rc(0, registry_features_each(txn, f_collect, &l), "features_each");
	registry_read_end(txn);
	{
		/* Seal 2 (6101001000002) has none. */
		static const char *const want[] = {"4401001000001", "4401001000002",
		                                   "6101001000001", "6101001000003"};
		static const size_t want_len[] = {11, 13, 10, 14};

		if (l.n != 4)
			fail_msg("features walk: expected 4 seals with features, got %d", l.n);
		for (int i = 0; i < 4; i++)
			if (strcmp(l.codes[i], want[i]) != 0 || l.lens[i] != want_len[i])
				fail_msg(
				    "features walk row %d: expected %s (%zu bytes), got %s (%zu)",
				    i, want[i], want_len[i], l.codes[i], l.lens[i]);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_set_text),
	    cmocka_unit_test_setup_teardown(test_engravers, setup, regfix_teardown),
	    cmocka_unit_test_setup_teardown(test_features_walk, setup, regfix_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
