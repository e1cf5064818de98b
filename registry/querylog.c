/*
 * querylog.c - each seal's verification log: who checked it, when, how, and
 * what they were told.  Keys are code + time (big-endian ns) + a per-process
 * counter, so one seal's rows are contiguous and in time order; the newest
 * are read by walking backwards from the end of the code's range.
 *
 * The log lives in its own LMDB environment, DIR/verifications, opened
 * with MDB_WRITEMAP and no fsync: it takes a row per public request, and
 * rows of random codes dirty a page each, which in the main environment
 * would mean megabytes of synchronous writes per batch.  A crash may lose
 * the last seconds of log; the registry proper (seals, audit) keeps full
 * durability and small commits.
 */
#include "registry/internal.h"
#include "common/errors.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#define QUERY_KEY_LEN (SEAL_CODE_LEN + 8 + 4)

static atomic_uint query_counter;

static void
query_key(uint8_t key[QUERY_KEY_LEN], const struct query_record *q)
{
	uint64_t t = (uint64_t)q->time_ns;
	unsigned n = atomic_fetch_add(&query_counter, 1);

	memcpy(key, q->code, SEAL_CODE_LEN);
	for (int i = 0; i < 8; i++)
		key[SEAL_CODE_LEN + i] = (uint8_t)(t >> (56 - 8 * i));
	for (int i = 0; i < 4; i++)
		key[SEAL_CODE_LEN + 8 + i] = (uint8_t)(n >> (24 - 8 * i));
}

int
registry_query_log(struct registry *reg, const struct query_record *rows, size_t n)
{
	struct store_txn *t;
	uint8_t key[QUERY_KEY_LEN];
	int rc;

	if (n == 0)
		return 0;
	if (reg->qst == NULL)
		return SEAL_EPERM;
	rc = store_txn_begin(reg->qst, 1, &t);
	if (rc != 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		if (strnlen(rows[i].code, SEAL_CODE_LEN + 1) != SEAL_CODE_LEN)
			continue;
		query_key(key, &rows[i]);
		store_put(t, STORE_QUERIES, key, sizeof key, &rows[i], sizeof rows[i], 0);
	}
	return store_txn_commit(t);
}

int
registry_query_list(struct registry_txn *txn, const char *code, size_t limit,
                    int (*fn)(const struct query_record *, void *), void *arg)
{
	struct store_cursor *c;
	struct store_val k, v;
	struct query_record q;
	uint8_t end[SEAL_CODE_LEN + 1];
	size_t n = 0;
	int rc;

	struct store_txn *lt;

	if (strnlen(code, SEAL_CODE_LEN + 1) != SEAL_CODE_LEN || txn->reg->qst == NULL)
		return 0;
	memcpy(end, code, SEAL_CODE_LEN);
	end[SEAL_CODE_LEN] = 0xff; /* past every row of this code */
	rc = store_txn_begin(txn->reg->qst, 0, &lt);
	if (rc != 0)
		return rc;
	rc = store_cursor_open(lt, STORE_QUERIES, &c);
	if (rc != 0) {
		store_txn_abort(lt);
		return rc;
	}
	rc = store_cursor_seek(c, end, sizeof end, &k, &v);
	rc = rc == SEAL_ENOTFOUND ? store_cursor_last(c, &k, &v) : store_cursor_prev(c, &k, &v);
	for (; rc == 0 && n < limit; rc = store_cursor_prev(c, &k, &v)) {
		if (!registry_has_prefix(k.data, k.len, code, SEAL_CODE_LEN))
			break;
		if (v.len != sizeof q)
			continue;
		memcpy(&q, v.data, sizeof q);
		n++;
		rc = fn(&q, arg);
		if (rc != 0)
			break;
	}
	store_cursor_close(c);
	store_txn_abort(lt);
	return rc == SEAL_ENOTFOUND ? 0 : rc;
}

int
registry_querylog_open(struct registry *reg, const char *dir, int read_only)
{
	char path[4096];
	int n = snprintf(path, sizeof path, "%s/%s", dir, REGISTRY_QUERYLOG_DIR);
	int rc;

	if (n < 0 || (size_t)n >= sizeof path)
		return SEAL_EINVAL;
	rc = store_open(path, REGISTRY_QUERYLOG_MAP,
	                read_only ? STORE_READONLY : (STORE_CREATE | STORE_WRITEMAP), &reg->qst);
	/* A read-only copy without a log is still a registry. */
	if (rc == SEAL_ENOTFOUND && read_only)
		rc = 0;
	return rc;
}
