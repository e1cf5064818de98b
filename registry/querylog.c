/*
 * querylog.c - each seal's verification log: who checked it, when, how, and
 * what they were told.  Keys are code + time (big-endian ns) + a per-process
 * counter, so one seal's rows are contiguous and in time order; the newest
 * are read by walking backwards from the end of the code's range.
 */
#include "registry/internal.h"
#include "common/errors.h"

#include <stdatomic.h>
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
	rc = store_txn_begin(reg->st, 1, &t);
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

	if (strnlen(code, SEAL_CODE_LEN + 1) != SEAL_CODE_LEN)
		return 0;
	memcpy(end, code, SEAL_CODE_LEN);
	end[SEAL_CODE_LEN] = 0xff; /* past every row of this code */
	rc = store_cursor_open(txn->t, STORE_QUERIES, &c);
	if (rc != 0)
		return rc;
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
	return rc == SEAL_ENOTFOUND ? 0 : rc;
}
