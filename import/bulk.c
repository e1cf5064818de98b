/*
 * bulk.c - the CSV import of bulk.h: parse and prepare every row into
 * memory (at most SEAL_IMPORT_MAX_ROWS), then one batch registration.
 */
#include "import/bulk.h"
#include "common/errors.h"
#include "import/csv.h"
#include "import/intake.h"

#include <stdlib.h>
#include <string.h>

enum col { COL_HOLDER, COL_CREDIT, COL_TYPE, COL_SHAPE, COL_IMPRESSION, COL_ENGRAVER, COL_COUNT };

static const char *const COL_NAMES[COL_COUNT] = {"holder", "credit_code", "type",
                                                 "shape",  "impression",  "engraver"};

struct row {
	size_t line;
	char holder[SEAL_HOLDER_MAX + 1];
	char credit[SEAL_CREDIT_LEN + 1];
	char type[SEAL_TYPE_MAX + 1];
	uint8_t *image;
	struct intake_item item;
};

static int
fail(struct bulk_error *err, size_t line, const char *column, int code)
{
	err->line = line;
	snprintf(err->column, sizeof err->column, "%s", column);
	err->code = code;
	return code;
}

/* Check and prepare one CSV record into row. */
static int
row_read(const char *base_dir, const struct csv_reader *r, const int *col,
         const char *default_engraver, struct row *row, struct bulk_error *err)
{
	struct seal_registration in = {0};
	const char *f[COL_COUNT] = {0};
	char path[4096];
	size_t len;
	int rc, shape;

	row->line = r->line;
	for (int i = 0; i < COL_COUNT; i++)
		f[i] = col[i] >= 0 && (size_t)col[i] < r->count ? r->fields[col[i]] : NULL;
	for (int i = 0; i < COL_ENGRAVER; i++)
		if (f[i] == NULL || f[i][0] == '\0')
			return fail(err, r->line, COL_NAMES[i], SEAL_ETEXT);
	if (f[COL_ENGRAVER] == NULL || f[COL_ENGRAVER][0] == '\0')
		f[COL_ENGRAVER] = default_engraver;
	if (f[COL_ENGRAVER] == NULL || code_parse_prefix(f[COL_ENGRAVER], in.engraver) != 0)
		return fail(err, r->line, "engraver", SEAL_ECODE_ENGRAVER);
	if (record_set_text(row->holder, sizeof row->holder, f[COL_HOLDER], 1) != 0)
		return fail(err, r->line, "holder", SEAL_ETEXT);
	if ((rc = credit_code_check(f[COL_CREDIT])) != 0)
		return fail(err, r->line, "credit_code", rc);
	memcpy(row->credit, f[COL_CREDIT], sizeof row->credit);
	if (record_set_text(row->type, sizeof row->type, f[COL_TYPE], 1) != 0)
		return fail(err, r->line, "type", SEAL_ETEXT);
	if ((shape = record_shape_parse(f[COL_SHAPE])) < 0)
		return fail(err, r->line, "shape", SEAL_EINVAL);
	rc = snprintf(path, sizeof path, "%s/%s", f[COL_IMPRESSION][0] == '/' ? "" : base_dir,
	              f[COL_IMPRESSION]);
	if (rc < 0 || (size_t)rc >= sizeof path)
		return fail(err, r->line, "impression", SEAL_ETOOBIG);
	rc = intake_read_file(path, SEAL_UPLOAD_MAX_BYTES, &row->image, &len);
	if (rc != 0)
		return fail(err, r->line, "impression", rc);
	in.holder = row->holder;
	in.credit_code = row->credit;
	in.type = row->type;
	in.shape = (enum seal_shape)shape;
	in.impression = row->image;
	in.impression_len = len;
	rc = intake_prepare(&in, &row->item);
	return rc ? fail(err, r->line, "impression", rc) : 0;
}

int
bulk_import(struct registry *reg, const struct registry_actor *actor, FILE *csv,
            const char *base_dir, const char *default_engraver, int dry_run, bulk_row_fn fn,
            void *arg, size_t *rows_out, struct bulk_error *err)
{
	struct csv_reader *r = malloc(sizeof *r);
	struct row *rows = calloc(SEAL_IMPORT_MAX_ROWS, sizeof *rows);
	struct seal_registration *regs = NULL;
	struct seal_record *out = NULL;
	int col[COL_COUNT], rc;
	size_t n = 0, failed = 0;

	memset(err, 0, sizeof *err);
	*rows_out = 0;
	if (r == NULL || rows == NULL) {
		rc = fail(err, 0, "", SEAL_ENOMEM);
		goto out;
	}
	csv_init(r, csv);
	rc = csv_next(r);
	if (rc != 0) {
		rc = fail(err, r->line, "header", rc == SEAL_ENOTFOUND ? SEAL_EINVAL : rc);
		goto out;
	}
	for (int i = 0; i < COL_COUNT; i++) {
		col[i] = csv_column(r, COL_NAMES[i]);
		if (col[i] < 0 && i != COL_ENGRAVER) {
			rc = fail(err, r->line, "header", SEAL_EINVAL);
			snprintf(err->detail, sizeof err->detail, "column '%s' is missing",
			         COL_NAMES[i]);
			goto out;
		}
	}
	while ((rc = csv_next(r)) == 0) {
		if (r->count == 1 && r->fields[0][0] == '\0')
			continue; /* a blank line */
		if (n == SEAL_IMPORT_MAX_ROWS) {
			rc = fail(err, r->line, "record", SEAL_ETOOBIG);
			snprintf(err->detail, sizeof err->detail,
			         "more than %d rows: split the file", SEAL_IMPORT_MAX_ROWS);
			goto out;
		}
		rc = row_read(base_dir, r, col, default_engraver, &rows[n++], err);
		if (rc != 0)
			goto out;
	}
	if (rc != SEAL_ENOTFOUND) {
		rc = fail(err, r->line, "record", rc);
		goto out;
	}
	rc = 0;
	if (dry_run) {
		*rows_out = n;
		goto out;
	}
	regs = calloc(n ? n : 1, sizeof *regs);
	out = calloc(n ? n : 1, sizeof *out);
	if (regs == NULL || out == NULL) {
		rc = fail(err, 0, "", SEAL_ENOMEM);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		regs[i] = rows[i].item.reg;
	rc = registry_seal_register_batch(reg, actor, regs, n, out, NULL, &failed);
	if (rc != 0) {
		fail(err, failed < n ? rows[failed].line : 0, failed < n ? "row" : "", rc);
		goto out;
	}
	for (size_t i = 0; fn != NULL && i < n; i++)
		fn(rows[i].line, &out[i], arg);
	*rows_out = n;
out:
	for (size_t i = 0; rows != NULL && i < n; i++) {
		intake_item_fini(&rows[i].item);
		free(rows[i].image);
	}
	free(rows);
	free(regs);
	free(out);
	free(r);
	return rc;
}
