/*
 * store.h - the registry's storage: one LMDB environment with named databases.
 *
 * The only module that includes <lmdb.h>.  It translates LMDB's errors into
 * SEAL_E* codes at the boundary (MDB_MAP_FULL -> SEAL_EFULL, "registry full:
 * raise --map-size"; MDB_NOTFOUND -> SEAL_ENOTFOUND; ...).
 *
 * A struct store_txn carries a sticky error: once an operation in a write
 * transaction fails, every later operation returns that same error and
 * store_txn_commit() aborts and returns it, so callers may check once at the
 * end.  A read of a missing key (SEAL_ENOTFOUND) is not sticky.
 *
 * Values returned through struct store_val point into the memory map: they
 * are valid until the transaction ends (commit, abort or reset) and must not
 * be written to.  Copy out what must outlive the transaction.
 */
#ifndef SEAL_REGISTRY_STORE_H
#define SEAL_REGISTRY_STORE_H

#include <stddef.h>
#include <stdint.h>

enum store_db {
	STORE_SEALS,       /* code(13) -> struct seal_disk */
	STORE_IMPRESSIONS, /* code(13) -> PNG bytes */
	STORE_FEATURES,    /* code(13) -> matcher features */
	STORE_HISTORY,     /* code(13) + seq(be32) -> struct history_disk */
	STORE_ENGRAVERS,   /* prefix(7) -> struct engraver_disk */
	STORE_ACCOUNTS,    /* sha256(token) -> struct account_disk */
	STORE_QUERIES,     /* code(13) + time_ns(be64) + nonce(be32) -> struct query_disk */
	STORE_AUDIT,       /* seq(be64) -> struct audit_disk */
	STORE_META,        /* name -> value */
	STORE_BY_HOLDER,   /* holder + NUL + code(13) -> empty */
	STORE_BY_CREDIT,   /* credit(18) + code(13) -> empty */
	STORE_DB_COUNT
};

enum store_flags {
	STORE_CREATE = 1 << 0,   /* create the directory's environment and databases */
	STORE_READONLY = 1 << 1, /* open read-only (e.g. audit verify of a backup) */
	STORE_NOSYNC = 1 << 2,   /* no fsync at commit: benchmarks and bulk loads only */
	STORE_WRITEMAP = 1 << 3, /* write through the map, flushed by the kernel in its own
	                            time: for the high-volume, non-critical verification log */
};

#define STORE_MAP_SIZE_DEFAULT ((size_t)1 << 34) /* 16 GiB of address space */

struct store;
struct store_txn;
struct store_cursor;

struct store_val {
	const void *data;
	size_t len;
};

/* Open (or with STORE_CREATE create) the environment in directory dir.
 * map_size 0 keeps the file's current size (or the default when new).
 * Clears stale reader slots left by dead processes.  Returns 0,
 * SEAL_ENOTFOUND (no registry there), SEAL_EIO, SEAL_ENOMEM. */
int store_open(const char *dir, size_t map_size, int flags, struct store **out);

/* Close; all transactions must have ended.  NULL is a no-op. */
void store_close(struct store *st);

/* Begin a transaction; write != 0 for a write transaction (writers are
 * serialised by LMDB; readers never block).  SEAL_EFULL when the map must
 * grow, SEAL_EBUSY when all reader slots are in use. */
int store_txn_begin(struct store *st, int write, struct store_txn **out);

/* Commit and free; returns the sticky error (after aborting) if any
 * operation failed, else LMDB's verdict (SEAL_EFULL, SEAL_EIO). */
int store_txn_commit(struct store_txn *txn);

/* Abandon and free.  NULL is a no-op. */
void store_txn_abort(struct store_txn *txn);

/* Read transactions only: release the snapshot but keep the handle, and
 * take a fresh snapshot later.  Cheap; meant for one read per request.
 * Like store_txn_begin(), renew adopts a map another process has grown
 * (LMDB's MDB_MAP_RESIZED); LMDB allows that only while no other
 * transaction of this process is active. */
void store_txn_reset(struct store_txn *txn);
int store_txn_renew(struct store_txn *txn);

/* The first error of this transaction, or 0. */
int store_txn_error(const struct store_txn *txn);

/* Record err as the transaction's sticky error (if none yet) and return it.
 * Lets callers fail a write transaction for their own reasons. */
int store_txn_fail(struct store_txn *txn, int err);

int store_get(struct store_txn *txn, enum store_db db, const void *key, size_t klen,
              struct store_val *out);
/* flags: STORE_PUT_NOOVERWRITE makes an existing key SEAL_EEXIST. */
#define STORE_PUT_NOOVERWRITE 1
int store_put(struct store_txn *txn, enum store_db db, const void *key, size_t klen,
              const void *val, size_t vlen, int flags);
int store_del(struct store_txn *txn, enum store_db db, const void *key, size_t klen);

/* Cursors iterate in key order (bytewise).  seek positions at the first
 * key >= key (klen 0: the first key); next moves forward; last moves to
 * the last key.  Each returns 0 with the key and value, or SEAL_ENOTFOUND
 * at the end.  The cursor dies with its transaction if not closed first. */
int store_cursor_open(struct store_txn *txn, enum store_db db, struct store_cursor **out);
int store_cursor_seek(struct store_cursor *c, const void *key, size_t klen, struct store_val *k,
                      struct store_val *v);
int store_cursor_next(struct store_cursor *c, struct store_val *k, struct store_val *v);
int store_cursor_last(struct store_cursor *c, struct store_val *k, struct store_val *v);
/* Move back one key; SEAL_ENOTFOUND before the first. */
int store_cursor_prev(struct store_cursor *c, struct store_val *k, struct store_val *v);
void store_cursor_close(struct store_cursor *c);

/* Number of entries in db. */
int store_count(struct store_txn *txn, enum store_db db, uint64_t *count);

/* Map size and bytes in use (last page number x page size). */
int store_usage(struct store *st, uint64_t *used, uint64_t *map_size);

/* Grow (or shrink, down to what is used) the map.  Waits up to a second
 * for this process's live transactions to end (SEAL_EBUSY otherwise: a
 * thread that holds a transaction must not call this).  A map grown by
 * another process is adopted the same way, inside store_txn_begin() and
 * store_txn_renew(), which may therefore also answer SEAL_EBUSY. */
int store_set_map_size(struct store *st, size_t map_size);

/* Touch every page that holds data (a cursor walk over every database), so
 * the first requests do not fault it in from disk.  Returns the bytes of
 * keys and values visited. */
uint64_t store_warm(struct store *st);

/* Compacting hot backup into directory dest (created if absent, must be
 * empty): a consistent snapshot while writers go on.  SEAL_EEXIST when dest
 * already holds a data.mdb (it is left as it was). */
int store_backup(struct store *st, const char *dest);

#endif
