/*
 * crypto.h - the only door to OpenSSL: random bytes, SHA-256, HMAC-SHA-256
 * and Ed25519 keys and signatures.
 *
 * Functions return 0 or a negative SEAL_E* code.  A struct crypto_key is
 * opaque; it holds either a key pair (can sign) or a public key only.
 */
#ifndef SEAL_COMMON_CRYPTO_H
#define SEAL_COMMON_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define CRYPTO_SHA256_LEN 32
#define CRYPTO_ED25519_PUB_LEN 32
#define CRYPTO_ED25519_SIG_LEN 64

struct crypto_key;

/* Fill buf with n bytes from the OS-seeded CSPRNG.  SEAL_ECRYPTO on failure. */
int crypto_random(void *buf, size_t n);

/* SHA-256 of one buffer.  Cannot fail. */
void crypto_sha256(const void *data, size_t n, uint8_t out[CRYPTO_SHA256_LEN]);

/* SHA-256 over several buffers, as if concatenated: parts[i] of lens[i] bytes. */
void crypto_sha256_parts(const void *const *parts, const size_t *lens, size_t count,
                         uint8_t out[CRYPTO_SHA256_LEN]);

/* HMAC-SHA-256 of data under key.  Cannot fail. */
void crypto_hmac_sha256(const void *key, size_t keylen, const void *data, size_t n,
                        uint8_t out[CRYPTO_SHA256_LEN]);

/* Constant-time comparison of n bytes; 1 when equal. */
int crypto_equal(const void *a, const void *b, size_t n);

/* A fresh Ed25519 key pair.  *out is freed with crypto_key_free(). */
int crypto_key_generate(struct crypto_key **out);

/* Write the private key as PKCS#8 PEM to path, created with mode 0600;
 * SEAL_EEXIST if path exists, SEAL_EIO on other file errors. */
int crypto_key_save(const struct crypto_key *key, const char *path);

/* Read a key pair written by crypto_key_save().  SEAL_ENOTFOUND, SEAL_EIO
 * (unreadable), SEAL_ECRYPTO (not an Ed25519 private key). */
int crypto_key_load(const char *path, struct crypto_key **out);

/* A public-only key from its 32 raw bytes. */
int crypto_key_from_public(const uint8_t pub[CRYPTO_ED25519_PUB_LEN], struct crypto_key **out);

/* The 32 raw public bytes. */
int crypto_key_public_raw(const struct crypto_key *key, uint8_t out[CRYPTO_ED25519_PUB_LEN]);

/* The public key as SubjectPublicKeyInfo PEM into buf (NUL-terminated);
 * SEAL_ETOOBIG when cap is too small (200 bytes always suffice). */
int crypto_key_public_pem(const struct crypto_key *key, char *buf, size_t cap);

/* Sign msg with a key pair.  SEAL_EINVAL for a public-only key. */
int crypto_sign(const struct crypto_key *key, const void *msg, size_t n,
                uint8_t sig[CRYPTO_ED25519_SIG_LEN]);

/* 0 when sig is key's signature of msg, SEAL_EBADSIG when not. */
int crypto_verify(const struct crypto_key *key, const void *msg, size_t n,
                  const uint8_t sig[CRYPTO_ED25519_SIG_LEN]);

void crypto_key_free(struct crypto_key *key);

/* ---- TLS server sessions (for the daemon's bufferevent_openssl) ------ */

struct crypto_tls;
struct ssl_st;

/* A TLS server context (TLS 1.2 or later) from a PEM certificate chain and
 * its PEM private key.  SEAL_EIO (a file is unreadable), SEAL_ECRYPTO (not a
 * certificate or key, or they do not match), SEAL_ENOMEM. */
int crypto_tls_server_new(const char *cert_path, const char *key_path, struct crypto_tls **out);

/* A fresh server session (an OpenSSL SSL object, owned by the caller - e.g.
 * handed to bufferevent_openssl_socket_new() with BEV_OPT_CLOSE_ON_FREE),
 * or NULL.  Thread-safe. */
struct ssl_st *crypto_tls_session_new(struct crypto_tls *tls);

/* NULL is a no-op; sessions made from it keep their own reference. */
void crypto_tls_free(struct crypto_tls *tls);

#endif
