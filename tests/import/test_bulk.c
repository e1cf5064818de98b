/*
 * test_bulk.c - the CSV reader and the all-or-none bulk import.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "import/bulk.h"
#include "import/csv.h"
#include "tests/support/regfix.h"

static FILE *
text_file(const char *text)
{
	FILE *f = tmpfile();

	assert_non_null(f);
	fputs(text, f);
	rewind(f);
	return f;
}

static void
test_csv_quoting_and_lines(void **state)
{
	FILE *f = text_file("a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\n\"multi\nline\",2,3\nlast,,");
	struct csv_reader r;

	(void)state;
	csv_init(&r, f);
	assert_int_equal(csv_next(&r), 0);
	assert_int_equal(r.count, 3);
	assert_string_equal(r.fields[2], "c");
	assert_int_equal(csv_next(&r), 0);
	assert_int_equal(r.line, 2);
	assert_string_equal(r.fields[0], "x, y");
	assert_string_equal(r.fields[1], "say \"hi\"");
	assert_string_equal(r.fields[2], "");
	assert_int_equal(csv_next(&r), 0);
	assert_int_equal(r.line, 3);
	assert_string_equal(r.fields[0], "multi\nline");
	assert_int_equal(csv_next(&r), 0);
	assert_int_equal(r.line, 5);
	assert_int_equal(r.count, 3);
	assert_int_equal(csv_next(&r), SEAL_ENOTFOUND);
	fclose(f);
}

static void
test_csv_errors(void **state)
{
	struct csv_reader r;
	FILE *f;
	char *big;

	(void)state;
	f = text_file("\"open quote\n");
	csv_init(&r, f);
	assert_int_equal(csv_next(&r), SEAL_EINVAL);
	fclose(f);
	f = text_file("ab\"c\n");
	csv_init(&r, f);
	assert_int_equal(csv_next(&r), SEAL_EINVAL);
	fclose(f);
	f = text_file("\"a\"b\n");
	csv_init(&r, f);
	assert_int_equal(csv_next(&r), SEAL_EINVAL);
	fclose(f);
	big = malloc(SEAL_CSV_LINE_MAX + 10);
	memset(big, 'x', SEAL_CSV_LINE_MAX + 8);
	big[SEAL_CSV_LINE_MAX + 8] = '\0';
	f = text_file(big);
	csv_init(&r, f);
	assert_int_equal(csv_next(&r), SEAL_ETOOBIG);
	fclose(f);
	free(big);
}

/* A folder with impression.png and a CSV of the given rows. */
static void
write_import(const char *dir, const char *rows)
{
	char path[REGFIX_PATH_MAX + 32];
	uint8_t *png;
	size_t len;
	FILE *f;

	regfix_png(300, &png, &len);
	snprintf(path, sizeof path, "%s/ring.png", dir);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(png, 1, len, f), len);
	fclose(f);
	free(png);
	snprintf(path, sizeof path, "%s/seals.csv", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("holder,credit_code,type,shape,impression\n", f);
	fputs(rows, f);
	fclose(f);
}

static int
run_import(struct registry *reg, const char *dir, int dry, size_t *rows, struct bulk_error *err)
{
	struct registry_actor actor;
	char path[REGFIX_PATH_MAX + 32];
	FILE *f;
	int rc;

	registry_actor_local(&actor);
	snprintf(path, sizeof path, "%s/seals.csv", dir);
	f = fopen(path, "r");
	assert_non_null(f);
	rc = bulk_import(reg, &actor, f, dir, "6101001", dry, NULL, NULL, rows, err);
	fclose(f);
	return rc;
}

static void
test_bulk_all_or_none(void **state)
{
	char dir[REGFIX_PATH_MAX], files[REGFIX_PATH_MAX], good[SEAL_CREDIT_LEN + 1], csv[1024];
	struct registry *reg = regfix_registry_new(dir, 0);
	struct regfix_state before, after;
	struct registry_txn *txn;
	struct seal_record rec;
	struct bulk_error err;
	size_t rows = 0;

	(void)state;
	regfix_engraver(reg, "6101001");
	regfix_tmpdir(files);
	regfix_credit_code("610100", 7, good);
	/* Row 3 (line 4) has a broken check character. */
	snprintf(csv, sizeof csv,
	         "甲公司,%s,公章,round,ring.png\n乙公司,%s,公章,round,ring.png\n"
	         "丙公司,%.17s%c,公章,round,ring.png\n",
	         good, good, good, good[17] == '0' ? '1' : '0');
	write_import(files, csv);
	regfix_state(reg, &before);
	assert_int_equal(run_import(reg, files, 0, &rows, &err), SEAL_ECREDIT_CHECK);
	assert_int_equal(err.line, 4);
	assert_string_equal(err.column, "credit_code");
	regfix_state(reg, &after);
	regfix_expect_same_state(&before, &after, "after a failed import");

	/* A missing image file names its line too. */
	snprintf(csv, sizeof csv, "甲公司,%s,公章,round,ring.png\n乙公司,%s,公章,oval,nope.png\n",
	         good, good);
	write_import(files, csv);
	assert_int_equal(run_import(reg, files, 0, &rows, &err), SEAL_ENOTFOUND);
	assert_int_equal(err.line, 3);
	assert_string_equal(err.column, "impression");
	regfix_state(reg, &after);
	regfix_expect_same_state(&before, &after, "after a missing image");

	/* The good file registers every row, serials in file order. */
	snprintf(csv, sizeof csv,
	         "甲公司,%s,公章,round,ring.png\n\n乙公司,%s,财务专用章,round,ring.png\n", good,
	         good);
	write_import(files, csv);
	assert_int_equal(run_import(reg, files, 1, &rows, &err), 0);
	assert_int_equal(rows, 2);
	regfix_state(reg, &after);
	regfix_expect_same_state(&before, &after, "after a dry run");
	assert_int_equal(run_import(reg, files, 0, &rows, &err), 0);
	assert_int_equal(rows, 2);
	assert_int_equal(registry_read_begin(reg, &txn), 0);
	assert_int_equal(registry_seal_get(txn, "6101001000002", &rec), 0);
	assert_string_equal(rec.holder, "乙公司");
	assert_string_equal(rec.type, "财务专用章");
	registry_read_end(txn);
	registry_close(reg);
	regfix_rmrf(dir);
	regfix_rmrf(files);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_csv_quoting_and_lines),
	    cmocka_unit_test(test_csv_errors),
	    cmocka_unit_test(test_bulk_all_or_none),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
