/*
 * qr.c - QR encoding with libqrencode, decoding with zbar.
 *
 * Encoding: QRcode_encodeData() in 8-bit mode at level M gives a square of
 * modules (bit 0 of each byte: dark); each module becomes a module_px square
 * in a grey struct image with a white quiet zone, which image_encode_png()
 * turns into a PNG.
 *
 * Decoding: the image is converted to 8-bit luma (BT.601 weights) and handed
 * to a zbar image scanner as a Y800 frame with every symbology disabled except
 * QR.  zbar reads the frame in place, so the grey buffer lives until the zbar
 * image is destroyed.  A large image is also scanned as a 2x2-averaged
 * half-size copy: after the full-size scan failed, or, for very large
 * photos, before it (the half-size scan costs a quarter).
 */
#include "verify/qr.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <qrencode.h>
#include <zbar.h>

#include "common/errors.h"
#include "common/limits.h"

int
qr_encode_png(const char *text, int module_px, int margin_modules, uint8_t **png, size_t *len)
{
	QRcode *qr = NULL;
	struct image img = {0};
	size_t n;
	int rc, side;

	if (png)
		*png = NULL;
	if (len)
		*len = 0;
	if (!text || !png || !len || module_px < 1 || module_px > QR_MODULE_PX_MAX ||
	    margin_modules < 0 || margin_modules > QR_MARGIN_MAX)
		return SEAL_EINVAL;
	n = strnlen(text, SEAL_QR_PAYLOAD_MAX + 1);
	if (n == 0)
		return SEAL_EINVAL;
	if (n > SEAL_QR_PAYLOAD_MAX)
		return SEAL_ETOOBIG;
	errno = 0;
	qr = QRcode_encodeData((int)n, (const unsigned char *)text, 0, QR_ECLEVEL_M);
	if (!qr) {
		rc = errno == ENOMEM ? SEAL_ENOMEM : errno == ERANGE ? SEAL_ETOOBIG : SEAL_EINVAL;
		goto out;
	}
	side = (qr->width + 2 * margin_modules) * module_px;
	rc = image_alloc(&img, side, side, 1, 255);
	if (rc)
		goto out;
	for (int my = 0; my < qr->width; my++) {
		for (int mx = 0; mx < qr->width; mx++) {
			int x0 = (mx + margin_modules) * module_px;
			int y0 = (my + margin_modules) * module_px;

			if (!(qr->data[my * qr->width + mx] & 1))
				continue;
			for (int y = y0; y < y0 + module_px; y++)
				memset(img.pixels + (size_t)y * img.stride + x0, 0,
				       (size_t)module_px);
		}
	}
	rc = image_encode_png(&img, png, len);
out:
	QRcode_free(qr);
	image_fini(&img);
	return rc;
}

/* 8-bit luma of img as a packed w x h buffer (malloc'ed). */
static uint8_t *
grey_from_image(const struct image *img)
{
	size_t w = (size_t)img->width, h = (size_t)img->height;
	uint8_t *g = malloc(w * h);

	if (!g)
		return NULL;
	for (size_t y = 0; y < h; y++) {
		const uint8_t *s = img->pixels + y * img->stride;
		uint8_t *d = g + y * w;

		if (img->channels == 1) {
			memcpy(d, s, w);
			continue;
		}
		for (size_t x = 0; x < w; x++, s += 3)
			d[x] = (uint8_t)((77u * s[0] + 150u * s[1] + 29u * s[2] + 128) >> 8);
	}
	return g;
}

/* A (w/2) x (h/2) copy of g, each pixel the mean of a 2x2 block. */
static uint8_t *
grey_half(const uint8_t *g, int w, int h)
{
	int hw = w / 2, hh = h / 2;
	uint8_t *d = malloc((size_t)hw * hh);

	if (!d)
		return NULL;
	for (int y = 0; y < hh; y++) {
		const uint8_t *r0 = g + (size_t)(2 * y) * w, *r1 = r0 + w;

		for (int x = 0; x < hw; x++)
			d[(size_t)y * hw + x] =
			    (uint8_t)((r0[2 * x] + r0[2 * x + 1] + r1[2 * x] + r1[2 * x + 1] + 2) >>
			              2);
	}
	return d;
}

/* Scan one grey frame.  Returns 0 with the payload copied, or an error. */
static int
scan_grey(const uint8_t *g, int w, int h, char *out, size_t cap, size_t *len)
{
	zbar_image_scanner_t *scanner = NULL;
	zbar_image_t *zimg = NULL;
	const zbar_symbol_t *sym;
	int rc = SEAL_ENOMEM, found;

	scanner = zbar_image_scanner_create();
	zimg = zbar_image_create();
	if (!scanner || !zimg)
		goto out;
	zbar_image_scanner_set_config(scanner, ZBAR_NONE, ZBAR_CFG_ENABLE, 0);
	zbar_image_scanner_set_config(scanner, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
	/* First every second scan line and column: a QR of ordinary size spans
	 * many lines, and this halves zbar's scan, the bulk of a decode.  Small
	 * or faint codes get the full-density pass below. */
	zbar_image_scanner_set_config(scanner, 0, ZBAR_CFG_X_DENSITY, 2);
	zbar_image_scanner_set_config(scanner, 0, ZBAR_CFG_Y_DENSITY, 2);
	zbar_image_set_format(zimg, zbar_fourcc('Y', '8', '0', '0'));
	zbar_image_set_size(zimg, (unsigned)w, (unsigned)h);
	zbar_image_set_data(zimg, g, (unsigned long)w * (unsigned long)h, NULL);
	found = zbar_scan_image(scanner, zimg);
	if (found <= 0) {
		zbar_image_scanner_set_config(scanner, 0, ZBAR_CFG_X_DENSITY, 1);
		zbar_image_scanner_set_config(scanner, 0, ZBAR_CFG_Y_DENSITY, 1);
		found = zbar_scan_image(scanner, zimg);
	}
	rc = SEAL_ENOQR;
	if (found <= 0)
		goto out;
	for (sym = zbar_image_first_symbol(zimg); sym; sym = zbar_symbol_next(sym)) {
		const char *data;
		size_t n;

		if (zbar_symbol_get_type(sym) != ZBAR_QRCODE)
			continue;
		data = zbar_symbol_get_data(sym);
		n = zbar_symbol_get_data_length(sym);
		if (!data)
			continue;
		if (n > SEAL_QR_PAYLOAD_MAX || n >= cap) {
			rc = SEAL_ETOOBIG;
			goto out;
		}
		memcpy(out, data, n);
		out[n] = '\0';
		*len = n;
		rc = 0;
		goto out;
	}
out:
	if (zimg)
		zbar_image_destroy(zimg);
	if (scanner)
		zbar_image_scanner_destroy(scanner);
	return rc;
}

int
qr_decode(const struct image *img, char *out, size_t cap, size_t *len)
{
	uint8_t *grey = NULL, *half = NULL;
	int rc, w, h;

	if (len)
		*len = 0;
	if (out && cap)
		out[0] = '\0';
	if (!img || !out || !len || cap == 0 || !img->pixels || img->width <= 0 ||
	    img->height <= 0 || (img->channels != 1 && img->channels != 3) ||
	    img->stride < (size_t)img->width * (size_t)img->channels)
		return SEAL_EINVAL;
	grey = grey_from_image(img);
	if (!grey)
		return SEAL_ENOMEM;
	w = img->width;
	h = img->height;
	if ((w >= QR_DOWNSCALE_MIN_SIDE || h >= QR_DOWNSCALE_MIN_SIDE) && w >= 2 && h >= 2) {
		half = grey_half(grey, w, h);
		if (!half) {
			rc = SEAL_ENOMEM;
			goto out;
		}
	}
	if (half && (uint64_t)w * (uint64_t)h >= QR_HALF_FIRST_PIXELS) {
		rc = scan_grey(half, w / 2, h / 2, out, cap, len);
		if (rc == SEAL_ENOQR)
			rc = scan_grey(grey, w, h, out, cap, len);
	} else {
		rc = scan_grey(grey, w, h, out, cap, len);
		if (rc == SEAL_ENOQR && half)
			rc = scan_grey(half, w / 2, h / 2, out, cap, len);
	}
out:
	if (rc)
		out[0] = '\0';
	free(grey);
	free(half);
	return rc;
}
