/*
 * bulk.h - register many seals from a CSV file, all or none.
 *
 * The CSV has a header naming the columns holder, credit_code, type, shape,
 * impression (an image path, relative to base_dir unless absolute) and
 * optionally engraver.  Every row is read, checked and its impression
 * decoded and described first; only then are all seals registered in one
 * write transaction.  Any bad row stops the import before the registry is
 * touched, and err names its line and column.
 */
#ifndef SEAL_IMPORT_BULK_H
#define SEAL_IMPORT_BULK_H

#include <stdio.h>

#include "registry/registry.h"

struct bulk_error {
	size_t line;      /* 1-based line of the offending record (0: not a row's fault) */
	char column[32];  /* "holder", "credit_code", ..., "header", "record", "row" */
	int code;         /* SEAL_E* */
	char detail[128]; /* extra words, e.g. which header column is missing; may be "" */
};

/* Called once per registered row, in file order, after the commit. */
typedef void (*bulk_row_fn)(size_t line, const struct seal_record *rec, void *arg);

/* Import csv (not owned).  default_engraver (7 digits) applies to rows
 * without an engraver column value; may be NULL.  dry_run checks every row
 * but registers nothing.  Returns 0 with *rows set, or the error code with
 * *err filled; the registry is then unchanged.  reg may be NULL for a dry
 * run. */
int bulk_import(struct registry *reg, const struct registry_actor *actor, FILE *csv,
                const char *base_dir, const char *default_engraver, int dry_run, bulk_row_fn fn,
                void *arg, size_t *rows, struct bulk_error *err);

#endif
