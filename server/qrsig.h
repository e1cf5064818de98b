/*
 * qrsig.h - the signed QR payload: https://HOST/q/{code}.{sig}.
 *
 * sig is the unpadded base64url Ed25519 signature (the registry's key) over
 * the ASCII string "sealreg-qr-v1|{code}|{YYYY-MM-DD}", the date being the
 * seal's registration day in UTC.  Anyone holding the public key (GET
 * /v1/keys) can check a printed QR offline; the live status comes from a
 * lookup.  Pure functions; thread-safe.
 */
#ifndef SEAL_SERVER_QRSIG_H
#define SEAL_SERVER_QRSIG_H

#include <stddef.h>
#include <stdint.h>

#include "common/crypto.h"
#include "registry/record.h"

#define QRSIG_DOMAIN "sealreg-qr-v1"
#define QRSIG_B64_LEN 86     /* base64url of 64 bytes, unpadded */
#define QRSIG_MESSAGE_MAX 48 /* "sealreg-qr-v1|" + 13 + "|" + 10 */
#define QRSIG_HOST_MAX 255   /* host[:port] in a payload */

/* The canonical signed string for code and registration time (Unix seconds)
 * into out (QRSIG_MESSAGE_MAX + 1 bytes); returns its length. */
size_t qrsig_message(const char *code, int64_t registered_at, char out[QRSIG_MESSAGE_MAX + 1]);

/* Sign: sig receives QRSIG_B64_LEN characters and a NUL.  Returns 0,
 * SEAL_EINVAL (code not 13 digits) or SEAL_ECRYPTO / SEAL_EINVAL from
 * crypto_sign() (public-only key). */
int qrsig_sign(const struct crypto_key *key, const char *code, int64_t registered_at,
               char sig[QRSIG_B64_LEN + 1]);

/* 0 when sig (base64url text) is key's signature for code and date;
 * SEAL_EBADSIG otherwise (including malformed base64url). */
int qrsig_verify(const struct crypto_key *key, const char *code, int64_t registered_at,
                 const char *sig);

/* "https://{host}/q/{code}.{sig}" into out.  Returns 0 or SEAL_ETOOBIG. */
int qrsig_url(const char *host, const char *code, const char *sig, char *out, size_t cap);

/*
 * Split a payload of len bytes of the form http[s]://HOST/q/{13 digits}.{sig}
 * (an optional trailing '/', query or fragment is ignored; the scheme is
 * case-insensitive) into host (QRSIG_HOST_MAX + 1 bytes), code and sig.
 * Also accepts the bare path "/q/{code}.{sig}" (host is then "").  Returns
 * 0, or SEAL_EINVAL when the payload is not of that form (sig must be
 * QRSIG_B64_LEN base64url characters).
 */
int qrsig_parse(const char *payload, size_t len, char host[QRSIG_HOST_MAX + 1],
                char code[SEAL_CODE_LEN + 1], char sig[QRSIG_B64_LEN + 1]);

#endif
