/*
 * imgfix.h - test-only writers of PNG and JPEG fixtures.
 *
 * The image module only writes 8-bit grey and RGB PNGs; the tests also need
 * palette, 16-bit, alpha and interlaced PNGs and JPEGs with an EXIF
 * orientation, and QR codes beyond the product's payload cap, so these
 * helpers drive libpng, libjpeg and libqrencode directly.  Linked
 * into every test binary (tests/support/); never used by the product.
 * All functions return 0 or -1 and hand back a malloc'ed buffer the caller
 * frees.
 */
#ifndef SEAL_TESTS_IMGFIX_H
#define SEAL_TESTS_IMGFIX_H

#include <stddef.h>
#include <stdint.h>

enum imgfix_color { IMGFIX_GREY, IMGFIX_RGB, IMGFIX_PALETTE, IMGFIX_GREY_ALPHA, IMGFIX_RGBA };

struct imgfix_png {
	int width, height;
	enum imgfix_color color;
	int bit_depth;          /* 1, 2, 4, 8 or 16 as PNG allows for color */
	int interlace;          /* 1: Adam7 */
	const uint8_t *rows;    /* raw PNG rows (16-bit samples big-endian, packed bits) */
	size_t stride;          /* bytes from one row to the next in rows */
	const uint8_t *palette; /* RGB triples, for IMGFIX_PALETTE */
	int npalette;
	const uint8_t *trns; /* palette alpha values (tRNS), may be NULL */
	int ntrns;
};

/* Write spec as a PNG. */
int imgfix_png_write(const struct imgfix_png *spec, uint8_t **out, size_t *len);

struct imgfix_jpeg {
	int width, height;
	int channels;          /* 1 (grey JPEG), 3 (RGB) or 4 (CMYK, stored as given) */
	const uint8_t *pixels; /* packed rows, width * channels bytes each */
	int quality;           /* 1-100 */
	int progressive;
	int orientation; /* 0: no EXIF segment; 1-8: APP1 Exif with that tag */
	int big_endian;  /* EXIF byte order MM instead of II */
};

/* Write spec as a JPEG. */
int imgfix_jpeg_write(const struct imgfix_jpeg *spec, uint8_t **out, size_t *len);

/* Draw n bytes of data as a QR code (level M, 8-bit mode, any length
 * libqrencode accepts, unlike qr_encode_png) into a malloc'ed grey square of
 * *side x *side pixels: black modules of module_px pixels on white, margin
 * modules of quiet zone. */
int imgfix_qr_grey(const void *data, size_t n, int module_px, int margin, uint8_t **px, int *side);

#endif
