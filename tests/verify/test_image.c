/*
 * test_image.c - decoding and encoding of PNG and JPEG (verify/image.h).
 *
 * Fixtures are generated here: 8-bit grey/RGB PNGs with image_encode_png
 * itself, the other PNG flavours and JPEGs with tests/support/imgfix.  Each
 * test asserts decoded pixel values, not merely success.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/errors.h"
#include "tests/support/imgfix.h"
#include "verify/image.h"

/* A pattern with distinct values per channel, row and column. */
static uint8_t
pat(int x, int y, int c)
{
	return (uint8_t)((x * 13 + y * 7 + c * 85) & 255);
}

static void
expect_rc(int want, int got, const char *what)
{
	if (want != got)
		fail_msg("%s: expected %s (%d), got %s (%d)", what, seal_errname(want), want,
		         seal_errname(got), got);
}

static void
expect_px(const struct image *img, int x, int y, int r, int g, int b, int tol, const char *what)
{
	const uint8_t *p = img->pixels + (size_t)y * img->stride + (size_t)x * 3;

	if (abs(p[0] - r) > tol || abs(p[1] - g) > tol || abs(p[2] - b) > tol)
		fail_msg("%s: pixel (%d,%d) expected (%d,%d,%d) +-%d, got (%d,%d,%d)", what, x, y,
		         r, g, b, tol, p[0], p[1], p[2]);
}

static void
expect_dims(const struct image *img, int w, int h)
{
	if (img->width != w || img->height != h || img->channels != 3 ||
	    img->stride < (size_t)w * 3 || !img->pixels)
		fail_msg("expected %dx%d RGB, got %dx%d channels %d stride %zu", w, h, img->width,
		         img->height, img->channels, img->stride);
}

static void
test_png_rgb_round_trip(void **state)
{
	struct image src, dec;
	uint8_t *png;
	size_t len;
	enum image_format fmt;
	int w, h;

	(void)state;
	expect_rc(0, image_alloc(&src, 37, 23, 3, 0), "alloc");
	for (int y = 0; y < 23; y++)
		for (int x = 0; x < 37; x++)
			for (int c = 0; c < 3; c++)
				src.pixels[y * src.stride + x * 3 + c] = pat(x, y, c);
	expect_rc(0, image_encode_png(&src, &png, &len), "encode");
	expect_rc(0, image_probe(png, len, &fmt, &w, &h), "probe");
	assert_int_equal(fmt, IMAGE_FORMAT_PNG);
	assert_int_equal(w, 37);
	assert_int_equal(h, 23);
	expect_rc(0, image_decode(png, len, NULL, &dec), "decode");
	expect_dims(&dec, 37, 23);
	for (int y = 0; y < 23; y++)
		assert_memory_equal(dec.pixels + y * dec.stride, src.pixels + y * src.stride,
		                    37 * 3);
	free(png);
	image_fini(&src);
	image_fini(&dec);
	image_fini(&dec); /* twice is harmless */
}

static void
test_png_grey_round_trip(void **state)
{
	struct image src, dec;
	uint8_t *png;
	size_t len;

	(void)state;
	expect_rc(0, image_alloc(&src, 19, 11, 1, 0), "alloc");
	for (int y = 0; y < 11; y++)
		for (int x = 0; x < 19; x++)
			src.pixels[y * src.stride + x] = pat(x, y, 0);
	expect_rc(0, image_encode_png(&src, &png, &len), "encode");
	expect_rc(0, image_decode(png, len, NULL, &dec), "decode");
	expect_dims(&dec, 19, 11);
	for (int y = 0; y < 11; y++)
		for (int x = 0; x < 19; x++) {
			int v = pat(x, y, 0);
			expect_px(&dec, x, y, v, v, v, 0, "grey");
		}
	free(png);
	image_fini(&src);
	image_fini(&dec);
}

/* Decode a fixture PNG described by spec into dec (asserting success). */
static void
decode_fixture_png(const struct imgfix_png *spec, struct image *dec)
{
	uint8_t *png;
	size_t len;

	assert_int_equal(imgfix_png_write(spec, &png, &len), 0);
	expect_rc(0, image_decode(png, len, NULL, dec), "decode fixture");
	expect_dims(dec, spec->width, spec->height);
	free(png);
}

static void
test_png_palette_trns(void **state)
{
	static const uint8_t pal[] = {255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30};
	static const uint8_t trns[] = {0, 255, 255, 255}; /* index 0 fully transparent */
	const int w = 13, h = 9;
	uint8_t rows[9 * 13];
	struct imgfix_png spec = {w, h, IMGFIX_PALETTE, 8, 0, rows, 13, pal, 4, trns, 4};
	struct image dec;

	(void)state;
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++)
			rows[y * w + x] = (uint8_t)((x + y) % 4);
	decode_fixture_png(&spec, &dec);
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			int i = (x + y) % 4;
			if (i == 0)
				expect_px(&dec, x, y, 255, 255, 255, 0, "transparent -> white");
			else
				expect_px(&dec, x, y, pal[3 * i], pal[3 * i + 1], pal[3 * i + 2], 0,
				          "palette");
		}
	image_fini(&dec);
}

static void
test_png_palette_4bit(void **state)
{
	static const uint8_t pal[] = {0, 0, 0, 200, 100, 50};
	uint8_t rows[4 * 2]; /* 4 rows of 3 pixels at 4 bits: 2 bytes each */
	struct imgfix_png spec = {3, 4, IMGFIX_PALETTE, 4, 0, rows, 2, pal, 2, NULL, 0};
	struct image dec;

	(void)state;
	for (int y = 0; y < 4; y++) {
		rows[2 * y] = (uint8_t)((y & 1) << 4 | ((y + 1) & 1));
		rows[2 * y + 1] = (uint8_t)((y & 1) << 4);
	}
	decode_fixture_png(&spec, &dec);
	expect_px(&dec, 0, 0, 0, 0, 0, 0, "4-bit palette");
	expect_px(&dec, 1, 0, 200, 100, 50, 0, "4-bit palette");
	expect_px(&dec, 0, 1, 200, 100, 50, 0, "4-bit palette");
	expect_px(&dec, 2, 3, 200, 100, 50, 0, "4-bit palette");
	image_fini(&dec);
}

static void
test_png_rgb16(void **state)
{
	const int w = 10, h = 6;
	uint8_t rows[6 * 10 * 6];
	struct imgfix_png spec = {w, h, IMGFIX_RGB, 16, 0, rows, (size_t)w * 6};
	struct image dec;

	(void)state;
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++)
			for (int c = 0; c < 3; c++) {
				rows[y * w * 6 + x * 6 + 2 * c] = pat(x, y, c);
				rows[y * w * 6 + x * 6 + 2 * c + 1] = 0x3F; /* low byte ignored */
			}
	decode_fixture_png(&spec, &dec);
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++)
			expect_px(&dec, x, y, pat(x, y, 0), pat(x, y, 1), pat(x, y, 2), 0,
			          "16-bit");
	image_fini(&dec);
}

static int
over_white(int c, int a)
{
	return (c * a + 255 * (255 - a) + 127) / 255;
}

static void
test_png_rgba_on_white(void **state)
{
	static const int alphas[] = {0, 128, 255, 64};
	const int w = 8, h = 5;
	uint8_t rows[5 * 8 * 4];
	struct imgfix_png spec = {w, h, IMGFIX_RGBA, 8, 0, rows, (size_t)w * 4};
	struct image dec;

	(void)state;
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			for (int c = 0; c < 3; c++)
				rows[(y * w + x) * 4 + c] = pat(x, y, c);
			rows[(y * w + x) * 4 + 3] = (uint8_t)alphas[x % 4];
		}
	decode_fixture_png(&spec, &dec);
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			int a = alphas[x % 4];
			expect_px(&dec, x, y, over_white(pat(x, y, 0), a),
			          over_white(pat(x, y, 1), a), over_white(pat(x, y, 2), a), 1,
			          "RGBA on white");
		}
	expect_px(&dec, 0, 0, 255, 255, 255, 0, "alpha 0 is white");
	image_fini(&dec);
}

static void
test_png_grey_alpha16(void **state)
{
	const int w = 4, h = 3;
	uint8_t rows[3 * 4 * 4];
	struct imgfix_png spec = {w, h, IMGFIX_GREY_ALPHA, 16, 0, rows, (size_t)w * 4};
	struct image dec;

	(void)state;
	for (int i = 0; i < w * h; i++) {
		rows[4 * i] = (uint8_t)(i * 20);
		rows[4 * i + 1] = 0;
		rows[4 * i + 2] = (i & 1) ? 255 : 0;
		rows[4 * i + 3] = (i & 1) ? 255 : 0;
	}
	decode_fixture_png(&spec, &dec);
	for (int i = 0; i < w * h; i++) {
		int v = (i & 1) ? i * 20 : 255;
		expect_px(&dec, i % w, i / w, v, v, v, 0, "grey+alpha 16-bit");
	}
	image_fini(&dec);
}

static void
test_png_grey1(void **state)
{
	uint8_t rows[3 * 2] = {0xA5, 0x80, 0x00, 0x00, 0xFF, 0xC0}; /* 10 pixels per row */
	struct imgfix_png spec = {10, 3, IMGFIX_GREY, 1, 0, rows, 2};
	struct image dec;

	(void)state;
	decode_fixture_png(&spec, &dec);
	expect_px(&dec, 0, 0, 255, 255, 255, 0, "1-bit");
	expect_px(&dec, 1, 0, 0, 0, 0, 0, "1-bit");
	expect_px(&dec, 8, 0, 255, 255, 255, 0, "1-bit");
	expect_px(&dec, 9, 0, 0, 0, 0, 0, "1-bit");
	expect_px(&dec, 5, 1, 0, 0, 0, 0, "1-bit");
	expect_px(&dec, 9, 2, 255, 255, 255, 0, "1-bit");
	image_fini(&dec);
}

static void
test_png_interlaced(void **state)
{
	const int w = 21, h = 17;
	uint8_t rows[17 * 21 * 3];
	struct imgfix_png spec = {w, h, IMGFIX_RGB, 8, 1, rows, (size_t)w * 3};
	struct image dec;

	(void)state;
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++)
			for (int c = 0; c < 3; c++)
				rows[(y * w + x) * 3 + c] = pat(x, y, c);
	decode_fixture_png(&spec, &dec);
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++)
			expect_px(&dec, x, y, pat(x, y, 0), pat(x, y, 1), pat(x, y, 2), 0,
			          "interlaced");
	image_fini(&dec);
}

/* Quadrants: top-left red, top-right green, bottom-left blue, bottom-right white. */
enum { Q_R, Q_G, Q_B, Q_W };
static const int qcol[4][3] = {{230, 20, 20}, {20, 200, 20}, {20, 20, 230}, {255, 255, 255}};

static uint8_t *
quadrants(int w, int h)
{
	uint8_t *px = malloc((size_t)w * h * 3);

	assert_non_null(px);
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			int q = (y >= h / 2) * 2 + (x >= w / 2);
			memcpy(px + (y * w + x) * 3,
			       (uint8_t[3]){(uint8_t)qcol[q][0], (uint8_t)qcol[q][1],
			                    (uint8_t)qcol[q][2]},
			       3);
		}
	return px;
}

static void
expect_quadrants(const struct image *img, const int q[4], const char *what)
{
	int w = img->width, h = img->height;
	int xs[2] = {w / 4, 3 * w / 4}, ys[2] = {h / 4, 3 * h / 4};

	for (int i = 0; i < 4; i++) {
		const int *c = qcol[q[i]];
		expect_px(img, xs[i & 1], ys[i >> 1], c[0], c[1], c[2], 12, what);
	}
}

static void
test_jpeg_rgb_and_progressive(void **state)
{
	const int w = 64, h = 32;
	uint8_t *px = quadrants(w, h), *jpg;
	size_t len;
	struct image dec;
	static const int q1[4] = {Q_R, Q_G, Q_B, Q_W};

	(void)state;
	for (int prog = 0; prog <= 1; prog++) {
		struct imgfix_jpeg spec = {w, h, 3, px, 95, prog, 0, 0};
		enum image_format fmt;
		int pw, ph;

		assert_int_equal(imgfix_jpeg_write(&spec, &jpg, &len), 0);
		expect_rc(0, image_probe(jpg, len, &fmt, &pw, &ph), "probe");
		assert_int_equal(fmt, IMAGE_FORMAT_JPEG);
		assert_int_equal(pw, w);
		assert_int_equal(ph, h);
		expect_rc(0, image_decode(jpg, len, NULL, &dec), "decode");
		expect_dims(&dec, w, h);
		expect_quadrants(&dec, q1, prog ? "progressive" : "baseline");
		image_fini(&dec);
		free(jpg);
	}
	free(px);
}

static void
test_jpeg_grey(void **state)
{
	const int w = 24, h = 16;
	uint8_t px[16 * 24], *jpg;
	size_t len;
	struct image dec;
	struct imgfix_jpeg spec = {w, h, 1, px, 100, 0, 0, 0};

	(void)state;
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++)
			px[y * w + x] = x < w / 2 ? 40 : 210;
	assert_int_equal(imgfix_jpeg_write(&spec, &jpg, &len), 0);
	expect_rc(0, image_decode(jpg, len, NULL, &dec), "decode grey JPEG");
	expect_dims(&dec, w, h);
	expect_px(&dec, 3, 8, 40, 40, 40, 4, "grey JPEG left");
	expect_px(&dec, 20, 8, 210, 210, 210, 4, "grey JPEG right");
	image_fini(&dec);
	free(jpg);
}

static void
test_jpeg_cmyk(void **state)
{
	/* Adobe CMYK as libjpeg writes it (inverted: 255 means no ink). */
	const int w = 32, h = 16;
	uint8_t px[16 * 32 * 4], *jpg;
	size_t len;
	struct image dec;
	struct imgfix_jpeg spec = {w, h, 4, px, 100, 0, 0, 0};

	(void)state;
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++)
			memcpy(px + (y * w + x) * 4,
			       x < w / 2 ? (uint8_t[4]){255, 0, 0, 255}
			                 : (uint8_t[4]){255, 255, 255, 128},
			       4);
	assert_int_equal(imgfix_jpeg_write(&spec, &jpg, &len), 0);
	expect_rc(0, image_decode(jpg, len, NULL, &dec), "decode CMYK JPEG");
	expect_dims(&dec, w, h);
	expect_px(&dec, 4, 8, 255, 0, 0, 6, "CMYK left");
	expect_px(&dec, 28, 8, 128, 128, 128, 6, "CMYK right");
	image_fini(&dec);
	free(jpg);
}

static void
test_jpeg_exif_orientation(void **state)
{
	/* Where each stored quadrant ends up once orientation o is applied. */
	static const int want[9][4] = {
	    {0},
	    {Q_R, Q_G, Q_B, Q_W}, /* 1 */
	    {Q_G, Q_R, Q_W, Q_B}, /* 2 mirror horizontal */
	    {Q_W, Q_B, Q_G, Q_R}, /* 3 rotate 180 */
	    {Q_B, Q_W, Q_R, Q_G}, /* 4 mirror vertical */
	    {Q_R, Q_B, Q_G, Q_W}, /* 5 transpose */
	    {Q_B, Q_R, Q_W, Q_G}, /* 6 rotate 90 clockwise */
	    {Q_W, Q_G, Q_B, Q_R}, /* 7 transverse */
	    {Q_G, Q_W, Q_R, Q_B}, /* 8 rotate 90 counter-clockwise */
	};
	const int w = 64, h = 32;
	uint8_t *px = quadrants(w, h);

	(void)state;
	for (int be = 0; be <= 1; be++)
		for (int o = 1; o <= 8; o++) {
			struct imgfix_jpeg spec = {w, h, 3, px, 95, 0, o, be};
			struct image dec;
			uint8_t *jpg;
			size_t len;
			char what[64];

			snprintf(what, sizeof(what), "orientation %d (%s)", o, be ? "MM" : "II");
			assert_int_equal(imgfix_jpeg_write(&spec, &jpg, &len), 0);
			expect_rc(0, image_decode(jpg, len, NULL, &dec), what);
			if (o >= 5)
				expect_dims(&dec, h, w);
			else
				expect_dims(&dec, w, h);
			expect_quadrants(&dec, want[o], what);
			image_fini(&dec);
			free(jpg);
		}
	free(px);
}

static void
test_truncated(void **state)
{
	const int w = 40, h = 40;
	uint8_t *px = quadrants(w, h), *jpg, *png;
	size_t jlen, plen;
	struct imgfix_jpeg spec = {w, h, 3, px, 90, 0, 0, 0};
	struct image src = {w, h, 3, (size_t)w * 3, px}, dec;

	(void)state;
	assert_int_equal(imgfix_jpeg_write(&spec, &jpg, &jlen), 0);
	expect_rc(0, image_encode_png(&src, &png, &plen), "encode");
	/* Any cut after the magic bytes is corrupt, never a success. */
	for (size_t cut = 8; cut < plen; cut += 7)
		expect_rc(SEAL_EIMAGE, image_decode(png, cut, NULL, &dec), "truncated PNG");
	for (size_t cut = 3; cut < jlen - 2; cut += 5)
		expect_rc(SEAL_EIMAGE, image_decode(jpg, cut, NULL, &dec), "truncated JPEG");
	assert_null(dec.pixels);
	assert_int_equal(dec.width, 0);
	/* Cut inside the entropy-coded data but closed with EOI: libjpeg would
	 * pad with grey, we refuse. */
	jpg[jlen / 2] = 0xFF;
	jpg[jlen / 2 + 1] = 0xD9;
	expect_rc(SEAL_EIMAGE, image_decode(jpg, jlen / 2 + 2, NULL, &dec), "cut JPEG + EOI");
	free(jpg);
	free(png);
	free(px);
}

static void
test_corrupt_never_crashes(void **state)
{
	const int w = 48, h = 48;
	uint8_t *px = quadrants(w, h), *jpg;
	size_t len;
	struct imgfix_jpeg spec = {w, h, 3, px, 90, 1, 6, 0};
	unsigned seed = 12345;

	(void)state;
	assert_int_equal(imgfix_jpeg_write(&spec, &jpg, &len), 0);
	for (int round = 0; round < 200; round++) {
		uint8_t *copy = malloc(len);
		struct image dec;
		int rc;

		assert_non_null(copy);
		memcpy(copy, jpg, len);
		for (int k = 0; k < 4; k++) {
			seed = seed * 1103515245u + 12345u;
			copy[4 + (seed >> 8) % (len - 4)] ^= (uint8_t)(1u << ((seed >> 4) & 7));
		}
		rc = image_decode(copy, len, NULL, &dec);
		if (rc != 0 && rc != SEAL_EIMAGE && rc != SEAL_EPIXELS)
			fail_msg("bit flips: expected 0, bad_image or image_too_large, got %s",
			         seal_errname(rc));
		if (rc == 0)
			assert_true(dec.width > 0 && dec.height > 0 && dec.pixels);
		image_fini(&dec);
		free(copy);
	}
	free(jpg);
	free(px);
}

static void
test_not_an_image(void **state)
{
	uint8_t junk[1000];
	struct image dec;
	unsigned seed = 7;

	(void)state;
	for (size_t i = 0; i < sizeof(junk); i++) {
		seed = seed * 1103515245u + 12345u;
		junk[i] = (uint8_t)(seed >> 16);
	}
	junk[0] = 'G'; /* make sure it is no magic by chance */
	expect_rc(SEAL_EIMAGE_FORMAT, image_decode(junk, sizeof(junk), NULL, &dec), "random");
	expect_rc(SEAL_EIMAGE_FORMAT, image_decode(junk, 0, NULL, &dec), "empty");
	expect_rc(SEAL_EIMAGE_FORMAT, image_decode("GIF89a", 6, NULL, &dec), "GIF");
	expect_rc(SEAL_EIMAGE_FORMAT, image_decode("\x89PNG", 4, NULL, &dec), "short PNG magic");
	assert_null(dec.pixels);
}

static void
test_huge_headers(void **state)
{
	/* PNG signature + IHDR 20000 x 20000 RGB; nothing after it. */
	static const uint8_t png[] = {0x89, 'P',  'N', 'G', '\r', '\n', 0x1a, '\n', 0,    0, 0,
	                              13,   'I',  'H', 'D', 'R',  0,    0,    0x4e, 0x20, 0, 0,
	                              0x4e, 0x20, 8,   2,   0,    0,    0,    0,    0,    0, 0};
	/* SOI, APP0 (short), SOF0 20000 x 20000, 3 components. */
	static const uint8_t jpg[] = {0xFF, 0xD8, 0xFF, 0xE0, 0,    4,    'J',  'F',  0xFF, 0xC0,
	                              0,    17,   8,    0x4e, 0x20, 0x4e, 0x20, 3,    1,    0x22,
	                              0,    2,    0x11, 1,    3,    0x11, 1,    0xFF, 0xD9};
	/* 11000 x 11000: each side allowed, the product (121 Mpx) not. */
	static const uint8_t jpg2[] = {0xFF, 0xD8, 0xFF, 0xC2, 0, 11,   8, 0x2a,
	                               0xf8, 0x2a, 0xf8, 1,    1, 0x11, 0};
	struct image dec;
	int w, h;

	(void)state;
	expect_rc(0, image_probe(png, sizeof(png), NULL, &w, &h), "probe PNG");
	assert_int_equal(w, 20000);
	assert_int_equal(h, 20000);
	expect_rc(SEAL_EPIXELS, image_decode(png, sizeof(png), NULL, &dec), "20000^2 PNG");
	expect_rc(0, image_probe(jpg, sizeof(jpg), NULL, &w, &h), "probe JPEG");
	assert_int_equal(w, 20000);
	assert_int_equal(h, 20000);
	expect_rc(SEAL_EPIXELS, image_decode(jpg, sizeof(jpg), NULL, &dec), "20000^2 JPEG");
	expect_rc(SEAL_EPIXELS, image_decode(jpg2, sizeof(jpg2), NULL, &dec), "11000^2 JPEG");
	assert_null(dec.pixels);
}

static uint32_t
crc32_png(const uint8_t *p, size_t n)
{
	uint32_t c = 0xFFFFFFFFu;

	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1)));
	}
	return ~c;
}

static void
put_be16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Small files whose headers promise far more pixels than their bytes could
 * hold (6000 x 6000, within the default limits) are refused as corrupt before
 * the decoder allocates for them. */
static void
test_bomb_headers(void **state)
{
	const int w = 16, h = 16;
	uint8_t *px = quadrants(w, h), *jpg, *png;
	size_t jlen, plen, i;
	struct imgfix_jpeg spec = {w, h, 3, px, 90, 1, 0, 0};
	struct image src = {w, h, 3, (size_t)w * 3, px}, dec;
	uint32_t crc;

	(void)state;
	assert_int_equal(imgfix_jpeg_write(&spec, &jpg, &jlen), 0);
	for (i = 2; i + 8 < jlen; i++)
		if (jpg[i] == 0xFF && jpg[i + 1] == 0xC2)
			break;
	assert_true(i + 8 < jlen);
	put_be16(jpg + i + 5, 6000);
	put_be16(jpg + i + 7, 6000);
	expect_rc(SEAL_EIMAGE, image_decode(jpg, jlen, NULL, &dec), "progressive 6000^2 in 1 KB");

	expect_rc(0, image_encode_png(&src, &png, &plen), "encode");
	png[16 + 2] = 0x17; /* width and height 0x1770 = 6000 */
	png[16 + 3] = 0x70;
	png[20 + 2] = 0x17;
	png[20 + 3] = 0x70;
	crc = crc32_png(png + 12, 17);
	png[29] = (uint8_t)(crc >> 24);
	png[30] = (uint8_t)(crc >> 16);
	png[31] = (uint8_t)(crc >> 8);
	png[32] = (uint8_t)crc;
	expect_rc(SEAL_EIMAGE, image_decode(png, plen, NULL, &dec), "PNG 6000^2 in 100 bytes");
	assert_null(dec.pixels);
	free(jpg);
	free(png);
	free(px);
}

static void
test_limits(void **state)
{
	struct image src, dec;
	uint8_t *png;
	size_t len;
	struct image_limits lim = IMAGE_LIMITS_DEFAULT;

	(void)state;
	expect_rc(0, image_alloc(&src, 100, 50, 3, 255), "alloc");
	expect_rc(0, image_encode_png(&src, &png, &len), "encode");
	lim.max_bytes = len - 1;
	expect_rc(SEAL_ETOOBIG, image_decode(png, len, &lim, &dec), "bytes over limit");
	lim.max_bytes = len;
	lim.max_pixels = 4999;
	expect_rc(SEAL_EPIXELS, image_decode(png, len, &lim, &dec), "pixels over limit");
	lim.max_pixels = 5000;
	lim.max_side = 99;
	expect_rc(SEAL_EPIXELS, image_decode(png, len, &lim, &dec), "side over limit");
	lim.max_side = 100;
	expect_rc(0, image_decode(png, len, &lim, &dec), "exactly at the limits");
	expect_px(&dec, 99, 49, 255, 255, 255, 0, "white");
	image_fini(&dec);
	{
		uint8_t *big = calloc(1, IMAGE_LIMITS_DEFAULT.max_bytes + 1);
		assert_non_null(big);
		memcpy(big, png, len);
		expect_rc(SEAL_ETOOBIG,
		          image_decode(big, IMAGE_LIMITS_DEFAULT.max_bytes + 1, NULL, &dec),
		          "default byte limit");
		free(big);
	}
	free(png);
	image_fini(&src);
}

static void
test_alloc_and_encode_args(void **state)
{
	struct image img;
	uint8_t *out = (uint8_t *)1;
	size_t len = 1;

	(void)state;
	expect_rc(SEAL_EINVAL, image_alloc(&img, 0, 5, 3, 0), "zero width");
	expect_rc(SEAL_EINVAL, image_alloc(&img, 5, 5, 2, 0), "two channels");
	expect_rc(SEAL_EPIXELS, image_alloc(&img, 20000, 20000, 1, 0), "too large");
	assert_null(img.pixels);
	expect_rc(SEAL_EINVAL, image_encode_png(&img, &out, &len), "encode empty image");
	assert_null(out);
	assert_int_equal(len, 0);
	expect_rc(0, image_alloc(&img, 3, 2, 1, 77), "alloc");
	assert_int_equal(img.pixels[5], 77);
	image_fini(&img);
	image_fini(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_png_rgb_round_trip),
	    cmocka_unit_test(test_png_grey_round_trip),
	    cmocka_unit_test(test_png_palette_trns),
	    cmocka_unit_test(test_png_palette_4bit),
	    cmocka_unit_test(test_png_rgb16),
	    cmocka_unit_test(test_png_rgba_on_white),
	    cmocka_unit_test(test_png_grey_alpha16),
	    cmocka_unit_test(test_png_grey1),
	    cmocka_unit_test(test_png_interlaced),
	    cmocka_unit_test(test_jpeg_rgb_and_progressive),
	    cmocka_unit_test(test_jpeg_grey),
	    cmocka_unit_test(test_jpeg_cmyk),
	    cmocka_unit_test(test_jpeg_exif_orientation),
	    cmocka_unit_test(test_truncated),
	    cmocka_unit_test(test_corrupt_never_crashes),
	    cmocka_unit_test(test_not_an_image),
	    cmocka_unit_test(test_huge_headers),
	    cmocka_unit_test(test_bomb_headers),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_alloc_and_encode_args),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
