/*
 * fuzz_csv.c - the CSV reader on arbitrary bytes: it must stop with a code
 * and never read or write outside its bounded buffer.
 */
#include <stdint.h>
#include <stdio.h>

#include "common/errors.h"
#include "import/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct csv_reader r;
	FILE *f = fmemopen((void *)data, size, "rb");
	int rc;

	if (f == NULL)
		return 0;
	csv_init(&r, f);
	while ((rc = csv_next(&r)) == 0)
		for (size_t i = 0; i < r.count; i++)
			(void)r.fields[i][0];
	fclose(f);
	return 0;
}
