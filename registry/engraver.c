/*
 * engraver.c - engraver licences: add, suspend/reinstate, read, list.
 * Keyed by the 7-digit prefix, so a cursor walk lists them in region order.
 */
#include "registry/internal.h"
#include "common/errors.h"

#include <string.h>

int
registry_engraver_add(struct registry *reg, const struct registry_actor *actor,
                      const struct engraver_record *in)
{
	struct engraver_record rec;
	struct store_txn *t;
	uint8_t digest[CRYPTO_SHA256_LEN];
	int rc;

	if (actor->role != ROLE_ADMIN)
		return SEAL_EPERM;
	memset(&rec, 0, sizeof rec);
	rc = code_parse_prefix(in->prefix, rec.prefix);
	if (rc == 0)
		rc = record_set_text(rec.company, sizeof rec.company, in->company, 1);
	if (rc == 0)
		rc = record_set_text(rec.licence, sizeof rec.licence, in->licence, 1);
	if (rc != 0)
		return rc;
	rec.status = ENGRAVER_ACTIVE;
	rec.next_serial = 1;
	rec.created_at = registry_now();
	rc = store_txn_begin(reg->st, 1, &t);
	if (rc != 0)
		return rc;
	rc = store_put(t, STORE_ENGRAVERS, rec.prefix, SEAL_PREFIX_LEN, &rec, sizeof rec,
	               STORE_PUT_NOOVERWRITE);
	if (rc != 0) {
		store_txn_abort(t);
		return rc;
	}
	crypto_sha256(&rec, sizeof rec, digest);
	return registry_write_finish(reg, t, actor, "engraver.add", rec.prefix, digest);
}

int
registry_engraver_set_status(struct registry *reg, const struct registry_actor *actor,
                             const char *prefix, enum engraver_status status)
{
	struct engraver_record rec;
	struct store_txn *t;
	struct store_val v;
	uint8_t digest[CRYPTO_SHA256_LEN];
	int rc;

	if (actor->role != ROLE_ADMIN)
		return SEAL_EPERM;
	if (status != ENGRAVER_ACTIVE && status != ENGRAVER_SUSPENDED)
		return SEAL_EINVAL;
	if (strlen(prefix) != SEAL_PREFIX_LEN)
		return SEAL_ECODE_LENGTH;
	rc = store_txn_begin(reg->st, 1, &t);
	if (rc != 0)
		return rc;
	rc = store_get(t, STORE_ENGRAVERS, prefix, SEAL_PREFIX_LEN, &v);
	if (rc == 0 && v.len != sizeof rec)
		rc = SEAL_ECORRUPT;
	if (rc == 0) {
		memcpy(&rec, v.data, sizeof rec);
		if (rec.status == status)
			rc = SEAL_ETRANSITION;
	}
	if (rc != 0) {
		store_txn_abort(t);
		return rc == SEAL_ENOTFOUND ? SEAL_ECODE_ENGRAVER : rc;
	}
	rec.status = (uint8_t)status;
	store_put(t, STORE_ENGRAVERS, rec.prefix, SEAL_PREFIX_LEN, &rec, sizeof rec, 0);
	crypto_sha256(&rec, sizeof rec, digest);
	return registry_write_finish(
	    reg, t, actor, status == ENGRAVER_SUSPENDED ? "engraver.suspend" : "engraver.reinstate",
	    rec.prefix, digest);
}

int
registry_engraver_get(struct registry_txn *txn, const char *prefix, struct engraver_record *out)
{
	struct store_val v;
	int rc;

	if (strnlen(prefix, SEAL_PREFIX_LEN + 1) != SEAL_PREFIX_LEN)
		return SEAL_ENOTFOUND;
	rc = store_get(txn->t, STORE_ENGRAVERS, prefix, SEAL_PREFIX_LEN, &v);
	if (rc != 0)
		return rc;
	if (v.len != sizeof *out)
		return SEAL_ECORRUPT;
	memcpy(out, v.data, sizeof *out);
	return 0;
}

int
registry_engraver_each(struct registry_txn *txn, int (*fn)(const struct engraver_record *, void *),
                       void *arg)
{
	struct store_cursor *c;
	struct store_val k, v;
	struct engraver_record rec;
	int rc = store_cursor_open(txn->t, STORE_ENGRAVERS, &c);

	if (rc != 0)
		return rc;
	for (rc = store_cursor_seek(c, NULL, 0, &k, &v); rc == 0;
	     rc = store_cursor_next(c, &k, &v)) {
		if (v.len != sizeof rec) {
			rc = SEAL_ECORRUPT;
			break;
		}
		memcpy(&rec, v.data, sizeof rec);
		rc = fn(&rec, arg);
		if (rc != 0)
			break;
	}
	store_cursor_close(c);
	return rc == SEAL_ENOTFOUND ? 0 : rc;
}

int
registry_code_check(struct registry_txn *txn, const char *text, char out[SEAL_CODE_LEN + 1])
{
	struct store_val v;
	int rc = code_parse(text, out);

	if (rc != 0)
		return rc;
	rc = store_get(txn->t, STORE_ENGRAVERS, out, SEAL_PREFIX_LEN, &v);
	return rc == SEAL_ENOTFOUND ? SEAL_ECODE_ENGRAVER : rc;
}
