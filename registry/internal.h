/*
 * internal.h - what the registry's own files share; not for other modules.
 *
 * The struct registry, and the write-transaction helpers every mutation
 * uses: begin, then record changes, then registry_write_finish() appends
 * the audit entry (signing the new head) and commits - all or nothing.
 */
#ifndef SEAL_REGISTRY_INTERNAL_H
#define SEAL_REGISTRY_INTERNAL_H

#include "registry/registry.h"
#include "registry/store.h"

struct registry {
	struct store *st;
	struct store *qst;      /* the verification log's own environment (DIR/verifications);
	                           NULL in a read-only copy that has none */
	struct crypto_key *key; /* key pair, or public key only (backups) */
	uint8_t client_key[32];
};

struct registry_txn {
	struct registry *reg;
	struct store_txn *t;
};

/* Per-status seal counters kept in STORE_META under "counts". */
struct registry_counts {
	uint64_t by_status[SEAL_STATUS_COUNT];
};

#define META_SCHEMA "schema"
#define META_PUBKEY "pubkey"
#define META_CLIENT_KEY "client_key"
#define META_COUNTS "counts"
#define REGISTRY_SCHEMA_VERSION "1"
#define REGISTRY_QUERYLOG_DIR "verifications"
#define REGISTRY_QUERYLOG_MAP ((size_t)1 << 36) /* 64 GiB of address space */

/* Open (creating it unless read_only) the verification log environment. */
int registry_querylog_open(struct registry *reg, const char *dir, int read_only);

/* Read "counts" (zeros when absent) / write it back. */
int registry_counts_get(struct store_txn *t, struct registry_counts *out);
int registry_counts_put(struct store_txn *t, const struct registry_counts *c);

/* Append the audit entry for this mutation and commit.  Aborts and returns
 * the first error when anything in the transaction failed. */
int registry_write_finish(struct registry *reg, struct store_txn *t,
                          const struct registry_actor *actor, const char *action,
                          const char *subject, const uint8_t digest[CRYPTO_SHA256_LEN]);

/* Current time, Unix seconds / nanoseconds. */
int64_t registry_now(void);
int64_t registry_now_ns(void);

/* 1 when s starts with prefix. */
int registry_has_prefix(const void *s, size_t n, const char *prefix, size_t plen);

#endif
