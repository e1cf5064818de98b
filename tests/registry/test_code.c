/*
 * test_code.c - the 13-digit seal code, the region table and the unified
 * social credit code (registry/code.h), plus the registry's own code checks
 * (unknown and suspended engravers) and the credit-code region warning.
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
#include "registry/code.h"
#include "registry/registry.h"
#include "tests/support/regfix.h"

static void
expect_parse(const char *text, int want_rc, const char *want_code)
{
	char out[SEAL_CODE_LEN + 1] = {0};
	int rc = code_parse(text, out);

	if (rc != want_rc)
		fail_msg("code_parse(\"%s\"): expected %s, got %s", text, seal_errname(want_rc),
		         seal_errname(rc));
	if (want_code != NULL && strcmp(out, want_code) != 0)
		fail_msg("code_parse(\"%s\"): expected \"%s\", got \"%s\"", text, want_code, out);
}

static void
test_parse_valid(void **state)
{
	(void)state;
	expect_parse("6101001000123", 0, "6101001000123");
	expect_parse("6101 001 000123", 0, "6101001000123");
	expect_parse("6101-001-000123", 0, "6101001000123");
	expect_parse(" 6101 - 001 - 000123 ", 0, "6101001000123");
	expect_parse("1101999999999", 0, "1101999999999");
	expect_parse("4401000000001", 0, "4401000000001");
}

static void
test_parse_length(void **state)
{
	(void)state;
	expect_parse("610100100012", SEAL_ECODE_LENGTH, NULL);   /* 12 digits */
	expect_parse("61010010001234", SEAL_ECODE_LENGTH, NULL); /* 14 digits */
	expect_parse("", SEAL_ECODE_LENGTH, NULL);
	expect_parse("   ", SEAL_ECODE_LENGTH, NULL);
	expect_parse("6101 001 00012", SEAL_ECODE_LENGTH, NULL);
	expect_parse("61010010001230000000000000000000000000", SEAL_ECODE_LENGTH, NULL);
}

static void
test_parse_digit(void **state)
{
	(void)state;
	expect_parse("6101001A00123", SEAL_ECODE_DIGIT, NULL);
	expect_parse("610100100012X", SEAL_ECODE_DIGIT, NULL);
	expect_parse("abcdefghijklm", SEAL_ECODE_DIGIT, NULL);
	expect_parse("6101_001_000123", SEAL_ECODE_DIGIT, NULL);
	expect_parse("6101001000123\n", SEAL_ECODE_DIGIT, NULL);
	expect_parse("6101\t001000123", SEAL_ECODE_DIGIT, NULL);
	/* Full-width digits are not ASCII digits. */
	expect_parse("\xef\xbc\x96"
	             "101001000123",
	             SEAL_ECODE_DIGIT, NULL);
	/* A non-digit wins over a wrong length. */
	expect_parse("61X", SEAL_ECODE_DIGIT, NULL);
}

static void
test_parse_region(void **state)
{
	(void)state;
	expect_parse("0000001000123", SEAL_ECODE_REGION, NULL);
	expect_parse("9999001000123", SEAL_ECODE_REGION, NULL);
	expect_parse("1100001000123", SEAL_ECODE_REGION, NULL); /* province, not prefecture */
	expect_parse("6100 001 000123", SEAL_ECODE_REGION, NULL);
}

static void
test_parse_prefix(void **state)
{
	char out[SEAL_PREFIX_LEN + 1];

	(void)state;
	regfix_expect_rc(0, code_parse_prefix("6101001", out), "prefix 6101001");
	assert_string_equal(out, "6101001");
	regfix_expect_rc(0, code_parse_prefix("6101 001", out), "prefix 6101 001");
	assert_string_equal(out, "6101001");
	regfix_expect_rc(SEAL_ECODE_LENGTH, code_parse_prefix("610100", out), "prefix 6 digits");
	regfix_expect_rc(SEAL_ECODE_LENGTH, code_parse_prefix("61010011", out), "prefix 8 digits");
	regfix_expect_rc(SEAL_ECODE_DIGIT, code_parse_prefix("610100a", out), "prefix letter");
	regfix_expect_rc(SEAL_ECODE_REGION, code_parse_prefix("9999001", out), "prefix 9999");
}

static void
test_format_make(void **state)
{
	char pretty[16], code[SEAL_CODE_LEN + 1];

	(void)state;
	code_format("6101001000123", pretty);
	if (strcmp(pretty, "6101 001 000123") != 0)
		fail_msg("code_format: expected \"6101 001 000123\", got \"%s\"", pretty);
	code_make("4401002", 1, code);
	if (strcmp(code, "4401002000001") != 0)
		fail_msg("code_make(4401002, 1): expected 4401002000001, got %s", code);
	code_make("4401002", SEAL_SERIAL_MAX, code);
	if (strcmp(code, "4401002999999") != 0)
		fail_msg("code_make(4401002, max): expected 4401002999999, got %s", code);
	/* Formatting and parsing round-trip. */
	code_format(code, pretty);
	expect_parse(pretty, 0, code);
}

static void
expect_region(const char *code, const char *want)
{
	const char *got = region_name(code);

	if (want == NULL && got != NULL)
		fail_msg("region_name(%s): expected NULL, got \"%s\"", code, got);
	if (want != NULL && (got == NULL || strcmp(got, want) != 0))
		fail_msg("region_name(%s): expected \"%s\", got \"%s\"", code, want,
		         got ? got : "(null)");
}

static void
test_region_names(void **state)
{
	const char *prev = "0000", *code, *name;

	(void)state;
	expect_region("1101", "北京市市辖区");
	expect_region("4401", "广州市");
	expect_region("6101", "西安市");
	expect_region("6101001000123", "西安市"); /* only the first four count */
	expect_region("0000", NULL);
	expect_region("9999", NULL);
	expect_region("61", NULL);
	if (region_count() < 300 || region_count() > 400)
		fail_msg("region_count: expected about 340 prefecture-level regions, got %zu",
		         region_count());
	for (size_t i = 0; i < region_count(); i++) {
		region_at(i, &code, &name);
		if (strlen(code) != 4 || strspn(code, "0123456789") != 4)
			fail_msg("region %zu: expected 4 digits, got \"%s\"", i, code);
		if (strcmp(prev, code) >= 0)
			fail_msg("region %zu: expected codes in ascending order, got %s after %s",
			         i, code, prev);
		if (name == NULL || name[0] == '\0' || region_name(code) != name)
			fail_msg("region %s: expected its name through region_name()", code);
		prev = code;
	}
}

static void
expect_credit(const char *text, int want)
{
	int rc = credit_code_check(text);

	if (rc != want)
		fail_msg("credit_code_check(\"%s\"): expected %s, got %s", text ? text : "(null)",
		         seal_errname(want), seal_errname(rc));
}

static void
test_credit_known(void **state)
{
	(void)state;
	/* Published codes (the standard's worked example and large companies). */
	expect_credit("91350100M000100Y43", 0);
	expect_credit("91440300708461136T", 0);
	expect_credit("914403001922038216", 0);
	expect_credit("91310000717866186P", 0);
	if (credit_code_check_char("91350100M000100Y4") != '3')
		fail_msg("check char of 91350100M000100Y4: expected '3', got '%c'",
		         credit_code_check_char("91350100M000100Y4"));
}

static void
test_credit_built(void **state)
{
	static const char *const regions[] = {"110000", "440100", "610100", "650100"};
	static const char ALPHA[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
	char code[SEAL_CREDIT_LEN + 1];
	int seen[31] = {0};

	(void)state;
	for (unsigned n = 0; n < 2000; n++) {
		regfix_credit_code(regions[n % 4], n * 7919u, code);
		expect_credit(code, 0);
		seen[strchr(ALPHA, code[17]) - ALPHA] = 1;
		/* Every other check character is refused. */
		if (n < 20)
			for (int i = 0; i < 31; i++) {
				if (ALPHA[i] == code[17])
					continue;
				code[17] = ALPHA[i];
				expect_credit(code, SEAL_ECREDIT_CHECK);
				code[17] = credit_code_check_char(code);
			}
	}
	for (int i = 0; i < 31; i++)
		if (!seen[i])
			fail_msg(
			    "2000 built codes: expected every check character, '%c' never came",
			    ALPHA[i]);
}

static void
test_credit_format(void **state)
{
	static const char bad[] = "IOSVZ";
	char code[SEAL_CREDIT_LEN + 2];

	(void)state;
	expect_credit(NULL, SEAL_ECREDIT_FORMAT);
	expect_credit("", SEAL_ECREDIT_FORMAT);
	expect_credit("91350100M000100Y4", SEAL_ECREDIT_FORMAT);   /* 17 */
	expect_credit("91350100M000100Y433", SEAL_ECREDIT_FORMAT); /* 19 */
	expect_credit("91350100m000100y43", SEAL_ECREDIT_FORMAT);  /* lowercase */
	expect_credit("9135010OM000100Y43", SEAL_ECREDIT_FORMAT);  /* O in the region */
	expect_credit("913501A0M000100Y43", SEAL_ECREDIT_FORMAT);  /* letter in the region */
	expect_credit("91350100M000100Y4 ", SEAL_ECREDIT_FORMAT);
	expect_credit("91350100M000100Y4\xe3", SEAL_ECREDIT_FORMAT);
	for (size_t i = 0; i < sizeof bad - 1; i++) {
		snprintf(code, sizeof code, "%s", "91350100M000100Y43");
		code[9] = bad[i];
		expect_credit(code, SEAL_ECREDIT_FORMAT);
		snprintf(code, sizeof code, "%s", "91350100M000100Y43");
		code[17] = bad[i];
		expect_credit(code, SEAL_ECREDIT_FORMAT);
	}
	if (credit_code_check_char("91350100I000100Y4") != '\0')
		fail_msg("check char over an I: expected '\\0', got '%c'",
		         credit_code_check_char("91350100I000100Y4"));
}

/* ---- through the registry -------------------------------------------- */

struct fx {
	char dir[REGFIX_PATH_MAX];
	struct registry *reg;
};

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof *fx);

	fx->reg = regfix_registry_new(fx->dir, 0);
	regfix_engraver(fx->reg, "6101001");
	regfix_engraver(fx->reg, "4401002");
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
expect_code_check(struct registry *reg, const char *text, int want)
{
	struct registry_txn *txn;
	char out[SEAL_CODE_LEN + 1];
	int rc;

	regfix_expect_rc(0, registry_read_begin(reg, &txn), "read_begin");
	rc = registry_code_check(txn, text, out);
	registry_read_end(txn);
	if (rc != want)
		fail_msg("registry_code_check(\"%s\"): expected %s, got %s", text,
		         seal_errname(want), seal_errname(rc));
}

static void
test_registry_code_check(void **state)
{
	struct fx *fx = *state;
	struct registry_actor admin;

	registry_actor_local(&admin);
	expect_code_check(fx->reg, "6101 001 000001", 0); /* well-formed, not registered */
	expect_code_check(fx->reg, "6101002000001", SEAL_ECODE_ENGRAVER);
	expect_code_check(fx->reg, "4401001000001", SEAL_ECODE_ENGRAVER);
	expect_code_check(fx->reg, "9999001000001", SEAL_ECODE_REGION);
	expect_code_check(fx->reg, "610100100001", SEAL_ECODE_LENGTH);
	expect_code_check(fx->reg, "61010010000O1", SEAL_ECODE_DIGIT);
	/* A suspended engraver's codes still parse: its seals stay valid. */
	regfix_expect_rc(
	    0, registry_engraver_set_status(fx->reg, &admin, "6101001", ENGRAVER_SUSPENDED),
	    "suspend");
	expect_code_check(fx->reg, "6101001000001", 0);
}

static void
test_register_suspended(void **state)
{
	struct fx *fx = *state;
	struct registry_actor admin;
	struct seal_record rec;

	registry_actor_local(&admin);
	regfix_expect_rc(0, regfix_seal(fx->reg, "6101001", "西安甲公司", 1, &rec), "register 1");
	assert_string_equal(rec.code, "6101001000001");
	regfix_expect_rc(
	    0, registry_engraver_set_status(fx->reg, &admin, "6101001", ENGRAVER_SUSPENDED),
	    "suspend");
	regfix_expect_rc(
	    SEAL_ETRANSITION,
	    registry_engraver_set_status(fx->reg, &admin, "6101001", ENGRAVER_SUSPENDED),
	    "suspend twice");
	regfix_expect_rc(SEAL_ECODE_SUSPENDED,
	                 regfix_seal(fx->reg, "6101001", "西安乙公司", 2, NULL),
	                 "register under a suspended engraver");
	regfix_expect_rc(SEAL_ECODE_ENGRAVER, regfix_seal(fx->reg, "6101009", "某公司", 3, NULL),
	                 "register under an unknown engraver");
	regfix_expect_rc(SEAL_ECODE_REGION, regfix_seal(fx->reg, "9999001", "某公司", 3, NULL),
	                 "register under an unknown region");
	regfix_expect_rc(0,
	                 registry_engraver_set_status(fx->reg, &admin, "6101001", ENGRAVER_ACTIVE),
	                 "reinstate");
	/* The refused registration took no serial. */
	regfix_expect_rc(0, regfix_seal(fx->reg, "6101001", "西安乙公司", 2, &rec),
	                 "register after reinstating");
	if (strcmp(rec.code, "6101001000002") != 0)
		fail_msg("serial after a refused registration: expected 6101001000002, got %s",
		         rec.code);
}

static void
test_region_mismatch(void **state)
{
	struct fx *fx = *state;
	struct registry_actor admin;
	struct seal_registration in = {0};
	struct seal_record rec;
	char credit[SEAL_CREDIT_LEN + 1];
	int mismatch = -1;

	registry_actor_local(&admin);
	snprintf(in.engraver, sizeof in.engraver, "6101001");
	in.holder = "西安某公司";
	in.type = "合同专用章";
	in.shape = SEAL_SHAPE_ROUND;
	regfix_credit_code("610113", 42, credit);
	in.credit_code = credit;
	regfix_expect_rc(0, registry_seal_register(fx->reg, &admin, &in, &rec, &mismatch),
	                 "register with a Xi'an credit code");
	if (mismatch != 0)
		fail_msg("credit code 610113 for seal region 6101: expected no mismatch, got %d",
		         mismatch);
	in.credit_code = "91350100M000100Y43"; /* Fuzhou */
	mismatch = -1;
	regfix_expect_rc(0, registry_seal_register(fx->reg, &admin, &in, &rec, &mismatch),
	                 "register with a Fuzhou credit code");
	if (mismatch != 1)
		fail_msg("credit code 350100 for seal region 6101: expected mismatch 1, got %d",
		         mismatch);
	if (strcmp(rec.credit_code, "91350100M000100Y43") != 0)
		fail_msg("stored credit code: expected 91350100M000100Y43, got %s",
		         rec.credit_code);
	in.credit_code = "91350100M000100Y44";
	regfix_expect_rc(SEAL_ECREDIT_CHECK,
	                 registry_seal_register(fx->reg, &admin, &in, &rec, &mismatch),
	                 "register with a wrong check character");
	in.credit_code = "91350100M000100y43";
	regfix_expect_rc(SEAL_ECREDIT_FORMAT,
	                 registry_seal_register(fx->reg, &admin, &in, &rec, &mismatch),
	                 "register with a lowercase credit code");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_valid),
	    cmocka_unit_test(test_parse_length),
	    cmocka_unit_test(test_parse_digit),
	    cmocka_unit_test(test_parse_region),
	    cmocka_unit_test(test_parse_prefix),
	    cmocka_unit_test(test_format_make),
	    cmocka_unit_test(test_region_names),
	    cmocka_unit_test(test_credit_known),
	    cmocka_unit_test(test_credit_built),
	    cmocka_unit_test(test_credit_format),
	    cmocka_unit_test_setup_teardown(test_registry_code_check, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_register_suspended, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_region_mismatch, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
