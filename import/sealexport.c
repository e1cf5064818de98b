/*
 * sealexport - write the registry's seals as CSV plus impression files, in
 * the format sealimport reads (with code, status and dates added).
 *
 *   sealexport --db DIR [--prefix DIGITS] OUTDIR
 *
 * OUTDIR/seals.csv and OUTDIR/impressions/CODE.png.  Reads one snapshot, so
 * the export is consistent while the registry keeps changing.
 */
#include "common/errors.h"
#include "import/csv.h"
#include "registry/registry.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

struct export
{
	struct registry_txn *txn;
	FILE *csv;
	const char *dir;
	size_t rows;
	int rc;
};

static int
export_row(const struct seal_record *s, void *arg)
{
	struct export *ex = arg;
	struct registry_blob img = {0};
	char rel[64], path[4096], date[32];
	time_t t = (time_t)s->registered_at;
	struct tm tm;

	rel[0] = '\0';
	if (registry_seal_impression(ex->txn, s->code, &img) == 0) {
		FILE *f;
		snprintf(rel, sizeof rel, "impressions/%s.png", s->code);
		snprintf(path, sizeof path, "%s/%s", ex->dir, rel);
		f = fopen(path, "wb");
		if (f == NULL || fwrite(img.data, 1, img.len, f) != img.len) {
			if (f != NULL)
				fclose(f);
			return ex->rc = SEAL_EIO;
		}
		if (fclose(f) != 0)
			return ex->rc = SEAL_EIO;
	}
	gmtime_r(&t, &tm);
	strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm);
	csv_write_field(ex->csv, s->code, 0);
	csv_write_field(ex->csv, s->engraver, 0);
	csv_write_field(ex->csv, s->holder, 0);
	csv_write_field(ex->csv, s->credit_code, 0);
	csv_write_field(ex->csv, s->type, 0);
	csv_write_field(ex->csv, record_shape_name((enum seal_shape)s->shape), 0);
	csv_write_field(ex->csv, seal_status_name((enum seal_status)s->status), 0);
	csv_write_field(ex->csv, date, 0);
	csv_write_field(ex->csv, rel, 1);
	ex->rows++;
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"db", 1, 0, 'd'}, {"prefix", 1, 0, 'p'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
	const char *db = NULL, *prefix = "";
	struct registry *reg = NULL;
	struct export ex = {0};
	char path[4096];
	int c, rc;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'd') {
			db = optarg;
		} else if (c == 'p') {
			prefix = optarg;
		} else {
			fprintf(c == 'h' ? stdout : stderr,
			        "usage: sealexport --db DIR [--prefix DIGITS] OUTDIR\n");
			return c == 'h' ? 0 : 2;
		}
	}
	if (db == NULL || optind != argc - 1) {
		fprintf(stderr, "usage: sealexport --db DIR [--prefix DIGITS] OUTDIR\n");
		return 2;
	}
	ex.dir = argv[optind];
	snprintf(path, sizeof path, "%s/impressions", ex.dir);
	if ((mkdir(ex.dir, 0755) != 0 && errno != EEXIST) ||
	    (mkdir(path, 0755) != 0 && errno != EEXIST)) {
		fprintf(stderr, "sealexport: cannot create %s\n", path);
		return 1;
	}
	snprintf(path, sizeof path, "%s/seals.csv", ex.dir);
	rc = registry_open(db, &(struct registry_options){.read_only = 1}, &reg);
	if (rc == 0)
		rc = registry_read_begin(reg, &ex.txn);
	if (rc == 0 && (ex.csv = fopen(path, "w")) == NULL)
		rc = SEAL_EIO;
	if (rc == 0) {
		fputs(
		    "code,engraver,holder,credit_code,type,shape,status,registered_at,impression\n",
		    ex.csv);
		rc = registry_seal_list(ex.txn, prefix, NULL, (size_t)-1, export_row, &ex);
		if (fclose(ex.csv) != 0 && rc == 0)
			rc = SEAL_EIO;
	}
	registry_read_end(ex.txn);
	registry_close(reg);
	if (rc != 0) {
		fprintf(stderr, "sealexport: %s\n", seal_strerror(rc));
		return 1;
	}
	printf("exported %zu seals to %s\n", ex.rows, ex.dir);
	return 0;
}
