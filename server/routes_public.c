/*
 * routes_public.c - the citizen's routes: lookup, QR check, impression
 * verification, keys, health, metrics, and the static pages.
 *
 * The lookup is the hot path: two LMDB gets (seal, engraver) copied into
 * stack structs, JSON written by hand into the thread's reused buffer, one
 * row pushed to the verification-log queue.  QR and impression checks run
 * on the worker pool (image decoding and matching are CPU work).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <jansson.h>

#include "common/errors.h"
#include "common/log.h"
#include "registry/code.h"
#include "registry/lifecycle.h"
#include "server/http.h"
#include "server/metrics.h"
#include "server/multipart.h"
#include "server/qrsig.h"
#include "server/querylog.h"
#include "server/request.h"
#include "server/routes.h"
#include "server/webroot.h"
#include "server/workers.h"
#include "verify/image.h"
#include "verify/matcher.h"
#include "verify/qr.h"

/* ---- shared helpers ------------------------------------------------- */

void
routes_engraver_of(struct registry_txn *txn, const struct seal_record *s,
                   struct engraver_record *eng)
{
	if (registry_engraver_get(txn, s->engraver, eng) != 0)
		memset(eng, 0, sizeof(*eng));
}

void
routes_write_seal(struct json_writer *w, const struct seal_record *s,
                  const struct engraver_record *eng, int full)
{
	char display[16], date[11], iso[21];
	const char *region = region_name(s->code);
	const char *advice = lifecycle_advice((enum seal_status)s->status);

	code_format(s->code, display);
	request_date(s->registered_at, date);
	request_time_iso(s->registered_at, iso);
	jw_kstr(w, "code", s->code);
	jw_kstr(w, "code_display", display);
	jw_key(w, "region");
	jw_obj_begin(w);
	jw_key(w, "code");
	jw_strn(w, s->code, 4);
	jw_kstr(w, "name", region ? region : "");
	jw_obj_end(w);
	jw_key(w, "engraver");
	jw_obj_begin(w);
	jw_kstr(w, "prefix", s->engraver);
	jw_key(w, "number");
	jw_strn(w, s->engraver + 4, strnlen(s->engraver + 4, 3));
	jw_kstr(w, "company", eng ? eng->company : "");
	jw_kstr(w, "licence", eng ? eng->licence : "");
	jw_kstr(w, "status", eng && eng->status == ENGRAVER_SUSPENDED ? "suspended" : "active");
	jw_obj_end(w);
	jw_kstr(w, "holder", s->holder);
	jw_kstr(w, "type", s->type);
	jw_kstr(w, "shape", record_shape_name((enum seal_shape)s->shape));
	jw_kstr(w, "status", seal_status_name((enum seal_status)s->status));
	jw_kstr(w, "registered_on", date);
	jw_kstr(w, "registered_at", iso);
	jw_kstr(w, "advice", advice);
	if (full) {
		request_time_iso(s->updated_at, iso);
		jw_kstr(w, "credit_code", s->credit_code);
		jw_kint(w, "version", s->version);
		jw_kstr(w, "updated_at", iso);
		jw_kint(w, "history_count", s->history_count);
	}
}

int
routes_code_param(struct request *r, char code[SEAL_CODE_LEN + 1])
{
	char text[ROUTER_PARAM_MAX];
	int rc = webroot_decode(r->param, strlen(r->param), text, sizeof(text));

	if (rc != 0) {
		request_error(r, 400, "code_not_digits", seal_strerror(SEAL_ECODE_DIGIT), "code");
		return rc;
	}
	rc = registry_code_check(r->txn, text, code);
	if (rc != 0) {
		request_fail(r, rc == SEAL_ENOTFOUND ? SEAL_ECODE_ENGRAVER : rc, "code");
		if (r->status >= 500)
			log_warnx("code check: %s", seal_strerror(rc));
	}
	return rc;
}

void
routes_log_query(struct request *r, const char *code, const char *route, const char *result)
{
	struct query_record q;

	memset(&q, 0, sizeof(q));
	request_copy(q.code, sizeof(q.code), code);
	q.time_ns = request_wall_ns();
	request_copy(q.route, sizeof(q.route), route);
	request_copy(q.result, sizeof(q.result), result);
	if (r->authed)
		request_copy(q.client, sizeof(q.client), r->actor.name);
	else
		request_copy(q.client, sizeof(q.client), r->client);
	if (r->srv->qlog)
		(void)querylog_push(r->srv->qlog, &q);
}

int
routes_image_body(struct request *r, const void **data, size_t *len)
{
	const void *body = request_body(r, len);

	*data = body;
	if (request_ctype_is(r, "image/png") || request_ctype_is(r, "image/jpeg") ||
	    request_ctype_is(r, "image/jpg") || request_ctype_is(r, "application/octet-stream")) {
		if (*len == 0) {
			request_error(r, 400, "bad_image", "the body is empty: send the image",
			              "image");
			return SEAL_EINVAL;
		}
		return 0;
	}
	if (request_ctype_is(r, "multipart/form-data")) {
		char boundary[MULTIPART_BOUNDARY_MAX + 1];
		struct multipart_part parts[MULTIPART_MAX_PARTS];
		const struct multipart_part *p;
		size_t n = 0;
		int rc;

		if (multipart_boundary(r->content_type, boundary, sizeof(boundary)) != 0) {
			request_error(r, 400, "bad_request",
			              "multipart/form-data needs a boundary parameter", "body");
			return SEAL_EINVAL;
		}
		rc = multipart_parse(body, *len, boundary, SEAL_UPLOAD_MAX_BYTES, parts,
		                     MULTIPART_MAX_PARTS, &n);
		if (rc == SEAL_ETOOBIG) {
			request_error(r, 413, "too_big", "the image part is too large", "image");
			return rc;
		}
		if (rc != 0) {
			request_error(r, 400, "bad_request",
			              "the multipart body is malformed or truncated", "body");
			return rc;
		}
		p = multipart_find(parts, n, "image");
		if (!p)
			p = multipart_find(parts, n, "file");
		if (!p || p->len == 0) {
			request_error(r, 400, "invalid", "no part named 'image' with the image",
			              "image");
			return SEAL_EINVAL;
		}
		*data = p->data;
		*len = p->len;
		return 0;
	}
	request_error(r, 415, "unsupported_media_type",
	              "send the image as image/png, image/jpeg or multipart/form-data", "body");
	return SEAL_EINVAL;
}

/* Decode an uploaded image, answering 400 for bad ones. */
static int
decode_upload(struct request *r, const void *data, size_t len, struct image *img, const char *field)
{
	int rc = image_decode(data, len, NULL, img);

	if (rc != 0)
		request_fail(r, rc, field);
	return rc;
}

/* ---- GET /v1/seals/{code} ------------------------------------------- */

void
route_lookup(struct request *r)
{
	char text[ROUTER_PARAM_MAX], code[SEAL_CODE_LEN + 1];
	struct seal_record s;
	struct engraver_record eng;
	struct json_writer w;
	int rc;

	/* Hot path: the form and region without the database, then one get
	 * for the seal and one for its engraver.  Only a miss pays for
	 * registry_code_check() (unknown engraver or not registered?). */
	if (webroot_decode(r->param, strlen(r->param), text, sizeof(text)) != 0) {
		request_fail(r, SEAL_ECODE_DIGIT, "code");
		return;
	}
	rc = code_parse(text, code);
	if (rc != 0) {
		request_fail(r, rc, "code");
		return;
	}
	rc = registry_seal_get(r->txn, code, &s);
	if (rc == SEAL_ENOTFOUND) {
		rc = registry_code_check(r->txn, text, code);
		if (rc != 0) {
			request_fail(r, rc == SEAL_ENOTFOUND ? SEAL_ECODE_ENGRAVER : rc, "code");
			return;
		}
		routes_log_query(r, code, "lookup", "not_registered");
		request_fail(r, SEAL_ENOT_REGISTERED, "code");
		return;
	}
	if (rc != 0) {
		request_fail(r, rc, NULL);
		return;
	}
	routes_engraver_of(r->txn, &s, &eng);
	jw_init(&w, r->out);
	jw_obj_begin(&w);
	routes_write_seal(&w, &s, &eng, 0);
	jw_obj_end(&w);
	jw_finish(&w);
	request_json(r, 200);
	routes_log_query(r, code, "lookup", seal_status_name((enum seal_status)s.status));
}

/* ---- QR ------------------------------------------------------------- */

static int
host_is_ours(const struct request *r, const char *host)
{
	return host[0] == '\0' || strcasecmp(host, r->srv->cfg->host) == 0;
}

static void
answer_not_ours(struct request *r, const char *text, size_t n)
{
	struct json_writer w;

	jw_init(&w, r->out);
	jw_obj_begin(&w);
	jw_kbool(&w, "ours", 0);
	jw_key(&w, "text");
	jw_strn(&w, text, n);
	jw_obj_end(&w);
	jw_finish(&w);
	request_json(r, 200);
}

/* Check a QR payload and answer (200 in every case). */
static void
check_payload(struct request *r, const char *text, size_t n)
{
	char host[QRSIG_HOST_MAX + 1], code[SEAL_CODE_LEN + 1], sig[QRSIG_B64_LEN + 1];
	struct seal_record s;
	struct engraver_record eng;
	struct json_writer w;
	const char *reason = NULL;
	int rc;

	if (memchr(text, '\0', n) || qrsig_parse(text, n, host, code, sig) != 0) {
		answer_not_ours(r, text, strnlen(text, n));
		return;
	}
	rc = registry_seal_get(r->txn, code, &s);
	if (rc == SEAL_ENOTFOUND)
		reason = "not_registered";
	else if (rc != 0) {
		request_fail(r, rc, NULL);
		return;
	} else if (qrsig_verify(r->srv->key, code, s.registered_at, sig) != 0)
		reason = "bad_signature";

	if (reason && !host_is_ours(r, host)) {
		answer_not_ours(r, text, n);
		return;
	}
	jw_init(&w, r->out);
	jw_obj_begin(&w);
	jw_kbool(&w, "ours", 1);
	if (reason) {
		jw_kstr(&w, "signature", "invalid");
		jw_kstr(&w, "code", code);
		jw_kstr(&w, "reason", reason);
		jw_key(&w, "payload");
		jw_strn(&w, text, n);
		jw_kstr(&w, "warning",
		        strcmp(reason, "not_registered") == 0
		            ? "this QR code names a code that is not registered: the seal or "
		              "its label is forged - treat the seal as suspect"
		            : "this QR code's signature is not the registry's: the seal or its "
		              "label is forged - treat the seal as suspect");
		routes_log_query(r, code, "qr", reason);
	} else {
		routes_engraver_of(r->txn, &s, &eng);
		jw_kstr(&w, "signature", "valid");
		jw_key(&w, "payload");
		jw_strn(&w, text, n);
		routes_write_seal(&w, &s, &eng, 0);
		routes_log_query(r, code, "qr", seal_status_name((enum seal_status)s.status));
	}
	jw_obj_end(&w);
	jw_finish(&w);
	request_json(r, 200);
}

void
route_qr_check(struct request *r)
{
	char payload[SEAL_QR_PAYLOAD_MAX + 1];
	int rc = request_query(r, "payload", payload, sizeof(payload));

	if (rc == SEAL_ENOTFOUND || (rc == 0 && payload[0] == '\0')) {
		request_error(r, 400, "invalid", "give the QR text as ?payload=", "payload");
		return;
	}
	if (rc != 0) {
		request_error(r, 400, "invalid", "payload is malformed or longer than 512 bytes",
		              "payload");
		return;
	}
	check_payload(r, payload, strlen(payload));
}

void
route_verify_qr(struct request *r)
{
	char text[SEAL_QR_PAYLOAD_MAX + 1];
	const void *data;
	size_t len, tlen = 0;
	struct image img = {0};
	int rc;

	if (request_ctype_is(r, "application/json")) {
		json_error_t jerr;
		json_t *root, *p;
		const void *body = request_body(r, &len);

		root = json_loadb(body, len, 0, &jerr);
		p = root ? json_object_get(root, "payload") : NULL;
		if (!p || !json_is_string(p) || json_string_length(p) == 0 ||
		    json_string_length(p) > SEAL_QR_PAYLOAD_MAX) {
			request_error(r, 400, "invalid",
			              "expected {\"payload\": \"<QR text, at most 512 bytes>\"}",
			              "payload");
		} else {
			check_payload(r, json_string_value(p), json_string_length(p));
		}
		json_decref(root);
		return;
	}
	if (routes_image_body(r, &data, &len) != 0)
		return;
	if (decode_upload(r, data, len, &img, "image") != 0)
		return;
	rc = qr_decode(&img, text, sizeof(text), &tlen);
	image_fini(&img);
	if (rc == SEAL_ETOOBIG) {
		answer_not_ours(r, "", 0);
		return;
	}
	if (rc != 0) {
		request_fail(r, rc == SEAL_EINVAL ? SEAL_EIMAGE : rc, "image");
		return;
	}
	check_payload(r, text, tlen);
}

/* ---- POST /v1/verify/impression?code= ------------------------------- */

static const char *
verdict_advice(const struct match_result *m)
{
	if (m->verdict == MATCH_MATCH)
		return "the impression matches the registered seal";
	if (m->verdict == MATCH_MISMATCH)
		return "the impression differs from the registered seal: treat the document as "
		       "suspect";
	if (strcmp(m->reason, "no_seal_found") == 0)
		return "no seal impression was found in the photo: photograph the red stamp "
		       "closely, in good light";
	if (strcmp(m->reason, "no_reference") == 0)
		return "no reference impression is registered for this seal";
	return "the photo does not allow a verdict: take a sharper, closer photo of the stamp";
}

static void
answer_impression(struct request *r, const char *code, const struct seal_record *s,
                  const struct match_result *m)
{
	struct json_writer w;
	int found = strcmp(m->reason, "no_seal_found") != 0 && strcmp(m->reason, "no_reference");

	jw_init(&w, r->out);
	jw_obj_begin(&w);
	jw_kstr(&w, "code", code);
	jw_kstr(&w, "verdict", match_verdict_name(m->verdict));
	jw_kdouble(&w, "score", m->score);
	jw_kstr(&w, "reason", m->reason);
	jw_kstr(&w, "advice", verdict_advice(m));
	jw_key(&w, "found");
	if (found) {
		jw_obj_begin(&w);
		jw_kdouble(&w, "x", m->cx);
		jw_kdouble(&w, "y", m->cy);
		jw_kdouble(&w, "radius", m->radius);
		jw_kdouble(&w, "angle_deg", m->angle_deg);
		jw_kstr(&w, "shape", m->shape ? m->shape : "round");
		jw_obj_end(&w);
	} else {
		jw_null(&w);
	}
	jw_kstr(&w, "reference_shape", record_shape_name((enum seal_shape)s->shape));
	jw_obj_end(&w);
	jw_finish(&w);
	request_json(r, 200);
}

void
route_verify_impression(struct request *r)
{
	char text[64], code[SEAL_CODE_LEN + 1];
	struct seal_record s;
	struct registry_blob ref_png, feats = {0};
	struct image ref = {0}, query = {0};
	struct match_result m;
	const void *data;
	size_t len;
	int rc;

	rc = request_query(r, "code", text, sizeof(text));
	if (rc != 0 || !text[0]) {
		request_error(r, 400, "invalid", "give the seal's code as ?code=", "code");
		return;
	}
	rc = registry_code_check(r->txn, text, code);
	if (rc != 0) {
		request_fail(r, rc, "code");
		return;
	}
	rc = registry_seal_get(r->txn, code, &s);
	if (rc == SEAL_ENOTFOUND) {
		routes_log_query(r, code, "impression", "not_registered");
		request_fail(r, SEAL_ENOT_REGISTERED, "code");
		return;
	}
	if (rc != 0) {
		request_fail(r, rc, NULL);
		return;
	}
	if (routes_image_body(r, &data, &len) != 0)
		return;
	if (decode_upload(r, data, len, &query, "image") != 0)
		return;
	memset(&m, 0, sizeof(m));
	m.verdict = MATCH_INCONCLUSIVE;
	m.reason = "no_reference";
	if (registry_seal_impression(r->txn, code, &ref_png) == 0 && ref_png.len > 0 &&
	    image_decode(ref_png.data, ref_png.len, NULL, &ref) == 0) {
		if (registry_seal_features(r->txn, code, &feats) != 0)
			feats.data = NULL, feats.len = 0;
		rc = matcher_compare(&ref, feats.data, feats.len, &query, &m);
		if (rc == SEAL_ENOMEM) {
			request_fail(r, rc, NULL);
			goto out;
		}
		if (rc != 0) {
			memset(&m, 0, sizeof(m));
			m.verdict = MATCH_INCONCLUSIVE;
			m.reason = "no_reference";
		}
	}
	if (!m.reason)
		m.reason = "ok";
	answer_impression(r, code, &s, &m);
	routes_log_query(r, code, "impression", match_verdict_name(m.verdict));
out:
	image_fini(&ref);
	image_fini(&query);
}

/* ---- keys, health, metrics ------------------------------------------ */

void
route_keys(struct request *r)
{
	struct json_writer w;

	jw_init(&w, r->out);
	jw_obj_begin(&w);
	jw_kstr(&w, "algorithm", "Ed25519");
	jw_kstr(&w, "public_key_pem", r->srv->pubkey_pem);
	jw_kstr(&w, "public_key_base64", r->srv->pubkey_b64);
	jw_kstr(&w, "qr_signed_string", QRSIG_DOMAIN "|{code}|{YYYY-MM-DD}");
	jw_obj_end(&w);
	jw_finish(&w);
	request_json(r, 200);
}

void
route_healthz(struct request *r)
{
	int draining = atomic_load(&r->srv->draining);

	evbuffer_add_printf(r->out, "{\"status\":\"%s\"}", draining ? "draining" : "ok");
	request_json(r, draining ? 503 : 200);
}

void
route_metrics(struct request *r)
{
	const char *names[64 + 1];
	struct metrics_gauges g;
	struct registry_stats st;
	size_t n = router_count();

	memset(&g, 0, sizeof(g));
	for (size_t i = 0; i < n && i < 64; i++)
		names[i] = router_at(i)->pattern;
	names[n < 64 ? n : 64] = NULL;
	if (r->srv->workers) {
		g.queue_depth = workers_depth(r->srv->workers);
		g.queue_capacity = workers_capacity(r->srv->workers);
		g.worker_rejected = workers_rejected(r->srv->workers);
	}
	if (r->srv->qlog) {
		g.querylog_pending = querylog_pending(r->srv->qlog);
		g.querylog_written = querylog_written(r->srv->qlog);
		g.querylog_dropped = querylog_dropped(r->srv->qlog);
	}
	g.inflight = atomic_load(&r->srv->inflight);
	if (r->txn && registry_stats(r->txn, &st) == 0) {
		g.have_registry = 1;
		g.map_used = st.map_used;
		g.map_size = st.map_size;
		g.seals = st.seals;
		g.audit_length = st.audit_length;
	}
	metrics_render(r->srv->metrics, names, &g, r->out);
	r->status = 200;
	r->ctype = "text/plain; version=0.0.4; charset=utf-8";
}

/* ---- pages and static files ----------------------------------------- */

static void
serve_file(struct request *r, const char *rel)
{
	char path[WEBROOT_PATH_MAX];
	struct stat st;
	int fd;

	if (!r->srv->web_root[0] ||
	    webroot_resolve(r->srv->web_root, rel, path, sizeof(path)) != 0) {
		request_error(r, 404, "not_found", "no such page", NULL);
		return;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		if (fd >= 0)
			close(fd);
		request_error(r, 404, "not_found", "no such page", NULL);
		return;
	}
	if (st.st_size == 0) {
		close(fd);
	} else if (evbuffer_add_file(r->out, fd, 0, st.st_size) != 0) {
		request_error(r, 500, "internal", "cannot read the file", NULL);
		return;
	}
	r->status = 200;
	r->ctype = webroot_mime(path);
	r->cacheable = 1;
}

void
route_page(struct request *r)
{
	const char *p = r->path;

	if (strcmp(p, "/engraver") == 0)
		serve_file(r, "engraver.html");
	else if (strcmp(p, "/police") == 0)
		serve_file(r, "police.html");
	else
		serve_file(r, "index.html"); /* "/" and the QR landing /q/{code}.{sig} */
	r->cacheable = 0;
}

void
route_static(struct request *r)
{
	char rel[ROUTER_PARAM_MAX + 8], decoded[ROUTER_PARAM_MAX];

	if (webroot_decode(r->param, strlen(r->param), decoded, sizeof(decoded)) != 0) {
		request_error(r, 404, "not_found", "no such file", NULL);
		return;
	}
	snprintf(rel, sizeof(rel), "static/%s", decoded);
	serve_file(r, rel);
}
