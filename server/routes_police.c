/*
 * routes_police.c - the police archive: full record with history and
 * verification log, the reference impression, status changes, searches
 * and 1:N search by impression.
 *
 * Every route here runs on the worker pool because it writes: each read is
 * recorded with registry_audit_read() (who looked at what) before the
 * answer leaves, and a status change is a registry write transaction.  If
 * the audit entry cannot be written, the data is not shown.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <jansson.h>

#include "common/errors.h"
#include "common/log.h"
#include "registry/code.h"
#include "server/auth.h"
#include "server/http.h"
#include "server/request.h"
#include "server/routes.h"
#include "verify/image.h"
#include "verify/matcher.h"

#define ARCHIVE_QUERIES_DEFAULT 100
#define SEARCH_K_DEFAULT 5
#define SEARCH_K_MAX 20
#define SEARCH_COMPARE_MAX 5 /* best hash candidates compared 1:1, then ranked by score */

/* Audit the read; answers 503 and returns non-zero when it fails. */
static int
audit(struct request *r, const char *what, const char *subject)
{
	int rc = registry_audit_read(r->srv->reg, &r->actor, what, subject);

	if (rc != 0) {
		log_warnx("audit of %s %s failed: %s", what, subject, seal_strerror(rc));
		request_fail(r, rc == SEAL_EFULL ? rc : SEAL_EBUSY, NULL);
	}
	return rc;
}

/* The code parameter, registered: 0 with the record or an answer given. */
static int
registered_param(struct request *r, char code[SEAL_CODE_LEN + 1], struct seal_record *s)
{
	int rc;

	if (routes_code_param(r, code) != 0)
		return SEAL_EINVAL;
	rc = registry_seal_get(r->txn, code, s);
	if (rc != 0) {
		request_fail(r, rc == SEAL_ENOTFOUND ? SEAL_ENOT_REGISTERED : rc, "code");
		return rc;
	}
	return 0;
}

static int
history_one(const struct history_record *h, void *arg)
{
	struct json_writer *w = arg;
	char iso[21];

	request_time_iso(h->time, iso);
	jw_obj_begin(w);
	jw_kint(w, "seq", h->seq);
	jw_kstr(w, "from", seal_status_name((enum seal_status)h->from));
	jw_kstr(w, "to", seal_status_name((enum seal_status)h->to));
	jw_kstr(w, "time", iso);
	jw_kstr(w, "actor", h->actor);
	jw_kstr(w, "case_ref", h->case_ref);
	jw_kstr(w, "reason", h->reason);
	jw_obj_end(w);
	return 0;
}

static int
query_one(const struct query_record *q, void *arg)
{
	struct json_writer *w = arg;
	char iso[21], ms[32];
	int64_t sec = q->time_ns / 1000000000;

	request_time_iso(sec, iso);
	/* "2026-11-28T14:50:13.123Z" */
	snprintf(ms, sizeof(ms), "%.19s.%03dZ", iso, (int)((q->time_ns / 1000000) % 1000));
	jw_obj_begin(w);
	jw_kstr(w, "time", ms);
	jw_kstr(w, "route", q->route);
	jw_kstr(w, "result", q->result);
	jw_kstr(w, "client", q->client);
	jw_obj_end(w);
	return 0;
}

void
route_archive_get(struct request *r)
{
	char code[SEAL_CODE_LEN + 1], url[64];
	struct seal_record s;
	struct engraver_record eng;
	struct registry_blob img;
	unsigned nq = ARCHIVE_QUERIES_DEFAULT;
	struct json_writer w;
	int rc;

	if (request_query_uint(r, "queries", 0, SEAL_PAGE_MAX, &nq) != 0)
		return;
	if (registered_param(r, code, &s) != 0)
		return;
	if (audit(r, "archive", code) != 0)
		return;
	routes_engraver_of(r->txn, &s, &eng);
	jw_init(&w, r->out);
	jw_obj_begin(&w);
	jw_key(&w, "seal");
	jw_obj_begin(&w);
	routes_write_seal(&w, &s, &eng, 1);
	jw_obj_end(&w);
	jw_key(&w, "history");
	jw_arr_begin(&w);
	rc = registry_seal_history(r->txn, code, history_one, &w);
	jw_arr_end(&w);
	jw_key(&w, "queries");
	jw_arr_begin(&w);
	if (rc == 0 && nq > 0)
		rc = registry_query_list(r->txn, code, nq, query_one, &w);
	jw_arr_end(&w);
	jw_key(&w, "impression_url");
	if (registry_seal_impression(r->txn, code, &img) == 0 && img.len > 0) {
		snprintf(url, sizeof(url), "/v1/archive/%s/impression.png", code);
		jw_str(&w, url);
	} else {
		jw_null(&w);
	}
	jw_obj_end(&w);
	jw_finish(&w);
	if (rc != 0 && rc != SEAL_ENOTFOUND) {
		request_fail(r, rc, NULL);
		return;
	}
	request_json(r, 200);
}

/* The verification log of any well-formed code, registered or not: checks
 * of forged codes are logged, and this is where the police read them. */
void
route_archive_verifications(struct request *r)
{
	char code[SEAL_CODE_LEN + 1];
	struct seal_record s;
	unsigned nq = ARCHIVE_QUERIES_DEFAULT;
	struct json_writer w;
	int rc;

	if (request_query_uint(r, "limit", 1, SEAL_PAGE_MAX, &nq) != 0)
		return;
	if (routes_code_param(r, code) != 0)
		return;
	if (audit(r, "verifications", code) != 0)
		return;
	jw_init(&w, r->out);
	jw_obj_begin(&w);
	jw_kstr(&w, "code", code);
	jw_key(&w, "registered");
	jw_bool(&w, registry_seal_get(r->txn, code, &s) == 0);
	jw_key(&w, "queries");
	jw_arr_begin(&w);
	rc = registry_query_list(r->txn, code, nq, query_one, &w);
	jw_arr_end(&w);
	jw_obj_end(&w);
	jw_finish(&w);
	if (rc != 0) {
		request_fail(r, rc, NULL);
		return;
	}
	request_json(r, 200);
}

void
route_archive_impression(struct request *r)
{
	char code[SEAL_CODE_LEN + 1];
	struct seal_record s;
	struct registry_blob img;

	if (registered_param(r, code, &s) != 0)
		return;
	if (registry_seal_impression(r->txn, code, &img) != 0 || img.len == 0) {
		request_error(r, 404, "not_found",
		              "no reference impression is stored for this seal", "impression");
		return;
	}
	if (audit(r, "impression", code) != 0)
		return;
	evbuffer_add(r->out, img.data, img.len);
	r->status = 200;
	r->ctype = "image/png";
}

void
route_archive_status(struct request *r)
{
	char code[SEAL_CODE_LEN + 1];
	struct seal_record s, out;
	struct engraver_record eng;
	json_t *root = NULL, *st, *reason, *cref;
	json_error_t jerr;
	struct json_writer w;
	const void *body;
	size_t len;
	int to, rc;

	if (!request_ctype_is(r, "application/json")) {
		request_error(r, 415, "unsupported_media_type",
		              "send the change as application/json", "body");
		return;
	}
	if (registered_param(r, code, &s) != 0)
		return;
	body = request_body(r, &len);
	root = json_loadb(body, len, 0, &jerr);
	if (!root || !json_is_object(root)) {
		request_error(r, 400, "bad_request", "the body is not a JSON object", "body");
		goto out;
	}
	st = json_object_get(root, "status");
	reason = json_object_get(root, "reason");
	cref = json_object_get(root, "case_ref");
	to = st && json_is_string(st) ? seal_status_parse(json_string_value(st)) : -1;
	if (to < 0) {
		request_error(r, 400, "invalid",
		              "status must be active, lost, revoked, destroyed or disputed",
		              "status");
		goto out;
	}
	if (!reason || !json_is_string(reason) || json_string_length(reason) == 0) {
		request_error(r, 400, "bad_text", "a reason is required", "reason");
		goto out;
	}
	if (cref && !json_is_null(cref) && !json_is_string(cref)) {
		request_error(r, 400, "bad_text", "case_ref must be a string", "case_ref");
		goto out;
	}
	if (json_string_length(reason) > SEAL_REASON_MAX) {
		request_fail(r, SEAL_ETEXT, "reason");
		goto out;
	}
	if (cref && json_is_string(cref) && json_string_length(cref) > SEAL_CASE_MAX) {
		request_fail(r, SEAL_ETEXT, "case_ref");
		goto out;
	}
	rc = registry_seal_set_status(
	    r->srv->reg, &r->actor, code, (enum seal_status)to, json_string_value(reason),
	    cref && json_is_string(cref) ? json_string_value(cref) : NULL, &out);
	if (rc != 0) {
		request_fail(r, rc == SEAL_ENOTFOUND ? SEAL_ENOT_REGISTERED : rc,
		             rc == SEAL_ETRANSITION ? "status"
		             : rc == SEAL_ETEXT     ? "reason"
		                                    : NULL);
		goto out;
	}
	log_info("status of %s: %s -> %s by %s", code, seal_status_name((enum seal_status)s.status),
	         seal_status_name((enum seal_status)out.status), r->actor.name);
	routes_engraver_of(r->txn, &out, &eng);
	jw_init(&w, r->out);
	jw_obj_begin(&w);
	jw_key(&w, "seal");
	jw_obj_begin(&w);
	routes_write_seal(&w, &out, &eng, 1);
	jw_obj_end(&w);
	jw_obj_end(&w);
	jw_finish(&w);
	request_json(r, 200);
out:
	json_decref(root);
}

/* ---- GET /v1/archive?holder=|credit_code=|engraver= ----------------- */

void
route_archive_search(struct request *r)
{
	char holder[SEAL_HOLDER_MAX + 1] = "", credit[64] = "", eng[16] = "";
	char after[64] = "", after_holder[SEAL_HOLDER_MAX + 1] = "", prefix[SEAL_PREFIX_LEN + 1];
	char norm[SEAL_CODE_LEN + 1];
	unsigned limit = 50;
	int have = 0, rc;
	struct routes_list c;
	struct json_writer w;
	const char *what;

	if (request_query_uint(r, "limit", 1, SEAL_PAGE_MAX, &limit) != 0)
		return;
	if (request_query(r, "holder", holder, sizeof(holder)) == 0 && holder[0])
		have++;
	if (request_query(r, "credit_code", credit, sizeof(credit)) == 0 && credit[0])
		have++;
	if (request_query(r, "engraver", eng, sizeof(eng)) == 0 && eng[0])
		have++;
	if (have != 1) {
		request_error(r, 400, "invalid",
		              "give exactly one of holder, credit_code or engraver", "query");
		return;
	}
	rc = request_query(r, "after", after, sizeof(after));
	if (rc == SEAL_EINVAL || (rc == 0 && after[0] && code_parse(after, norm) != 0)) {
		request_error(r, 400, "invalid", "after must be a seal code", "after");
		return;
	}
	if (rc == 0 && after[0])
		memcpy(after, norm, sizeof(norm));
	if (request_query(r, "after_holder", after_holder, sizeof(after_holder)) == SEAL_EINVAL) {
		request_error(r, 400, "invalid", "after_holder is malformed", "after_holder");
		return;
	}
	if (credit[0]) {
		rc = credit_code_check(credit);
		if (rc != 0) {
			request_fail(r, rc, "credit_code");
			return;
		}
	}
	if (eng[0]) {
		if (strlen(eng) == 4 && strspn(eng, "0123456789") == 4 && region_name(eng)) {
			memcpy(prefix, eng, 5);
		} else if (code_parse_prefix(eng, prefix) != 0) {
			request_error(
			    r, 400, "invalid",
			    "engraver must be a 7-digit engraver prefix or a 4-digit region",
			    "engraver");
			return;
		}
	}
	what = holder[0] ? "search-holder" : credit[0] ? "search-credit" : "search-engraver";
	if (audit(r, what, holder[0] ? holder : credit[0] ? credit : prefix) != 0)
		return;

	memset(&c, 0, sizeof(c));
	c.w = &w;
	c.txn = r->txn;
	jw_init(&w, r->out);
	jw_obj_begin(&w);
	jw_key(&w, "seals");
	jw_arr_begin(&w);
	if (holder[0])
		rc =
		    registry_seal_find_holder(r->txn, holder, after_holder[0] ? after_holder : NULL,
		                              after[0] ? after : NULL, limit, routes_list_one, &c);
	else if (credit[0])
		rc = registry_seal_find_credit(r->txn, credit, after[0] ? after : NULL, limit,
		                               routes_list_one, &c);
	else
		rc = registry_seal_list(r->txn, prefix, after[0] ? after : NULL, limit,
		                        routes_list_one, &c);
	jw_arr_end(&w);
	jw_key(&w, "next_after");
	if (c.count == limit)
		jw_str(&w, c.last);
	else
		jw_null(&w);
	jw_key(&w, "next_after_holder");
	if (c.count == limit && holder[0])
		jw_str(&w, c.last_holder);
	else
		jw_null(&w);
	jw_obj_end(&w);
	jw_finish(&w);
	if (rc != 0 && rc != SEAL_ENOTFOUND) {
		request_fail(r, rc, NULL);
		return;
	}
	request_json(r, 200);
}

/* ---- POST /v1/archive/search/impression ----------------------------- */

struct candidate {
	char code[SEAL_CODE_LEN + 1];
	int distance;
	int compared;
	enum match_verdict verdict;
	double score;
	const char *reason;
};

struct nn_ctx {
	uint8_t hash[MATCHER_HASH_BYTES];
	struct candidate best[SEARCH_K_MAX];
	unsigned k, n;
	uint64_t searched;
};

static int
nn_one(const char *code, const void *features, size_t len, void *arg)
{
	struct nn_ctx *c = arg;
	uint8_t h[MATCHER_HASH_BYTES];
	int d;
	unsigned i;

	if (matcher_hash(features, len, h) != 0)
		return 0;
	c->searched++;
	d = matcher_hash_distance(c->hash, h);
	if (c->n == c->k && d >= c->best[c->n - 1].distance)
		return 0;
	i = c->n < c->k ? c->n++ : c->n - 1;
	while (i > 0 && c->best[i - 1].distance > d) {
		c->best[i] = c->best[i - 1];
		i--;
	}
	snprintf(c->best[i].code, sizeof(c->best[i].code), "%.13s", code);
	c->best[i].distance = d;
	return 0;
}

void
route_archive_search_impression(struct request *r)
{
	struct nn_ctx *c = NULL;
	struct image query = {0};
	uint8_t feats[SEAL_FEATURES_MAX_BYTES];
	size_t flen = 0, len;
	const void *data;
	unsigned k = SEARCH_K_DEFAULT;
	struct json_writer w;
	int rc;

	if (request_query_uint(r, "k", 1, SEARCH_K_MAX, &k) != 0)
		return;
	if (routes_image_body(r, &data, &len) != 0)
		return;
	rc = image_decode(data, len, NULL, &query);
	if (rc != 0) {
		request_fail(r, rc, "image");
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		request_fail(r, SEAL_ENOMEM, NULL);
		goto out;
	}
	c->k = k;
	rc = matcher_features(&query, feats, sizeof(feats), &flen);
	if (rc == SEAL_ENOSEAL) {
		request_error(r, 422, "no_seal_found", "no seal impression found in the photo",
		              "image");
		goto out;
	}
	if (rc == 0)
		rc = matcher_hash(feats, flen, c->hash);
	if (rc != 0) {
		request_error(r, 501, "not_implemented",
		              "search by impression is not available with this matcher", NULL);
		goto out;
	}
	if (audit(r, "search-impression", "-") != 0)
		goto out;
	rc = registry_features_each(r->txn, nn_one, c);
	if (rc != 0 && rc != SEAL_ENOTFOUND) {
		request_fail(r, rc, NULL);
		goto out;
	}
	/* Compare the nearest few 1:1 and put them in order of score. */
	for (unsigned i = 0; i < c->n && i < SEARCH_COMPARE_MAX; i++) {
		struct candidate *cd = &c->best[i];
		struct registry_blob png, f = {0};
		struct image ref = {0};
		struct match_result m;

		if (registry_seal_impression(r->txn, cd->code, &png) != 0 ||
		    image_decode(png.data, png.len, NULL, &ref) != 0)
			continue;
		if (registry_seal_features(r->txn, cd->code, &f) != 0)
			f.data = NULL, f.len = 0;
		if (matcher_compare(&ref, f.data, f.len, &query, &m) == 0) {
			cd->compared = 1;
			cd->verdict = m.verdict;
			cd->score = m.score;
			cd->reason = m.reason ? m.reason : "ok";
		}
		image_fini(&ref);
	}
	for (unsigned i = 1; i < c->n && i < SEARCH_COMPARE_MAX; i++) {
		struct candidate t = c->best[i];
		unsigned j = i;

		while (j > 0 && t.compared &&
		       (!c->best[j - 1].compared || c->best[j - 1].score < t.score)) {
			c->best[j] = c->best[j - 1];
			j--;
		}
		c->best[j] = t;
	}
	jw_init(&w, r->out);
	jw_obj_begin(&w);
	jw_kint(&w, "searched", (int64_t)c->searched);
	jw_key(&w, "candidates");
	jw_arr_begin(&w);
	for (unsigned i = 0; i < c->n; i++) {
		const struct candidate *cd = &c->best[i];
		struct seal_record s;

		jw_obj_begin(&w);
		jw_kstr(&w, "code", cd->code);
		jw_kint(&w, "distance", cd->distance);
		if (registry_seal_get(r->txn, cd->code, &s) == 0)
			jw_kstr(&w, "holder", s.holder);
		if (cd->compared) {
			jw_kstr(&w, "verdict", match_verdict_name(cd->verdict));
			jw_kdouble(&w, "score", cd->score);
			jw_kstr(&w, "reason", cd->reason);
		}
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_obj_end(&w);
	jw_finish(&w);
	request_json(r, 200);
out:
	free(c);
	image_fini(&query);
}
