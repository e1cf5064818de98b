/*
 * imgfix.c - test-only PNG and JPEG fixture writers (see imgfix.h).
 *
 * PNG goes through png_set_write_fn into a growing buffer; JPEG through
 * jpeg_mem_dest, with an APP1 Exif segment written right after the start of
 * compression (libjpeg places it after the JFIF APP0 header).  Errors
 * longjmp back and become -1.
 */
#include "tests/support/imgfix.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <png.h>
#include <qrencode.h>

struct fix_sink {
	uint8_t *buf;
	size_t len, cap;
};

static void
fix_png_write(png_structp png, png_bytep data, size_t len)
{
	struct fix_sink *s = png_get_io_ptr(png);

	if (s->cap - s->len < len) {
		size_t cap = s->cap ? s->cap : 4096;
		uint8_t *grown;

		while (cap - s->len < len)
			cap *= 2;
		grown = realloc(s->buf, cap);
		if (!grown)
			png_error(png, "oom");
		s->buf = grown;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, data, len);
	s->len += len;
}

static void
fix_png_flush(png_structp png)
{
	(void)png;
}

static int
fix_png_run(png_structp png, png_infop info, const struct imgfix_png *sp, struct fix_sink *sink)
{
	static const int types[] = {PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_PALETTE,
	                            PNG_COLOR_TYPE_GRAY_ALPHA, PNG_COLOR_TYPE_RGB_ALPHA};

	if (setjmp(png_jmpbuf(png)))
		return -1;
	png_set_write_fn(png, sink, fix_png_write, fix_png_flush);
	png_set_IHDR(png, info, (png_uint_32)sp->width, (png_uint_32)sp->height, sp->bit_depth,
	             types[sp->color], sp->interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
	             PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	if (sp->color == IMGFIX_PALETTE) {
		png_color pal[256];

		for (int i = 0; i < sp->npalette && i < 256; i++) {
			pal[i].red = sp->palette[3 * i];
			pal[i].green = sp->palette[3 * i + 1];
			pal[i].blue = sp->palette[3 * i + 2];
		}
		png_set_PLTE(png, info, pal, sp->npalette);
		if (sp->trns)
			png_set_tRNS(png, info, sp->trns, sp->ntrns, NULL);
	}
	png_write_info(png, info);
	{
		int passes = png_set_interlace_handling(png);

		for (int p = 0; p < passes; p++)
			for (int y = 0; y < sp->height; y++)
				png_write_row(png, sp->rows + (size_t)y * sp->stride);
	}
	png_write_end(png, NULL);
	return 0;
}

int
imgfix_png_write(const struct imgfix_png *spec, uint8_t **out, size_t *len)
{
	struct fix_sink sink = {NULL, 0, 0};
	png_structp png;
	png_infop info;
	int rc = -1;

	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	if (!png)
		return -1;
	info = png_create_info_struct(png);
	if (info)
		rc = fix_png_run(png, info, spec, &sink);
	png_destroy_write_struct(&png, info ? &info : NULL);
	if (rc) {
		free(sink.buf);
		return -1;
	}
	*out = sink.buf;
	*len = sink.len;
	return 0;
}

struct fix_jerr {
	struct jpeg_error_mgr mgr;
	jmp_buf jmp;
};

static void
fix_jpeg_error(j_common_ptr cinfo)
{
	longjmp(((struct fix_jerr *)cinfo->err)->jmp, 1);
}

/* A minimal TIFF header plus IFD0 holding only the orientation tag. */
static size_t
fix_exif(uint8_t *b, int orientation, int be)
{
	static const uint8_t le_ifd[] = {'I', 'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3,
	                                 0,   1,   0,  0, 0, 0, 0, 0, 0, 0, 0,    0,    0};
	static const uint8_t be_ifd[] = {'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0,
	                                 3,   0,   0, 0,  1, 0, 0, 0, 0, 0, 0,    0,    0};

	memcpy(b, "Exif\0\0", 6);
	memcpy(b + 6, be ? be_ifd : le_ifd, sizeof(le_ifd));
	/* Value field of the entry: offset 8 (header) + 2 (count) + 8 in the entry. */
	if (be)
		b[6 + 18 + 1] = (uint8_t)orientation;
	else
		b[6 + 18] = (uint8_t)orientation;
	return 6 + sizeof(le_ifd);
}

struct fix_jpeg_ctx {
	struct jpeg_compress_struct c;
	struct fix_jerr err;
	unsigned char *buf;
	unsigned long len;
};

static int
fix_jpeg_run(struct fix_jpeg_ctx *x, const struct imgfix_jpeg *sp)
{
	if (setjmp(x->err.jmp))
		return -1;
	jpeg_create_compress(&x->c);
	jpeg_mem_dest(&x->c, &x->buf, &x->len);
	x->c.image_width = (JDIMENSION)sp->width;
	x->c.image_height = (JDIMENSION)sp->height;
	x->c.input_components = sp->channels;
	x->c.in_color_space = sp->channels == 1   ? JCS_GRAYSCALE
	                      : sp->channels == 4 ? JCS_CMYK
	                                          : JCS_RGB;
	jpeg_set_defaults(&x->c);
	jpeg_set_quality(&x->c, sp->quality, TRUE);
	if (sp->progressive)
		jpeg_simple_progression(&x->c);
	jpeg_start_compress(&x->c, TRUE);
	if (sp->orientation) {
		uint8_t exif[64];
		size_t n = fix_exif(exif, sp->orientation, sp->big_endian);

		jpeg_write_marker(&x->c, JPEG_APP0 + 1, exif, (unsigned)n);
	}
	while (x->c.next_scanline < x->c.image_height) {
		JSAMPROW row =
		    (JSAMPROW)(sp->pixels + (size_t)x->c.next_scanline * sp->width * sp->channels);

		jpeg_write_scanlines(&x->c, &row, 1);
	}
	jpeg_finish_compress(&x->c);
	return 0;
}

int
imgfix_jpeg_write(const struct imgfix_jpeg *spec, uint8_t **out, size_t *len)
{
	struct fix_jpeg_ctx *x = calloc(1, sizeof(*x));
	int rc;

	if (!x)
		return -1;
	x->c.err = jpeg_std_error(&x->err.mgr);
	x->err.mgr.error_exit = fix_jpeg_error;
	rc = fix_jpeg_run(x, spec);
	jpeg_destroy_compress(&x->c);
	if (rc) {
		free(x->buf);
		free(x);
		return -1;
	}
	*out = x->buf;
	*len = x->len;
	free(x);
	return 0;
}

int
imgfix_qr_grey(const void *data, size_t n, int module_px, int margin, uint8_t **px, int *side)
{
	QRcode *qr = QRcode_encodeData((int)n, data, 0, QR_ECLEVEL_M);
	int s;
	uint8_t *g;

	if (!qr)
		return -1;
	s = (qr->width + 2 * margin) * module_px;
	g = malloc((size_t)s * s);
	if (!g) {
		QRcode_free(qr);
		return -1;
	}
	memset(g, 255, (size_t)s * s);
	for (int y = 0; y < s; y++)
		for (int x = 0; x < s; x++) {
			int mx = x / module_px - margin, my = y / module_px - margin;

			if (mx >= 0 && my >= 0 && mx < qr->width && my < qr->width &&
			    (qr->data[my * qr->width + mx] & 1))
				g[(size_t)y * s + x] = 0;
		}
	QRcode_free(qr);
	*px = g;
	*side = s;
	return 0;
}
