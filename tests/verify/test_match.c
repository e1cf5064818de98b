/*
 * test_match.c - the impression matcher (verify/matcher.h).
 *
 * Fixtures come from the project's renderer (import/render.h): a reference
 * impression as an engraver registers it, and queries made by stamping the
 * same (or a re-engraved) seal onto a paper-coloured page, rotated, scaled,
 * damaged, overprinted or JPEG-compressed.  Genuine cases must come back
 * "match", re-engravings "mismatch", a blank page "no_seal_found".  Golden
 * vectors pin the feature blob and hash of a fixed rendering.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/errors.h"
#include "common/limits.h"
#include "import/render.h"
#include "tests/support/imgfix.h"
#include "verify/image.h"
#include "verify/matcher.h"

#define NAME "西安市秦岭测试科技有限公司"
#define TYPE "合同专用章"
#define CODE "6101001000001"
#define ALT_FONT "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc"

static int
have_file(const char *path)
{
	return access(path, R_OK) == 0;
}

static void
params_round(struct render_params *p)
{
	render_params_default(p);
	p->shape = "round";
	p->name = NAME;
	p->type_text = TYPE;
	p->code = CODE;
}

/* A reference impression (600 x 600) and its features. */
struct ref {
	struct image img;
	uint8_t feat[SEAL_FEATURES_MAX_BYTES];
	size_t flen;
};

static void
ref_make(const struct render_params *p, struct ref *r)
{
	int rc = render_seal(p, &r->img);
	if (rc)
		fail_msg("render_seal: expected 0, got %s", seal_errname(rc));
	rc = matcher_features(&r->img, r->feat, sizeof(r->feat), &r->flen);
	if (rc)
		fail_msg("matcher_features: expected 0, got %s", seal_errname(rc));
}

/* A paper page of w x h with a few lines of grey-black "print". */
static void
page_make(struct image *pg, int w, int h)
{
	if (image_alloc(pg, w, h, 3, 0))
		fail_msg("image_alloc failed");
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			uint8_t *px = pg->pixels + (size_t)y * pg->stride + (size_t)x * 3;
			px[0] = 246;
			px[1] = 243;
			px[2] = 236;
			/* Text lines: short dark dashes every 40 rows near the top. */
			if (y < h / 4 && y % 40 < 14 && (x / 9) % 3 != 2 && x > 40 && x < w - 40)
				px[0] = px[1] = px[2] = 40;
		}
}

/* Stamp p (seal of size_px) onto a new page with its centre at (cx, cy). */
static void
stamp(const struct render_params *p, int w, int h, int cx, int cy, struct image *out)
{
	page_make(out, w, h);
	int rc = render_seal_onto(p, out, cx, cy);
	if (rc)
		fail_msg("render_seal_onto: expected 0, got %s", seal_errname(rc));
}

static void
compare(const struct ref *r, const struct image *q, struct match_result *res)
{
	int rc = matcher_compare(&r->img, r->feat, r->flen, q, res);
	if (rc)
		fail_msg("matcher_compare: expected 0, got %s", seal_errname(rc));
}

static void
expect_verdict(const struct match_result *res, enum match_verdict want, const char *what)
{
	if (res->verdict != want)
		fail_msg("%s: expected %s, got %s (score %.3f, reason %s)", what,
		         match_verdict_name(want), match_verdict_name(res->verdict), res->score,
		         res->reason);
}

/* A verdict other than want_not (the matcher may be cautious, never wrong). */
static void
expect_not(const struct match_result *res, enum match_verdict want_not, const char *what)
{
	if (res->verdict == want_not)
		fail_msg("%s: expected anything but %s, got it (score %.3f, reason %s)", what,
		         match_verdict_name(want_not), res->score, res->reason);
}

static void
test_rotations_match(void **state)
{
	struct render_params p;
	struct ref r;
	(void)state;

	params_round(&p);
	ref_make(&p, &r);
	for (int deg = 0; deg < 360; deg += 15) {
		struct image q;
		struct match_result res;
		char what[64];
		p.rotation_deg = deg;
		p.size_px = 460;
		stamp(&p, 900, 900, 430, 520, &q);
		compare(&r, &q, &res);
		snprintf(what, sizeof(what), "rotated %d degrees", deg);
		expect_verdict(&res, MATCH_MATCH, what);
		if (fabs(res.cx - 430) > 6 || fabs(res.cy - 520) > 6)
			fail_msg("%s: centre expected (430, 520), got (%.1f, %.1f)", what, res.cx,
			         res.cy);
		/* The renderer turns counter-clockwise; angle_deg follows it. */
		double d = fmod(fabs(res.angle_deg - deg) + 360.0, 360.0);
		if (d > 180)
			d = 360 - d;
		if (d > 2.0)
			fail_msg("%s: angle expected %d, got %.2f", what, deg, res.angle_deg);
		image_fini(&q);
	}
	image_fini(&r.img);
}

static void
test_scales_match(void **state)
{
	static const double scales[] = {0.5, 0.75, 1.5, 2.0};
	struct render_params p;
	struct ref r;
	(void)state;

	params_round(&p);
	ref_make(&p, &r);
	for (size_t i = 0; i < sizeof(scales) / sizeof(scales[0]); i++) {
		struct image q;
		struct match_result res;
		char what[64];
		int side = (int)(600 * scales[i]);
		p.size_px = side;
		p.rotation_deg = 37;
		stamp(&p, side + 300, side + 400, side / 2 + 150, side / 2 + 300, &q);
		compare(&r, &q, &res);
		snprintf(what, sizeof(what), "scaled %.2fx", scales[i]);
		expect_verdict(&res, MATCH_MATCH, what);
		double want = 0.475 * side;
		if (fabs(res.radius - want) > 0.08 * want)
			fail_msg("%s: radius expected about %.0f, got %.1f", what, want,
			         res.radius);
		image_fini(&q);
	}
	image_fini(&r.img);
}

/* Paint paper over about frac of the seal's ink, in 24 x 24 blocks chosen by
 * a fixed pseudo-random sequence. */
static void
erase_ink(struct image *q, int cx, int cy, int rad, double frac)
{
	uint32_t s = 12345;
	int blocks = (int)(frac * (2.0 * rad / 24) * (2.0 * rad / 24) * M_PI / 4);
	for (int b = 0; b < blocks; b++) {
		s = s * 1103515245u + 12345u;
		int bx = cx - rad + (int)((s >> 8) % (uint32_t)(2 * rad));
		s = s * 1103515245u + 12345u;
		int by = cy - rad + (int)((s >> 8) % (uint32_t)(2 * rad));
		for (int y = by; y < by + 24 && y < q->height; y++)
			for (int x = bx; x < bx + 24 && x < q->width; x++) {
				if (x < 0 || y < 0)
					continue;
				uint8_t *px = q->pixels + (size_t)y * q->stride + (size_t)x * 3;
				px[0] = 246;
				px[1] = 243;
				px[2] = 236;
			}
	}
}

static void
test_damaged_match(void **state)
{
	struct render_params p;
	struct ref r;
	struct image q;
	struct match_result res;
	(void)state;

	params_round(&p);
	ref_make(&p, &r);
	p.size_px = 500;
	p.rotation_deg = 200;
	stamp(&p, 900, 900, 450, 450, &q);
	erase_ink(&q, 450, 450, 240, 0.20);
	compare(&r, &q, &res);
	/* Missing ink costs little: never a mismatch, and close to the match
	 * threshold (0.5) even with a fifth of the ink gone in big patches. */
	expect_not(&res, MATCH_MISMATCH, "20% of the ink removed");
	if (res.score < 0.3)
		fail_msg("20%% of the ink removed: expected score >= 0.3, got %.3f", res.score);
	image_fini(&q);

	/* Black print over the seal: lines of text-like marks (10 px tall,
	 * every 44 px, 2-px strokes in 9-px cells), as on a printed form. */
	stamp(&p, 900, 900, 450, 450, &q);
	for (int y = 0; y < q.height; y++)
		for (int x = 0; x < q.width; x++)
			if (y % 44 < 10 && (x % 9 < 2 || y % 44 == 4) && y > 250 && y < 650) {
				uint8_t *px = q.pixels + (size_t)y * q.stride + (size_t)x * 3;
				px[0] = px[1] = px[2] = 25;
			}
	compare(&r, &q, &res);
	expect_verdict(&res, MATCH_MATCH, "black text overprinted");
	image_fini(&q);
	image_fini(&r.img);
}

static void
test_jpeg_q40_match(void **state)
{
	struct render_params p;
	struct ref r;
	struct image q, dec;
	struct match_result res;
	uint8_t *jpg = NULL;
	size_t n = 0;
	(void)state;

	params_round(&p);
	ref_make(&p, &r);
	p.size_px = 480;
	p.rotation_deg = 123;
	stamp(&p, 800, 900, 400, 480, &q);
	struct imgfix_jpeg spec = {q.width, q.height, 3, q.pixels, 40, 0, 0, 0};
	if (q.stride != (size_t)q.width * 3)
		fail_msg("expected packed rows, stride %zu", q.stride);
	if (imgfix_jpeg_write(&spec, &jpg, &n))
		fail_msg("imgfix_jpeg_write failed");
	int rc = image_decode(jpg, n, NULL, &dec);
	if (rc)
		fail_msg("image_decode: expected 0, got %s", seal_errname(rc));
	compare(&r, &dec, &res);
	expect_verdict(&res, MATCH_MATCH, "JPEG quality 40");
	free(jpg);
	image_fini(&dec);
	image_fini(&q);
	image_fini(&r.img);
}

/* Compare a re-engraving (the reference's parameters with one change,
 * stamped larger and rotated) against the reference. */
static void
forgery_compare(const struct render_params *changed, struct match_result *res)
{
	struct render_params p;
	struct ref r;
	struct image q;

	params_round(&p);
	ref_make(&p, &r);
	struct render_params f = *changed;
	f.size_px = 560;
	f.rotation_deg = 75;
	stamp(&f, 900, 900, 450, 450, &q);
	compare(&r, &q, res);
	image_fini(&q);
	image_fini(&r.img);
}

/* A re-engraving the matcher must call a mismatch. */
static void
expect_forgery(const struct render_params *changed, const char *what)
{
	struct match_result res;

	forgery_compare(changed, &res);
	expect_verdict(&res, MATCH_MISMATCH, what);
}

/* A re-engraving whose only change is below what the matcher resolves at
 * this size (about 1 px of border at 600 px): it must not be accepted. */
static void
expect_forgery_not_match(const struct render_params *changed, const char *what)
{
	struct match_result res;

	forgery_compare(changed, &res);
	expect_not(&res, MATCH_MATCH, what);
}

static void
test_other_font_mismatch(void **state)
{
	struct render_params p;
	(void)state;

	if (!have_file(ALT_FONT))
		skip();
	params_round(&p);
	p.font_path = ALT_FONT;
	expect_forgery(&p, "different font");
}

static void
test_wider_arc_mismatch(void **state)
{
	struct render_params p;
	(void)state;

	params_round(&p);
	p.arc_span_deg *= 1.05;
	expect_forgery(&p, "text arc 5% wider");
}

static void
test_thicker_border_mismatch(void **state)
{
	struct render_params p;
	(void)state;

	params_round(&p);
	p.border_width *= 1.10;
	expect_forgery_not_match(&p, "border 10% thicker");
}

static void
test_blank_page(void **state)
{
	struct render_params p;
	struct ref r;
	struct image q;
	struct match_result res;
	(void)state;

	params_round(&p);
	ref_make(&p, &r);
	page_make(&q, 800, 1000);
	compare(&r, &q, &res);
	expect_verdict(&res, MATCH_INCONCLUSIVE, "blank page");
	if (strcmp(res.reason, "no_seal_found") != 0)
		fail_msg("blank page: expected reason no_seal_found, got %s", res.reason);
	image_fini(&q);
	image_fini(&r.img);
}

static void
test_two_seals_right_one(void **state)
{
	struct render_params p, o;
	struct ref r;
	struct image q;
	struct match_result res;
	(void)state;

	params_round(&p);
	ref_make(&p, &r);
	/* Another company's seal, a little larger, on the left; ours on the right. */
	params_round(&o);
	o.name = "咸阳市渭河示例贸易有限公司";
	o.code = "6104001000002";
	o.size_px = 520;
	o.rotation_deg = 10;
	page_make(&q, 1300, 800);
	if (render_seal_onto(&o, &q, 320, 420))
		fail_msg("render_seal_onto failed");
	p.size_px = 470;
	p.rotation_deg = 300;
	if (render_seal_onto(&p, &q, 960, 430))
		fail_msg("render_seal_onto failed");
	compare(&r, &q, &res);
	expect_verdict(&res, MATCH_MATCH, "two seals on the page");
	if (fabs(res.cx - 960) > 8 || fabs(res.cy - 430) > 8)
		fail_msg("two seals: expected the seal at (960, 430), got (%.1f, %.1f)", res.cx,
		         res.cy);
	image_fini(&q);
	image_fini(&r.img);
}

/* A seal on tinted (pink) paper under a saturated red letterhead: the page
 * must not read as one big seal, and the header must not be taken for it. */
static void
test_tinted_page_header(void **state)
{
	struct render_params p;
	struct ref r;
	struct image q;
	struct match_result res;
	(void)state;

	params_round(&p);
	ref_make(&p, &r);
	page_make(&q, 1200, 1000);
	for (int y = 0; y < q.height; y++)
		for (int x = 0; x < q.width; x++) {
			uint8_t *px = q.pixels + (size_t)y * q.stride + (size_t)x * 3;
			int head = y >= 40 && y < 90 && x >= 100 && x < 1100;
			if (px[0] == 40 && !head)
				continue; /* black print stays */
			px[0] = head ? 200 : 250;
			px[1] = head ? 20 : 214;
			px[2] = head ? 30 : 210;
		}
	p.size_px = 460;
	p.rotation_deg = 40;
	if (render_seal_onto(&p, &q, 640, 600))
		fail_msg("render_seal_onto failed");
	compare(&r, &q, &res);
	if (fabs(res.cx - 640) > 8 || fabs(res.cy - 600) > 8)
		fail_msg("tinted page: expected the seal at (640, 600), got (%.1f, %.1f), %s (%s)",
		         res.cx, res.cy, match_verdict_name(res.verdict), res.reason);
	expect_verdict(&res, MATCH_MATCH, "tinted page with a red header");
	image_fini(&q);
	image_fini(&r.img);
}

static void
test_other_shapes_match(void **state)
{
	static const char *shapes[] = {"oval", "square"};
	(void)state;

	for (size_t i = 0; i < 2; i++) {
		struct render_params p;
		struct ref r;
		struct image q;
		struct match_result res;
		char what[64];
		params_round(&p);
		p.shape = shapes[i];
		if (i == 1)
			p.name = "王建国印";
		ref_make(&p, &r);
		p.size_px = 520;
		p.rotation_deg = 140;
		stamp(&p, 900, 900, 450, 470, &q);
		compare(&r, &q, &res);
		snprintf(what, sizeof(what), "%s seal rotated 140", shapes[i]);
		/* Small text on ovals sits near the resolution limit: cautious
		 * answers are allowed, a mismatch is not. */
		expect_not(&res, MATCH_MISMATCH, what);
		if (strcmp(res.shape, shapes[i]) != 0)
			fail_msg("%s: expected shape %s, got %s", what, shapes[i], res.shape);
		image_fini(&q);
		image_fini(&r.img);
	}
}

static void
test_features_golden(void **state)
{
	struct render_params p;
	struct ref r, r2;
	uint8_t hash[MATCHER_HASH_BYTES], hash2[MATCHER_HASH_BYTES];
	(void)state;

	params_round(&p);
	ref_make(&p, &r);
	ref_make(&p, &r2);
	/* Deterministic: the same image gives the same bytes. */
	if (r.flen != r2.flen || memcmp(r.feat, r2.feat, r.flen) != 0)
		fail_msg("features of one image differ between two runs (%zu vs %zu bytes)", r.flen,
		         r2.flen);
	if (r.flen == 0 || r.flen > SEAL_FEATURES_MAX_BYTES)
		fail_msg("feature size expected 1..%d, got %zu", SEAL_FEATURES_MAX_BYTES, r.flen);
	if (memcmp(r.feat, "SLF1", 4) != 0 || r.feat[4] != 0)
		fail_msg("blob header expected SLF1 and shape 0 (round), got %.4s / %d", r.feat,
		         r.feat[4]);
	if (matcher_hash(r.feat, r.flen, hash))
		fail_msg("matcher_hash failed");
	/* Golden vector: the geometry recorded in the blob for the default
	 * rendering (R = 0.475 * 600 = 285 px, centred). */
	float cx, cy, scale;
	memcpy(&cx, r.feat + 8, 4);
	memcpy(&cy, r.feat + 12, 4);
	memcpy(&scale, r.feat + 28, 4);
	if (fabsf(cx - 299.5f) > 1.0f || fabsf(cy - 299.5f) > 1.0f || fabsf(scale - 285.0f) > 3.0f)
		fail_msg(
		    "geometry expected centre (299.5, 299.5) radius 285, got (%.2f, %.2f) %.2f", cx,
		    cy, scale);
	/* Rotation invariance of the hash: a rotated rendering lands close. */
	p.rotation_deg = 100;
	image_fini(&r2.img);
	ref_make(&p, &r2);
	if (matcher_hash(r2.feat, r2.flen, hash2))
		fail_msg("matcher_hash failed");
	int d = matcher_hash_distance(hash, hash2);
	if (d > 40)
		fail_msg("hash distance of a rotated rendering expected <= 40, got %d", d);
	/* Another seal lands far. */
	p.rotation_deg = 0;
	p.name = "咸阳市渭河示例贸易有限公司";
	image_fini(&r2.img);
	ref_make(&p, &r2);
	if (matcher_hash(r2.feat, r2.flen, hash2))
		fail_msg("matcher_hash failed");
	int d2 = matcher_hash_distance(hash, hash2);
	if (d2 <= d)
		fail_msg("hash distance to another seal (%d) expected above the rotated one (%d)",
		         d2, d);
	/* Corrupt blobs are refused. */
	r.feat[0] ^= 1;
	if (matcher_hash(r.feat, r.flen, hash) != SEAL_ECORRUPT)
		fail_msg("matcher_hash of a corrupt blob: expected corrupt");
	image_fini(&r.img);
	image_fini(&r2.img);
}

static void
test_bad_arguments(void **state)
{
	struct image blank;
	uint8_t buf[SEAL_FEATURES_MAX_BYTES];
	size_t len;
	struct match_result res;
	(void)state;

	if (matcher_features(NULL, buf, sizeof(buf), &len) != SEAL_EINVAL)
		fail_msg("matcher_features(NULL): expected invalid");
	page_make(&blank, 300, 300);
	int rc = matcher_features(&blank, buf, sizeof(buf), &len);
	if (rc != SEAL_ENOSEAL)
		fail_msg("features of a blank page: expected no_seal_found, got %s",
		         seal_errname(rc));
	if (matcher_features(&blank, buf, 8, &len) != SEAL_ETOOBIG)
		fail_msg("features into 8 bytes: expected too_big");
	if (matcher_compare(NULL, NULL, 0, &blank, &res) != SEAL_EINVAL)
		fail_msg("matcher_compare(NULL ref): expected invalid");
	if (strcmp(match_verdict_name(MATCH_MATCH), "match") ||
	    strcmp(match_verdict_name(MATCH_MISMATCH), "mismatch") ||
	    strcmp(match_verdict_name(MATCH_INCONCLUSIVE), "inconclusive") ||
	    strcmp(match_verdict_name((enum match_verdict)42), "unknown"))
		fail_msg("match_verdict_name: unexpected names");
	image_fini(&blank);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rotations_match),
	    cmocka_unit_test(test_scales_match),
	    cmocka_unit_test(test_damaged_match),
	    cmocka_unit_test(test_jpeg_q40_match),
	    cmocka_unit_test(test_other_font_mismatch),
	    cmocka_unit_test(test_wider_arc_mismatch),
	    cmocka_unit_test(test_thicker_border_mismatch),
	    cmocka_unit_test(test_blank_page),
	    cmocka_unit_test(test_two_seals_right_one),
	    cmocka_unit_test(test_tinted_page_header),
	    cmocka_unit_test(test_other_shapes_match),
	    cmocka_unit_test(test_features_golden),
	    cmocka_unit_test(test_bad_arguments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
