/*
 * code.c - seal codes, region names and credit codes.
 *
 * The region table (registry/regions.inc, GB/T 2260 prefecture level) is
 * compiled in sorted by code, so a lookup is a binary search over ~340
 * entries.  The credit code's check character is GB 32100's weighted sum
 * modulo 31 over its 31-character alphabet.
 */
#include "registry/code.h"
#include "common/errors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct region {
	char code[5];
	const char *name;
};

static const struct region REGIONS[] = {
#define REGION(code, name) {code, name},
#include "registry/regions.inc"
#undef REGION
};

#define REGION_COUNT (sizeof REGIONS / sizeof REGIONS[0])

static int
region_cmp(const void *key, const void *elem)
{
	return memcmp(key, ((const struct region *)elem)->code, 4);
}

const char *
region_name(const char *s)
{
	const struct region *r;

	if (s == NULL || strnlen(s, 4) < 4)
		return NULL;
	r = bsearch(s, REGIONS, REGION_COUNT, sizeof REGIONS[0], region_cmp);
	return r ? r->name : NULL;
}

size_t
region_count(void)
{
	return REGION_COUNT;
}

void
region_at(size_t i, const char **code, const char **name)
{
	*code = REGIONS[i].code;
	*name = REGIONS[i].name;
}

/* Collect up to cap digits, skipping spaces and hyphens. */
static int
collect_digits(const char *text, char *out, size_t cap, size_t *n)
{
	size_t k = 0;

	for (const char *p = text; *p != '\0'; p++) {
		if (*p == ' ' || *p == '-')
			continue;
		if (*p < '0' || *p > '9')
			return SEAL_ECODE_DIGIT;
		if (k < cap)
			out[k] = *p;
		k++;
	}
	*n = k;
	return 0;
}

int
code_parse(const char *text, char out[SEAL_CODE_LEN + 1])
{
	size_t n;
	int rc = collect_digits(text, out, SEAL_CODE_LEN, &n);

	if (rc != 0)
		return rc;
	if (n != SEAL_CODE_LEN)
		return SEAL_ECODE_LENGTH;
	out[SEAL_CODE_LEN] = '\0';
	return region_name(out) ? 0 : SEAL_ECODE_REGION;
}

int
code_parse_prefix(const char *text, char out[SEAL_PREFIX_LEN + 1])
{
	size_t n;
	int rc = collect_digits(text, out, SEAL_PREFIX_LEN, &n);

	if (rc != 0)
		return rc;
	if (n != SEAL_PREFIX_LEN)
		return SEAL_ECODE_LENGTH;
	out[SEAL_PREFIX_LEN] = '\0';
	return region_name(out) ? 0 : SEAL_ECODE_REGION;
}

void
code_format(const char code[SEAL_CODE_LEN + 1], char out[16])
{
	memcpy(out, code, 4);
	out[4] = ' ';
	memcpy(out + 5, code + 4, 3);
	out[8] = ' ';
	memcpy(out + 9, code + 7, 6);
	out[15] = '\0';
}

void
code_make(const char prefix[SEAL_PREFIX_LEN + 1], unsigned serial, char out[SEAL_CODE_LEN + 1])
{
	memcpy(out, prefix, SEAL_PREFIX_LEN);
	for (int i = SEAL_CODE_LEN - 1; i >= SEAL_PREFIX_LEN; i--) {
		out[i] = (char)('0' + serial % 10);
		serial /= 10;
	}
	out[SEAL_CODE_LEN] = '\0';
}

static const char CREDIT_ALPHABET[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
static const int CREDIT_WEIGHTS[17] = {1,  3,  9,  27, 19, 26, 16, 17, 20,
                                       29, 25, 13, 8,  24, 10, 30, 28};

static int
credit_value(char c)
{
	const char *p = c ? strchr(CREDIT_ALPHABET, c) : NULL;

	return p ? (int)(p - CREDIT_ALPHABET) : -1;
}

char
credit_code_check_char(const char *first17)
{
	int sum = 0;

	for (int i = 0; i < 17; i++) {
		int v = credit_value(first17[i]);
		if (v < 0)
			return '\0';
		sum += v * CREDIT_WEIGHTS[i];
	}
	return CREDIT_ALPHABET[(31 - sum % 31) % 31];
}

int
credit_code_check(const char *text)
{
	char check;

	if (text == NULL || strlen(text) != SEAL_CREDIT_LEN)
		return SEAL_ECREDIT_FORMAT;
	for (int i = 0; i < SEAL_CREDIT_LEN; i++)
		if (credit_value(text[i]) < 0)
			return SEAL_ECREDIT_FORMAT;
	/* Positions 3-8 hold the registering authority's division code. */
	for (int i = 2; i < 8; i++)
		if (text[i] < '0' || text[i] > '9')
			return SEAL_ECREDIT_FORMAT;
	check = credit_code_check_char(text);
	return check == text[17] ? 0 : SEAL_ECREDIT_CHECK;
}
