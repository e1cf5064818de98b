/*
 * test_render.c - the seal-impression renderer (import/render.h).
 *
 * Needs the Debian fonts the renderer defaults to (fonts-wqy-zenhei; the font
 * comparison also fonts-noto-cjk); a test whose font is missing is skipped, not
 * failed.  Geometry checks use the documented layout: R = 0.475 * size_px, ring
 * width border_width * R, star at the centre, type text below it.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "common/errors.h"
#include "import/render.h"
#include "verify/image.h"

#define NOTO_SANS "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"

static int
have_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

static void
need_font(const char *path)
{
	if (!have_file(path)) {
		print_message("font %s not installed: skipped\n", path);
		skip();
	}
}

static void
expect_rc(int want, int got, const char *what)
{
	if (want != got)
		fail_msg("%s: expected %s (%d), got %s (%d)", what, seal_errname(want), want,
		         seal_errname(got), got);
}

static const uint8_t *
px_at(const struct image *img, int x, int y)
{
	return img->pixels + (size_t)y * img->stride + (size_t)x * 3;
}

static void
expect_px(const struct image *img, int x, int y, int r, int g, int b, int tol, const char *what)
{
	const uint8_t *p = px_at(img, x, y);
	if (abs(p[0] - r) > tol || abs(p[1] - g) > tol || abs(p[2] - b) > tol)
		fail_msg("%s: pixel (%d,%d) expected (%d,%d,%d) +-%d, got (%d,%d,%d)", what, x, y,
		         r, g, b, tol, p[0], p[1], p[2]);
}

/* Ink of one pixel: how far its green channel fell from white (0-255). */
static int
ink_of(const struct image *img, int x, int y)
{
	return 255 - px_at(img, x, y)[1];
}

/* Pixels with at least half ink inside [x0, x1) x [y0, y1). */
static long
ink_count(const struct image *img, int x0, int y0, int x1, int y1)
{
	long n = 0;
	for (int y = y0; y < y1; y++)
		for (int x = x0; x < x1; x++)
			if (ink_of(img, x, y) >= 128)
				n++;
	return n;
}

/* Pixels whose green channels differ by more than 64. */
static long
diff_count(const struct image *a, const struct image *b)
{
	long n = 0;
	for (int y = 0; y < a->height; y++)
		for (int x = 0; x < a->width; x++)
			if (abs(px_at(a, x, y)[1] - px_at(b, x, y)[1]) > 64)
				n++;
	return n;
}

static void
seal_params(struct render_params *p)
{
	render_params_default(p);
	p->name = "西安市秦岭测试有限公司";
	p->type_text = "合同专用章";
	p->code = "6101001000001";
}

static void
render_ok(const struct render_params *p, struct image *img, const char *what)
{
	int rc = render_seal(p, img);
	expect_rc(0, rc, what);
	if (img->width != p->size_px || img->height != p->size_px || img->channels != 3)
		fail_msg("%s: expected %dx%d RGB, got %dx%d channels %d", what, p->size_px,
		         p->size_px, img->width, img->height, img->channels);
}

static void
test_deterministic(void **state)
{
	(void)state;
	need_font(RENDER_DEFAULT_FONT);
	struct render_params p;
	struct image a, b;
	seal_params(&p);
	p.rotation_deg = 17.0;
	render_ok(&p, &a, "first render");
	render_ok(&p, &b, "second render");
	if (memcmp(a.pixels, b.pixels, (size_t)a.height * a.stride) != 0)
		fail_msg("same parameters: expected identical bytes, got a difference");
	image_fini(&a);
	image_fini(&b);

	/* Golden ink of a small render: catches unintended layout changes while
	 * tolerating rasteriser rounding of another FreeType release. */
	seal_params(&p);
	p.size_px = 160;
	render_ok(&p, &a, "160 px render");
	long sum = 0;
	for (int y = 0; y < a.height; y++)
		for (int x = 0; x < a.width; x++)
			sum += ink_of(&a, x, y);
	const long golden = 567796;
	if (labs(sum - golden) > golden / 100)
		fail_msg("160 px ink sum: expected %ld +-1%%, got %ld", golden, sum);
	image_fini(&a);
}

static void
test_ink_where_expected(void **state)
{
	(void)state;
	need_font(RENDER_DEFAULT_FONT);
	struct render_params p;
	struct image img;
	seal_params(&p);
	render_ok(&p, &img, "round 600");
	double R = 0.475 * 600, bw = 0.035 * R;
	int ring = (int)(300 - R + bw / 2); /* middle of the ring's width */

	/* Full-coverage ink is exactly the ink colour. */
	expect_px(&img, 300, ring, 220, 30, 40, 2, "ring top");
	expect_px(&img, 300, 599 - ring, 220, 30, 40, 2, "ring bottom");
	expect_px(&img, ring, 300, 220, 30, 40, 2, "ring left");
	expect_px(&img, 599 - ring, 300, 220, 30, 40, 2, "ring right");
	expect_px(&img, 300, 300, 220, 30, 40, 2, "star centre");
	expect_px(&img, 300, (int)(300 - 0.2 * R), 220, 30, 40, 2, "star upper point");
	expect_px(&img, 0, 0, 255, 255, 255, 0, "top-left corner");
	expect_px(&img, 599, 599, 255, 255, 255, 0, "bottom-right corner");
	expect_px(&img, 300, (int)(300 - 0.45 * R), 255, 255, 255, 0, "between star and name");
	expect_px(&img, 300, (int)(300 - R - 4), 255, 255, 255, 0, "just outside the ring");

	/* Type text below the star, name on the upper arc, code on the lower arc. */
	long type_ink = ink_count(&img, 220, (int)(300 + 0.45 * R), 380, (int)(300 + 0.6 * R));
	long name_ink = ink_count(&img, 250, (int)(300 - 0.93 * R), 350, (int)(300 - 0.72 * R));
	long code_ink = ink_count(&img, 250, (int)(300 + 0.8 * R), 350, (int)(300 + 0.92 * R));
	if (type_ink < 200 || name_ink < 200 || code_ink < 100)
		fail_msg("expected ink for type/name/code (>=200/200/100 px), got %ld/%ld/%ld",
		         type_ink, name_ink, code_ink);
	image_fini(&img);
}

static void
test_rotation(void **state)
{
	(void)state;
	need_font(RENDER_DEFAULT_FONT);
	struct render_params p;
	struct image a, b;
	seal_params(&p);
	p.size_px = 400;
	render_ok(&p, &a, "rotation 0");
	p.rotation_deg = 90.0;
	render_ok(&p, &b, "rotation 90");

	/* Counter-clockwise by 90 degrees: pixel (x, y) moves to (y, size - 1 - x). */
	int s = p.size_px;
	long ink = 0, bad = 0;
	for (int y = 0; y < s; y++)
		for (int x = 0; x < s; x++) {
			int va = ink_of(&a, x, y), vb = ink_of(&b, y, s - 1 - x);
			if (va >= 128)
				ink++;
			if (abs(va - vb) > 96)
				bad++;
		}
	if (ink < 5000 || bad > ink / 100)
		fail_msg("rotated 90: expected <1%% of %ld ink pixels to differ, got %ld", ink,
		         bad);

	/* The type text (below the star) is now right of it. */
	double R = 0.475 * s;
	int lo = (int)(0.45 * R), hi = (int)(0.6 * R), w = (int)(0.25 * R);
	long below_a = ink_count(&a, s / 2 - w, s / 2 + lo, s / 2 + w, s / 2 + hi);
	long right_b = ink_count(&b, s / 2 + lo, s / 2 - w, s / 2 + hi, s / 2 + w);
	long below_b = ink_count(&b, s / 2 - w, s / 2 + lo, s / 2 + w, s / 2 + hi);
	if (below_a < 100 || right_b < 100 || below_b > 10)
		fail_msg("type text: expected below at 0 deg (%ld >= 100), right at 90 deg "
		         "(%ld >= 100) and no longer below (%ld <= 10)",
		         below_a, right_b, below_b);
	image_fini(&a);
	image_fini(&b);
}

static void
test_missing_font(void **state)
{
	(void)state;
	struct render_params p;
	struct image img;
	seal_params(&p);
	p.font_path = "/nonexistent/dir/no-such-font.ttc";
	memset(&img, 0xAB, sizeof(img));
	expect_rc(SEAL_ENOTFOUND, render_seal(&p, &img), "missing font");
	if (img.pixels != NULL || img.width != 0)
		fail_msg("missing font: expected a zeroed image, got pixels %p width %d",
		         (void *)img.pixels, img.width);

	/* A file that exists but is no font. */
	p.font_path = "/etc/hostname";
	if (have_file(p.font_path))
		expect_rc(SEAL_EIO, render_seal(&p, &img), "not a font");
}

static void
test_bad_params(void **state)
{
	(void)state;
	need_font(RENDER_DEFAULT_FONT);
	struct render_params p;
	struct image img;

	seal_params(&p);
	p.shape = "hexagon";
	expect_rc(SEAL_EINVAL, render_seal(&p, &img), "unknown shape");
	seal_params(&p);
	p.size_px = 8;
	expect_rc(SEAL_EINVAL, render_seal(&p, &img), "tiny canvas");
	seal_params(&p);
	p.border_width = 0.0;
	expect_rc(SEAL_EINVAL, render_seal(&p, &img), "zero border");
	seal_params(&p);
	p.name = "";
	expect_rc(SEAL_ETEXT, render_seal(&p, &img), "empty name");
	seal_params(&p);
	p.name = "\xE4\xB8";
	expect_rc(SEAL_ETEXT, render_seal(&p, &img), "truncated UTF-8");
	seal_params(&p);
	p.type_text = "\xC0\xAF";
	expect_rc(SEAL_ETEXT, render_seal(&p, &img), "overlong UTF-8");
	seal_params(&p);
	p.name = "\xF0\x9F\x98\x80"; /* an emoji: not in wqy-zenhei */
	expect_rc(SEAL_ETEXT, render_seal(&p, &img), "character missing from the font");
	seal_params(&p);
	p.shape = "square";
	p.name = "欧阳小明之印";
	expect_rc(SEAL_EINVAL, render_seal(&p, &img), "square with 6 characters");
}

static void
test_shapes(void **state)
{
	(void)state;
	need_font(RENDER_DEFAULT_FONT);
	struct render_params p;
	struct image img;
	double R = 0.475 * 600;

	seal_params(&p);
	p.shape = "oval";
	render_ok(&p, &img, "oval");
	double B = 0.65 * R, bw = 0.035 * R;
	expect_px(&img, 300, (int)(300 - B + bw / 2), 220, 30, 40, 2, "oval ring top");
	expect_px(&img, (int)(300 - R + bw / 2), 300, 220, 30, 40, 2, "oval ring left");
	expect_px(&img, 300, (int)(300 - 0.85 * R), 255, 255, 255, 0, "above the oval");
	expect_px(&img, 300, 300, 255, 255, 255, 0, "oval: no star");
	if (ink_count(&img, 200, 300, 400, (int)(300 + 0.3 * B)) < 100)
		fail_msg("oval: expected the code across the middle");
	image_fini(&img);

	for (int white = 0; white <= 1; white++) {
		for (int n = 1; n <= 4; n++) {
			static const char *names[] = {"王", "王明", "王小明", "张磊之印"};
			char what[64];
			snprintf(what, sizeof(what), "square %d chars white %d", n, white);
			seal_params(&p);
			p.shape = "square";
			p.name = names[n - 1];
			p.white_text = white;
			render_ok(&p, &img, what);
			double h = 0.9 * R, sbw = 1.6 * 0.035 * R;
			expect_px(&img, (int)(300 - h + sbw / 2), 300, 220, 30, 40, 2, what);
			expect_px(&img, 300, (int)(300 + h - sbw / 2), 220, 30, 40, 2, what);
			expect_px(&img, 10, 10, 255, 255, 255, 0, what);
			long inner =
			    ink_count(&img, (int)(300 - h + sbw + 2), (int)(300 - h + sbw + 2),
			              (int)(300 + h - sbw - 2), (int)(300 + h - sbw - 2));
			long area = (long)(2 * h - 2 * sbw - 4) * (long)(2 * h - 2 * sbw - 4);
			/* Ink strokes cover a minority of the field; cut-out ones leave a majority.
			 */
			if (white ? inner < area / 2 : (inner < area / 50 || inner > area / 2))
				fail_msg("%s: inner ink %ld of %ld px out of range", what, inner,
				         area);
			image_fini(&img);
		}
	}
}

/* The matcher's tests rely on forgeries with small changes looking different. */
static void
test_changes_are_visible(void **state)
{
	(void)state;
	need_font(RENDER_DEFAULT_FONT);
	struct render_params p;
	struct image base, other;
	seal_params(&p);
	render_ok(&p, &base, "base");

	struct {
		const char *what;
		double span, border, star;
	} cases[] = {
	    {"arc span +5%", 240.0 * 1.05, 0.035, 0.25},
	    {"border +10%", 240.0, 0.035 * 1.1, 0.25},
	    {"star +5%", 240.0, 0.035, 0.25 * 1.05},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		seal_params(&p);
		p.arc_span_deg = cases[i].span;
		p.border_width = cases[i].border;
		p.star_radius = cases[i].star;
		render_ok(&p, &other, cases[i].what);
		long d = diff_count(&base, &other);
		if (d < 400)
			fail_msg("%s: expected >= 400 changed pixels, got %ld", cases[i].what, d);
		image_fini(&other);
	}
	if (have_file(NOTO_SANS)) {
		seal_params(&p);
		p.font_path = NOTO_SANS;
		p.face_index = 2; /* Noto Sans CJK SC */
		render_ok(&p, &other, "another font");
		long d = diff_count(&base, &other);
		if (d < 3000)
			fail_msg("another font: expected >= 3000 changed pixels, got %ld", d);
		image_fini(&other);
	}
	image_fini(&base);
}

static void
test_onto_page(void **state)
{
	(void)state;
	need_font(RENDER_DEFAULT_FONT);
	struct image page;
	struct render_params p;
	expect_rc(0, image_alloc(&page, 900, 700, 3, 255), "page");
	/* A black text line across the page. */
	for (int y = 340; y < 350; y++)
		memset(page.pixels + (size_t)y * page.stride, 0, page.stride);

	seal_params(&p);
	p.size_px = 400;
	expect_rc(0, render_seal_onto(&p, &page, 300, 350), "first seal");
	p.name = "咸阳市正凯隆实业有限公司";
	p.rotation_deg = -20.0;
	expect_rc(0, render_seal_onto(&p, &page, 560, 350), "second seal");
	/* Partly off the page: clipped, no out-of-bounds writes. */
	expect_rc(0, render_seal_onto(&p, &page, 5, 690), "seal at the corner");

	double R = 0.475 * 400;
	expect_px(&page, 300, 345, 0, 0, 0, 0, "black print under the star stays black");
	expect_px(&page, 300, 330, 220, 30, 40, 2, "star above the print line");
	expect_px(&page, 880, 20, 255, 255, 255, 0, "page outside the seals");
	/* Where both rings cross, ink multiplies: darker than one coat. */
	int xo = 430, yo = -1;
	for (int y = 350; y > 150 && yo < 0; y--) {
		double d1 = (xo - 300.0) * (xo - 300.0) + (y - 350.0) * (y - 350.0);
		double d2 = (xo - 560.0) * (xo - 560.0) + (y - 350.0) * (y - 350.0);
		if (fabs(sqrt(d1) - (R - 3)) < 1.0 && fabs(sqrt(d2) - (R - 3)) < 1.0)
			yo = y;
	}
	if (yo < 0)
		fail_msg("test geometry: rings do not cross");
	const uint8_t *c = px_at(&page, xo, yo);
	if (c[0] > 200 || c[1] > 10)
		fail_msg("ring crossing at (%d,%d): expected a double coat (R<=200, G<=10), got "
		         "(%d,%d,%d)",
		         xo, yo, c[0], c[1], c[2]);

	struct image grey;
	expect_rc(0, image_alloc(&grey, 100, 100, 1, 255), "grey canvas");
	expect_rc(SEAL_EINVAL, render_seal_onto(&p, &grey, 50, 50), "grey canvas refused");
	image_fini(&grey);
	image_fini(&page);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_deterministic),
	    cmocka_unit_test(test_ink_where_expected),
	    cmocka_unit_test(test_rotation),
	    cmocka_unit_test(test_missing_font),
	    cmocka_unit_test(test_bad_params),
	    cmocka_unit_test(test_shapes),
	    cmocka_unit_test(test_changes_are_visible),
	    cmocka_unit_test(test_onto_page),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
