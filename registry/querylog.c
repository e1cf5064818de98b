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
 *
 * Rows are stored compactly: the key already holds code and time, and the
 * value is a format byte and three length-prefixed strings (route, result,
 * client), about 30 bytes instead of the 136 of struct query_record.  Three
 * to four times more rows per page keep the tree small, and with it the
 * cache misses of each random insert as the log grows.
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

#define ROW_FORMAT 1
#define ROW_MAX                                                                                    \
	(1 + 3 + sizeof(((struct query_record *)0)->route) +                                       \
	 sizeof(((struct query_record *)0)->result) + sizeof(((struct query_record *)0)->client))

static size_t
put_text(uint8_t *out, const char *s, size_t cap)
{
	size_t n = strnlen(s, cap - 1);

	out[0] = (uint8_t)n;
	memcpy(out + 1, s, n);
	return n + 1;
}

/* The value of a row: format, then route, result and client. */
static size_t
row_encode(const struct query_record *q, uint8_t out[ROW_MAX])
{
	size_t n = 0;

	out[n++] = ROW_FORMAT;
	n += put_text(out + n, q->route, sizeof q->route);
	n += put_text(out + n, q->result, sizeof q->result);
	n += put_text(out + n, q->client, sizeof q->client);
	return n;
}

static int
get_text(const uint8_t **p, const uint8_t *end, char *out, size_t cap)
{
	size_t n;

	if (*p >= end || (n = **p) >= cap || (size_t)(end - *p) < n + 1)
		return SEAL_ECORRUPT;
	memcpy(out, *p + 1, n);
	out[n] = '\0';
	*p += n + 1;
	return 0;
}

static int
row_decode(const struct store_val *k, const struct store_val *v, struct query_record *q)
{
	const uint8_t *key = k->data, *p = v->data, *end = p + v->len;
	uint64_t t = 0;

	memset(q, 0, sizeof *q);
	if (k->len != QUERY_KEY_LEN || v->len < 1 || p[0] != ROW_FORMAT)
		return SEAL_ECORRUPT;
	p++;
	memcpy(q->code, key, SEAL_CODE_LEN);
	for (int i = 0; i < 8; i++)
		t = t << 8 | key[SEAL_CODE_LEN + i];
	q->time_ns = (int64_t)t;
	if (get_text(&p, end, q->route, sizeof q->route) != 0 ||
	    get_text(&p, end, q->result, sizeof q->result) != 0 ||
	    get_text(&p, end, q->client, sizeof q->client) != 0)
		return SEAL_ECORRUPT;
	return 0;
}

int
registry_query_log(struct registry *reg, const struct query_record *rows, size_t n)
{
	struct store_txn *t;
	uint8_t key[QUERY_KEY_LEN], val[ROW_MAX];
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
		store_put(t, STORE_QUERIES, key, sizeof key, val, row_encode(&rows[i], val), 0);
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
		if (row_decode(&k, &v, &q) != 0)
			continue;
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
