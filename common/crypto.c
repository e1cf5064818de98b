/*
 * crypto.c - thin wrappers over OpenSSL 3 EVP.  Ed25519 uses one-shot
 * EVP_DigestSign/Verify with a NULL digest, as the algorithm requires.
 * Keys on disk are PKCS#8 PEM, created O_EXCL with mode 0600.
 */
#include "common/crypto.h"
#include "common/errors.h"

#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

struct crypto_key {
	EVP_PKEY *pkey;
	int has_private;
};

int
crypto_random(void *buf, size_t n)
{
	return RAND_bytes(buf, (int)n) == 1 ? 0 : SEAL_ECRYPTO;
}

void
crypto_sha256(const void *data, size_t n, uint8_t out[CRYPTO_SHA256_LEN])
{
	crypto_sha256_parts(&data, &n, 1, out);
}

void
crypto_sha256_parts(const void *const *parts, const size_t *lens, size_t count,
                    uint8_t out[CRYPTO_SHA256_LEN])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int len = 0;

	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		abort();
	for (size_t i = 0; i < count; i++)
		EVP_DigestUpdate(ctx, parts[i], lens[i]);
	EVP_DigestFinal_ex(ctx, out, &len);
	EVP_MD_CTX_free(ctx);
}

void
crypto_hmac_sha256(const void *key, size_t keylen, const void *data, size_t n,
                   uint8_t out[CRYPTO_SHA256_LEN])
{
	unsigned int len = CRYPTO_SHA256_LEN;

	if (HMAC(EVP_sha256(), key, (int)keylen, data, n, out, &len) == NULL)
		abort();
}

int
crypto_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

static int
key_wrap(EVP_PKEY *pkey, int has_private, struct crypto_key **out)
{
	struct crypto_key *key = malloc(sizeof *key);

	if (key == NULL) {
		EVP_PKEY_free(pkey);
		return SEAL_ENOMEM;
	}
	key->pkey = pkey;
	key->has_private = has_private;
	*out = key;
	return 0;
}

int
crypto_key_generate(struct crypto_key **out)
{
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");

	if (pkey == NULL)
		return SEAL_ECRYPTO;
	return key_wrap(pkey, 1, out);
}

int
crypto_key_save(const struct crypto_key *key, const char *path)
{
	FILE *f;
	int fd, ok;

	if (!key->has_private)
		return SEAL_EINVAL;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno == EEXIST ? SEAL_EEXIST : SEAL_EIO;
	f = fdopen(fd, "w");
	if (f == NULL) {
		close(fd);
		return SEAL_EIO;
	}
	ok = PEM_write_PrivateKey(f, key->pkey, NULL, NULL, 0, NULL, NULL) == 1;
	ok = (fflush(f) == 0 && fsync(fd) == 0) && ok;
	fclose(f);
	return ok ? 0 : SEAL_EIO;
}

int
crypto_key_load(const char *path, struct crypto_key **out)
{
	EVP_PKEY *pkey;
	FILE *f = fopen(path, "re");

	if (f == NULL)
		return errno == ENOENT ? SEAL_ENOTFOUND : SEAL_EIO;
	pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (pkey == NULL || EVP_PKEY_get_id(pkey) != EVP_PKEY_ED25519) {
		EVP_PKEY_free(pkey);
		return SEAL_ECRYPTO;
	}
	return key_wrap(pkey, 1, out);
}

int
crypto_key_from_public(const uint8_t pub[CRYPTO_ED25519_PUB_LEN], struct crypto_key **out)
{
	EVP_PKEY *pkey =
	    EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, CRYPTO_ED25519_PUB_LEN);

	if (pkey == NULL)
		return SEAL_ECRYPTO;
	return key_wrap(pkey, 0, out);
}

int
crypto_key_public_raw(const struct crypto_key *key, uint8_t out[CRYPTO_ED25519_PUB_LEN])
{
	size_t len = CRYPTO_ED25519_PUB_LEN;

	if (EVP_PKEY_get_raw_public_key(key->pkey, out, &len) != 1 || len != CRYPTO_ED25519_PUB_LEN)
		return SEAL_ECRYPTO;
	return 0;
}

int
crypto_key_public_pem(const struct crypto_key *key, char *buf, size_t cap)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long len;
	int rc = SEAL_ECRYPTO;

	if (bio == NULL)
		return SEAL_ENOMEM;
	if (PEM_write_bio_PUBKEY(bio, key->pkey) == 1) {
		len = BIO_get_mem_data(bio, &data);
		if (len < 0 || (size_t)len + 1 > cap) {
			rc = SEAL_ETOOBIG;
		} else {
			memcpy(buf, data, (size_t)len);
			buf[len] = '\0';
			rc = 0;
		}
	}
	BIO_free(bio);
	return rc;
}

int
crypto_sign(const struct crypto_key *key, const void *msg, size_t n,
            uint8_t sig[CRYPTO_ED25519_SIG_LEN])
{
	EVP_MD_CTX *ctx;
	size_t len = CRYPTO_ED25519_SIG_LEN;
	int rc = SEAL_ECRYPTO;

	if (!key->has_private)
		return SEAL_EINVAL;
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL)
		return SEAL_ENOMEM;
	if (EVP_DigestSignInit(ctx, NULL, NULL, NULL, key->pkey) == 1 &&
	    EVP_DigestSign(ctx, sig, &len, msg, n) == 1 && len == CRYPTO_ED25519_SIG_LEN)
		rc = 0;
	EVP_MD_CTX_free(ctx);
	return rc;
}

int
crypto_verify(const struct crypto_key *key, const void *msg, size_t n,
              const uint8_t sig[CRYPTO_ED25519_SIG_LEN])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int rc = SEAL_EBADSIG;

	if (ctx == NULL)
		return SEAL_ENOMEM;
	if (EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key->pkey) == 1 &&
	    EVP_DigestVerify(ctx, sig, CRYPTO_ED25519_SIG_LEN, msg, n) == 1)
		rc = 0;
	EVP_MD_CTX_free(ctx);
	return rc;
}

void
crypto_key_free(struct crypto_key *key)
{
	if (key == NULL)
		return;
	EVP_PKEY_free(key->pkey);
	free(key);
}

/* ---- TLS server sessions ---------------------------------------------- */

struct crypto_tls {
	SSL_CTX *ctx;
};

int
crypto_tls_server_new(const char *cert_path, const char *key_path, struct crypto_tls **out)
{
	struct crypto_tls *tls;
	int rc = SEAL_ECRYPTO;

	*out = NULL;
	if (access(cert_path, R_OK) != 0 || access(key_path, R_OK) != 0)
		return SEAL_EIO;
	tls = calloc(1, sizeof(*tls));
	if (tls == NULL)
		return SEAL_ENOMEM;
	tls->ctx = SSL_CTX_new(TLS_server_method());
	if (tls->ctx == NULL) {
		rc = SEAL_ENOMEM;
		goto fail;
	}
	SSL_CTX_set_min_proto_version(tls->ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(tls->ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
	if (SSL_CTX_use_certificate_chain_file(tls->ctx, cert_path) != 1 ||
	    SSL_CTX_use_PrivateKey_file(tls->ctx, key_path, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(tls->ctx) != 1)
		goto fail;
	*out = tls;
	return 0;
fail:
	crypto_tls_free(tls);
	return rc;
}

struct ssl_st *
crypto_tls_session_new(struct crypto_tls *tls)
{
	return tls ? SSL_new(tls->ctx) : NULL;
}

void
crypto_tls_free(struct crypto_tls *tls)
{
	if (tls == NULL)
		return;
	SSL_CTX_free(tls->ctx);
	free(tls);
}
