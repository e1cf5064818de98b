/*
 * account.c - bearer tokens.  A token is "sr_" + base64url(32 random bytes);
 * the registry keeps only SHA-256(token) as the key of its account record,
 * so a stolen database yields no usable token.  The public id is the hex of
 * the first 8 bytes of that hash.
 */
#include "registry/internal.h"
#include "common/encode.h"
#include "common/errors.h"

#include <string.h>

static const char TOKEN_PREFIX[] = "sr_";

int
registry_token_issue(struct registry *reg, const struct registry_actor *actor,
                     enum account_role role, const char *scope, char token[REGISTRY_TOKEN_LEN + 1],
                     char id[ACCOUNT_ID_LEN + 1])
{
	struct account_record rec;
	struct store_txn *t;
	struct store_val v;
	uint8_t secret[32], hash[CRYPTO_SHA256_LEN];
	int rc;

	if (actor->role != ROLE_ADMIN)
		return SEAL_EPERM;
	memset(&rec, 0, sizeof rec);
	switch (role) {
	case ROLE_ENGRAVER:
		rc = code_parse_prefix(scope ? scope : "", rec.scope);
		break;
	case ROLE_POLICE:
		rc = record_set_text(rec.scope, sizeof rec.scope, scope, 1);
		break;
	case ROLE_ADMIN:
		rc = (scope == NULL || scope[0] == '\0') ? 0 : SEAL_EINVAL;
		break;
	default:
		rc = SEAL_EINVAL;
	}
	if (rc != 0)
		return rc;
	rc = crypto_random(secret, sizeof secret);
	if (rc != 0)
		return rc;
	memcpy(token, TOKEN_PREFIX, 3);
	base64url_encode(secret, sizeof secret, token + 3, REGISTRY_TOKEN_LEN + 1 - 3);
	explicit_bzero(secret, sizeof secret);
	crypto_sha256(token, strlen(token), hash);
	hex_encode(hash, 8, rec.id, sizeof rec.id);
	rec.role = (uint8_t)role;
	rec.created_at = registry_now();
	rc = store_txn_begin(reg->st, 1, &t);
	if (rc != 0)
		goto out;
	if (role == ROLE_ENGRAVER &&
	    store_get(t, STORE_ENGRAVERS, rec.scope, SEAL_PREFIX_LEN, &v) != 0) {
		store_txn_abort(t);
		rc = SEAL_ECODE_ENGRAVER;
		goto out;
	}
	store_put(t, STORE_ACCOUNTS, hash, sizeof hash, &rec, sizeof rec, STORE_PUT_NOOVERWRITE);
	rc = registry_write_finish(reg, t, actor, "token.issue", rec.id, hash);
	if (rc == 0)
		memcpy(id, rec.id, sizeof rec.id);
out:
	if (rc != 0)
		explicit_bzero(token, REGISTRY_TOKEN_LEN + 1);
	return rc;
}

int
registry_token_revoke(struct registry *reg, const struct registry_actor *actor, const char *id)
{
	struct store_txn *t;
	struct store_cursor *c;
	struct store_val k, v;
	struct account_record rec;
	uint8_t hash[CRYPTO_SHA256_LEN];
	int rc, found = 0;

	if (actor->role != ROLE_ADMIN)
		return SEAL_EPERM;
	rc = store_txn_begin(reg->st, 1, &t);
	if (rc != 0)
		return rc;
	rc = store_cursor_open(t, STORE_ACCOUNTS, &c);
	for (rc = rc ? rc : store_cursor_seek(c, NULL, 0, &k, &v); rc == 0;
	     rc = store_cursor_next(c, &k, &v)) {
		if (v.len != sizeof rec || k.len != sizeof hash)
			continue;
		memcpy(&rec, v.data, sizeof rec);
		if (strcmp(rec.id, id) == 0) {
			memcpy(hash, k.data, sizeof hash);
			found = 1;
			break;
		}
	}
	store_cursor_close(c);
	if (!found || rec.revoked_at != 0) {
		store_txn_abort(t);
		return !found ? SEAL_ENOTFOUND : SEAL_EEXIST;
	}
	rec.revoked_at = registry_now();
	store_put(t, STORE_ACCOUNTS, hash, sizeof hash, &rec, sizeof rec, 0);
	return registry_write_finish(reg, t, actor, "token.revoke", rec.id, hash);
}

int
registry_token_check(struct registry_txn *txn, const char *token, struct account_record *out)
{
	uint8_t hash[CRYPTO_SHA256_LEN];
	struct store_val v;
	int rc;

	if (token == NULL || strnlen(token, REGISTRY_TOKEN_LEN + 1) != REGISTRY_TOKEN_LEN ||
	    memcmp(token, TOKEN_PREFIX, 3) != 0)
		return SEAL_EAUTH;
	crypto_sha256(token, REGISTRY_TOKEN_LEN, hash);
	rc = store_get(txn->t, STORE_ACCOUNTS, hash, sizeof hash, &v);
	if (rc == SEAL_ENOTFOUND)
		return SEAL_EAUTH;
	if (rc != 0)
		return rc;
	if (v.len != sizeof *out)
		return SEAL_ECORRUPT;
	memcpy(out, v.data, sizeof *out);
	return out->revoked_at != 0 ? SEAL_EREVOKED : 0;
}

int
registry_account_each(struct registry_txn *txn, int (*fn)(const struct account_record *, void *),
                      void *arg)
{
	struct store_cursor *c;
	struct store_val k, v;
	struct account_record rec;
	int rc = store_cursor_open(txn->t, STORE_ACCOUNTS, &c);

	if (rc != 0)
		return rc;
	for (rc = store_cursor_seek(c, NULL, 0, &k, &v); rc == 0;
	     rc = store_cursor_next(c, &k, &v)) {
		if (v.len != sizeof rec)
			continue;
		memcpy(&rec, v.data, sizeof rec);
		rc = fn(&rec, arg);
		if (rc != 0)
			break;
	}
	store_cursor_close(c);
	return rc == SEAL_ENOTFOUND ? 0 : rc;
}
