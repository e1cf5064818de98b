/*
 * seal.c - seal records: registration, status changes, reads and listings.
 *
 * A registration is one write transaction: read the engraver licence, take
 * its next serial, write the record, impression, features, the two search
 * indexes (holder name, credit code), the first history row, the status
 * counters and the audit entry.  Any failure aborts all of it, so serials
 * have no gaps and are never reused.
 */
#include "registry/internal.h"
#include "common/errors.h"

#include <stdio.h>
#include <string.h>

static void
be32_put(uint8_t out[4], uint32_t v)
{
	out[0] = (uint8_t)(v >> 24);
	out[1] = (uint8_t)(v >> 16);
	out[2] = (uint8_t)(v >> 8);
	out[3] = (uint8_t)v;
}

/* Key of the holder index: holder bytes, NUL, code. */
static size_t
holder_key(uint8_t *out, const char *holder, const char *code)
{
	size_t n = strlen(holder);

	memcpy(out, holder, n);
	out[n] = 0;
	memcpy(out + n + 1, code, SEAL_CODE_LEN);
	return n + 1 + SEAL_CODE_LEN;
}

static int
history_put(struct store_txn *t, const struct seal_record *rec, const struct history_record *h)
{
	uint8_t key[SEAL_CODE_LEN + 4];

	memcpy(key, rec->code, SEAL_CODE_LEN);
	be32_put(key + SEAL_CODE_LEN, h->seq);
	return store_put(t, STORE_HISTORY, key, sizeof key, h, sizeof *h, STORE_PUT_NOOVERWRITE);
}

static int
registration_validate(const struct registry_actor *actor, const struct seal_registration *in,
                      struct seal_record *rec)
{
	int rc;

	if (actor->role != ROLE_ADMIN &&
	    !(actor->role == ROLE_ENGRAVER && strcmp(actor->scope, in->engraver) == 0))
		return SEAL_EPERM;
	rc = code_parse_prefix(in->engraver, rec->engraver);
	if (rc != 0)
		return rc;
	if ((rc = record_set_text(rec->holder, sizeof rec->holder, in->holder, 1)) != 0 ||
	    (rc = record_set_text(rec->type, sizeof rec->type, in->type, 1)) != 0)
		return rc;
	rc = credit_code_check(in->credit_code);
	if (rc != 0)
		return rc;
	memcpy(rec->credit_code, in->credit_code, SEAL_CREDIT_LEN);
	if ((unsigned)in->shape >= SEAL_SHAPE_COUNT)
		return SEAL_EINVAL;
	if (in->impression_len > SEAL_IMPRESSION_MAX_BYTES ||
	    in->features_len > SEAL_FEATURES_MAX_BYTES)
		return SEAL_ETOOBIG;
	return 0;
}

/* Register one seal inside write transaction t, audit entry included.
 * Returns 0 or the error; on error the caller must abort t. */
static int
seal_register_in(struct registry *reg, struct store_txn *t, const struct registry_actor *actor,
                 const struct seal_registration *in, struct seal_record *out, int *region_mismatch)
{
	struct seal_record rec;
	struct engraver_record eng;
	struct history_record h;
	struct registry_counts counts;
	struct store_val v;
	uint8_t hkey[SEAL_HOLDER_MAX + 1 + SEAL_CODE_LEN], ckey[SEAL_CREDIT_LEN + SEAL_CODE_LEN];
	uint8_t digest[CRYPTO_SHA256_LEN];
	const void *parts[3];
	size_t lens[3];
	int rc;

	memset(&rec, 0, sizeof rec);
	rc = registration_validate(actor, in, &rec);
	if (rc != 0)
		return rc;
	rc = store_get(t, STORE_ENGRAVERS, rec.engraver, SEAL_PREFIX_LEN, &v);
	if (rc == SEAL_ENOTFOUND)
		return SEAL_ECODE_ENGRAVER;
	if (rc == 0 && v.len != sizeof eng)
		rc = SEAL_ECORRUPT;
	if (rc != 0)
		return rc;
	memcpy(&eng, v.data, sizeof eng);
	if (eng.status != ENGRAVER_ACTIVE)
		return SEAL_ECODE_SUSPENDED;
	if (eng.next_serial > SEAL_SERIAL_MAX)
		return SEAL_EFULL;
	code_make(rec.engraver, eng.next_serial, rec.code);
	eng.next_serial++;
	rec.shape = (uint8_t)in->shape;
	rec.status = SEAL_STATUS_ACTIVE;
	rec.version = 1;
	rec.history_count = 1;
	rec.registered_at = rec.updated_at = registry_now();

	memset(&h, 0, sizeof h);
	h.seq = 1;
	h.from = h.to = SEAL_STATUS_ACTIVE;
	h.time = rec.registered_at;
	snprintf(h.actor, sizeof h.actor, "%s", actor->name);
	snprintf(h.reason, sizeof h.reason, "registered");

	store_put(t, STORE_SEALS, rec.code, SEAL_CODE_LEN, &rec, sizeof rec, STORE_PUT_NOOVERWRITE);
	if (in->impression_len > 0)
		store_put(t, STORE_IMPRESSIONS, rec.code, SEAL_CODE_LEN, in->impression,
		          in->impression_len, 0);
	if (in->features_len > 0)
		store_put(t, STORE_FEATURES, rec.code, SEAL_CODE_LEN, in->features,
		          in->features_len, 0);
	store_put(t, STORE_BY_HOLDER, hkey, holder_key(hkey, rec.holder, rec.code), "", 0, 0);
	memcpy(ckey, rec.credit_code, SEAL_CREDIT_LEN);
	memcpy(ckey + SEAL_CREDIT_LEN, rec.code, SEAL_CODE_LEN);
	store_put(t, STORE_BY_CREDIT, ckey, sizeof ckey, "", 0, 0);
	history_put(t, &rec, &h);
	store_put(t, STORE_ENGRAVERS, eng.prefix, SEAL_PREFIX_LEN, &eng, sizeof eng, 0);
	registry_counts_get(t, &counts);
	counts.by_status[SEAL_STATUS_ACTIVE]++;
	registry_counts_put(t, &counts);

	parts[0] = &rec, lens[0] = sizeof rec;
	parts[1] = in->impression ? in->impression : "", lens[1] = in->impression_len;
	parts[2] = in->features ? in->features : "", lens[2] = in->features_len;
	crypto_sha256_parts(parts, lens, 3, digest);
	rc = audit_append(t, reg->key, actor->name, "seal.register", rec.code, digest);
	if (rc == 0)
		rc = store_txn_error(t);
	if (rc != 0)
		return rc;
	if (out != NULL)
		*out = rec;
	if (region_mismatch != NULL)
		*region_mismatch = memcmp(rec.credit_code + 2, rec.code, 4) != 0;
	return 0;
}

int
registry_seal_register(struct registry *reg, const struct registry_actor *actor,
                       const struct seal_registration *in, struct seal_record *out,
                       int *region_mismatch)
{
	return registry_seal_register_batch(reg, actor, in, 1, out, region_mismatch, NULL);
}

int
registry_seal_register_batch(struct registry *reg, const struct registry_actor *actor,
                             const struct seal_registration *in, size_t n, struct seal_record *out,
                             int *region_mismatch, size_t *failed)
{
	struct store_txn *t;
	int rc = store_txn_begin(reg->st, 1, &t);

	if (rc != 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		rc = seal_register_in(reg, t, actor, &in[i], out ? &out[i] : NULL,
		                      region_mismatch ? &region_mismatch[i] : NULL);
		if (rc != 0) {
			if (failed != NULL)
				*failed = i;
			store_txn_abort(t);
			return rc;
		}
	}
	rc = store_txn_commit(t);
	if (rc != 0 && failed != NULL)
		*failed = n;
	return rc;
}

/* Read the record of code inside a write transaction. */
static int
seal_read(struct store_txn *t, const char *code, struct seal_record *rec)
{
	struct store_val v;
	int rc;

	if (strnlen(code, SEAL_CODE_LEN + 1) != SEAL_CODE_LEN)
		return SEAL_ECODE_LENGTH;
	rc = store_get(t, STORE_SEALS, code, SEAL_CODE_LEN, &v);
	if (rc == SEAL_ENOTFOUND)
		return SEAL_ENOT_REGISTERED;
	if (rc == 0 && v.len != sizeof *rec)
		rc = SEAL_ECORRUPT;
	if (rc == 0)
		memcpy(rec, v.data, sizeof *rec);
	return rc;
}

int
registry_seal_set_status(struct registry *reg, const struct registry_actor *actor, const char *code,
                         enum seal_status to, const char *reason, const char *case_ref,
                         struct seal_record *out)
{
	struct seal_record rec;
	struct history_record h;
	struct registry_counts counts;
	struct store_txn *t;
	uint8_t digest[CRYPTO_SHA256_LEN];
	int rc;

	if (actor->role != ROLE_ADMIN && actor->role != ROLE_POLICE)
		return SEAL_EPERM;
	memset(&h, 0, sizeof h);
	if ((rc = record_set_text(h.reason, sizeof h.reason, reason, 1)) != 0 ||
	    (rc = record_set_text(h.case_ref, sizeof h.case_ref, case_ref, 0)) != 0)
		return rc;
	rc = store_txn_begin(reg->st, 1, &t);
	if (rc != 0)
		return rc;
	rc = seal_read(t, code, &rec);
	if (rc == 0)
		rc = lifecycle_check(rec.status, (int)to);
	if (rc != 0) {
		store_txn_abort(t);
		return rc;
	}
	h.seq = rec.history_count + 1;
	h.from = rec.status;
	h.to = (uint8_t)to;
	h.time = registry_now();
	snprintf(h.actor, sizeof h.actor, "%s", actor->name);

	registry_counts_get(t, &counts);
	counts.by_status[rec.status]--;
	counts.by_status[to]++;
	registry_counts_put(t, &counts);
	rec.status = (uint8_t)to;
	rec.version++;
	rec.history_count = h.seq;
	rec.updated_at = h.time;
	store_put(t, STORE_SEALS, rec.code, SEAL_CODE_LEN, &rec, sizeof rec, 0);
	history_put(t, &rec, &h);
	{
		const void *parts[2] = {&rec, &h};
		size_t lens[2] = {sizeof rec, sizeof h};
		crypto_sha256_parts(parts, lens, 2, digest);
	}
	rc = registry_write_finish(reg, t, actor, "seal.status", rec.code, digest);
	if (rc == 0 && out != NULL)
		*out = rec;
	return rc;
}

int
registry_seal_set_features(struct registry *reg, const struct registry_actor *actor,
                           const char *code, const void *features, size_t len)
{
	struct seal_record rec;
	struct store_txn *t;
	uint8_t digest[CRYPTO_SHA256_LEN];
	int rc;

	if (actor->role != ROLE_ADMIN)
		return SEAL_EPERM;
	if (len == 0 || len > SEAL_FEATURES_MAX_BYTES)
		return SEAL_ETOOBIG;
	rc = store_txn_begin(reg->st, 1, &t);
	if (rc != 0)
		return rc;
	rc = seal_read(t, code, &rec);
	if (rc != 0) {
		store_txn_abort(t);
		return rc;
	}
	store_put(t, STORE_FEATURES, rec.code, SEAL_CODE_LEN, features, len, 0);
	crypto_sha256(features, len, digest);
	return registry_write_finish(reg, t, actor, "seal.features", rec.code, digest);
}

int
registry_seal_get(struct registry_txn *txn, const char *code, struct seal_record *out)
{
	struct store_val v;
	int rc = store_get(txn->t, STORE_SEALS, code, SEAL_CODE_LEN, &v);

	if (rc != 0)
		return rc;
	if (v.len != sizeof *out)
		return SEAL_ECORRUPT;
	memcpy(out, v.data, sizeof *out);
	return 0;
}

static int
blob_get(struct registry_txn *txn, enum store_db db, const char *code, struct registry_blob *out)
{
	struct store_val v;
	int rc = store_get(txn->t, db, code, SEAL_CODE_LEN, &v);

	if (rc == 0) {
		out->data = v.data;
		out->len = v.len;
	}
	return rc;
}

int
registry_seal_impression(struct registry_txn *txn, const char *code, struct registry_blob *out)
{
	return blob_get(txn, STORE_IMPRESSIONS, code, out);
}

int
registry_seal_features(struct registry_txn *txn, const char *code, struct registry_blob *out)
{
	return blob_get(txn, STORE_FEATURES, code, out);
}

int
registry_seal_history(struct registry_txn *txn, const char *code,
                      int (*fn)(const struct history_record *, void *), void *arg)
{
	struct store_cursor *c;
	struct store_val k, v;
	struct history_record h;
	int rc = store_cursor_open(txn->t, STORE_HISTORY, &c);

	if (rc != 0)
		return rc;
	for (rc = store_cursor_seek(c, code, SEAL_CODE_LEN, &k, &v);
	     rc == 0 && registry_has_prefix(k.data, k.len, code, SEAL_CODE_LEN);
	     rc = store_cursor_next(c, &k, &v)) {
		if (v.len != sizeof h)
			continue;
		memcpy(&h, v.data, sizeof h);
		rc = fn(&h, arg);
		if (rc != 0)
			break;
	}
	store_cursor_close(c);
	return rc == SEAL_ENOTFOUND ? 0 : rc;
}

/* Emit the seal record for each code produced by an index walk. */
static int
emit_code(struct registry_txn *txn, const char *code, int (*fn)(const struct seal_record *, void *),
          void *arg)
{
	struct seal_record rec;
	int rc = registry_seal_get(txn, code, &rec);

	return rc == 0 ? fn(&rec, arg) : (rc == SEAL_ENOTFOUND ? 0 : rc);
}

int
registry_seal_list(struct registry_txn *txn, const char *prefix, const char *after, size_t limit,
                   int (*fn)(const struct seal_record *, void *), void *arg)
{
	struct store_cursor *c;
	struct store_val k, v;
	struct seal_record rec;
	size_t plen = strlen(prefix), n = 0;
	int rc = store_cursor_open(txn->t, STORE_SEALS, &c);

	if (rc != 0)
		return rc;
	if (after != NULL && after[0] != '\0')
		rc = store_cursor_seek(c, after, strlen(after), &k, &v);
	else
		rc = store_cursor_seek(c, prefix, plen, &k, &v);
	for (; rc == 0 && n < limit; rc = store_cursor_next(c, &k, &v)) {
		if (after != NULL && after[0] != '\0' && k.len == strlen(after) &&
		    memcmp(k.data, after, k.len) == 0)
			continue;
		if (!registry_has_prefix(k.data, k.len, prefix, plen)) {
			/* A cursor `after` below the prefix: jump to the prefix. */
			if (plen > 0 && memcmp(k.data, prefix, k.len < plen ? k.len : plen) < 0) {
				rc = store_cursor_seek(c, prefix, plen, &k, &v);
				if (rc != 0 || !registry_has_prefix(k.data, k.len, prefix, plen))
					break;
			} else {
				break;
			}
		}
		if (v.len != sizeof rec)
			continue;
		memcpy(&rec, v.data, sizeof rec);
		n++;
		rc = fn(&rec, arg);
		if (rc != 0)
			break;
	}
	store_cursor_close(c);
	return rc == SEAL_ENOTFOUND ? 0 : rc;
}

int
registry_seal_find_holder(struct registry_txn *txn, const char *holder_prefix,
                          const char *after_holder, const char *after_code, size_t limit,
                          int (*fn)(const struct seal_record *, void *), void *arg)
{
	struct store_cursor *c;
	struct store_val k, v;
	uint8_t key[SEAL_HOLDER_MAX + 1 + SEAL_CODE_LEN];
	size_t plen = strlen(holder_prefix), klen = 0, n = 0;
	char code[SEAL_CODE_LEN + 1];
	int rc;

	if (plen > SEAL_HOLDER_MAX)
		return 0;
	if (after_holder != NULL && after_code != NULL && strlen(after_holder) <= SEAL_HOLDER_MAX &&
	    strlen(after_code) == SEAL_CODE_LEN)
		klen = holder_key(key, after_holder, after_code);
	rc = store_cursor_open(txn->t, STORE_BY_HOLDER, &c);
	if (rc != 0)
		return rc;
	rc = klen ? store_cursor_seek(c, key, klen, &k, &v)
	          : store_cursor_seek(c, holder_prefix, plen, &k, &v);
	for (; rc == 0 && n < limit; rc = store_cursor_next(c, &k, &v)) {
		if (klen && k.len == klen && memcmp(k.data, key, klen) == 0)
			continue;
		if (!registry_has_prefix(k.data, k.len, holder_prefix, plen) ||
		    k.len < SEAL_CODE_LEN + 1)
			break;
		memcpy(code, (const char *)k.data + k.len - SEAL_CODE_LEN, SEAL_CODE_LEN);
		code[SEAL_CODE_LEN] = '\0';
		n++;
		rc = emit_code(txn, code, fn, arg);
		if (rc != 0)
			break;
	}
	store_cursor_close(c);
	return rc == SEAL_ENOTFOUND ? 0 : rc;
}

int
registry_seal_find_credit(struct registry_txn *txn, const char *credit_code, const char *after,
                          size_t limit, int (*fn)(const struct seal_record *, void *), void *arg)
{
	struct store_cursor *c;
	struct store_val k, v;
	uint8_t key[SEAL_CREDIT_LEN + SEAL_CODE_LEN];
	size_t klen = SEAL_CREDIT_LEN, n = 0;
	char code[SEAL_CODE_LEN + 1];
	int rc;

	if (strlen(credit_code) != SEAL_CREDIT_LEN)
		return 0;
	memcpy(key, credit_code, SEAL_CREDIT_LEN);
	if (after != NULL && strlen(after) == SEAL_CODE_LEN) {
		memcpy(key + SEAL_CREDIT_LEN, after, SEAL_CODE_LEN);
		klen = sizeof key;
	}
	rc = store_cursor_open(txn->t, STORE_BY_CREDIT, &c);
	if (rc != 0)
		return rc;
	for (rc = store_cursor_seek(c, key, klen, &k, &v); rc == 0 && n < limit;
	     rc = store_cursor_next(c, &k, &v)) {
		if (klen == sizeof key && k.len == klen && memcmp(k.data, key, klen) == 0)
			continue;
		if (k.len != sizeof key || memcmp(k.data, credit_code, SEAL_CREDIT_LEN) != 0)
			break;
		memcpy(code, (const char *)k.data + SEAL_CREDIT_LEN, SEAL_CODE_LEN);
		code[SEAL_CODE_LEN] = '\0';
		n++;
		rc = emit_code(txn, code, fn, arg);
		if (rc != 0)
			break;
	}
	store_cursor_close(c);
	return rc == SEAL_ENOTFOUND ? 0 : rc;
}

int
registry_features_each(struct registry_txn *txn,
                       int (*fn)(const char *code, const void *features, size_t len, void *),
                       void *arg)
{
	struct store_cursor *c;
	struct store_val k, v;
	char code[SEAL_CODE_LEN + 1];
	int rc = store_cursor_open(txn->t, STORE_FEATURES, &c);

	if (rc != 0)
		return rc;
	for (rc = store_cursor_seek(c, NULL, 0, &k, &v); rc == 0;
	     rc = store_cursor_next(c, &k, &v)) {
		if (k.len != SEAL_CODE_LEN)
			continue;
		memcpy(code, k.data, SEAL_CODE_LEN);
		code[SEAL_CODE_LEN] = '\0';
		rc = fn(code, v.data, v.len, arg);
		if (rc != 0)
			break;
	}
	store_cursor_close(c);
	return rc == SEAL_ENOTFOUND ? 0 : rc;
}
