/*
 * audit.h - the tamper-evident audit log.
 *
 * Every mutation appends one entry inside its own write transaction: seq
 * (1, 2, ...), time, actor, action, subject, the SHA-256 digest of what
 * changed, and the hash of the previous entry (all zero for the first).  An
 * entry's hash is SHA-256 of its stored bytes.  The head - last seq and its
 * hash - is signed with the registry's Ed25519 key in the same transaction,
 * so a reader can check the whole chain against the public key alone.
 */
#ifndef SEAL_REGISTRY_AUDIT_H
#define SEAL_REGISTRY_AUDIT_H

#include <stdint.h>

#include "common/crypto.h"
#include "registry/store.h"

struct audit_entry {
	uint64_t seq;
	int64_t time_ns;
	char actor[64];
	char action[32];
	char subject[32];
	uint8_t digest[CRYPTO_SHA256_LEN];
	uint8_t prev[CRYPTO_SHA256_LEN];
};

struct audit_head {
	uint64_t seq;
	uint8_t hash[CRYPTO_SHA256_LEN];
	uint8_t sig[CRYPTO_ED25519_SIG_LEN];
};

/* Append an entry and re-sign the head, inside write transaction txn.
 * actor, action and subject are truncated to their fields.  Errors are the
 * transaction's (sticky): SEAL_EFULL, SEAL_EIO, SEAL_ECRYPTO. */
int audit_append(struct store_txn *txn, const struct crypto_key *key, const char *actor,
                 const char *action, const char *subject, const uint8_t digest[CRYPTO_SHA256_LEN]);

/* The signed head; seq 0 and a zero hash for an empty log. */
int audit_head_get(struct store_txn *txn, struct audit_head *out);

/* Read entry seq.  SEAL_ENOTFOUND, SEAL_ECORRUPT (wrong size). */
int audit_entry_get(struct store_txn *txn, uint64_t seq, struct audit_entry *out);

/* Recompute the chain from entry 1 and check the head's signature with key.
 * Returns 0 with *count entries checked, or SEAL_EAUDIT with *why a static
 * explanation, *count = *first_bad - 1 and *first_bad naming the damage:
 *   - one entry's bytes altered (any byte, its link included): that entry's
 *     seq (its successor's link, or the head for the last entry, tells an
 *     altered entry from an altered predecessor);
 *   - entries deleted: the first missing seq (in the middle or at the end);
 *   - entries added after the signed head: head seq + 1;
 *   - the head itself altered (seq, hash or signature; its signature no
 *     longer verifies): the number of entries + 1.
 * With several alterations one of them is named, normally the first. */
int audit_verify(struct store_txn *txn, const struct crypto_key *key, uint64_t *count,
                 uint64_t *first_bad, const char **why);

#endif
