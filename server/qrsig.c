/*
 * qrsig.c - signing, checking and parsing QR payloads.
 *
 * The date is formatted with gmtime_r(); the signature is over the
 * message's bytes without a NUL.  Parsing is a strict hand-written scan: a
 * payload either has exactly our shape or is not ours.
 */
#include "server/qrsig.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/encode.h"
#include "common/errors.h"

static int
is_code(const char *code)
{
	if (!code)
		return 0;
	for (int i = 0; i < SEAL_CODE_LEN; i++)
		if (code[i] < '0' || code[i] > '9')
			return 0;
	return code[SEAL_CODE_LEN] == '\0';
}

size_t
qrsig_message(const char *code, int64_t registered_at, char out[QRSIG_MESSAGE_MAX + 1])
{
	time_t t = (time_t)registered_at;
	struct tm tm;
	int n;

	gmtime_r(&t, &tm);
	n = snprintf(out, QRSIG_MESSAGE_MAX + 1, "%s|%.13s|%04d-%02d-%02d", QRSIG_DOMAIN, code,
	             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	if (n < 0 || n > QRSIG_MESSAGE_MAX)
		return 0;
	return (size_t)n;
}

int
qrsig_sign(const struct crypto_key *key, const char *code, int64_t registered_at,
           char sig[QRSIG_B64_LEN + 1])
{
	char msg[QRSIG_MESSAGE_MAX + 1];
	uint8_t raw[CRYPTO_ED25519_SIG_LEN];
	size_t n;
	int rc;

	sig[0] = '\0';
	if (!key || !is_code(code))
		return SEAL_EINVAL;
	n = qrsig_message(code, registered_at, msg);
	if (n == 0)
		return SEAL_EINVAL;
	rc = crypto_sign(key, msg, n, raw);
	if (rc != 0)
		return rc;
	if (base64url_encode(raw, sizeof(raw), sig, QRSIG_B64_LEN + 1) != QRSIG_B64_LEN)
		return SEAL_ECRYPTO;
	return 0;
}

int
qrsig_verify(const struct crypto_key *key, const char *code, int64_t registered_at, const char *sig)
{
	char msg[QRSIG_MESSAGE_MAX + 1];
	uint8_t raw[CRYPTO_ED25519_SIG_LEN];
	size_t n, rawlen = 0;

	if (!key || !is_code(code) || !sig || strlen(sig) != QRSIG_B64_LEN)
		return SEAL_EBADSIG;
	if (base64url_decode(sig, QRSIG_B64_LEN, raw, sizeof(raw), &rawlen) != 0 ||
	    rawlen != sizeof(raw))
		return SEAL_EBADSIG;
	n = qrsig_message(code, registered_at, msg);
	if (n == 0)
		return SEAL_EBADSIG;
	return crypto_verify(key, msg, n, raw) == 0 ? 0 : SEAL_EBADSIG;
}

int
qrsig_url(const char *host, const char *code, const char *sig, char *out, size_t cap)
{
	int n = snprintf(out, cap, "https://%s/q/%s.%s", host, code, sig);

	if (n < 0 || (size_t)n >= cap) {
		if (cap)
			out[0] = '\0';
		return SEAL_ETOOBIG;
	}
	return 0;
}

static int
is_b64url(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

int
qrsig_parse(const char *payload, size_t len, char host[QRSIG_HOST_MAX + 1],
            char code[SEAL_CODE_LEN + 1], char sig[QRSIG_B64_LEN + 1])
{
	size_t i = 0, hstart, hlen;

	host[0] = code[0] = sig[0] = '\0';
	if (!payload)
		return SEAL_EINVAL;
	if (len >= 8 && strncasecmp(payload, "https://", 8) == 0)
		i = 8;
	else if (len >= 7 && strncasecmp(payload, "http://", 7) == 0)
		i = 7;
	if (i > 0) {
		hstart = i;
		while (i < len && payload[i] != '/') {
			char c = payload[i];

			if (c <= ' ' || c == '?' || c == '#' || c == '@' || c == '\\' || c == 0x7f)
				return SEAL_EINVAL;
			i++;
		}
		hlen = i - hstart;
		if (hlen == 0 || hlen > QRSIG_HOST_MAX)
			return SEAL_EINVAL;
		memcpy(host, payload + hstart, hlen);
		host[hlen] = '\0';
	}
	if (len - i < 3 + SEAL_CODE_LEN + 1 + QRSIG_B64_LEN || memcmp(payload + i, "/q/", 3) != 0)
		goto bad;
	i += 3;
	for (int k = 0; k < SEAL_CODE_LEN; k++, i++) {
		if (payload[i] < '0' || payload[i] > '9')
			goto bad;
		code[k] = payload[i];
	}
	code[SEAL_CODE_LEN] = '\0';
	if (payload[i++] != '.')
		goto bad;
	for (int k = 0; k < QRSIG_B64_LEN; k++, i++) {
		if (!is_b64url(payload[i]))
			goto bad;
		sig[k] = payload[i];
	}
	sig[QRSIG_B64_LEN] = '\0';
	if (i < len && payload[i] != '/' && payload[i] != '?' && payload[i] != '#')
		goto bad;
	if (i < len && payload[i] == '/' && i + 1 != len)
		goto bad;
	return 0;
bad:
	host[0] = code[0] = sig[0] = '\0';
	return SEAL_EINVAL;
}
