/*
 * csv.h - a bounded RFC 4180 reader: comma-separated, double-quoted fields
 * with "" for a quote, CRLF or LF line ends, UTF-8 passed through.
 *
 * A record may not exceed SEAL_CSV_LINE_MAX bytes nor CSV_FIELDS_MAX fields;
 * a quoted field may span lines (the record's line number is that of its
 * first line).
 */
#ifndef SEAL_IMPORT_CSV_H
#define SEAL_IMPORT_CSV_H

#include <stddef.h>
#include <stdio.h>

#include "common/limits.h"

#define CSV_FIELDS_MAX 32

struct csv_reader {
	FILE *f;
	size_t line; /* line number of the record last read, from 1 */
	size_t next_line;
	char buf[SEAL_CSV_LINE_MAX + 1];
	char *fields[CSV_FIELDS_MAX];
	size_t count;
};

/* Start reading f (not owned). */
void csv_init(struct csv_reader *r, FILE *f);

/* Read the next record: 0 with r->fields[0..count-1] (valid until the next
 * call), SEAL_ENOTFOUND at end of file, SEAL_ETOOBIG (record too long or
 * too many fields), SEAL_EINVAL (unterminated quote, text after a closing
 * quote), SEAL_EIO.  r->line names the record's line either way. */
int csv_next(struct csv_reader *r);

/* Index of the field named name in a header record, or -1. */
int csv_column(const struct csv_reader *header, const char *name);

/* Write one field, quoted when it contains a comma, quote or line break. */
void csv_write_field(FILE *f, const char *s, int last);

#endif
