/*
 * sealimport - register seals in bulk from a CSV file and impression images.
 *
 *   sealimport --db DIR [--engraver PREFIX] [--dry-run] FILE.csv
 *
 * See import/bulk.h for the format.  All rows are registered in one write
 * transaction, or none: a bad row stops the import with
 * "FILE:LINE: column: reason" and the registry is left exactly as it was.
 * On success it prints "line,code" for each row.
 */
#include "common/errors.h"
#include "import/bulk.h"

#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>

static void
print_row(size_t line, const struct seal_record *rec, void *arg)
{
	int *header_done = arg;

	if (!*header_done)
		printf("line,code\n");
	*header_done = 1;
	printf("%zu,%s\n", line, rec->code);
}

static void
usage(FILE *f)
{
	fprintf(f,
	        "usage: sealimport --db DIR [--engraver PREFIX] [--dry-run] FILE.csv\n"
	        "Columns: holder,credit_code,type,shape,impression[,engraver]; impression paths\n"
	        "are relative to the CSV's folder.  All rows are registered, or none.\n");
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
	struct registry *reg = NULL;
	struct registry_actor actor;
	struct bulk_error err;
	char dir[4096];
	size_t rows = 0;
	int c, rc, dry = 0, header_done = 0;
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
	snprintf(dir, sizeof dir, "%s", file);
	f = fopen(file, "r");
	if (f == NULL) {
		fprintf(stderr, "sealimport: %s: cannot open\n", file);
		return 1;
	}
	rc = dry ? 0 : registry_open(db, NULL, &reg);
	if (rc != 0) {
		fprintf(stderr, "sealimport: %s: %s\n", db, seal_strerror(rc));
		fclose(f);
		return 1;
	}
	registry_actor_local(&actor);
	rc = bulk_import(reg, &actor, f, dirname(dir), engraver, dry, print_row, &header_done, &rows,
			 &err);
	fclose(f);
	registry_close(reg);
	if (rc != 0) {
		fprintf(stderr, "%s:%zu: %s: %s%s%s\nsealimport: nothing was registered\n", file,
		        err.line, err.column, seal_strerror(err.code), err.detail[0] ? ": " : "",
		        err.detail);
		return 1;
	}
	fprintf(stderr, "sealimport: %s %zu rows\n", dry ? "checked (dry run)" : "registered",
	        rows);
	return 0;
}
