/*
 * record.h - the registry's records as callers see them and as they are stored.
 *
 * Records are fixed-size structs with explicit widths, NUL-terminated text
 * fields and no pointers, stored in LMDB byte for byte (little-endian; the
 * schema version in the meta database guards the layout).  A lookup is one
 * memcpy out of the map, which is what makes the read path fast.  Text
 * fields are UTF-8, bounded by the caps in common/limits.h.
 */
#ifndef SEAL_REGISTRY_RECORD_H
#define SEAL_REGISTRY_RECORD_H

#include <stdint.h>

#include <stddef.h>

#include "common/limits.h"

#define SEAL_CODE_LEN 13   /* RRRR EEE SSSSSS */
#define SEAL_PREFIX_LEN 7  /* region + engraver number */
#define SEAL_CREDIT_LEN 18 /* unified social credit code */
#define SEAL_SERIAL_MAX 999999u

enum seal_status {
	SEAL_STATUS_ACTIVE,
	SEAL_STATUS_LOST,
	SEAL_STATUS_REVOKED,
	SEAL_STATUS_DESTROYED,
	SEAL_STATUS_DISPUTED,
	SEAL_STATUS_COUNT
};

enum seal_shape { SEAL_SHAPE_ROUND, SEAL_SHAPE_OVAL, SEAL_SHAPE_SQUARE, SEAL_SHAPE_COUNT };

enum engraver_status { ENGRAVER_ACTIVE, ENGRAVER_SUSPENDED };

enum account_role { ROLE_NONE, ROLE_ADMIN, ROLE_ENGRAVER, ROLE_POLICE, ROLE_COUNT };

struct seal_record {
	char code[SEAL_CODE_LEN + 1];
	char engraver[SEAL_PREFIX_LEN + 1];
	char credit_code[SEAL_CREDIT_LEN + 1];
	uint8_t shape;  /* enum seal_shape */
	uint8_t status; /* enum seal_status */
	uint8_t reserved[6];
	uint32_t version; /* 1 at registration, +1 on every change */
	uint32_t history_count;
	int64_t registered_at; /* Unix seconds, UTC */
	int64_t updated_at;
	char holder[SEAL_HOLDER_MAX + 1];
	char type[SEAL_TYPE_MAX + 1];
};

struct engraver_record {
	char prefix[SEAL_PREFIX_LEN + 1];
	uint8_t status; /* enum engraver_status */
	uint8_t reserved[3];
	uint32_t next_serial; /* the serial the next registration receives */
	int64_t created_at;
	char company[SEAL_COMPANY_MAX + 1];
	char licence[SEAL_LICENCE_MAX + 1];
};

#define ACCOUNT_ID_LEN 16 /* hex of the first 8 bytes of SHA-256(token) */

struct account_record {
	char id[ACCOUNT_ID_LEN + 1];
	uint8_t role; /* enum account_role */
	uint8_t reserved[6];
	int64_t created_at;
	int64_t revoked_at;            /* 0 while valid */
	char scope[SEAL_UNIT_MAX + 1]; /* engraver: 7-digit prefix; police: unit; admin: "" */
};

struct history_record {
	uint32_t seq;     /* 1, 2, ... per seal */
	uint8_t from, to; /* enum seal_status */
	uint8_t reserved[2];
	int64_t time;
	char actor[SEAL_ACTOR_MAX + 1];
	char case_ref[SEAL_CASE_MAX + 1];
	char reason[SEAL_REASON_MAX + 1];
};

/* One row of a seal's verification log. */
struct query_record {
	char code[SEAL_CODE_LEN + 1];
	uint8_t reserved[2];
	int64_t time_ns;                 /* Unix nanoseconds, UTC */
	char route[24];                  /* "lookup", "qr", "impression", "archive" */
	char result[24];                 /* "active", "not_registered", "match", ... */
	char client[SEAL_ACTOR_MAX + 1]; /* keyed hash of the address, or the officer's actor */
};

/* Names for the enums ("active", "round", "police", ...); parse returns -1
 * for an unknown name.  Names are static strings. */
const char *seal_status_name(enum seal_status s);
int seal_status_parse(const char *name);
const char *record_shape_name(enum seal_shape s);
int record_shape_parse(const char *name);
const char *account_role_name(enum account_role r);
int account_role_parse(const char *name);

/* Copy src into a fixed field of cap bytes (cap includes the NUL).  Returns 0,
 * or SEAL_ETEXT when src is empty (and required), too long, not valid UTF-8
 * or contains control characters. */
int record_set_text(char *dst, size_t cap, const char *src, int required);

#endif
