/*
 * sealimport - register seals in bulk from a CSV file and impression images.
 *
 *   sealimport --db DIR [--engraver PREFIX] [--dry-run] FILE.csv
 *
 * FILE.csv has a header naming the columns holder, credit_code, type, shape,
 * impression (an image path, relative to the CSV's folder) and optionally
 * engraver (else --engraver applies to every row).  Every row is read,
 * checked and its impression decoded and described first; only then are
 * all seals registered in one write transaction.  Any bad row stops the
 * import with "FILE:LINE: column: reason" and the registry is left exactly
 * as it was.  On success it prints "line,code" for each row.
 */
#include "common/errors.h"
#include "import/csv.h"
#include "import/intake.h"
#include "registry/registry.h"

#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
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
row_error(const char *file, size_t line, const char *column, int rc)
{
	fprintf(stderr, "%s:%zu: %s: %s\n", file, line, column, seal_strerror(rc));
	return 1;
}

/* Check and prepare one CSV record into row. */
static int
row_read(const char *file, const char *dir, const struct csv_reader *r, const int *col,
         const char *default_engraver, struct row *row)
{
	struct seal_registration in = {0};
	char path[4096];
	const char *f[COL_COUNT] = {0};
	size_t len;
	int rc, shape;

	for (int i = 0; i < COL_COUNT; i++)
		f[i] = col[i] >= 0 && (size_t)col[i] < r->count ? r->fields[col[i]] : NULL;
	for (int i = 0; i < COL_ENGRAVER; i++)
		if (f[i] == NULL || f[i][0] == '\0')
			return row_error(file, r->line, COL_NAMES[i], SEAL_ETEXT);
	if (f[COL_ENGRAVER] == NULL || f[COL_ENGRAVER][0] == '\0')
		f[COL_ENGRAVER] = default_engraver;
	if (f[COL_ENGRAVER] == NULL || code_parse_prefix(f[COL_ENGRAVER], in.engraver) != 0)
		return row_error(file, r->line, "engraver", SEAL_ECODE_ENGRAVER);
	row->line = r->line;
	if (record_set_text(row->holder, sizeof row->holder, f[COL_HOLDER], 1) != 0)
		return row_error(file, r->line, "holder", SEAL_ETEXT);
	if ((rc = credit_code_check(f[COL_CREDIT])) != 0)
		return row_error(file, r->line, "credit_code", rc);
	memcpy(row->credit, f[COL_CREDIT], sizeof row->credit);
	if (record_set_text(row->type, sizeof row->type, f[COL_TYPE], 1) != 0)
		return row_error(file, r->line, "type", SEAL_ETEXT);
	if ((shape = record_shape_parse(f[COL_SHAPE])) < 0)
		return row_error(file, r->line, "shape", SEAL_EINVAL);
	if (f[COL_IMPRESSION][0] == '/')
		snprintf(path, sizeof path, "%s", f[COL_IMPRESSION]);
	else
		snprintf(path, sizeof path, "%s/%s", dir, f[COL_IMPRESSION]);
	rc = intake_read_file(path, SEAL_UPLOAD_MAX_BYTES, &row->image, &len);
	if (rc != 0)
		return row_error(file, r->line, "impression", rc);
	in.holder = row->holder;
	in.credit_code = row->credit;
	in.type = row->type;
	in.shape = (enum seal_shape)shape;
	in.impression = row->image;
	in.impression_len = len;
	rc = intake_prepare(&in, &row->item);
	if (rc != 0)
		return row_error(file, r->line, "impression", rc);
	return 0;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: sealimport --db DIR [--engraver PREFIX] [--dry-run] FILE.csv\n"
	           "Columns: holder,credit_code,type,shape,impression[,engraver]; all rows are\n"
	           "registered in one transaction, or none.\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {{"db", 1, 0, 'd'},
	                                     {"engraver", 1, 0, 'e'},
	                                     {"dry-run", 0, 0, 'n'},
	                                     {"help", 0, 0, 'h'},
	                                     {0, 0, 0, 0}};
	const char *db = NULL, *engraver = NULL, *file;
	struct csv_reader *r = NULL;
	struct row *rows = NULL;
	struct seal_registration *regs = NULL;
	struct seal_record *out = NULL;
	struct registry *reg = NULL;
	struct registry_actor actor;
	char dirbuf[4096];
	int col[COL_COUNT], c, rc = 1, dry = 0;
	size_t n = 0, failed = 0;
	FILE *f;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			db = optarg;
			break;
		case 'e':
			engraver = optarg;
			break;
		case 'n':
			dry = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (db == NULL || optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	file = argv[optind];
	snprintf(dirbuf, sizeof dirbuf, "%s", file);
	f = fopen(file, "r");
	r = malloc(sizeof *r);
	rows = calloc(SEAL_IMPORT_MAX_ROWS, sizeof *rows);
	if (f == NULL || r == NULL || rows == NULL) {
		fprintf(stderr, "sealimport: %s: %s\n", file, f ? "out of memory" : "cannot open");
		goto out;
	}
	csv_init(r, f);
	if ((c = csv_next(r)) != 0) {
		row_error(file, r->line, "header", c == SEAL_ENOTFOUND ? SEAL_EINVAL : c);
		goto out;
	}
	for (int i = 0; i < COL_COUNT; i++) {
		col[i] = csv_column(r, COL_NAMES[i]);
		if (col[i] < 0 && i != COL_ENGRAVER) {
			fprintf(stderr, "%s:1: header: column '%s' is missing\n", file,
			        COL_NAMES[i]);
			goto out;
		}
	}
	while ((c = csv_next(r)) == 0) {
		if (r->count == 1 && r->fields[0][0] == '\0')
			continue; /* blank line */
		if (n == SEAL_IMPORT_MAX_ROWS) {
			fprintf(stderr, "%s:%zu: more than %d rows; split the file\n", file,
			        r->line, SEAL_IMPORT_MAX_ROWS);
			goto out;
		}
		if (row_read(file, dirname(dirbuf), r, col, engraver, &rows[n++]) != 0)
			goto out;
		snprintf(dirbuf, sizeof dirbuf, "%s", file);
	}
	if (c != SEAL_ENOTFOUND) {
		row_error(file, r->line, "record", c);
		goto out;
	}
	if (dry) {
		printf("%zu rows checked; nothing registered (--dry-run)\n", n);
		rc = 0;
		goto out;
	}
	regs = calloc(n ? n : 1, sizeof *regs);
	out = calloc(n ? n : 1, sizeof *out);
	if (regs == NULL || out == NULL)
		goto out;
	for (size_t i = 0; i < n; i++)
		regs[i] = rows[i].item.reg;
	c = registry_open(db, NULL, &reg);
	if (c != 0) {
		fprintf(stderr, "sealimport: %s: %s\n", db, seal_strerror(c));
		goto out;
	}
	registry_actor_local(&actor);
	c = registry_seal_register_batch(reg, &actor, regs, n, out, NULL, &failed);
	if (c != 0) {
		if (failed < n)
			row_error(file, rows[failed].line, "row", c);
		else
			fprintf(stderr, "sealimport: %s: %s\n", db, seal_strerror(c));
		fprintf(stderr, "sealimport: nothing was registered\n");
		goto out;
	}
	printf("line,code\n");
	for (size_t i = 0; i < n; i++)
		printf("%zu,%s\n", rows[i].line, out[i].code);
	fprintf(stderr, "sealimport: registered %zu seals\n", n);
	rc = 0;
out:
	for (size_t i = 0; rows != NULL && i < n; i++) {
		intake_item_fini(&rows[i].item);
		free(rows[i].image);
	}
	registry_close(reg);
	free(rows);
	free(regs);
	free(out);
	free(r);
	if (f != NULL)
		fclose(f);
	return rc;
}
