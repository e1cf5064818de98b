/*
 * store.c - LMDB behind the store.h API.
 *
 * One environment per registry directory (data.mdb + lock.mdb), MDB_NOTLS so
 * a read transaction may be reset on one thread and renewed on another, and
 * one MDB_dbi per enum store_db opened once at store_open().  Every LMDB
 * return code is mapped by store_error() and nowhere else.
 */
#include "registry/store.h"
#include "common/errors.h"
#include "common/log.h"

#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <lmdb.h>

static const char *const DB_NAMES[STORE_DB_COUNT] = {
    [STORE_SEALS] = "seals",         [STORE_IMPRESSIONS] = "impressions",
    [STORE_FEATURES] = "features",   [STORE_HISTORY] = "history",
    [STORE_ENGRAVERS] = "engravers", [STORE_ACCOUNTS] = "accounts",
    [STORE_QUERIES] = "queries",     [STORE_AUDIT] = "audit",
    [STORE_META] = "meta",           [STORE_BY_HOLDER] = "by_holder",
    [STORE_BY_CREDIT] = "by_credit",
};

struct store {
	MDB_env *env;
	MDB_dbi dbi[STORE_DB_COUNT];
	/* Held shared by every live transaction of this process and taken
	 * exclusively to adopt a map grown by another process: LMDB allows
	 * mdb_env_set_mapsize() only while no transaction is active here. */
	pthread_rwlock_t resize_lock;
};

struct store_txn {
	struct store *st;
	MDB_txn *txn;
	int write;
	int error;
	int holds_lock; /* shares st->resize_lock while the snapshot is live */
};

struct store_cursor {
	MDB_cursor *cur;
};

/* The one place LMDB's codes become ours. */
static int
store_error(int rc)
{
	switch (rc) {
	case MDB_SUCCESS:
		return 0;
	case MDB_NOTFOUND:
		return SEAL_ENOTFOUND;
	case MDB_KEYEXIST:
	case EEXIST: /* mdb_env_copy2 into a directory that has a data.mdb */
		return SEAL_EEXIST;
	case MDB_MAP_FULL:
	case MDB_MAP_RESIZED:
		return SEAL_EFULL;
	case MDB_READERS_FULL:
	case MDB_TXN_FULL:
	case MDB_CURSOR_FULL:
		return SEAL_EBUSY;
	case MDB_CORRUPTED:
	case MDB_PAGE_NOTFOUND:
	case MDB_INVALID:
		return SEAL_ECORRUPT;
	case MDB_VERSION_MISMATCH:
	case MDB_INCOMPATIBLE:
		return SEAL_EVERSION;
	case ENOMEM:
		return SEAL_ENOMEM;
	case ENOENT:
		return SEAL_ENOTFOUND;
	case EINVAL:
		return SEAL_EINVAL;
	default:
		return SEAL_EIO;
	}
}

int
store_open(const char *dir, size_t map_size, int flags, struct store **out)
{
	struct store *st;
	MDB_txn *txn = NULL;
	unsigned int env_flags = MDB_NOTLS | MDB_NORDAHEAD;
	int rc, dead = 0;

	*out = NULL;
	st = calloc(1, sizeof *st);
	if (st == NULL)
		return SEAL_ENOMEM;
	pthread_rwlock_init(&st->resize_lock, NULL);
	if (flags & STORE_CREATE) {
		if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
			free(st);
			return SEAL_EIO;
		}
	}
	if (flags & STORE_READONLY)
		env_flags |= MDB_RDONLY;
	if (flags & STORE_NOSYNC)
		env_flags |= MDB_NOSYNC;
	if (flags & STORE_WRITEMAP)
		env_flags |= MDB_WRITEMAP | MDB_MAPASYNC | MDB_NOSYNC;
	rc = mdb_env_create(&st->env);
	if (rc == 0)
		rc = mdb_env_set_maxdbs(st->env, STORE_DB_COUNT);
	if (rc == 0)
		rc = mdb_env_set_maxreaders(st->env, 1024);
	if (rc == 0 && (map_size != 0 || (flags & STORE_CREATE)))
		rc = mdb_env_set_mapsize(st->env, map_size ? map_size : STORE_MAP_SIZE_DEFAULT);
	if (rc == 0)
		rc = mdb_env_open(st->env, dir, env_flags, 0640);
	if (rc != 0)
		goto out;
	mdb_reader_check(st->env, &dead);
	if (dead > 0)
		log_warnx("cleared %d stale reader slot(s)", dead);
	rc = mdb_txn_begin(st->env, NULL, (flags & STORE_READONLY) ? MDB_RDONLY : 0, &txn);
	for (int i = 0; rc == 0 && i < STORE_DB_COUNT; i++)
		rc = mdb_dbi_open(txn, DB_NAMES[i], (flags & STORE_CREATE) ? MDB_CREATE : 0,
		                  &st->dbi[i]);
	if (rc == 0)
		rc = mdb_txn_commit(txn);
	else
		mdb_txn_abort(txn);
out:
	if (rc != 0) {
		mdb_env_close(st->env);
		free(st);
		return store_error(rc);
	}
	*out = st;
	return 0;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	mdb_env_close(st->env);
	pthread_rwlock_destroy(&st->resize_lock);
	free(st);
}

/* Set the map size (0: adopt the size another process grew the file to)
 * once no transaction of ours is live.  The caller holds no share of the lock.  A thread that
 * still holds another transaction (a read snapshot while it writes) would
 * wait for itself, so give up after a second with SEAL_EBUSY: try again. */
static int
adopt_map_size(struct store *st, size_t map_size)
{
	struct timespec pause = {0, 1000 * 1000};
	int rc;

	for (int i = 0; i < 1000; i++) {
		if (pthread_rwlock_trywrlock(&st->resize_lock) == 0) {
			rc = mdb_env_set_mapsize(st->env, map_size);
			pthread_rwlock_unlock(&st->resize_lock);
			return store_error(rc);
		}
		nanosleep(&pause, NULL);
	}
	return SEAL_EBUSY;
}

/* Begin (txn == NULL: *out) or renew a transaction under a share of the
 * resize lock, adopting a grown map when LMDB says so. */
static int
txn_start(struct store *st, int write, MDB_txn **txn, int renew)
{
	int rc;

	for (int attempt = 0;; attempt++) {
		pthread_rwlock_rdlock(&st->resize_lock);
		rc = renew ? mdb_txn_renew(*txn)
		           : mdb_txn_begin(st->env, NULL, write ? 0 : MDB_RDONLY, txn);
		if (rc != MDB_MAP_RESIZED || attempt == 1)
			break;
		/* A failed renew leaves the handle reset: it can be renewed again. */
		pthread_rwlock_unlock(&st->resize_lock);
		rc = adopt_map_size(st, 0);
		if (rc != 0)
			return rc;
	}
	if (rc != 0) {
		pthread_rwlock_unlock(&st->resize_lock);
		return store_error(rc);
	}
	return 0;
}

int
store_txn_begin(struct store *st, int write, struct store_txn **out)
{
	struct store_txn *t = calloc(1, sizeof *t);
	int rc;

	*out = NULL;
	if (t == NULL)
		return SEAL_ENOMEM;
	rc = txn_start(st, write, &t->txn, 0);
	if (rc != 0) {
		free(t);
		return rc;
	}
	t->st = st;
	t->write = write;
	t->holds_lock = 1;
	*out = t;
	return 0;
}

static void
txn_release(struct store_txn *txn)
{
	if (txn->holds_lock)
		pthread_rwlock_unlock(&txn->st->resize_lock);
	txn->holds_lock = 0;
}

int
store_txn_commit(struct store_txn *txn)
{
	int rc;

	if (txn->error != 0) {
		rc = txn->error;
		mdb_txn_abort(txn->txn);
	} else {
		rc = store_error(mdb_txn_commit(txn->txn));
	}
	txn_release(txn);
	free(txn);
	return rc;
}

void
store_txn_abort(struct store_txn *txn)
{
	if (txn == NULL)
		return;
	mdb_txn_abort(txn->txn);
	txn_release(txn);
	free(txn);
}

void
store_txn_reset(struct store_txn *txn)
{
	mdb_txn_reset(txn->txn);
	txn_release(txn);
}

int
store_txn_renew(struct store_txn *txn)
{
	int rc;

	txn->error = 0;
	txn_release(txn);
	rc = txn_start(txn->st, 0, &txn->txn, 1);
	if (rc == 0)
		txn->holds_lock = 1;
	return rc;
}

int
store_txn_error(const struct store_txn *txn)
{
	return txn->error;
}

int
store_txn_fail(struct store_txn *txn, int err)
{
	if (txn->error == 0)
		txn->error = err;
	return txn->error;
}

int
store_get(struct store_txn *txn, enum store_db db, const void *key, size_t klen,
          struct store_val *out)
{
	MDB_val k = {klen, (void *)key}, v;
	int rc;

	if (txn->error != 0)
		return txn->error;
	rc = mdb_get(txn->txn, txn->st->dbi[db], &k, &v);
	if (rc == MDB_NOTFOUND)
		return SEAL_ENOTFOUND;
	if (rc != 0)
		return store_txn_fail(txn, store_error(rc));
	out->data = v.mv_data;
	out->len = v.mv_size;
	return 0;
}

int
store_put(struct store_txn *txn, enum store_db db, const void *key, size_t klen, const void *val,
          size_t vlen, int flags)
{
	MDB_val k = {klen, (void *)key}, v = {vlen, (void *)val};
	int rc;

	if (txn->error != 0)
		return txn->error;
	rc = mdb_put(txn->txn, txn->st->dbi[db], &k, &v,
	             (flags & STORE_PUT_NOOVERWRITE) ? MDB_NOOVERWRITE : 0);
	return rc == 0 ? 0 : store_txn_fail(txn, store_error(rc));
}

int
store_del(struct store_txn *txn, enum store_db db, const void *key, size_t klen)
{
	MDB_val k = {klen, (void *)key};
	int rc;

	if (txn->error != 0)
		return txn->error;
	rc = mdb_del(txn->txn, txn->st->dbi[db], &k, NULL);
	if (rc == MDB_NOTFOUND)
		return SEAL_ENOTFOUND;
	return rc == 0 ? 0 : store_txn_fail(txn, store_error(rc));
}

int
store_cursor_open(struct store_txn *txn, enum store_db db, struct store_cursor **out)
{
	struct store_cursor *c;
	int rc;

	*out = NULL;
	if (txn->error != 0)
		return txn->error;
	c = malloc(sizeof *c);
	if (c == NULL)
		return SEAL_ENOMEM;
	rc = mdb_cursor_open(txn->txn, txn->st->dbi[db], &c->cur);
	if (rc != 0) {
		free(c);
		return store_error(rc);
	}
	*out = c;
	return 0;
}

static int
cursor_get(struct store_cursor *c, MDB_val *k, MDB_cursor_op op, struct store_val *ko,
           struct store_val *vo)
{
	MDB_val v;
	int rc = mdb_cursor_get(c->cur, k, &v, op);

	if (rc != 0)
		return store_error(rc);
	if (ko != NULL) {
		ko->data = k->mv_data;
		ko->len = k->mv_size;
	}
	if (vo != NULL) {
		vo->data = v.mv_data;
		vo->len = v.mv_size;
	}
	return 0;
}

int
store_cursor_seek(struct store_cursor *c, const void *key, size_t klen, struct store_val *k,
                  struct store_val *v)
{
	MDB_val kv = {klen, (void *)key};

	return cursor_get(c, &kv, klen ? MDB_SET_RANGE : MDB_FIRST, k, v);
}

int
store_cursor_next(struct store_cursor *c, struct store_val *k, struct store_val *v)
{
	MDB_val kv;

	return cursor_get(c, &kv, MDB_NEXT, k, v);
}

int
store_cursor_last(struct store_cursor *c, struct store_val *k, struct store_val *v)
{
	MDB_val kv;

	return cursor_get(c, &kv, MDB_LAST, k, v);
}

int
store_cursor_prev(struct store_cursor *c, struct store_val *k, struct store_val *v)
{
	MDB_val kv;

	return cursor_get(c, &kv, MDB_PREV, k, v);
}

void
store_cursor_close(struct store_cursor *c)
{
	if (c == NULL)
		return;
	mdb_cursor_close(c->cur);
	free(c);
}

int
store_count(struct store_txn *txn, enum store_db db, uint64_t *count)
{
	MDB_stat ms;
	int rc = mdb_stat(txn->txn, txn->st->dbi[db], &ms);

	if (rc != 0)
		return store_error(rc);
	*count = ms.ms_entries;
	return 0;
}

int
store_usage(struct store *st, uint64_t *used, uint64_t *map_size)
{
	MDB_envinfo info;
	MDB_stat ms;
	int rc = mdb_env_info(st->env, &info);

	if (rc == 0)
		rc = mdb_env_stat(st->env, &ms);
	if (rc != 0)
		return store_error(rc);
	*used = (uint64_t)(info.me_last_pgno + 1) * ms.ms_psize;
	*map_size = info.me_mapsize;
	return 0;
}

int
store_set_map_size(struct store *st, size_t map_size)
{
	return adopt_map_size(st, map_size);
}

uint64_t
store_warm(struct store *st)
{
	MDB_txn *txn;
	volatile uint8_t sink = 0;
	uint64_t bytes = 0;

	/* Walk every database with a cursor and touch each value a page at a
	 * time: that faults in every branch, leaf and overflow page in use.
	 * (me_mapaddr is only known with MDB_FIXEDMAP, so no linear sweep.) */
	if (mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn) != 0)
		return 0;
	for (int i = 0; i < STORE_DB_COUNT; i++) {
		MDB_cursor *cur;
		MDB_val k, v;

		if (mdb_cursor_open(txn, st->dbi[i], &cur) != 0)
			continue;
		while (mdb_cursor_get(cur, &k, &v, MDB_NEXT) == 0) {
			const volatile uint8_t *p = v.mv_data;
			for (size_t off = 0; off < v.mv_size; off += 4096)
				sink ^= p[off];
			bytes += k.mv_size + v.mv_size;
		}
		mdb_cursor_close(cur);
	}
	mdb_txn_abort(txn);
	(void)sink;
	return bytes;
}

int
store_backup(struct store *st, const char *dest)
{
	if (mkdir(dest, 0750) != 0 && errno != EEXIST)
		return SEAL_EIO;
	return store_error(mdb_env_copy2(st->env, dest, MDB_CP_COMPACT));
}
