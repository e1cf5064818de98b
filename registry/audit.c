/*
 * audit.c - the hash chain of audit.h.  Entries live in STORE_AUDIT under
 * big-endian seq keys, so a cursor walks them in order; the signed head
 * lives in STORE_META under "audit_head".  The signed message is
 * "sealreg-audit-v1" || seq (big-endian) || hash.
 */
#include "registry/audit.h"
#include "common/errors.h"

#include <stddef.h>
#include <string.h>
#include <time.h>

static const char HEAD_KEY[] = "audit_head";
static const char SIG_CONTEXT[] = "sealreg-audit-v1";

static void
be64_put(uint8_t out[8], uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		out[i] = (uint8_t)v;
}

static void
entry_hash(const struct audit_entry *e, uint8_t out[CRYPTO_SHA256_LEN])
{
	crypto_sha256(e, sizeof *e, out);
}

static void
head_message(const struct audit_head *h, uint8_t msg[sizeof SIG_CONTEXT + 8 + 32])
{
	memcpy(msg, SIG_CONTEXT, sizeof SIG_CONTEXT);
	be64_put(msg + sizeof SIG_CONTEXT, h->seq);
	memcpy(msg + sizeof SIG_CONTEXT + 8, h->hash, CRYPTO_SHA256_LEN);
}

static void
field_copy(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);

	memcpy(dst, src, n);
}

int
audit_head_get(struct store_txn *txn, struct audit_head *out)
{
	struct store_val v;
	int rc = store_get(txn, STORE_META, HEAD_KEY, sizeof HEAD_KEY - 1, &v);

	memset(out, 0, sizeof *out);
	if (rc == SEAL_ENOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	if (v.len != sizeof *out)
		return SEAL_ECORRUPT;
	memcpy(out, v.data, sizeof *out);
	return 0;
}

int
audit_entry_get(struct store_txn *txn, uint64_t seq, struct audit_entry *out)
{
	uint8_t key[8];
	struct store_val v;
	int rc;

	be64_put(key, seq);
	rc = store_get(txn, STORE_AUDIT, key, sizeof key, &v);
	if (rc != 0)
		return rc;
	if (v.len != sizeof *out)
		return SEAL_ECORRUPT;
	memcpy(out, v.data, sizeof *out);
	return 0;
}

int
audit_append(struct store_txn *txn, const struct crypto_key *key, const char *actor,
             const char *action, const char *subject, const uint8_t digest[CRYPTO_SHA256_LEN])
{
	struct audit_head head;
	struct audit_entry e;
	struct timespec ts;
	uint8_t k[8], msg[sizeof SIG_CONTEXT + 8 + 32];
	int rc = audit_head_get(txn, &head);

	if (rc != 0)
		return store_txn_fail(txn, rc);
	memset(&e, 0, sizeof e);
	clock_gettime(CLOCK_REALTIME, &ts);
	e.seq = head.seq + 1;
	e.time_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	field_copy(e.actor, sizeof e.actor, actor);
	field_copy(e.action, sizeof e.action, action);
	field_copy(e.subject, sizeof e.subject, subject);
	memcpy(e.digest, digest, CRYPTO_SHA256_LEN);
	memcpy(e.prev, head.hash, CRYPTO_SHA256_LEN);
	be64_put(k, e.seq);
	rc = store_put(txn, STORE_AUDIT, k, sizeof k, &e, sizeof e, STORE_PUT_NOOVERWRITE);
	if (rc != 0)
		return rc;
	head.seq = e.seq;
	entry_hash(&e, head.hash);
	head_message(&head, msg);
	rc = crypto_sign(key, msg, sizeof msg, head.sig);
	if (rc != 0)
		return store_txn_fail(txn, rc);
	return store_put(txn, STORE_META, HEAD_KEY, sizeof HEAD_KEY - 1, &head, sizeof head, 0);
}

/* Entry seq failed to chain to its predecessor: was it itself altered (its
 * link) or was the predecessor?  An altered entry has a new hash, so its
 * successor's link - or the signed head, for the last entry - no longer
 * matches it.  Returns 1 when this entry's hash is still what follows it
 * expects, i.e. the predecessor is the altered one.  Moves the cursor. */
static int
entry_still_linked(struct store_cursor *c, const struct audit_head *head, uint64_t seq,
                   const uint8_t hash[CRYPTO_SHA256_LEN])
{
	struct store_val k, v;
	int rc = store_cursor_next(c, &k, &v);

	if (rc == SEAL_ENOTFOUND)
		return head->seq == seq && crypto_equal(head->hash, hash, CRYPTO_SHA256_LEN);
	if (rc != 0 || v.len != sizeof(struct audit_entry))
		return 0;
	return crypto_equal((const uint8_t *)v.data + offsetof(struct audit_entry, prev), hash,
	                    CRYPTO_SHA256_LEN);
}

int
audit_verify(struct store_txn *txn, const struct crypto_key *key, uint64_t *count,
             uint64_t *first_bad, const char **why)
{
	struct audit_head head;
	struct audit_entry e;
	struct store_cursor *c = NULL;
	struct store_val k, v;
	uint8_t prev[CRYPTO_SHA256_LEN] = {0}, msg[sizeof SIG_CONTEXT + 8 + 32];
	uint64_t seq = 0;
	int rc;

	*count = 0;
	*first_bad = 0;
	*why = NULL;
	rc = audit_head_get(txn, &head);
	if (rc == SEAL_ECORRUPT) {
		*first_bad = 1;
		*why = "the signed head is damaged";
		return SEAL_EAUDIT;
	}
	if (rc == 0)
		rc = store_cursor_open(txn, STORE_AUDIT, &c);
	if (rc != 0)
		return rc;
	for (rc = store_cursor_seek(c, NULL, 0, &k, &v); rc == 0;
	     rc = store_cursor_next(c, &k, &v)) {
		uint8_t want[8];

		seq++;
		be64_put(want, seq);
		if (k.len != 8 || memcmp(k.data, want, 8) != 0) {
			*why = "entry is missing (sequence numbers are not contiguous)";
			goto bad;
		}
		if (v.len != sizeof e) {
			*why = "entry has the wrong size";
			goto bad;
		}
		memcpy(&e, v.data, sizeof e);
		if (e.seq != seq) {
			*why = "entry's own sequence number is wrong";
			goto bad;
		}
		if (!crypto_equal(e.prev, prev, sizeof prev)) {
			*why = "entry's link to its predecessor was altered";
			if (seq == 1) {
				*why = "first entry does not start the chain";
				goto bad;
			}
			entry_hash(&e, prev);
			if (entry_still_linked(c, &head, seq, prev)) {
				*why = "entry was altered: its successor no longer chains to it";
				seq--;
			}
			goto bad;
		}
		entry_hash(&e, prev);
	}
	store_cursor_close(c);
	c = NULL;
	if (rc != SEAL_ENOTFOUND)
		return rc;
	/* seq entries chain; now the head.  A head whose signature fails was
	 * itself altered (seq, hash or signature): blame the place after the
	 * last entry.  A genuine head names the end of the chain. */
	head_message(&head, msg);
	if (head.seq > 0 && crypto_verify(key, msg, sizeof msg, head.sig) != 0) {
		*why = "the signed head was altered: its signature does not verify";
		seq++;
		goto bad;
	}
	if (seq < head.seq) {
		*why = "entries are missing at the end";
		seq++;
		goto bad;
	}
	if (seq > head.seq) {
		*why = "entries were appended after the signed head";
		seq = head.seq + 1;
		goto bad;
	}
	if (!crypto_equal(prev, head.hash, sizeof prev)) {
		*why = "last entry was altered: it does not match the signed head";
		goto bad;
	}
	*count = seq;
	return 0;
bad:
	store_cursor_close(c);
	*first_bad = seq;
	*count = seq > 0 ? seq - 1 : 0;
	return SEAL_EAUDIT;
}
