/*
 * test_seal.c - seal reads and maintenance: stored impression and features,
 * history order, the verification log (newest first, limits, unregistered
 * codes kept), listings by prefix with paging, search by holder prefix and
 * by credit code with paging, the hot backup (opened read-only with the
 * public key only: same stats and contents, audit verifies, writes refused),
 * the warm-up, stale reader slots, and snapshot isolation (also with reader
 * threads running while a writer registers).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/errors.h"
#include "common/log.h"
#include "registry/registry.h"
#include "tests/support/regfix.h"

#define ROWS_MAX 64

struct rows {
	size_t n;
	int stop_after; /* return 7 after this many rows (0: never) */
	struct seal_record r[ROWS_MAX];
};

static int
collect(const struct seal_record *rec, void *arg)
{
	struct rows *rows = arg;

	if (rows->n < ROWS_MAX)
		rows->r[rows->n] = *rec;
	rows->n++;
	return rows->stop_after && (int)rows->n >= rows->stop_after ? 7 : 0;
}

struct fx {
	char dir[REGFIX_PATH_MAX];
	struct registry *reg;
	struct registry_actor admin;
	struct registry_txn *txn;
};

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof *fx);

	fx->reg = regfix_registry_new(fx->dir, 0);
	registry_actor_local(&fx->admin);
	regfix_engraver(fx->reg, "6101001");
	regfix_engraver(fx->reg, "6101002");
	regfix_engraver(fx->reg, "4401002");
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	registry_read_end(fx->txn);
	registry_close(fx->reg);
	regfix_rmrf(fx->dir);
	free(fx);
	return 0;
}

static struct registry_txn *
reader(struct fx *fx)
{
	registry_read_end(fx->txn);
	fx->txn = NULL;
	regfix_expect_rc(0, registry_read_begin(fx->reg, &fx->txn), "read_begin");
	return fx->txn;
}

static void
expect_codes(const struct rows *rows, const char *const *want, size_t n, const char *what)
{
	if (rows->n != n)
		fail_msg("%s: expected %zu rows, got %zu", what, n, rows->n);
	for (size_t i = 0; i < n; i++)
		if (strcmp(rows->r[i].code, want[i]) != 0)
			fail_msg("%s: row %zu: expected %s, got %s", what, i, want[i],
			         rows->r[i].code);
}

static void
test_blobs(void **state)
{
	struct fx *fx = *state;
	struct seal_registration in = {0};
	struct seal_record rec;
	struct registry_blob b;
	char credit[SEAL_CREDIT_LEN + 1];
	uint8_t *png, features[100];
	size_t png_len;

	regfix_png(240, &png, &png_len);
	for (size_t i = 0; i < sizeof features; i++)
		features[i] = (uint8_t)(i * 3);
	regfix_credit_code("610100", 1, credit);
	snprintf(in.engraver, sizeof in.engraver, "6101001");
	in.holder = "图像公司";
	in.credit_code = credit;
	in.type = "法定代表人名章";
	in.shape = SEAL_SHAPE_SQUARE;
	in.impression = png;
	in.impression_len = png_len;
	in.features = features;
	in.features_len = sizeof features;
	regfix_expect_rc(0, registry_seal_register(fx->reg, &fx->admin, &in, &rec, NULL),
	                 "register with impression");
	regfix_expect_rc(0, regfix_seal(fx->reg, "6101001", "无图公司", 2, NULL), "no impression");
	reader(fx);
	regfix_expect_rc(0, registry_seal_impression(fx->txn, rec.code, &b), "impression");
	if (b.len != png_len || memcmp(b.data, png, png_len) != 0)
		fail_msg("impression: expected the %zu PNG bytes back, got %zu bytes", png_len,
		         b.len);
	regfix_expect_rc(0, registry_seal_features(fx->txn, rec.code, &b), "features");
	if (b.len != sizeof features || memcmp(b.data, features, sizeof features) != 0)
		fail_msg("features: expected the %zu bytes back, got %zu", sizeof features, b.len);
	regfix_expect_rc(SEAL_ENOTFOUND, registry_seal_impression(fx->txn, "6101001000002", &b),
	                 "impression of a seal registered without one");
	regfix_expect_rc(SEAL_ENOTFOUND, registry_seal_get(fx->txn, "6101001000003", &rec),
	                 "unregistered code");
	registry_read_end(fx->txn);
	fx->txn = NULL;
	regfix_expect_rc(0,
	                 registry_seal_set_features(fx->reg, &fx->admin, "6101001000001", "new", 3),
	                 "set features");
	regfix_expect_rc(SEAL_ETOOBIG,
	                 registry_seal_set_features(fx->reg, &fx->admin, "6101001000001", "", 0),
	                 "empty features");
	regfix_expect_rc(SEAL_ENOT_REGISTERED,
	                 registry_seal_set_features(fx->reg, &fx->admin, "6101001000009", "x", 1),
	                 "features of an unregistered code");
	reader(fx);
	regfix_expect_rc(0, registry_seal_features(fx->txn, "6101001000001", &b), "features");
	if (b.len != 3 || memcmp(b.data, "new", 3) != 0)
		fail_msg("replaced features: expected \"new\", got %zu bytes", b.len);
	/* The warm-up touches every stored byte, the impression included. */
	{
		struct registry_stats st;
		uint64_t warm = registry_warm(fx->reg);

		regfix_expect_rc(0, registry_stats(fx->txn, &st), "stats");
		if (warm < png_len + 2 * sizeof(struct seal_record) || warm > st.map_used)
			fail_msg("registry_warm: expected between %zu and %llu bytes, got %llu",
			         png_len + 2 * sizeof(struct seal_record),
			         (unsigned long long)st.map_used, (unsigned long long)warm);
	}
	free(png);
}

struct hist {
	size_t n;
	struct history_record h[8];
};

static int
hist_collect(const struct history_record *h, void *arg)
{
	struct hist *hs = arg;

	if (hs->n < 8)
		hs->h[hs->n] = *h;
	hs->n++;
	return 0;
}

static void
test_history_order(void **state)
{
	static const enum seal_status path[] = {SEAL_STATUS_LOST,     SEAL_STATUS_ACTIVE,
	                                        SEAL_STATUS_DISPUTED, SEAL_STATUS_ACTIVE,
	                                        SEAL_STATUS_DISPUTED, SEAL_STATUS_REVOKED};
	struct fx *fx = *state;
	struct seal_record a, b;
	struct hist hs = {0};
	enum seal_status from = SEAL_STATUS_ACTIVE;

	/* Neighbouring codes must not mix their rows. */
	regfix_expect_rc(0, regfix_seal(fx->reg, "6101001", "历史公司", 1, &a), "register a");
	regfix_expect_rc(0, regfix_seal(fx->reg, "6101001", "历史公司", 2, &b), "register b");
	for (size_t i = 0; i < sizeof path / sizeof path[0]; i++) {
		char reason[32];

		snprintf(reason, sizeof reason, "第%zu步", i + 1);
		regfix_expect_rc(0,
		                 registry_seal_set_status(fx->reg, &fx->admin, a.code, path[i],
		                                          reason, NULL, NULL),
		                 "status step");
		if (i == 2)
			regfix_expect_rc(0,
			                 registry_seal_set_status(fx->reg, &fx->admin, b.code,
			                                          SEAL_STATUS_DESTROYED, "销毁",
			                                          NULL, NULL),
			                 "destroy b");
	}
	regfix_expect_rc(0, registry_seal_history(reader(fx), a.code, hist_collect, &hs),
	                 "history a");
	if (hs.n != 7)
		fail_msg("history of a: expected 7 rows, got %zu", hs.n);
	for (size_t i = 1; i < 7; i++) {
		char reason[32];

		snprintf(reason, sizeof reason, "第%zu步", i);
		if (hs.h[i].seq != i + 1 || hs.h[i].from != from || hs.h[i].to != path[i - 1] ||
		    strcmp(hs.h[i].reason, reason) != 0 || hs.h[i].time < hs.h[i - 1].time)
			fail_msg(
			    "history row %zu: expected seq %zu %s->%s '%s', got %u %s->%s '%s'", i,
			    i + 1, seal_status_name(from), seal_status_name(path[i - 1]), reason,
			    hs.h[i].seq, seal_status_name((enum seal_status)hs.h[i].from),
			    seal_status_name((enum seal_status)hs.h[i].to), hs.h[i].reason);
		from = path[i - 1];
	}
	memset(&hs, 0, sizeof hs);
	regfix_expect_rc(0, registry_seal_history(fx->txn, b.code, hist_collect, &hs), "history b");
	if (hs.n != 2 || hs.h[1].to != SEAL_STATUS_DESTROYED)
		fail_msg("history of b: expected 2 rows ending destroyed, got %zu", hs.n);
	memset(&hs, 0, sizeof hs);
	regfix_expect_rc(0, registry_seal_history(fx->txn, "6101001000003", hist_collect, &hs),
	                 "history of an unregistered code");
	if (hs.n != 0)
		fail_msg("history of an unregistered code: expected 0 rows, got %zu", hs.n);
}

struct qrows {
	size_t n;
	struct query_record q[16];
};

static int
q_collect(const struct query_record *q, void *arg)
{
	struct qrows *r = arg;

	if (r->n < 16)
		r->q[r->n] = *q;
	r->n++;
	return 0;
}

static void
qrow(struct query_record *q, const char *code, int64_t t, const char *result)
{
	memset(q, 0, sizeof *q);
	snprintf(q->code, sizeof q->code, "%s", code);
	q->time_ns = t;
	snprintf(q->route, sizeof q->route, "lookup");
	snprintf(q->result, sizeof q->result, "%s", result);
	snprintf(q->client, sizeof q->client, "c%lld", (long long)t);
}

static void
expect_queries(struct fx *fx, const char *code, size_t limit, const int64_t *want, size_t n)
{
	struct qrows r = {0};

	regfix_expect_rc(0, registry_query_list(reader(fx), code, limit, q_collect, &r),
	                 "registry_query_list");
	if (r.n != n)
		fail_msg("queries of %s (limit %zu): expected %zu rows, got %zu", code, limit, n,
		         r.n);
	for (size_t i = 0; i < n; i++)
		if (r.q[i].time_ns != want[i] || strcmp(r.q[i].code, code) != 0)
			fail_msg("queries of %s row %zu: expected time %lld, got %lld (%s)", code,
			         i, (long long)want[i], (long long)r.q[i].time_ns, r.q[i].code);
}

static void
test_query_log(void **state)
{
	struct fx *fx = *state;
	struct query_record rows[12];
	struct registry_stats st;
	struct audit_head h0, h1;
	const int64_t base = 1764300000000000000LL;
	size_t n = 0;

	regfix_expect_rc(0, regfix_seal(fx->reg, "4401002", "查询公司", 1, NULL), "register");
	regfix_expect_rc(0, regfix_seal(fx->reg, "6101001", "查询公司", 2, NULL), "register");
	regfix_expect_rc(0, registry_audit_head(reader(fx), &h0), "head");
	/* Written out of time order, and a forged (unregistered) code. */
	qrow(&rows[n++], "6101001000001", base + 30, "active");
	qrow(&rows[n++], "4401002000001", base + 10, "active");
	qrow(&rows[n++], "6101001000001", base + 10, "active");
	qrow(&rows[n++], "6101001999999", base + 5, "not_registered");
	qrow(&rows[n++], "6101001000001", base + 50, "lost");
	qrow(&rows[n++], "6101001000001", base + 20, "active");
	qrow(&rows[n++], "6101001999999", base + 6, "not_registered");
	qrow(&rows[n++], "6101001000001", base + 40, "active");
	qrow(&rows[n++], "4401002000001", base + 40, "active");
	qrow(&rows[n++], "4401002000001", base + 40, "active"); /* same instant: both kept */
	qrow(&rows[n++], "61010010", base, "x");                /* bad code: skipped */
	regfix_expect_rc(0, registry_query_log(fx->reg, rows, n), "registry_query_log");
	regfix_expect_rc(0, registry_query_log(fx->reg, rows, 0), "empty batch");
	registry_read_end(fx->txn);
	fx->txn = NULL;
	{
		const int64_t a[] = {base + 50, base + 40, base + 30, base + 20, base + 10};
		const int64_t b[] = {base + 40, base + 40, base + 10};
		const int64_t c[] = {base + 6, base + 5};

		expect_queries(fx, "6101001000001", 100, a, 5);
		expect_queries(fx, "6101001000001", 2, a, 2);
		expect_queries(fx, "6101001000001", 0, a, 0);
		expect_queries(fx, "4401002000001", 100, b, 3);
		expect_queries(fx, "6101001999999", 100, c, 2); /* the last code in the db */
		expect_queries(fx, "6101001000002", 100, a, 0);
		expect_queries(fx, "0000000000000", 100, a, 0);
		expect_queries(fx, "9999999999999", 100, a, 0);
		expect_queries(fx, "610100100000", 100, a, 0);
	}
	regfix_expect_rc(0, registry_stats(reader(fx), &st), "stats");
	regfix_expect_rc(0, registry_audit_head(fx->txn, &h1), "head");
	if (st.queries != 10)
		fail_msg("stats: expected 10 verification rows, got %llu",
		         (unsigned long long)st.queries);
	if (memcmp(&h0, &h1, sizeof h0) != 0)
		fail_msg("query log: expected no audit entry (not audited), got a new head");
}

static void
register_many(struct fx *fx)
{
	/* 7 on 6101001, 5 on 6101002, 4 on 4401002, interleaved. */
	static const char *const prefixes[] = {"6101001", "6101002", "4401002"};
	static const char *const holders[] = {"西安甲公司", "西安乙公司", "广州丙公司",
	                                      "西安甲分公司"};
	unsigned left[3] = {7, 5, 4}, n = 0;

	while (left[0] + left[1] + left[2] > 0)
		for (int p = 0; p < 3; p++) {
			if (left[p] == 0)
				continue;
			left[p]--;
			regfix_expect_rc(0,
			                 regfix_seal(fx->reg, prefixes[p], holders[n % 4], n, NULL),
			                 "register");
			n++;
		}
}

static void
test_list_paging(void **state)
{
	struct fx *fx = *state;
	struct rows rows = {0};
	char after[SEAL_CODE_LEN + 1] = "";
	size_t total = 0;

	register_many(fx);
	reader(fx);
	regfix_expect_rc(0, registry_seal_list(fx->txn, "6101001", NULL, 3, collect, &rows),
	                 "page 1");
	{
		const char *want[] = {"6101001000001", "6101001000002", "6101001000003"};
		expect_codes(&rows, want, 3, "6101001 page 1");
	}
	/* Page through with limit 3: 3 + 3 + 1 + 0. */
	for (int page = 0; page < 5; page++) {
		memset(&rows, 0, sizeof rows);
		regfix_expect_rc(
		    0,
		    registry_seal_list(fx->txn, "6101001", page ? after : NULL, 3, collect, &rows),
		    "page");
		for (size_t i = 0; i < rows.n; i++) {
			char want[SEAL_CODE_LEN + 1];

			code_make("6101001", (unsigned)(total + i + 1), want);
			if (strcmp(rows.r[i].code, want) != 0)
				fail_msg("page %d row %zu: expected %s, got %s", page, i, want,
				         rows.r[i].code);
		}
		total += rows.n;
		if (rows.n == 0)
			break;
		memcpy(after, rows.r[rows.n - 1].code, sizeof after);
	}
	if (total != 7)
		fail_msg("6101001 by pages of 3: expected 7 seals, got %zu", total);

	memset(&rows, 0, sizeof rows);
	regfix_expect_rc(0, registry_seal_list(fx->txn, "6101", NULL, 100, collect, &rows), "6101");
	if (rows.n != 12 || strcmp(rows.r[7].code, "6101002000001") != 0)
		fail_msg("region 6101: expected 12 seals, the 8th 6101002000001; got %zu, %s",
		         rows.n, rows.n > 7 ? rows.r[7].code : "-");
	memset(&rows, 0, sizeof rows);
	regfix_expect_rc(0, registry_seal_list(fx->txn, "", NULL, 100, collect, &rows), "all");
	if (rows.n != 16 || strcmp(rows.r[0].code, "4401002000001") != 0 ||
	    strcmp(rows.r[15].code, "6101002000005") != 0)
		fail_msg("all seals: expected 16 from 4401002000001 to 6101002000005, got %zu",
		         rows.n);
	for (size_t i = 1; i < rows.n; i++)
		if (strcmp(rows.r[i - 1].code, rows.r[i].code) >= 0)
			fail_msg("all seals: expected code order, got %s before %s",
			         rows.r[i - 1].code, rows.r[i].code);
	/* A cursor below the prefix starts at the prefix; one above gives nothing. */
	memset(&rows, 0, sizeof rows);
	regfix_expect_rc(0,
	                 registry_seal_list(fx->txn, "6101002", "4401002000002", 2, collect, &rows),
	                 "after below prefix");
	{
		const char *want[] = {"6101002000001", "6101002000002"};
		expect_codes(&rows, want, 2, "after below prefix");
	}
	memset(&rows, 0, sizeof rows);
	regfix_expect_rc(
	    0, registry_seal_list(fx->txn, "6101001", "6101002000001", 10, collect, &rows),
	    "after above prefix");
	expect_codes(&rows, NULL, 0, "after above prefix");
	memset(&rows, 0, sizeof rows);
	regfix_expect_rc(0, registry_seal_list(fx->txn, "4401003", NULL, 10, collect, &rows),
	                 "engraver without seals");
	expect_codes(&rows, NULL, 0, "engraver without seals");
	memset(&rows, 0, sizeof rows);
	regfix_expect_rc(0, registry_seal_list(fx->txn, "6101", NULL, 0, collect, &rows),
	                 "limit 0");
	expect_codes(&rows, NULL, 0, "limit 0");
	/* The callback's non-zero value stops the walk and comes back. */
	memset(&rows, 0, sizeof rows);
	rows.stop_after = 2;
	regfix_expect_rc(7, registry_seal_list(fx->txn, "", NULL, 100, collect, &rows),
	                 "callback stop");
	if (rows.n != 2)
		fail_msg("callback stop: expected 2 rows, got %zu", rows.n);
}

static void
test_find_holder(void **state)
{
	struct fx *fx = *state;
	struct rows all = {0}, page;
	size_t got = 0;
	const char *ah = NULL, *ac = NULL;
	char last_holder[SEAL_HOLDER_MAX + 1], last_code[SEAL_CODE_LEN + 1];

	register_many(fx);
	reader(fx);
	regfix_expect_rc(0,
	                 registry_seal_find_holder(fx->txn, "西安", NULL, NULL, 100, collect, &all),
	                 "find 西安");
	/* Holders 0, 1 and 3 of register_many's four start with 西安: 12 of 16. */
	if (all.n != 12)
		fail_msg("holder prefix 西安: expected 12 seals, got %zu", all.n);
	for (size_t i = 0; i < all.n; i++) {
		if (strncmp(all.r[i].holder, "西安", strlen("西安")) != 0)
			fail_msg("holder prefix 西安: row %zu is %s", i, all.r[i].holder);
		if (i > 0) {
			int c = strcmp(all.r[i - 1].holder, all.r[i].holder);

			if (c > 0 || (c == 0 && strcmp(all.r[i - 1].code, all.r[i].code) >= 0))
				fail_msg("holder order: expected (name, code) ascending, got %s %s "
				         "before %s %s",
				         all.r[i - 1].holder, all.r[i - 1].code, all.r[i].holder,
				         all.r[i].code);
		}
	}
	/* Pages of 5 give the same rows. */
	for (int p = 0; p < 5; p++) {
		memset(&page, 0, sizeof page);
		regfix_expect_rc(
		    0, registry_seal_find_holder(fx->txn, "西安", ah, ac, 5, collect, &page),
		    "find page");
		for (size_t i = 0; i < page.n; i++)
			if (strcmp(page.r[i].code, all.r[got + i].code) != 0)
				fail_msg("holder page %d row %zu: expected %s, got %s", p, i,
				         all.r[got + i].code, page.r[i].code);
		got += page.n;
		if (page.n == 0)
			break;
		memcpy(last_holder, page.r[page.n - 1].holder, sizeof last_holder);
		memcpy(last_code, page.r[page.n - 1].code, sizeof last_code);
		ah = last_holder;
		ac = last_code;
	}
	if (got != 12)
		fail_msg("holder pages of 5: expected 12 rows in all, got %zu", got);
	memset(&page, 0, sizeof page);
	regfix_expect_rc(
	    0, registry_seal_find_holder(fx->txn, "西安甲公司", NULL, NULL, 100, collect, &page),
	    "exact holder");
	if (page.n != 4)
		fail_msg("holder 西安甲公司: expected 4 seals (not 西安甲分公司's), got %zu",
		         page.n);
	memset(&page, 0, sizeof page);
	regfix_expect_rc(
	    0, registry_seal_find_holder(fx->txn, "上海", NULL, NULL, 100, collect, &page),
	    "no match");
	expect_codes(&page, NULL, 0, "holder prefix 上海");
}

static void
test_find_credit(void **state)
{
	struct fx *fx = *state;
	struct rows rows;
	struct seal_registration in = {0};
	char credit[SEAL_CREDIT_LEN + 1], other[SEAL_CREDIT_LEN + 1];
	const char *prefixes[] = {"6101002", "4401002", "6101001", "6101001", "4401002"};

	regfix_credit_code("610100", 1234, credit);
	regfix_credit_code("610100", 1235, other);
	in.holder = "信用公司";
	in.type = "公章";
	for (int i = 0; i < 5; i++) {
		snprintf(in.engraver, sizeof in.engraver, "%s", prefixes[i]);
		in.credit_code = i == 2 ? other : credit;
		regfix_expect_rc(0, registry_seal_register(fx->reg, &fx->admin, &in, NULL, NULL),
		                 "register");
	}
	reader(fx);
	memset(&rows, 0, sizeof rows);
	regfix_expect_rc(0, registry_seal_find_credit(fx->txn, credit, NULL, 3, collect, &rows),
	                 "credit page 1");
	{
		const char *want[] = {"4401002000001", "4401002000002", "6101001000002"};
		expect_codes(&rows, want, 3, "credit page 1");
	}
	memset(&rows, 0, sizeof rows);
	regfix_expect_rc(
	    0, registry_seal_find_credit(fx->txn, credit, "6101001000002", 3, collect, &rows),
	    "credit page 2");
	{
		const char *want[] = {"6101002000001"};
		expect_codes(&rows, want, 1, "credit page 2");
	}
	memset(&rows, 0, sizeof rows);
	regfix_expect_rc(0, registry_seal_find_credit(fx->txn, other, NULL, 10, collect, &rows),
	                 "other credit code");
	{
		const char *want[] = {"6101001000001"};
		expect_codes(&rows, want, 1, "other credit code");
	}
	memset(&rows, 0, sizeof rows);
	regfix_expect_rc(
	    0, registry_seal_find_credit(fx->txn, "91350100M000100Y43", NULL, 10, collect, &rows),
	    "unused credit code");
	expect_codes(&rows, NULL, 0, "unused credit code");
	memset(&rows, 0, sizeof rows);
	regfix_expect_rc(0, registry_seal_find_credit(fx->txn, "9135", NULL, 10, collect, &rows),
	                 "short credit code");
	expect_codes(&rows, NULL, 0, "short credit code");
}

static void
test_backup(void **state)
{
	struct fx *fx = *state;
	struct regfix_state s0, s1;
	struct registry *copy = NULL;
	struct registry_options ro = {.read_only = 1};
	char dest[REGFIX_PATH_MAX + 16], path[REGFIX_PATH_MAX + 32];
	uint64_t count = 0, bad = 0;
	const char *why = NULL;
	struct stat sb;
	struct seal_record rec;

	register_many(fx);
	regfix_expect_rc(0,
	                 registry_seal_set_status(fx->reg, &fx->admin, "6101001000003",
	                                          SEAL_STATUS_DISPUTED, "调查", "案-1", NULL),
	                 "status");
	snprintf(path, sizeof path, "%s/%s", fx->dir, REGISTRY_KEY_FILE);
	if (stat(path, &sb) != 0 || (sb.st_mode & 0777) != 0600)
		fail_msg("%s: expected mode 0600, got %o", path, (unsigned)(sb.st_mode & 0777));
	snprintf(dest, sizeof dest, "%s/copy", fx->dir);
	regfix_state(fx->reg, &s0);
	regfix_expect_rc(0, registry_backup(fx->reg, dest), "registry_backup");
	/* A second backup into the same place is refused and leaves the first. */
	regfix_expect_rc(SEAL_EEXIST, registry_backup(fx->reg, dest), "backup over a backup");
	/* A registration after the backup is not in it. */
	regfix_expect_rc(0, regfix_seal(fx->reg, "6101001", "备份后公司", 99, NULL), "register");

	snprintf(path, sizeof path, "%s/%s", dest, REGISTRY_KEY_FILE);
	if (access(path, F_OK) == 0)
		fail_msg("backup: expected no private key in %s, found one", dest);
	snprintf(path, sizeof path, "%s/registry.pub", dest);
	if (access(path, R_OK) != 0)
		fail_msg("backup: expected %s", path);
	regfix_expect_rc(0, registry_open(dest, &ro, &copy), "open the copy read-only");
	regfix_state(copy, &s1);
	regfix_expect_same_state(&s0, &s1, "backup vs original at backup time");
	regfix_expect_rc(0, registry_audit_verify(copy, &count, &bad, &why), "audit of the copy");
	if (count != s0.stats.audit_length)
		fail_msg("audit of the copy: expected %llu entries, got %llu",
		         (unsigned long long)s0.stats.audit_length, (unsigned long long)count);
	{
		struct registry_txn *txn;

		regfix_expect_rc(0, registry_read_begin(copy, &txn), "read_begin copy");
		regfix_expect_rc(0, registry_seal_get(txn, "6101001000003", &rec), "seal in copy");
		registry_read_end(txn);
		if (rec.status != SEAL_STATUS_DISPUTED)
			fail_msg("seal in copy: expected disputed, got %s",
			         seal_status_name((enum seal_status)rec.status));
	}
	if (regfix_seal(copy, "6101001", "只读公司", 100, NULL) == 0)
		fail_msg("read-only copy: expected a registration to fail, got ok");
	registry_close(copy);
	copy = NULL;
	/* Opened writable, the copy still cannot sign: nothing is written. */
	regfix_expect_rc(0, registry_open(dest, NULL, &copy), "open the copy writable");
	regfix_state(copy, &s0);
	if (regfix_seal(copy, "6101001", "无钥公司", 101, NULL) == 0)
		fail_msg("copy without the private key: expected a registration to fail, got ok");
	regfix_state(copy, &s1);
	regfix_expect_same_state(&s0, &s1, "copy without key after a refused write");
	registry_close(copy);
}

/* A process that dies inside a read transaction leaves its reader slot
 * behind.  (When nobody else has the registry open, LMDB resets the reader
 * table at the next open anyway; so a second process keeps it open.)  The
 * next open clears the slot and says so in the log. */
static void
test_stale_reader(void **state)
{
	struct fx *fx = *state;
	char logpath[REGFIX_PATH_MAX + 16], line[512] = "", c = 0;
	int status = 0, found = 0, ready[2], hold[2];
	pid_t holder, dead;
	FILE *f;

	regfix_expect_rc(0, regfix_seal(fx->reg, "6101001", "读者公司", 1, NULL), "register");
	registry_close(fx->reg);
	fx->reg = NULL;
	if (pipe(ready) != 0 || pipe(hold) != 0)
		fail_msg("pipe: expected 0, got an error");
	holder = fork();
	if (holder == 0) {
		struct registry *reg;

		close(ready[0]);
		close(hold[1]);
		if (registry_open(fx->dir, NULL, &reg) != 0)
			_exit(3);
		if (write(ready[1], "r", 1) != 1 || read(hold[0], &c, 1) < 0)
			_exit(4);
		registry_close(reg);
		_exit(0);
	}
	close(ready[1]);
	close(hold[0]);
	if (holder < 0 || read(ready[0], &c, 1) != 1)
		fail_msg("holder process: expected it to open the registry");
	dead = fork();
	if (dead == 0) {
		struct registry *reg;
		struct registry_txn *txn;

		if (registry_open(fx->dir, NULL, &reg) != 0 || registry_read_begin(reg, &txn) != 0)
			_exit(3);
		_exit(0); /* no registry_read_end, no registry_close */
	}
	if (dead < 0 || waitpid(dead, &status, 0) != dead || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		fail_msg("child with an open read transaction: expected exit 0, got status 0x%x",
		         status);
	snprintf(logpath, sizeof logpath, "%s/log.txt", fx->dir);
	regfix_expect_rc(0, log_open(logpath), "log_open");
	regfix_expect_rc(0, registry_open(fx->dir, NULL, &fx->reg), "reopen");
	log_open(NULL);
	close(hold[1]);
	close(ready[0]);
	waitpid(holder, &status, 0);
	f = fopen(logpath, "r");
	while (f != NULL && fgets(line, sizeof line, f) != NULL)
		found |= strstr(line, "cleared 1 stale reader slot") != NULL;
	if (f != NULL)
		fclose(f);
	if (!found)
		fail_msg("reopen after a dead reader: expected a log line \"cleared 1 stale reader "
		         "slot(s)\", got none (last line: %s)",
		         line);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("holder process: expected exit 0, got status 0x%x", status);
	/* The registry goes on as usual. */
	regfix_expect_rc(0, regfix_seal(fx->reg, "6101001", "读者公司", 2, NULL), "register after");
}

/* Readers see whole transactions only: a snapshot taken before a
 * registration does not see it, a renewed one does; and while a writer
 * registers, reader threads never catch the engraver's serial, the seal
 * record and the counters out of step. */
static void
test_snapshot(void **state)
{
	struct fx *fx = *state;
	struct registry_txn *txn;
	struct seal_record rec;

	regfix_expect_rc(0, regfix_seal(fx->reg, "6101001", "快照公司", 1, NULL), "register 1");
	regfix_expect_rc(0, registry_read_begin(fx->reg, &txn), "read_begin");
	regfix_expect_rc(0, regfix_seal(fx->reg, "6101001", "快照公司", 2, NULL), "register 2");
	regfix_expect_rc(0, registry_seal_get(txn, "6101001000001", &rec), "old snapshot, seal 1");
	regfix_expect_rc(SEAL_ENOTFOUND, registry_seal_get(txn, "6101001000002", &rec),
	                 "old snapshot, seal 2");
	registry_read_reset(txn);
	regfix_expect_rc(0, registry_read_renew(txn), "renew");
	regfix_expect_rc(0, registry_seal_get(txn, "6101001000002", &rec), "renewed, seal 2");
	registry_read_end(txn);
}

struct reader_arg {
	struct registry *reg;
	atomic_int *stop;
	unsigned checks;
	char error[160];
};

static void *
reader_run(void *p)
{
	struct reader_arg *a = p;
	struct registry_txn *txn = NULL;

	if (registry_read_begin(a->reg, &txn) != 0) {
		snprintf(a->error, sizeof a->error, "registry_read_begin failed");
		return NULL;
	}
	registry_read_reset(txn);
	while (!*a->stop && a->error[0] == '\0') {
		struct engraver_record e;
		struct registry_stats st;
		struct seal_record rec;
		char last[SEAL_CODE_LEN + 1], next[SEAL_CODE_LEN + 1];

		if (registry_read_renew(txn) != 0 ||
		    registry_engraver_get(txn, "6101002", &e) != 0 ||
		    registry_stats(txn, &st) != 0) {
			snprintf(a->error, sizeof a->error, "renew, engraver_get or stats failed");
			break;
		}
		code_make("6101002", e.next_serial, next);
		if (e.next_serial > 1) {
			code_make("6101002", e.next_serial - 1, last);
			if (registry_seal_get(txn, last, &rec) != 0)
				snprintf(a->error, sizeof a->error,
				         "next serial %u but seal %s missing", e.next_serial, last);
		}
		if (registry_seal_get(txn, next, &rec) == 0)
			snprintf(a->error, sizeof a->error, "next serial %u but seal %s exists",
			         e.next_serial, next);
		if (st.seals != e.next_serial - 1 ||
		    st.audit_length != 4 + (uint64_t)(e.next_serial - 1))
			snprintf(a->error, sizeof a->error,
			         "next serial %u but %llu seals, audit length %llu", e.next_serial,
			         (unsigned long long)st.seals, (unsigned long long)st.audit_length);
		registry_read_reset(txn);
		a->checks++;
	}
	registry_read_end(txn);
	return NULL;
}

static void
test_readers_during_writes(void **state)
{
	struct fx *fx = *state;
	atomic_int stop = 0;
	struct reader_arg args[2];
	pthread_t th[2];

	for (int i = 0; i < 2; i++) {
		memset(&args[i], 0, sizeof args[i]);
		args[i].reg = fx->reg;
		args[i].stop = &stop;
		if (pthread_create(&th[i], NULL, reader_run, &args[i]) != 0)
			fail_msg("pthread_create: expected 0, got an error");
	}
	for (unsigned i = 0; i < 400; i++) {
		int rc = regfix_seal(fx->reg, "6101002", "并发公司", i, NULL);

		if (rc != 0) {
			stop = 1;
			fail_msg("registration %u under readers: expected ok, got %s", i,
			         seal_errname(rc));
		}
	}
	stop = 1;
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < 2; i++)
		if (args[i].error[0] != '\0' || args[i].checks == 0)
			fail_msg(
			    "reader %d after %u checks: expected consistent snapshots, got: %s", i,
			    args[i].checks, args[i].error[0] ? args[i].error : "no checks at all");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_blobs, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_history_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_query_log, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_list_paging, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_find_holder, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_find_credit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_backup, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stale_reader, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_snapshot, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_readers_during_writes, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
