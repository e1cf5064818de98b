/*
 * registry.h - the seal registry: engravers, seals, accounts, history,
 * verification log and audit, over one LMDB environment in a directory.
 *
 * No HTTP and no image code here: an impression is PNG bytes and the
 * matcher's features an opaque blob.  Every mutation is one write
 * transaction carrying the record, its indexes, its history row, the
 * status counters and an audit entry with a freshly signed head: it
 * happens completely or not at all.
 *
 * Reads go through a struct registry_txn (a read snapshot).  Records are
 * copied out; struct registry_blob points into the map and is valid until
 * the transaction ends.  A registry handle is shared by all threads; a
 * registry_txn belongs to one thread at a time.
 *
 * All functions return 0 or a negative SEAL_E* code (common/errors.h).
 */
#ifndef SEAL_REGISTRY_REGISTRY_H
#define SEAL_REGISTRY_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "common/crypto.h"
#include "registry/audit.h"
#include "registry/code.h"
#include "registry/lifecycle.h"
#include "registry/record.h"

#define REGISTRY_TOKEN_LEN 46 /* "sr_" + base64url(32 random bytes) = 3 + 43 */
#define REGISTRY_KEY_FILE "registry.key"

struct registry;
struct registry_txn;

struct registry_options {
	size_t map_size; /* 0: keep the current size (default 16 GiB when new) */
	int read_only;
	int no_sync; /* skip fsync on commit: benchmarks and bulk loads only */
};

/* Who does something.  Built from a checked token (registry_token_check())
 * or, for the local CLI, registry_actor_local(). */
struct registry_actor {
	enum account_role role;
	char scope[SEAL_UNIT_MAX + 1]; /* engraver prefix, police unit, "" */
	char id[ACCOUNT_ID_LEN + 1];   /* token id, or "local" */
	char name[SEAL_ACTOR_MAX + 1]; /* "police:<unit>:<id>", written to history/audit */
};

/* The local administrator (sealctl): role admin, id "local". */
void registry_actor_local(struct registry_actor *out);

/* Fill out->name from the other fields. */
void registry_actor_from_account(const struct account_record *acct, struct registry_actor *out);

/* Create a registry in dir (created if missing): the LMDB environment, the
 * Ed25519 signing key (dir/registry.key, mode 0600), the schema version, a
 * random key for hashing client addresses, and the first audit entry.
 * SEAL_EEXIST if dir already holds a registry. */
int registry_create(const char *dir, const struct registry_options *opt);

/* Open an existing registry.  opt may be NULL.  SEAL_ENOTFOUND (no registry
 * in dir), SEAL_EVERSION (schema), SEAL_ECRYPTO (bad key file). */
int registry_open(const char *dir, const struct registry_options *opt, struct registry **out);

/* NULL is a no-op.  No transaction may be open. */
void registry_close(struct registry *reg);

/* The registry's signing key (owned by reg, valid until registry_close()). */
const struct crypto_key *registry_key(const struct registry *reg);

/* 32-byte secret for keyed hashes of client addresses (owned by reg). */
const uint8_t *registry_client_key(const struct registry *reg);

/* Read transactions.  begin allocates one; end releases it.  For a
 * request loop, keep one per thread and use reset/renew. */
int registry_read_begin(struct registry *reg, struct registry_txn **out);
void registry_read_end(struct registry_txn *txn);
void registry_read_reset(struct registry_txn *txn);
int registry_read_renew(struct registry_txn *txn);

/* ---- codes ---------------------------------------------------------- */

/* Parse text and check the engraver: 0 with the code in out, or
 * SEAL_ECODE_LENGTH, _DIGIT, _REGION, _ENGRAVER.  A suspended engraver is
 * not an error here (its seals stay valid); see registry_engraver_get(). */
int registry_code_check(struct registry_txn *txn, const char *text, char out[SEAL_CODE_LEN + 1]);

/* ---- engravers ------------------------------------------------------ */

/* Licence a new engraver.  in->prefix, company and licence are required;
 * status, next_serial (1) and created_at are set here.  Admin only
 * (SEAL_EPERM).  SEAL_EEXIST, SEAL_ECODE_REGION, SEAL_ETEXT. */
int registry_engraver_add(struct registry *reg, const struct registry_actor *actor,
                          const struct engraver_record *in);

/* Suspend or reinstate.  Admin only. */
int registry_engraver_set_status(struct registry *reg, const struct registry_actor *actor,
                                 const char *prefix, enum engraver_status status);

int registry_engraver_get(struct registry_txn *txn, const char *prefix,
                          struct engraver_record *out);

/* Call fn for each engraver in prefix order; fn returning non-zero stops
 * the walk and that value is returned. */
int registry_engraver_each(struct registry_txn *txn,
                           int (*fn)(const struct engraver_record *, void *), void *arg);

/* ---- accounts ------------------------------------------------------- */

/* Issue a token: role engraver needs scope = an existing engraver's prefix,
 * police a unit name, admin an empty scope.  token receives the secret
 * (shown once; only its SHA-256 is stored), id its public identifier.
 * Admin only. */
int registry_token_issue(struct registry *reg, const struct registry_actor *actor,
                         enum account_role role, const char *scope,
                         char token[REGISTRY_TOKEN_LEN + 1], char id[ACCOUNT_ID_LEN + 1]);

/* Revoke by id.  SEAL_ENOTFOUND, SEAL_EEXIST (already revoked).  Admin only. */
int registry_token_revoke(struct registry *reg, const struct registry_actor *actor, const char *id);

/* Look a presented token up.  0 with the account, SEAL_EAUTH (unknown or
 * malformed), SEAL_EREVOKED. */
int registry_token_check(struct registry_txn *txn, const char *token, struct account_record *out);

/* Call fn for each account (for listings; never exposes tokens). */
int registry_account_each(struct registry_txn *txn,
                          int (*fn)(const struct account_record *, void *), void *arg);

/* ---- seals ---------------------------------------------------------- */

struct seal_registration {
	char engraver[SEAL_PREFIX_LEN + 1];
	const char *holder;
	const char *credit_code;
	const char *type;
	enum seal_shape shape;
	const void *impression; /* PNG bytes, <= SEAL_IMPRESSION_MAX_BYTES; may be NULL */
	size_t impression_len;
	const void *features; /* matcher blob, <= SEAL_FEATURES_MAX_BYTES; may be NULL */
	size_t features_len;
};

/* Register a seal: checks the actor (admin, or engraver whose scope is the
 * engraver prefix: else SEAL_EPERM), the engraver (SEAL_ECODE_ENGRAVER,
 * SEAL_ECODE_SUSPENDED), the texts (SEAL_ETEXT), the credit code
 * (SEAL_ECREDIT_*), the sizes (SEAL_ETOOBIG); allocates the next serial
 * inside the same transaction (no gaps, never reused; SEAL_EFULL when the
 * engraver's serials are exhausted or the map is full) and returns the new
 * record.  *region_mismatch is set to 1 when the credit code's region
 * (positions 3-6) differs from the seal's region (a warning, not an error). */
int registry_seal_register(struct registry *reg, const struct registry_actor *actor,
                           const struct seal_registration *in, struct seal_record *out,
                           int *region_mismatch);

/* Register n seals in one write transaction: all or none.  out and
 * region_mismatch may be NULL or arrays of n.  On error *failed (if not NULL)
 * is the index of the registration that failed (n when the commit itself
 * failed) and the registry is unchanged.  Serials follow input order. */
int registry_seal_register_batch(struct registry *reg, const struct registry_actor *actor,
                                 const struct seal_registration *in, size_t n,
                                 struct seal_record *out, int *region_mismatch, size_t *failed);

/* Change a seal's status (admin or police; SEAL_EPERM otherwise): checks
 * the lifecycle (SEAL_ETRANSITION), requires a reason (SEAL_ETEXT), writes
 * the history row and audit entry.  case_ref may be NULL. */
int registry_seal_set_status(struct registry *reg, const struct registry_actor *actor,
                             const char *code, enum seal_status to, const char *reason,
                             const char *case_ref, struct seal_record *out);

/* Replace the stored features (e.g. after a matcher upgrade).  Admin only. */
int registry_seal_set_features(struct registry *reg, const struct registry_actor *actor,
                               const char *code, const void *features, size_t len);

/* 0 or SEAL_ENOTFOUND. */
int registry_seal_get(struct registry_txn *txn, const char *code, struct seal_record *out);

struct registry_blob {
	const void *data; /* into the map: valid until the transaction ends */
	size_t len;
};

int registry_seal_impression(struct registry_txn *txn, const char *code, struct registry_blob *out);
int registry_seal_features(struct registry_txn *txn, const char *code, struct registry_blob *out);

/* The history rows of a seal, oldest first. */
int registry_seal_history(struct registry_txn *txn, const char *code,
                          int (*fn)(const struct history_record *, void *), void *arg);

/* Seals whose code starts with prefix (engraver or region; "" for all),
 * strictly after code `after` (NULL or "" from the start), at most limit. */
int registry_seal_list(struct registry_txn *txn, const char *prefix, const char *after,
                       size_t limit, int (*fn)(const struct seal_record *, void *), void *arg);

/* Seals whose holder name starts with holder_prefix, in (name, code) order,
 * after the cursor `after` (the code of the last row seen, with its holder),
 * at most limit. */
int registry_seal_find_holder(struct registry_txn *txn, const char *holder_prefix,
                              const char *after_holder, const char *after_code, size_t limit,
                              int (*fn)(const struct seal_record *, void *), void *arg);

/* Seals of one credit code, in code order, after code `after`. */
int registry_seal_find_credit(struct registry_txn *txn, const char *credit_code, const char *after,
                              size_t limit, int (*fn)(const struct seal_record *, void *),
                              void *arg);

/* Call fn for each (code, features) pair: the 1:N search walks this. */
int registry_features_each(struct registry_txn *txn,
                           int (*fn)(const char *code, const void *features, size_t len, void *),
                           void *arg);

/* ---- verification log and police reads ------------------------------ */

/* Append rows to seals' verification logs in one write transaction (the
 * daemon batches them).  Rows for unregistered codes are kept too: police
 * want to know a forged code is being checked.  Not audited. */
int registry_query_log(struct registry *reg, const struct query_record *rows, size_t n);

/* A seal's verification log, newest first, at most limit rows. */
int registry_query_list(struct registry_txn *txn, const char *code, size_t limit,
                        int (*fn)(const struct query_record *, void *), void *arg);

/* Write an audit entry for a read (police archive access): action
 * "read:<what>", subject the code. */
int registry_audit_read(struct registry *reg, const struct registry_actor *actor, const char *what,
                        const char *code);

/* ---- audit, stats, maintenance -------------------------------------- */

int registry_audit_head(struct registry_txn *txn, struct audit_head *out);

/* Verify the whole chain and the head signature; see audit_verify(). */
int registry_audit_verify(struct registry *reg, uint64_t *count, uint64_t *first_bad,
                          const char **why);

struct registry_stats {
	uint64_t seals;
	uint64_t by_status[SEAL_STATUS_COUNT];
	uint64_t engravers;
	uint64_t accounts;
	uint64_t queries;
	uint64_t audit_length;
	uint8_t audit_hash[CRYPTO_SHA256_LEN];
	uint64_t map_used, map_size;
};

int registry_stats(struct registry_txn *txn, struct registry_stats *out);

/* Compacting hot backup into directory dest, with the public key beside it
 * (dest/registry.pub) so the copy's audit can be verified; the private key
 * is not copied.  SEAL_EEXIST when dest already holds a registry. */
int registry_backup(struct registry *reg, const char *dest);

/* Fault in the whole map (start-up warm-up); returns bytes touched. */
uint64_t registry_warm(struct registry *reg);

#endif
