/*
 * routes_engraver.c - a licensed engraver's routes: register a seal, fetch
 * its signed QR, list its own seals.
 *
 * Registration runs on the worker pool: the multipart body is split, the
 * reference impression decoded (PNG or JPEG; stored as PNG), its matcher
 * features computed (no seal in it: 422), and the record, image, features,
 * history and audit entry committed in one registry transaction.  Every
 * field is checked before anything is written, so a failed request changes
 * nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "common/errors.h"
#include "common/log.h"
#include "import/intake.h"
#include "registry/code.h"
#include "server/auth.h"
#include "server/http.h"
#include "server/multipart.h"
#include "server/qrsig.h"
#include "server/request.h"
#include "server/routes.h"
#include "verify/qr.h"

#define REGISTER_IMAGE_MAX (SEAL_IMPRESSION_MAX_BYTES * 4) /* upload before re-encoding */
#define QR_SCALE_DEFAULT 8
#define QR_SCALE_MAX 20
#define QR_MARGIN 4

/* Copy a text part into out (cap bytes incl. NUL): 400 when missing,
 * too long or not text. */
static int
text_field(struct request *r, const struct multipart_part *parts, size_t n, const char *name,
           char *out, size_t cap, int required)
{
	const struct multipart_part *p = multipart_find(parts, n, name);
	char msg[96];

	out[0] = '\0';
	if (!p || p->len == 0) {
		if (!required)
			return 0;
		snprintf(msg, sizeof(msg), "the field '%s' is required", name);
		request_error(r, 400, "invalid", msg, name);
		return SEAL_EINVAL;
	}
	if (p->len >= cap || memchr(p->data, '\0', p->len)) {
		snprintf(msg, sizeof(msg), "the field '%s' is too long (at most %zu bytes)", name,
		         cap - 1);
		request_error(r, 400, "bad_text", msg, name);
		return SEAL_ETEXT;
	}
	memcpy(out, p->data, p->len);
	out[p->len] = '\0';
	return 0;
}

static const char *
register_field(int err)
{
	switch (err) {
	case SEAL_ECREDIT_FORMAT:
	case SEAL_ECREDIT_CHECK:
		return "credit_code";
	case SEAL_ECODE_ENGRAVER:
	case SEAL_ECODE_SUSPENDED:
	case SEAL_ECODE_REGION:
	case SEAL_EPERM:
		return "engraver";
	case SEAL_ETOOBIG:
		return "impression";
	default:
		return NULL;
	}
}

void
route_register(struct request *r)
{
	char boundary[MULTIPART_BOUNDARY_MAX + 1];
	struct multipart_part parts[MULTIPART_MAX_PARTS];
	const struct multipart_part *imp;
	char holder[SEAL_HOLDER_MAX + 1], credit[SEAL_CREDIT_LEN + 8], type[SEAL_TYPE_MAX + 1];
	char shape_text[16], eng_text[16], check[SEAL_HOLDER_MAX + 1];
	char sig[QRSIG_B64_LEN + 1], url[SEAL_QR_PAYLOAD_MAX + 1];
	struct seal_registration in;
	struct seal_record rec;
	struct engraver_record eng;
	struct intake_item *item = NULL;
	size_t n = 0, blen;
	const void *body;
	int shape, mismatch = 0, rc;
	struct json_writer jw;

	memset(&in, 0, sizeof(in));
	if (!request_ctype_is(r, "multipart/form-data")) {
		request_error(r, 415, "unsupported_media_type",
		              "send the registration as multipart/form-data", "body");
		return;
	}
	if (multipart_boundary(r->content_type, boundary, sizeof(boundary)) != 0) {
		request_error(r, 400, "bad_request", "multipart/form-data needs a boundary",
		              "body");
		return;
	}
	body = request_body(r, &blen);
	rc = multipart_parse(body, blen, boundary, REGISTER_IMAGE_MAX, parts, MULTIPART_MAX_PARTS,
	                     &n);
	if (rc == SEAL_ETOOBIG) {
		request_error(r, 413, "too_big", "a part of the form is too large", "impression");
		return;
	}
	if (rc != 0) {
		request_error(r, 400, "bad_request", "the multipart body is malformed or truncated",
		              "body");
		return;
	}
	if (text_field(r, parts, n, "holder", holder, sizeof(holder), 1) ||
	    text_field(r, parts, n, "credit_code", credit, sizeof(credit), 1) ||
	    text_field(r, parts, n, "type", type, sizeof(type), 1) ||
	    text_field(r, parts, n, "shape", shape_text, sizeof(shape_text), 1) ||
	    text_field(r, parts, n, "engraver", eng_text, sizeof(eng_text), 0))
		return;
	if (record_set_text(check, sizeof(check), holder, 1) != 0) {
		request_fail(r, SEAL_ETEXT, "holder");
		return;
	}
	if (record_set_text(check, SEAL_TYPE_MAX + 1, type, 1) != 0) {
		request_fail(r, SEAL_ETEXT, "type");
		return;
	}
	rc = credit_code_check(credit);
	if (rc != 0) {
		request_fail(r, rc, "credit_code");
		return;
	}
	shape = record_shape_parse(shape_text);
	if (shape < 0) {
		request_error(r, 400, "invalid", "shape must be round, oval or square", "shape");
		return;
	}
	if (eng_text[0]) {
		rc = code_parse_prefix(eng_text, in.engraver);
		if (rc != 0) {
			request_fail(r, rc, "engraver");
			return;
		}
	} else if (r->actor.role == ROLE_ENGRAVER) {
		if (strlen(r->actor.scope) != SEAL_PREFIX_LEN) {
			request_fail(r, SEAL_EPERM, "engraver");
			return;
		}
		memcpy(in.engraver, r->actor.scope, SEAL_PREFIX_LEN + 1);
	} else {
		request_error(r, 400, "invalid", "name the engraver (7-digit prefix)", "engraver");
		return;
	}
	if (auth_scope_allows(&r->actor, in.engraver) != 0) {
		request_error(r, 403, "forbidden", "that engraver prefix is outside your licence",
		              "engraver");
		return;
	}
	imp = multipart_find(parts, n, "impression");
	if (!imp || imp->len == 0) {
		request_error(r, 400, "invalid", "the reference impression file is required",
		              "impression");
		return;
	}
	/* Decode, find the seal, describe it, re-encode as PNG when needed:
	 * the same intake every registration path uses. */
	in.impression = imp->data;
	in.impression_len = imp->len;
	item = malloc(sizeof(*item));
	if (item == NULL) {
		request_fail(r, SEAL_ENOMEM, NULL);
		return;
	}
	rc = intake_prepare(&in, item);
	if (rc != 0) {
		if (rc == SEAL_ENOSEAL)
			request_error(r, 422, "no_seal_found",
			              "no seal impression found in the reference image",
			              "impression");
		else if (rc == SEAL_ETOOBIG)
			request_error(r, 413, "too_big",
			              "the reference impression exceeds 512 KiB as PNG: crop or "
			              "scale it",
			              "impression");
		else
			request_fail(r, rc, "impression");
		goto out;
	}
	in = item->reg;
	in.holder = holder;
	in.credit_code = credit;
	in.type = type;
	in.shape = (enum seal_shape)shape;
	rc = registry_seal_register(r->srv->reg, &r->actor, &in, &rec, &mismatch);
	if (rc != 0) {
		request_fail(r, rc, register_field(rc));
		goto out;
	}
	log_info("registered %s by %s", rec.code, r->actor.name);
	if (qrsig_sign(r->srv->key, rec.code, rec.registered_at, sig) != 0 ||
	    qrsig_url(r->srv->cfg->host, rec.code, sig, url, sizeof(url)) != 0)
		url[0] = '\0';
	if (registry_engraver_get(r->txn, rec.engraver, &eng) != 0)
		memset(&eng, 0, sizeof(eng));
	jw_init(&jw, r->out);
	jw_obj_begin(&jw);
	jw_key(&jw, "seal");
	jw_obj_begin(&jw);
	routes_write_seal(&jw, &rec, &eng, 1);
	jw_obj_end(&jw);
	jw_kstr(&jw, "qr_url", url);
	{
		char qrpath[64];

		snprintf(qrpath, sizeof(qrpath), "/v1/seals/%s/qr.png", rec.code);
		jw_kstr(&jw, "qr_png", qrpath);
	}
	jw_key(&jw, "warnings");
	jw_arr_begin(&jw);
	if (mismatch)
		jw_str(&jw, "credit_code_region_mismatch");
	jw_arr_end(&jw);
	jw_obj_end(&jw);
	jw_finish(&jw);
	request_json(r, 201);
	snprintf(r->location, sizeof(r->location), "/v1/seals/%s", rec.code);
out:
	if (item != NULL)
		intake_item_fini(item);
	free(item);
}

void
route_qr_png(struct request *r)
{
	char code[SEAL_CODE_LEN + 1], sig[QRSIG_B64_LEN + 1], url[SEAL_QR_PAYLOAD_MAX + 1];
	struct seal_record s;
	unsigned scale = QR_SCALE_DEFAULT;
	uint8_t *png = NULL;
	size_t len = 0;
	int rc;

	if (routes_code_param(r, code) != 0)
		return;
	if (auth_scope_allows(&r->actor, code) != 0) {
		request_error(r, 403, "forbidden", "that seal is outside your licence", "code");
		return;
	}
	if (request_query_uint(r, "scale", 1, QR_SCALE_MAX, &scale) != 0)
		return;
	rc = registry_seal_get(r->txn, code, &s);
	if (rc != 0) {
		request_fail(r, rc == SEAL_ENOTFOUND ? SEAL_ENOT_REGISTERED : rc, "code");
		return;
	}
	rc = qrsig_sign(r->srv->key, code, s.registered_at, sig);
	if (rc == 0)
		rc = qrsig_url(r->srv->cfg->host, code, sig, url, sizeof(url));
	if (rc == 0)
		rc = qr_encode_png(url, (int)scale, QR_MARGIN, &png, &len);
	if (rc != 0) {
		request_fail(r, rc, NULL);
		return;
	}
	evbuffer_add(r->out, png, len);
	free(png);
	r->status = 200;
	r->ctype = "image/png";
	r->xhdr_name = "X-QR-Payload";
	snprintf(r->xhdr_value, sizeof(r->xhdr_value), "%s", url);
}

/* ---- GET /v1/engraver/seals ----------------------------------------- */

void
route_engraver_list(struct request *r)
{
	char after[64] = "", prefix[16] = "", norm[SEAL_CODE_LEN + 1];
	unsigned limit = 50;
	struct json_writer w;
	struct routes_list c;
	const char *scope = auth_scope_prefix(&r->actor);
	int rc;

	if (request_query_uint(r, "limit", 1, SEAL_PAGE_MAX, &limit) != 0)
		return;
	rc = request_query(r, "after", after, sizeof(after));
	if (rc == SEAL_EINVAL || (rc == 0 && after[0] && code_parse(after, norm) != 0)) {
		request_error(r, 400, "invalid", "after must be a seal code", "after");
		return;
	}
	if (rc == 0 && after[0])
		memcpy(after, norm, sizeof(norm));
	rc = request_query(r, "prefix", prefix, sizeof(prefix));
	if (rc == SEAL_EINVAL || strspn(prefix, "0123456789") != strlen(prefix)) {
		request_error(r, 400, "invalid", "prefix must be digits", "prefix");
		return;
	}
	if (scope[0]) {
		/* An engraver lists its own prefix (or narrower). */
		if (prefix[0] &&
		    strncmp(prefix, scope,
		            strlen(prefix) < strlen(scope) ? strlen(prefix) : strlen(scope)) != 0) {
			request_error(r, 403, "forbidden", "that prefix is outside your licence",
			              "prefix");
			return;
		}
		if (strlen(prefix) < strlen(scope)) {
			if (strlen(scope) >= sizeof(prefix)) {
				request_fail(r, SEAL_EPERM, "prefix");
				return;
			}
			memcpy(prefix, scope, strlen(scope) + 1);
		}
	}
	memset(&c, 0, sizeof(c));
	c.w = &w;
	c.txn = r->txn;
	jw_init(&w, r->out);
	jw_obj_begin(&w);
	jw_key(&w, "seals");
	jw_arr_begin(&w);
	rc =
	    registry_seal_list(r->txn, prefix, after[0] ? after : NULL, limit, routes_list_one, &c);
	jw_arr_end(&w);
	jw_key(&w, "next_after");
	if (c.count == limit)
		jw_str(&w, c.last);
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
