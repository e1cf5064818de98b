/*
 * limits.h - every hard cap in the project, named once.
 *
 * Include as "common/limits.h".  Anything that grows with input (a body, a
 * text field, an image, a CSV line, a QR payload) is bounded by one of these.
 */
#ifndef SEAL_COMMON_LIMITS_H
#define SEAL_COMMON_LIMITS_H

/* Text fields of a seal record, in bytes of UTF-8 (excluding the NUL). */
#define SEAL_HOLDER_MAX 191  /* holder (organisation or person) name */
#define SEAL_TYPE_MAX 47     /* seal type, e.g. 合同专用章 */
#define SEAL_COMPANY_MAX 127 /* engraving company name */
#define SEAL_LICENCE_MAX 47  /* engraver licence number */
#define SEAL_REASON_MAX 255  /* reason of a status change */
#define SEAL_CASE_MAX 63     /* police case reference */
#define SEAL_ACTOR_MAX 63    /* actor string written to history and audit */
#define SEAL_UNIT_MAX 63     /* police unit bound to a token */

/* Images. */
#define SEAL_IMPRESSION_MAX_BYTES (512 * 1024)   /* stored reference impression (PNG) */
#define SEAL_UPLOAD_MAX_BYTES (8 * 1024 * 1024)  /* photo or scan sent for verification */
#define SEAL_IMAGE_MAX_PIXELS (40 * 1000 * 1000) /* width x height, checked before decoding */
#define SEAL_IMAGE_MAX_SIDE 12000                /* either side, checked before decoding */
#define SEAL_FEATURES_MAX_BYTES 4096             /* matcher descriptor stored per seal */

/* Other inputs. */
#define SEAL_CSV_LINE_MAX 4096  /* one line of a bulk import file */
#define SEAL_IMPORT_MAX_ROWS 20000 /* rows of one import file (one transaction) */
#define SEAL_QR_PAYLOAD_MAX 512 /* text decoded from a QR code */
#define SEAL_HTTP_BODY_MAX (SEAL_UPLOAD_MAX_BYTES + 64 * 1024)
#define SEAL_HTTP_HEADERS_MAX (16 * 1024)
#define SEAL_PAGE_MAX 500 /* rows in one page of a listing */

#endif
