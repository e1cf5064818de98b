/*
 * itfix.c - image fixtures for the integration tests (tests/integration/run.py).
 *
 *   itfix render OUT [seal options]     a reference impression on white
 *   itfix stamp OUT [seal options]      the seal stamped over a printed page
 *   itfix qr TEXT OUT                   TEXT as a QR code (any payload, e.g. forged)
 *   itfix photo-qr QR.png OUT           a QR image pasted into a larger photo
 *   itfix photo OUT                     a photo-like picture without any QR code
 *   itfix blank OUT W H                 a white picture (no seal, no QR)
 *
 * Seal options: --shape round|oval|square --name TEXT [--type TEXT] [--code TEXT]
 * [--size PX] [--rotation DEG] [--x PX --y PX] (stamp: centre on the page).
 * OUT ending in .jpg or .jpeg is written as JPEG (quality 90), otherwise PNG.
 *
 * Photos are deterministic: a lit gradient, a few flat "objects" and mild
 * pseudo-random sensor noise from a fixed seed, so every run sends the same bytes.
 * Exit status 0 on success, 1 on failure, 2 on a usage error.
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/limits.h"
#include "import/render.h"
#include "tests/support/imgfix.h"
#include "verify/image.h"
#include "verify/qr.h"

#define ITFIX_FILE_MAX (SEAL_UPLOAD_MAX_BYTES + 1)
#define ITFIX_JPEG_QUALITY 90
#define ITFIX_PAGE_W 1000
#define ITFIX_PAGE_H 1100
#define ITFIX_PHOTO_W 1400
#define ITFIX_PHOTO_H 1000

static uint32_t rng_state = 12345u;

/* A small deterministic generator (xorshift32). */
static uint32_t
rng_next(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Write len bytes to path. */
static int
write_file(const char *path, const uint8_t *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	int rc = 0;

	if (f == NULL)
		return SEAL_EIO;
	if (fwrite(data, 1, len, f) != len)
		rc = SEAL_EIO;
	if (fclose(f) != 0)
		rc = SEAL_EIO;
	return rc;
}

/* Read a whole file (at most ITFIX_FILE_MAX bytes) into a malloc'ed buffer. */
static int
read_file(const char *path, uint8_t **data, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t n;
	int rc = SEAL_EIO;

	*data = NULL;
	*len = 0;
	if (f == NULL)
		return SEAL_EIO;
	buf = malloc(ITFIX_FILE_MAX);
	if (buf == NULL) {
		rc = SEAL_ENOMEM;
		goto out;
	}
	n = fread(buf, 1, ITFIX_FILE_MAX, f);
	if (ferror(f))
		goto out;
	if (n >= ITFIX_FILE_MAX) {
		rc = SEAL_ETOOBIG;
		goto out;
	}
	*data = buf;
	*len = n;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	fclose(f);
	return rc;
}

/* Save an RGB or grey image as PNG or JPEG, chosen by the file name. */
static int
save_image(const char *path, const struct image *img)
{
	uint8_t *enc = NULL, *packed = NULL;
	size_t len = 0;
	int rc;

	if (ends_with(path, ".jpg") || ends_with(path, ".jpeg")) {
		size_t row = (size_t)img->width * (size_t)img->channels;
		struct imgfix_jpeg spec = {0};

		packed = malloc(row * (size_t)img->height);
		if (packed == NULL)
			return SEAL_ENOMEM;
		for (int y = 0; y < img->height; y++)
			memcpy(packed + (size_t)y * row, img->pixels + (size_t)y * img->stride,
			       row);
		spec.width = img->width;
		spec.height = img->height;
		spec.channels = img->channels;
		spec.pixels = packed;
		spec.quality = ITFIX_JPEG_QUALITY;
		rc = imgfix_jpeg_write(&spec, &enc, &len) == 0 ? 0 : SEAL_EIO;
	} else {
		rc = image_encode_png(img, &enc, &len);
	}
	if (rc == 0)
		rc = write_file(path, enc, len);
	free(enc);
	free(packed);
	return rc;
}

struct seal_opts {
	struct render_params p;
	int cx, cy;
};

/* Parse the seal options after the subcommand and OUT; returns 0 or 2 (usage). */
static int
parse_seal_opts(int argc, char **argv, struct seal_opts *o)
{
	static const struct option opts[] = {
	    {"shape", 1, 0, 's'}, {"name", 1, 0, 'n'}, {"type", 1, 0, 't'},
	    {"code", 1, 0, 'c'},  {"size", 1, 0, 'z'}, {"rotation", 1, 0, 'r'},
	    {"x", 1, 0, 'x'},     {"y", 1, 0, 'y'},    {0, 0, 0, 0}};
	int c;

	render_params_default(&o->p);
	o->p.size_px = 480;
	o->cx = ITFIX_PAGE_W / 2 + 60;
	o->cy = ITFIX_PAGE_H / 2 + 90;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		char *end = NULL;

		switch (c) {
		case 's':
			o->p.shape = optarg;
			break;
		case 'n':
			o->p.name = optarg;
			break;
		case 't':
			o->p.type_text = optarg;
			break;
		case 'c':
			o->p.code = optarg;
			break;
		case 'z':
			o->p.size_px = (int)strtol(optarg, &end, 10);
			break;
		case 'r':
			o->p.rotation_deg = strtod(optarg, &end);
			break;
		case 'x':
			o->cx = (int)strtol(optarg, &end, 10);
			break;
		case 'y':
			o->cy = (int)strtol(optarg, &end, 10);
			break;
		default:
			return 2;
		}
		if (end != NULL && *end != '\0') {
			fprintf(stderr, "itfix: bad number '%s'\n", optarg);
			return 2;
		}
	}
	if (o->p.name == NULL) {
		fprintf(stderr, "itfix: --name is required\n");
		return 2;
	}
	return 0;
}

static int
cmd_render(const char *out, struct seal_opts *o)
{
	struct image img;
	int rc = render_seal(&o->p, &img);

	if (rc != 0)
		return rc;
	rc = save_image(out, &img);
	image_fini(&img);
	return rc;
}

/* A white page with grey lines of "text"; the seal is multiplied over them. */
static int
cmd_stamp(const char *out, struct seal_opts *o)
{
	struct image page;
	int rc = image_alloc(&page, ITFIX_PAGE_W, ITFIX_PAGE_H, 3, 250);

	if (rc != 0)
		return rc;
	for (int y = 120; y < ITFIX_PAGE_H - 100; y += 46)
		for (int x = 80; x < ITFIX_PAGE_W - 80; x++)
			for (int t = 0; t < 6; t++)
				if ((x / 23) % 5 != 4)
					memset(page.pixels + (size_t)(y + t) * page.stride +
					           (size_t)x * 3,
					       40, 3);
	rc = render_seal_onto(&o->p, &page, o->cx, o->cy);
	if (rc == 0)
		rc = save_image(out, &page);
	image_fini(&page);
	return rc;
}

static int
cmd_qr(const char *text, const char *out)
{
	uint8_t *png = NULL;
	size_t len = 0;
	int rc = qr_encode_png(text, 6, 4, &png, &len);

	if (rc == 0)
		rc = write_file(out, png, len);
	free(png);
	return rc;
}

/* Fill img (RGB) with a photo-like scene: a warm lit gradient, a desk edge,
 * a few flat objects and noise of +-6 levels. */
static int
make_photo(struct image *img)
{
	int rc = image_alloc(img, ITFIX_PHOTO_W, ITFIX_PHOTO_H, 3, 0);

	if (rc != 0)
		return rc;
	for (int y = 0; y < img->height; y++) {
		uint8_t *row = img->pixels + (size_t)y * img->stride;

		for (int x = 0; x < img->width; x++) {
			int light = 150 + (60 * x) / img->width - (40 * y) / img->height;
			int r = light + 25, g = light + 5, b = light - 20;

			if (y > img->height * 3 / 4) { /* the desk */
				r = 120 + (x % 37 < 3 ? 15 : 0);
				g = 80;
				b = 50;
			}
			if (x > 90 && x < 330 && y > 120 && y < 420) { /* a mug */
				r = 40;
				g = 70;
				b = 150;
			}
			if (x > 1100 && x < 1300 && y > 600 && y < 700) { /* a book */
				r = 200;
				g = 60;
				b = 40;
			}
			int n = (int)(rng_next() % 13) - 6;
			int v[3] = {r + n, g + n, b + n};
			for (int c = 0; c < 3; c++)
				row[x * 3 + c] = (uint8_t)(v[c] < 0 ? 0 : v[c] > 255 ? 255 : v[c]);
		}
	}
	return 0;
}

static int
cmd_photo(const char *out)
{
	struct image img;
	int rc = make_photo(&img);

	if (rc == 0)
		rc = save_image(out, &img);
	image_fini(&img);
	return rc;
}

/* Paste the QR image (any size up to the photo's) into the photo at an offset,
 * slightly greyed as printed paper under room light, with the photo's noise. */
static int
cmd_photo_qr(const char *qr_path, const char *out)
{
	struct image photo = {0}, qr = {0};
	uint8_t *data = NULL;
	size_t len = 0;
	int rc = read_file(qr_path, &data, &len);

	if (rc != 0)
		goto out;
	rc = image_decode(data, len, NULL, &qr);
	if (rc != 0)
		goto out;
	rc = make_photo(&photo);
	if (rc != 0)
		goto out;
	if (qr.width + 500 > photo.width || qr.height + 260 > photo.height) {
		rc = SEAL_ETOOBIG;
		goto out;
	}
	for (int y = 0; y < qr.height; y++) {
		const uint8_t *src = qr.pixels + (size_t)y * qr.stride;
		uint8_t *dst = photo.pixels + (size_t)(y + 230) * photo.stride + (size_t)470 * 3;

		for (int x = 0; x < qr.width * 3; x++) {
			int v = 20 + (src[x] * 200) / 255 + (int)(rng_next() % 9) - 4;
			dst[x] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
		}
	}
	rc = save_image(out, &photo);
out:
	image_fini(&photo);
	image_fini(&qr);
	free(data);
	return rc;
}

static int
cmd_blank(const char *out, const char *w, const char *h)
{
	struct image img;
	char *end1 = NULL, *end2 = NULL;
	long width = strtol(w, &end1, 10), height = strtol(h, &end2, 10);
	int rc;

	if (*end1 != '\0' || *end2 != '\0' || width < 1 || height < 1 || width > 4096 ||
	    height > 4096)
		return SEAL_EINVAL;
	rc = image_alloc(&img, (int)width, (int)height, 3, 255);
	if (rc == 0)
		rc = save_image(out, &img);
	image_fini(&img);
	return rc;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: itfix render|stamp OUT --shape S --name N [--type T] [--code C]\n"
	           "                    [--size PX] [--rotation DEG] [--x PX --y PX]\n"
	           "       itfix qr TEXT OUT\n"
	           "       itfix photo-qr QR.png OUT\n"
	           "       itfix photo OUT\n"
	           "       itfix blank OUT W H\n"
	           "OUT ending in .jpg is written as JPEG, otherwise PNG.\n");
}

int
main(int argc, char **argv)
{
	struct seal_opts so;
	int rc;

	if (argc < 3) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "render") == 0 || strcmp(argv[1], "stamp") == 0) {
		/* getopt sees "OUT" as argv[0]: shift by two. */
		rc = parse_seal_opts(argc - 2, argv + 2, &so);
		if (rc != 0) {
			usage(stderr);
			return 2;
		}
		rc = argv[1][0] == 'r' ? cmd_render(argv[2], &so) : cmd_stamp(argv[2], &so);
	} else if (strcmp(argv[1], "qr") == 0 && argc == 4) {
		rc = cmd_qr(argv[2], argv[3]);
	} else if (strcmp(argv[1], "photo-qr") == 0 && argc == 4) {
		rc = cmd_photo_qr(argv[2], argv[3]);
	} else if (strcmp(argv[1], "photo") == 0 && argc == 3) {
		rc = cmd_photo(argv[2]);
	} else if (strcmp(argv[1], "blank") == 0 && argc == 5) {
		rc = cmd_blank(argv[2], argv[3], argv[4]);
	} else {
		usage(stderr);
		return 2;
	}
	if (rc != 0) {
		fprintf(stderr, "itfix %s: %s\n", argv[1], seal_strerror(rc));
		return 1;
	}
	return 0;
}
