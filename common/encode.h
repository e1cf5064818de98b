/*
 * encode.h - hex and base64 (standard and URL-safe) without any library.
 *
 * Encoders write a NUL-terminated string and return its length, or 0 when
 * cap is too small (out is then an empty string if cap > 0).  Decoders return
 * 0 and the decoded length through *len, or SEAL_EINVAL on a bad character,
 * bad length or an output larger than cap.
 */
#ifndef SEAL_COMMON_ENCODE_H
#define SEAL_COMMON_ENCODE_H

#include <stddef.h>
#include <stdint.h>

/* The value of one hex digit (either case), or -1. */
int hex_digit(char c);

/* Lower-case hex; needs cap >= 2n+1. */
size_t hex_encode(const void *data, size_t n, char *out, size_t cap);
int hex_decode(const char *text, size_t n, uint8_t *out, size_t cap, size_t *len);

/* Standard base64 with padding; needs cap >= 4*ceil(n/3)+1. */
size_t base64_encode(const void *data, size_t n, char *out, size_t cap);

/* RFC 4648 section 5 alphabet, no padding (as in JWS and our QR payloads). */
size_t base64url_encode(const void *data, size_t n, char *out, size_t cap);
int base64url_decode(const char *text, size_t n, uint8_t *out, size_t cap, size_t *len);

#endif
