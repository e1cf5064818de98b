/*
 * code.h - the 13-digit anti-counterfeit code and the unified social credit code.
 *
 * A seal code is RRRR EEE SSSSSS: region (first four digits of a GB/T 2260
 * division code), engraver number within the region, engraver's serial.
 * These functions check the form and the region table only; whether the
 * engraver is licensed, suspended or the seal registered is the registry's
 * business (registry_code_check()).
 */
#ifndef SEAL_REGISTRY_CODE_H
#define SEAL_REGISTRY_CODE_H

#include <stddef.h>

#include "registry/record.h"

/* Parse text typed by a person: ASCII spaces and hyphens between digits are
 * ignored ("6101 001 000123" == "6101001000123").  On success out holds the
 * 13 digits and a NUL.  Returns 0, SEAL_ECODE_DIGIT (a character other
 * than a digit, space or hyphen), SEAL_ECODE_LENGTH (not 13 digits) or
 * SEAL_ECODE_REGION (first four digits not in the region table). */
int code_parse(const char *text, char out[SEAL_CODE_LEN + 1]);

/* "6101 001 000123" into out (16 bytes with the NUL). */
void code_format(const char code[SEAL_CODE_LEN + 1], char out[16]);

/* Build a code from a 7-digit prefix and a serial (1..SEAL_SERIAL_MAX). */
void code_make(const char prefix[SEAL_PREFIX_LEN + 1], unsigned serial,
               char out[SEAL_CODE_LEN + 1]);

/* A 7-digit engraver prefix: 4-digit known region + 3 digits.  Returns 0,
 * SEAL_ECODE_DIGIT, SEAL_ECODE_LENGTH or SEAL_ECODE_REGION. */
int code_parse_prefix(const char *text, char out[SEAL_PREFIX_LEN + 1]);

/* The region's name ("西安市") for the first four digits of s, or NULL when
 * unknown.  Static storage. */
const char *region_name(const char *s);

/* Number of regions in the compiled-in table, and the i-th code and name. */
size_t region_count(void);
void region_at(size_t i, const char **code, const char **name);

/* Check an 18-character unified social credit code (GB 32100-2015):
 * charset 0-9 A-H J-N P-R T U W-Y, region digits, check character.
 * Returns 0, SEAL_ECREDIT_FORMAT or SEAL_ECREDIT_CHECK. */
int credit_code_check(const char *text);

/* The check character for the first 17 characters of a credit code (which
 * must be from the charset); '\0' if one is not. */
char credit_code_check_char(const char *first17);

#endif
