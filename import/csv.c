/*
 * csv.c - a character-at-a-time state machine that decodes one record into
 * r->buf in place: fields are NUL-separated slices of the buffer.
 */
#include "import/csv.h"
#include "common/errors.h"

#include <string.h>

void
csv_init(struct csv_reader *r, FILE *f)
{
	memset(r, 0, sizeof *r);
	r->f = f;
	r->next_line = 1;
}

int
csv_next(struct csv_reader *r)
{
	size_t n = 0;
	int c, quoted = 0, after_quote = 0, any = 0;

	r->count = 0;
	r->line = r->next_line;
	r->fields[r->count++] = r->buf;
	for (;;) {
		c = getc(r->f);
		if (c == EOF) {
			if (ferror(r->f))
				return SEAL_EIO;
			if (quoted)
				return SEAL_EINVAL;
			if (!any)
				return SEAL_ENOTFOUND;
			break;
		}
		any = 1;
		if (c == '\n')
			r->next_line++;
		if (quoted) {
			if (c == '"') {
				int d = getc(r->f);
				if (d == '"') {
					c = '"';
				} else {
					if (d != EOF)
						ungetc(d, r->f);
					quoted = 0;
					after_quote = 1;
					continue;
				}
			}
		} else if (c == '"') {
			if (after_quote || r->fields[r->count - 1] != r->buf + n)
				return SEAL_EINVAL;
			quoted = 1;
			continue;
		} else if (c == ',') {
			if (r->count == CSV_FIELDS_MAX)
				return SEAL_ETOOBIG;
			if (n >= SEAL_CSV_LINE_MAX)
				return SEAL_ETOOBIG;
			r->buf[n++] = '\0';
			r->fields[r->count++] = r->buf + n;
			after_quote = 0;
			continue;
		} else if (c == '\n') {
			break;
		} else if (c == '\r') {
			continue;
		} else if (after_quote) {
			return SEAL_EINVAL;
		}
		if (n >= SEAL_CSV_LINE_MAX)
			return SEAL_ETOOBIG;
		r->buf[n++] = (char)c;
	}
	r->buf[n] = '\0';
	return 0;
}

int
csv_column(const struct csv_reader *header, const char *name)
{
	for (size_t i = 0; i < header->count; i++)
		if (strcmp(header->fields[i], name) == 0)
			return (int)i;
	return -1;
}

void
csv_write_field(FILE *f, const char *s, int last)
{
	if (strpbrk(s, ",\"\r\n") != NULL) {
		putc('"', f);
		for (; *s; s++) {
			if (*s == '"')
				putc('"', f);
			putc(*s, f);
		}
		putc('"', f);
	} else {
		fputs(s, f);
	}
	putc(last ? '\n' : ',', f);
}
