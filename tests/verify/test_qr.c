/*
 * test_qr.c - QR encode and decode (verify/qr.h).
 *
 * A registry-style payload is encoded to PNG, decoded back through the image
 * module, then pasted into 1000x1000 white, noisy and photo-like scenes (also
 * as a JPEG) and found again.  Blank and noisy images without a code must
 * give SEAL_ENOQR; oversize payloads SEAL_ETOOBIG.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "common/errors.h"
#include "common/limits.h"
#include "tests/support/imgfix.h"
#include "verify/image.h"
#include "verify/qr.h"

/* 13-digit code, a dot and 86 base64url characters (a 64-byte signature). */
static const char payload[] =
    "https://seal.example/q/6101001000001."
    "q7Zl1x-3pX_0aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789-_abcdefghijklmnopqrstuvwxyzABCDEFGHIJ";

static void
expect_rc(int want, int got, const char *what)
{
	if (want != got)
		fail_msg("%s: expected %s (%d), got %s (%d)", what, seal_errname(want), want,
		         seal_errname(got), got);
}

static void
expect_payload(const struct image *img, const char *want, const char *what)
{
	char out[SEAL_QR_PAYLOAD_MAX + 1];
	size_t len = 99;
	int rc = qr_decode(img, out, sizeof(out), &len);

	expect_rc(0, rc, what);
	if (len != strlen(want) || strcmp(out, want) != 0)
		fail_msg("%s: expected payload '%s' (%zu bytes), got '%s' (%zu bytes)", what, want,
		         strlen(want), out, len);
}

static unsigned rng_state = 1;

static int
rng(int n)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return (int)((rng_state >> 8) % (unsigned)n);
}

static uint8_t
clamp(int v)
{
	return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/* A 1000x1000 RGB scene: 0 white, 1 uniform noise, 2 photo-like (gradient,
 * dark blobs and strokes, sensor noise). */
static void
make_scene(struct image *img, int kind)
{
	expect_rc(0, image_alloc(img, 1000, 1000, 3, 255), "alloc scene");
	rng_state = 42;
	if (kind == 0)
		return;
	for (int y = 0; y < img->height; y++)
		for (int x = 0; x < img->width; x++) {
			uint8_t *p = img->pixels + (size_t)y * img->stride + (size_t)x * 3;

			for (int c = 0; c < 3; c++)
				p[c] = kind == 1
				           ? (uint8_t)rng(256)
				           : clamp(120 + x / 10 - y / 14 + c * 15 + rng(31) - 15);
		}
	if (kind == 2)
		for (int k = 0; k < 60; k++) {
			int x0 = rng(960), y0 = rng(960), w = 5 + rng(40), h = 3 + rng(40);
			uint8_t v = (uint8_t)rng(90);

			for (int y = y0; y < y0 + h; y++)
				for (int x = x0; x < x0 + w; x++)
					memset(img->pixels + (size_t)y * img->stride +
					           (size_t)x * 3,
					       v, 3);
		}
}

/* Paste the grey QR picture qr (side x side) at (x0, y0), slightly tinted and
 * noisy as on paper. */
static void
paste_qr(struct image *img, const struct image *qr, int x0, int y0)
{
	for (int y = 0; y < qr->height; y++)
		for (int x = 0; x < qr->width; x++) {
			int v = qr->pixels[(size_t)y * qr->stride + (size_t)x * qr->channels];
			uint8_t *p =
			    img->pixels + (size_t)(y0 + y) * img->stride + (size_t)(x0 + x) * 3;
			int base = v < 128 ? 35 : 228;

			p[0] = clamp(base + rng(17) - 8);
			p[1] = clamp(base + rng(17) - 8);
			p[2] = clamp(base - 6 + rng(17) - 8);
		}
}

static void
qr_image(int module_px, struct image *qr)
{
	uint8_t *png;
	size_t len;

	expect_rc(0, qr_encode_png(payload, module_px, 4, &png, &len), "qr_encode_png");
	expect_rc(0, image_decode(png, len, NULL, qr), "decode QR PNG");
	free(png);
}

static void
test_round_trip_png(void **state)
{
	struct image qr;
	uint8_t *png;
	size_t len;
	enum image_format fmt;
	int w, h;

	(void)state;
	expect_rc(0, qr_encode_png(payload, 3, 4, &png, &len), "encode");
	expect_rc(0, image_probe(png, len, &fmt, &w, &h), "probe");
	assert_int_equal(fmt, IMAGE_FORMAT_PNG);
	assert_int_equal(w, h);
	if (w % 3 != 0 || w / 3 < 21 + 8)
		fail_msg("expected a side of (modules + 8) * 3 px, got %d", w);
	expect_rc(0, image_decode(png, len, NULL, &qr), "decode PNG");
	/* Top-left corner of the finder pattern is dark, the quiet zone white. */
	assert_int_equal(qr.pixels[(size_t)12 * qr.stride + 12 * 3], 0);
	assert_int_equal(qr.pixels[0], 255);
	expect_payload(&qr, payload, "PNG round trip");
	free(png);
	image_fini(&qr);
}

static void
test_grey_input(void **state)
{
	struct image qr, grey;

	(void)state;
	qr_image(2, &qr);
	expect_rc(0, image_alloc(&grey, qr.width, qr.height, 1, 0), "alloc grey");
	for (int y = 0; y < qr.height; y++)
		for (int x = 0; x < qr.width; x++)
			grey.pixels[(size_t)y * grey.stride + x] =
			    qr.pixels[(size_t)y * qr.stride + (size_t)x * 3];
	expect_payload(&grey, payload, "grey image");
	image_fini(&qr);
	image_fini(&grey);
}

static void
test_in_scenes(void **state)
{
	static const char *names[] = {"white", "noise", "photo-like"};
	struct image qr;

	(void)state;
	qr_image(4, &qr);
	for (int kind = 0; kind < 3; kind++) {
		struct image scene;
		char what[64];

		make_scene(&scene, kind);
		paste_qr(&scene, &qr, 317, 411);
		snprintf(what, sizeof(what), "QR in 1000x1000 %s scene", names[kind]);
		expect_payload(&scene, payload, what);
		image_fini(&scene);
	}
	image_fini(&qr);
}

static void
test_in_jpeg_photo(void **state)
{
	struct image qr, scene, dec;
	uint8_t *jpg;
	size_t len;

	(void)state;
	qr_image(3, &qr);
	make_scene(&scene, 2);
	paste_qr(&scene, &qr, 560, 120);
	{
		struct imgfix_jpeg spec = {1000, 1000, 3, scene.pixels, 80, 0, 0, 0};

		assert_int_equal(imgfix_jpeg_write(&spec, &jpg, &len), 0);
	}
	expect_rc(0, image_decode(jpg, len, NULL, &dec), "decode JPEG photo");
	expect_payload(&dec, payload, "QR in a 1000x1000 JPEG photo");
	free(jpg);
	image_fini(&dec);
	image_fini(&scene);
	image_fini(&qr);
}

static void
test_large_image(void **state)
{
	struct image qr, big;

	(void)state;
	/* 2400x2400 (below QR_HALF_FIRST_PIXELS) with coarse 14-pixel modules. */
	qr_image(14, &qr);
	expect_rc(0, image_alloc(&big, 2400, 2400, 3, 200), "alloc big");
	rng_state = 9;
	paste_qr(&big, &qr, 700, 900);
	expect_payload(&big, payload, "QR in a 2400x2400 image");
	image_fini(&big);

	/* 2600x2400 is scanned at half size first: found there. */
	expect_rc(0, image_alloc(&big, 2600, 2400, 3, 200), "alloc big");
	paste_qr(&big, &qr, 1500, 100);
	expect_payload(&big, payload, "QR in a 2600x2400 image");
	image_fini(&big);
	image_fini(&qr);

	/* 1-pixel modules vanish at half size: only the full-size scan after
	 * the half-size one can find them. */
	qr_image(1, &qr);
	expect_rc(0, image_alloc(&big, 2600, 2400, 3, 200), "alloc big");
	paste_qr(&big, &qr, 1200, 1300);
	expect_payload(&big, payload, "1-px QR in a 2600x2400 image");
	image_fini(&big);
	image_fini(&qr);
}

static void
test_no_qr(void **state)
{
	char out[64];
	size_t len = 5;

	(void)state;
	for (int kind = 0; kind < 3; kind++) {
		struct image scene;

		make_scene(&scene, kind);
		expect_rc(SEAL_ENOQR, qr_decode(&scene, out, sizeof(out), &len), "no QR in scene");
		assert_int_equal(len, 0);
		assert_string_equal(out, "");
		image_fini(&scene);
	}
	{
		struct image big;

		/* Blank and large: the half-size retry runs and finds nothing too. */
		expect_rc(0, image_alloc(&big, 1300, 1250, 1, 255), "alloc");
		expect_rc(SEAL_ENOQR, qr_decode(&big, out, sizeof(out), &len), "blank 1300x1250");
		image_fini(&big);
	}
}

static void
test_too_big(void **state)
{
	char big[SEAL_QR_PAYLOAD_MAX + 2];
	char out[SEAL_QR_PAYLOAD_MAX + 1];
	uint8_t *png = (uint8_t *)1, *px;
	size_t len = 1;
	int side;
	struct image img, qr;

	(void)state;
	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	expect_rc(SEAL_ETOOBIG, qr_encode_png(big, 2, 4, &png, &len), "encode 513 bytes");
	assert_null(png);
	assert_int_equal(len, 0);
	big[SEAL_QR_PAYLOAD_MAX] = '\0';
	expect_rc(0, qr_encode_png(big, 2, 4, &png, &len), "encode exactly the cap");
	free(png);
	expect_rc(SEAL_EPIXELS, qr_encode_png(big, QR_MODULE_PX_MAX, QR_MARGIN_MAX, &png, &len),
	          "512 bytes at 64 px per module");
	assert_null(png);

	/* A QR holding 600 bytes is refused when read. */
	memset(big, 'B', sizeof(big));
	{
		char data[600];

		memset(data, 'B', sizeof(data));
		assert_int_equal(imgfix_qr_grey(data, sizeof(data), 3, 4, &px, &side), 0);
	}
	img = (struct image){side, side, 1, (size_t)side, px};
	expect_rc(SEAL_ETOOBIG, qr_decode(&img, out, sizeof(out), &len), "600-byte payload");
	assert_string_equal(out, "");
	free(px);

	/* A normal payload with too small an output buffer. */
	qr_image(3, &qr);
	expect_rc(SEAL_ETOOBIG, qr_decode(&qr, out, 20, &len), "cap 20");
	expect_rc(SEAL_ETOOBIG, qr_decode(&qr, out, strlen(payload), &len), "no room for NUL");
	expect_rc(0, qr_decode(&qr, out, strlen(payload) + 1, &len), "exact room");
	image_fini(&qr);
}

static void
test_bad_args(void **state)
{
	uint8_t *png;
	size_t len;
	char out[8];
	struct image empty = {0};

	(void)state;
	expect_rc(SEAL_EINVAL, qr_encode_png("", 2, 4, &png, &len), "empty text");
	expect_rc(SEAL_EINVAL, qr_encode_png(NULL, 2, 4, &png, &len), "NULL text");
	expect_rc(SEAL_EINVAL, qr_encode_png("x", 0, 4, &png, &len), "module_px 0");
	expect_rc(SEAL_EINVAL, qr_encode_png("x", QR_MODULE_PX_MAX + 1, 4, &png, &len),
	          "module_px");
	expect_rc(SEAL_EINVAL, qr_encode_png("x", 2, -1, &png, &len), "margin -1");
	expect_rc(SEAL_EINVAL, qr_decode(&empty, out, sizeof(out), &len), "empty image");
	expect_rc(SEAL_EINVAL, qr_decode(NULL, out, sizeof(out), &len), "NULL image");
}

struct thread_job {
	const uint8_t *jpg;
	size_t len;
	int ok; /* decodes that gave the payload */
};

static void *
thread_decode(void *arg)
{
	struct thread_job *job = arg;

	for (int i = 0; i < 4; i++) {
		struct image dec;
		char out[SEAL_QR_PAYLOAD_MAX + 1];
		size_t n;

		if (image_decode(job->jpg, job->len, NULL, &dec) != 0)
			continue;
		if (qr_decode(&dec, out, sizeof(out), &n) == 0 && strcmp(out, payload) == 0)
			job->ok++;
		image_fini(&dec);
	}
	return NULL;
}

/* The server decodes on a worker pool: four threads at once must all succeed. */
static void
test_threads(void **state)
{
	struct image qr, scene;
	struct thread_job jobs[4];
	pthread_t tid[4];
	uint8_t *jpg;
	size_t len;

	(void)state;
	qr_image(3, &qr);
	make_scene(&scene, 2);
	paste_qr(&scene, &qr, 100, 600);
	{
		struct imgfix_jpeg spec = {1000, 1000, 3, scene.pixels, 85, 1, 6, 0};

		assert_int_equal(imgfix_jpeg_write(&spec, &jpg, &len), 0);
	}
	for (int t = 0; t < 4; t++) {
		jobs[t] = (struct thread_job){jpg, len, 0};
		assert_int_equal(pthread_create(&tid[t], NULL, thread_decode, &jobs[t]), 0);
	}
	for (int t = 0; t < 4; t++) {
		assert_int_equal(pthread_join(tid[t], NULL), 0);
		if (jobs[t].ok != 4)
			fail_msg("thread %d: expected 4 good decodes, got %d", t, jobs[t].ok);
	}
	free(jpg);
	image_fini(&scene);
	image_fini(&qr);
}

static double
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

#define TIMING_RUNS 20

static double
median(double *t)
{
	qsort(t, TIMING_RUNS, sizeof(*t), cmp_double);
	return (t[TIMING_RUNS / 2 - 1] + t[TIMING_RUNS / 2]) / 2;
}

/* Timings, only with SEAL_BENCH=1 in the environment (they assert nothing
 * about speed): image_decode and qr_decode of a 1000x1000 photo-like JPEG
 * holding a QR code, and image_decode of a 1.4-megapixel JPEG, medians of 20. */
static void
test_timing(void **state)
{
	double td[TIMING_RUNS], tq[TIMING_RUNS];
	struct image qr, scene;
	uint8_t *jpg;
	size_t len;

	(void)state;
	if (!getenv("SEAL_BENCH"))
		skip();
	qr_image(3, &qr);
	make_scene(&scene, 2);
	paste_qr(&scene, &qr, 560, 120);
	{
		struct imgfix_jpeg spec = {1000, 1000, 3, scene.pixels, 85, 0, 0, 0};

		assert_int_equal(imgfix_jpeg_write(&spec, &jpg, &len), 0);
	}
	for (int i = 0; i < TIMING_RUNS; i++) {
		struct image dec;
		char out[SEAL_QR_PAYLOAD_MAX + 1];
		size_t n;
		double t0 = now_ms(), t1, t2;

		expect_rc(0, image_decode(jpg, len, NULL, &dec), "decode");
		t1 = now_ms();
		expect_rc(0, qr_decode(&dec, out, sizeof(out), &n), "qr_decode");
		t2 = now_ms();
		td[i] = t1 - t0;
		tq[i] = t2 - t1;
		image_fini(&dec);
	}
	print_message("1000x1000 JPEG q85 (%zu bytes) with a %d px QR: image_decode %.1f ms, "
	              "qr_decode %.1f ms (medians of %d)\n",
	              len, qr.width, median(td), median(tq), TIMING_RUNS);
	free(jpg);
	image_fini(&scene);
	image_fini(&qr);

	expect_rc(0, image_alloc(&scene, 1400, 1000, 3, 0), "alloc");
	rng_state = 5;
	for (size_t i = 0; i < (size_t)1400 * 1000 * 3; i++)
		scene.pixels[i] = clamp((int)(i / 3 % 1400) / 8 + (int)(i / 4200) / 6 + rng(31));
	for (int prog = 0; prog <= 1; prog++) {
		struct imgfix_jpeg spec = {1400, 1000, 3, scene.pixels, 85, prog, 0, 0};

		assert_int_equal(imgfix_jpeg_write(&spec, &jpg, &len), 0);
		for (int i = 0; i < TIMING_RUNS; i++) {
			struct image dec;
			double t0 = now_ms();

			expect_rc(0, image_decode(jpg, len, NULL, &dec), "decode 1.4 Mpx");
			td[i] = now_ms() - t0;
			image_fini(&dec);
		}
		print_message("1400x1000 %s JPEG q85 (%zu bytes): image_decode %.1f ms (median of "
		              "%d)\n",
		              prog ? "progressive" : "baseline", len, median(td), TIMING_RUNS);
		free(jpg);
	}
	image_fini(&scene);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip_png), cmocka_unit_test(test_grey_input),
	    cmocka_unit_test(test_in_scenes),      cmocka_unit_test(test_in_jpeg_photo),
	    cmocka_unit_test(test_large_image),    cmocka_unit_test(test_no_qr),
	    cmocka_unit_test(test_too_big),        cmocka_unit_test(test_bad_args),
	    cmocka_unit_test(test_threads),        cmocka_unit_test(test_timing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
