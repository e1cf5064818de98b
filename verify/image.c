/*
 * image.c - PNG and JPEG decoding into 8-bit RGB, PNG encoding.
 *
 * How it works: image_probe() reads the dimensions straight from the bytes
 * (PNG: the IHDR chunk that must come first; JPEG: a walk over the marker
 * segments up to the first SOFn) so image_decode() can refuse oversized input
 * before libpng or libjpeg allocate anything.  The libraries then decode from
 * memory: libpng through a read callback with png_set_expand, strip_16,
 * gray_to_rgb and interlace handling, alpha composited here on white; libjpeg
 * through jpeg_mem_src with an error manager that longjmps back, so corrupt
 * data (and a premature end of data, which libjpeg only warns about) becomes
 * SEAL_EIMAGE.  For JPEG the APP1 Exif segment is kept and its orientation
 * tag (1-8) applied by remapping pixels.  Encoding writes through
 * png_set_write_fn into a growing malloc'ed buffer.
 *
 * State that must survive a longjmp lives in a context struct in memory, not
 * in locals, so nothing is clobbered.
 */
#include "verify/image.h"

#include <limits.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>
#include <png.h>

#include "common/errors.h"
#include "common/limits.h"

const struct image_limits IMAGE_LIMITS_DEFAULT = {
    .max_bytes = SEAL_UPLOAD_MAX_BYTES,
    .max_pixels = SEAL_IMAGE_MAX_PIXELS,
    .max_side = SEAL_IMAGE_MAX_SIDE,
};

/* Progressive JPEGs with thousands of tiny scans decode very slowly; real
 * encoders use about ten.  Also the cap on the memory libpng may spend on one
 * ancillary chunk. */
#define IMAGE_JPEG_MAX_SCANS 256
#define IMAGE_PNG_CHUNK_MAX (1024 * 1024)

/* Densest possible encodings, used to spot headers that promise more pixels
 * than the file can hold: deflate's best ratio, and pixels per byte for a
 * progressive JPEG (512 by the bound explained in jpeg_run(), doubled). */
#define IMAGE_DEFLATE_MAX_RATIO 1032
#define IMAGE_JPEG_MIN_PIXELS_PER_BYTE 1024

static const uint8_t png_magic[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static unsigned
be16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/* Dimensions from the JPEG marker segments: walk from SOI to the first SOFn. */
static int
probe_jpeg(const uint8_t *p, size_t n, int *width, int *height)
{
	size_t i = 2;

	for (;;) {
		unsigned marker, len;

		/* Skip garbage up to a 0xFF, then any fill bytes. */
		while (i < n && p[i] != 0xFF)
			i++;
		while (i < n && p[i] == 0xFF)
			i++;
		if (i >= n)
			return SEAL_EIMAGE;
		marker = p[i++];
		if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7))
			continue; /* standalone markers */
		if (marker == 0xD9 || marker == 0xDA || marker == 0x00)
			return SEAL_EIMAGE; /* end of image or scan before any frame */
		if (n - i < 2)
			return SEAL_EIMAGE;
		len = be16(p + i);
		if (len < 2 || n - i < len)
			return SEAL_EIMAGE;
		if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 &&
		    marker != 0xCC) {
			/* SOFn: length, precision, height, width, components. */
			if (len < 8)
				return SEAL_EIMAGE;
			*height = (int)be16(p + i + 3);
			*width = (int)be16(p + i + 5);
			if (*width == 0 || *height == 0)
				return SEAL_EIMAGE; /* DNL-defined heights are not supported */
			return 0;
		}
		i += len;
	}
}

int
image_probe(const void *data, size_t n, enum image_format *format, int *width, int *height)
{
	const uint8_t *p = data;
	int w = 0, h = 0, rc;

	if (format)
		*format = IMAGE_FORMAT_UNKNOWN;
	if (width)
		*width = 0;
	if (height)
		*height = 0;
	if (!p && n)
		return SEAL_EINVAL;
	if (n >= 8 && memcmp(p, png_magic, 8) == 0) {
		if (format)
			*format = IMAGE_FORMAT_PNG;
		/* Signature, then IHDR: length 13, type, width, height. */
		if (n < 24 || be32(p + 8) != 13 || memcmp(p + 12, "IHDR", 4) != 0)
			return SEAL_EIMAGE;
		if (be32(p + 16) == 0 || be32(p + 16) > INT_MAX || be32(p + 20) == 0 ||
		    be32(p + 20) > INT_MAX)
			return SEAL_EIMAGE;
		w = (int)be32(p + 16);
		h = (int)be32(p + 20);
	} else if (n >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF) {
		if (format)
			*format = IMAGE_FORMAT_JPEG;
		rc = probe_jpeg(p, n, &w, &h);
		if (rc)
			return rc;
	} else {
		return SEAL_EIMAGE_FORMAT;
	}
	if (width)
		*width = w;
	if (height)
		*height = h;
	return 0;
}

/* SEAL_EPIXELS when w x h breaks the limits. */
static int
check_limits(const struct image_limits *lim, uint64_t w, uint64_t h)
{
	if (w == 0 || h == 0)
		return SEAL_EIMAGE;
	if (w > (uint64_t)lim->max_side || h > (uint64_t)lim->max_side || w * h > lim->max_pixels)
		return SEAL_EPIXELS;
	return 0;
}

int
image_alloc(struct image *img, int width, int height, int channels, uint8_t value)
{
	size_t stride;

	if (!img)
		return SEAL_EINVAL;
	memset(img, 0, sizeof(*img));
	if (width <= 0 || height <= 0 || (channels != 1 && channels != 3))
		return SEAL_EINVAL;
	if (check_limits(&IMAGE_LIMITS_DEFAULT, (uint64_t)width, (uint64_t)height))
		return SEAL_EPIXELS;
	stride = (size_t)width * (size_t)channels;
	img->pixels = malloc(stride * (size_t)height);
	if (!img->pixels)
		return SEAL_ENOMEM;
	memset(img->pixels, value, stride * (size_t)height);
	img->width = width;
	img->height = height;
	img->channels = channels;
	img->stride = stride;
	return 0;
}

void
image_fini(struct image *img)
{
	if (!img)
		return;
	free(img->pixels);
	memset(img, 0, sizeof(*img));
}

/* ---- PNG decoding ---- */

struct png_src {
	const uint8_t *data;
	size_t n, pos;
};

struct png_dec {
	png_structp png;
	png_infop info;
	uint8_t *buf;    /* RGB or RGBA rows, owned until handed to the image */
	png_bytep *rows; /* row pointers into buf */
};

static void
png_on_error(png_structp png, png_const_charp msg)
{
	(void)msg;
	png_longjmp(png, 1);
}

static void
png_on_warning(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg;
}

static void
png_read_mem(png_structp png, png_bytep out, size_t len)
{
	struct png_src *src = png_get_io_ptr(png);

	if (src->n - src->pos < len)
		png_error(png, "truncated");
	memcpy(out, src->data + src->pos, len);
	src->pos += len;
}

/* Composite RGBA on white in place, leaving packed RGB. */
static void
rgba_to_rgb_on_white(uint8_t *buf, size_t npix)
{
	for (size_t i = 0; i < npix; i++) {
		const uint8_t *s = buf + 4 * i;
		uint8_t *d = buf + 3 * i;
		unsigned a = s[3], ia = 255 - a;

		for (int c = 0; c < 3; c++)
			d[c] = (uint8_t)((s[c] * a + 255 * ia + 127) / 255);
	}
}

/* The part that may longjmp: everything it touches lives in *d. */
static int
png_run(struct png_dec *d, struct png_src *src, const struct image_limits *lim, struct image *out)
{
	png_uint_32 w, h;
	size_t rowbytes, channels;
	int rc;

	if (setjmp(png_jmpbuf(d->png)))
		return SEAL_EIMAGE;
	png_set_user_limits(d->png, (png_uint_32)lim->max_side, (png_uint_32)lim->max_side);
	png_set_chunk_malloc_max(d->png, IMAGE_PNG_CHUNK_MAX);
	png_set_read_fn(d->png, src, png_read_mem);
	png_read_info(d->png, d->info);
	w = png_get_image_width(d->png, d->info);
	h = png_get_image_height(d->png, d->info);
	rc = check_limits(lim, w, h);
	if (rc)
		return rc;
	/* Deflate cannot compress beyond 1032:1, so fewer bytes than that cannot
	 * hold the declared pixels: refuse before allocating for them. */
	if ((uint64_t)png_get_rowbytes(d->png, d->info) * h / IMAGE_DEFLATE_MAX_RATIO > src->n)
		return SEAL_EIMAGE;
	png_set_expand(d->png);
	png_set_strip_16(d->png);
	png_set_gray_to_rgb(d->png);
	png_set_interlace_handling(d->png);
	png_read_update_info(d->png, d->info);
	channels = png_get_channels(d->png, d->info);
	rowbytes = png_get_rowbytes(d->png, d->info);
	if ((channels != 3 && channels != 4) || rowbytes != (size_t)w * channels)
		return SEAL_EIMAGE;
	d->buf = malloc(rowbytes * h);
	d->rows = malloc(sizeof(*d->rows) * h);
	if (!d->buf || !d->rows)
		return SEAL_ENOMEM;
	for (png_uint_32 y = 0; y < h; y++)
		d->rows[y] = d->buf + (size_t)y * rowbytes;
	png_read_image(d->png, d->rows);
	png_read_end(d->png, NULL);
	if (channels == 4) {
		uint8_t *shrunk;

		rgba_to_rgb_on_white(d->buf, (size_t)w * h);
		shrunk = realloc(d->buf, (size_t)w * 3 * h);
		if (shrunk)
			d->buf = shrunk;
	}
	out->width = (int)w;
	out->height = (int)h;
	out->channels = 3;
	out->stride = (size_t)w * 3;
	out->pixels = d->buf;
	d->buf = NULL;
	return 0;
}

static int
decode_png(const uint8_t *data, size_t n, const struct image_limits *lim, struct image *out)
{
	struct png_src src = {data, n, 0};
	struct png_dec d = {NULL, NULL, NULL, NULL};
	int rc = SEAL_ENOMEM;

	d.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, png_on_error, png_on_warning);
	if (!d.png)
		goto out;
	d.info = png_create_info_struct(d.png);
	if (!d.info)
		goto out;
	rc = png_run(&d, &src, lim, out);
out:
	png_destroy_read_struct(&d.png, d.info ? &d.info : NULL, NULL);
	free(d.buf);
	free(d.rows);
	return rc;
}

/* ---- JPEG decoding ---- */

struct jpeg_err {
	struct jpeg_error_mgr mgr; /* first: libjpeg casts cinfo->err to this */
	jmp_buf jmp;
};

struct jpeg_dec {
	struct jpeg_decompress_struct cinfo;
	struct jpeg_err err;
	struct jpeg_progress_mgr progress;
	int created; /* cinfo needs jpeg_destroy_decompress */
	int width, height;
	uint8_t *buf;  /* decoded RGB, owned */
	uint8_t *row4; /* one CMYK row */
};

static void
jpeg_on_error(j_common_ptr cinfo)
{
	struct jpeg_err *err = (struct jpeg_err *)cinfo->err;

	longjmp(err->jmp, 1);
}

/* Warnings are silent, except a premature end of the data (JWRN_JPEG_EOF) or
 * of an entropy-coded segment (JWRN_HIT_MARKER): libjpeg would pad the picture
 * with grey and carry on, we call the file truncated. */
static void
jpeg_on_message(j_common_ptr cinfo, int level)
{
	int code = cinfo->err->msg_code;

	if (level < 0 && (code == JWRN_JPEG_EOF || code == JWRN_HIT_MARKER))
		jpeg_on_error(cinfo);
}

static void
jpeg_on_output(j_common_ptr cinfo)
{
	(void)cinfo;
}

static void
jpeg_on_progress(j_common_ptr cinfo)
{
	j_decompress_ptr d = (j_decompress_ptr)cinfo;

	if (cinfo->is_decompressor && d->input_scan_number > IMAGE_JPEG_MAX_SCANS)
		jpeg_on_error(cinfo);
}

/* The EXIF orientation (1-8) from an APP1 "Exif\0\0" segment, or 1. */
static int
exif_orientation(const uint8_t *p, size_t n)
{
	size_t ifd, count;
	int le;

	if (n < 6 + 8 || memcmp(p, "Exif\0\0", 6) != 0)
		return 1;
	p += 6;
	n -= 6;
	if (p[0] == 'I' && p[1] == 'I')
		le = 1;
	else if (p[0] == 'M' && p[1] == 'M')
		le = 0;
	else
		return 1;
#define RD16(q) (le ? (unsigned)(q)[0] | (unsigned)(q)[1] << 8 : be16(q))
#define RD32(q)                                                                                    \
	(le ? (uint32_t)(q)[0] | (uint32_t)(q)[1] << 8 | (uint32_t)(q)[2] << 16 |                  \
	          (uint32_t)(q)[3] << 24                                                           \
	    : be32(q))
	if (RD16(p + 2) != 42)
		return 1;
	ifd = RD32(p + 4);
	if (ifd > n || n - ifd < 2)
		return 1;
	count = RD16(p + ifd);
	for (size_t k = 0; k < count; k++) {
		size_t e = ifd + 2 + 12 * k;
		unsigned v;

		if (e > n || n - e < 12)
			return 1;
		if (RD16(p + e) != 0x0112)
			continue;
		if (RD16(p + e + 2) != 3 || RD32(p + e + 4) != 1)
			return 1; /* must be one SHORT */
		v = RD16(p + e + 8);
		return v >= 1 && v <= 8 ? (int)v : 1;
	}
#undef RD16
#undef RD32
	return 1;
}

/* Remap RGB pixels for EXIF orientation o; *buf is replaced on success. */
static int
apply_orientation(uint8_t **buf, int *width, int *height, int o)
{
	int w = *width, h = *height;
	int ow = o >= 5 ? h : w, oh = o >= 5 ? w : h;
	uint8_t *dst;

	if (o <= 1 || o > 8)
		return 0;
	dst = malloc((size_t)w * h * 3);
	if (!dst)
		return SEAL_ENOMEM;
	for (int y = 0; y < oh; y++) {
		uint8_t *d = dst + (size_t)y * ow * 3;

		for (int x = 0; x < ow; x++, d += 3) {
			int sx, sy;

			switch (o) {
			case 2:
				sx = w - 1 - x;
				sy = y;
				break;
			case 3:
				sx = w - 1 - x;
				sy = h - 1 - y;
				break;
			case 4:
				sx = x;
				sy = h - 1 - y;
				break;
			case 5:
				sx = y;
				sy = x;
				break;
			case 6:
				sx = y;
				sy = h - 1 - x;
				break;
			case 7:
				sx = w - 1 - y;
				sy = h - 1 - x;
				break;
			default:
				sx = w - 1 - y;
				sy = x;
				break; /* 8 */
			}
			memcpy(d, *buf + ((size_t)sy * w + sx) * 3, 3);
		}
	}
	free(*buf);
	*buf = dst;
	*width = ow;
	*height = oh;
	return 0;
}

/* The part that may longjmp: everything it touches lives in *d. */
static int
jpeg_run(struct jpeg_dec *d, const uint8_t *data, size_t n, const struct image_limits *lim)
{
	struct jpeg_decompress_struct *ci = &d->cinfo;
	int rc, w, h, cmyk;

	if (setjmp(d->err.jmp))
		return SEAL_EIMAGE;
	jpeg_create_decompress(ci);
	d->created = 1;
	d->progress.progress_monitor = jpeg_on_progress;
	ci->progress = &d->progress;
	jpeg_mem_src(ci, data, (unsigned long)n);
	jpeg_save_markers(ci, JPEG_APP0 + 1, 0xFFFF);
	jpeg_read_header(ci, TRUE);
	rc = check_limits(lim, ci->image_width, ci->image_height);
	if (rc)
		return rc;
	/* Progressive and arithmetic decoding zero a coefficient buffer for the
	 * whole image up front.  Huffman-coded DC needs at least one bit per 8x8
	 * block, so a file with fewer than one byte per 512 pixels is truncated:
	 * refuse it before that buffer exists (with a 2x margin). */
	if ((ci->progressive_mode || ci->arith_code) &&
	    (uint64_t)ci->image_width * ci->image_height / IMAGE_JPEG_MIN_PIXELS_PER_BYTE > n)
		return SEAL_EIMAGE;
	cmyk = ci->jpeg_color_space == JCS_CMYK || ci->jpeg_color_space == JCS_YCCK;
	ci->out_color_space = cmyk ? JCS_CMYK : JCS_RGB;
	jpeg_start_decompress(ci);
	w = (int)ci->output_width;
	h = (int)ci->output_height;
	if (ci->output_components != (cmyk ? 4 : 3) || w <= 0 || h <= 0)
		return SEAL_EIMAGE;
	d->buf = malloc((size_t)w * h * 3);
	if (cmyk)
		d->row4 = malloc((size_t)w * 4);
	if (!d->buf || (cmyk && !d->row4))
		return SEAL_ENOMEM;
	while (ci->output_scanline < ci->output_height) {
		uint8_t *row = d->buf + (size_t)ci->output_scanline * w * 3;
		JSAMPROW rp = cmyk ? d->row4 : row;

		if (jpeg_read_scanlines(ci, &rp, 1) != 1)
			return SEAL_EIMAGE;
		if (cmyk) {
			/* Adobe writes inverted CMYK: R = C * K / 255. */
			int inv = ci->saw_Adobe_marker;

			for (int x = 0; x < w; x++) {
				const uint8_t *s = d->row4 + 4 * x;
				unsigned k = inv ? s[3] : 255u - s[3];

				for (int c = 0; c < 3; c++) {
					unsigned v = inv ? s[c] : 255u - s[c];

					row[3 * x + c] = (uint8_t)((v * k + 127) / 255);
				}
			}
		}
	}
	/* No jpeg_finish_decompress(): it would free the saved APP1 markers the
	 * caller still reads; jpeg_destroy_decompress() releases everything. */
	d->width = w;
	d->height = h;
	return 0;
}

static int
decode_jpeg(const uint8_t *data, size_t n, const struct image_limits *lim, struct image *out)
{
	struct jpeg_dec *d;
	int rc;

	/* On the heap: the decompressor and its jmp_buf are large. */
	d = calloc(1, sizeof(*d));
	if (!d)
		return SEAL_ENOMEM;
	d->cinfo.err = jpeg_std_error(&d->err.mgr);
	d->err.mgr.error_exit = jpeg_on_error;
	d->err.mgr.emit_message = jpeg_on_message;
	d->err.mgr.output_message = jpeg_on_output;
	rc = jpeg_run(d, data, n, lim);
	if (rc == 0) {
		int orientation = 1;

		for (jpeg_saved_marker_ptr m = d->cinfo.marker_list; m; m = m->next) {
			if (m->marker == JPEG_APP0 + 1 && m->data) {
				orientation = exif_orientation(m->data, m->data_length);
				if (orientation != 1)
					break;
			}
		}
		rc = apply_orientation(&d->buf, &d->width, &d->height, orientation);
	}
	if (rc == 0) {
		out->width = d->width;
		out->height = d->height;
		out->channels = 3;
		out->stride = (size_t)d->width * 3;
		out->pixels = d->buf;
		d->buf = NULL;
	}
	if (d->created)
		jpeg_destroy_decompress(&d->cinfo);
	free(d->buf);
	free(d->row4);
	free(d);
	return rc;
}

int
image_decode(const void *data, size_t n, const struct image_limits *limits, struct image *out)
{
	const struct image_limits *lim = limits ? limits : &IMAGE_LIMITS_DEFAULT;
	enum image_format format;
	int w, h, rc;

	if (!out)
		return SEAL_EINVAL;
	memset(out, 0, sizeof(*out));
	if (!data && n)
		return SEAL_EINVAL;
	if (n > lim->max_bytes)
		return SEAL_ETOOBIG;
	rc = image_probe(data, n, &format, &w, &h);
	if (rc)
		return rc;
	rc = check_limits(lim, (uint64_t)w, (uint64_t)h);
	if (rc)
		return rc;
	if (format == IMAGE_FORMAT_PNG)
		rc = decode_png(data, n, lim, out);
	else
		rc = decode_jpeg(data, n, lim, out);
	if (rc)
		memset(out, 0, sizeof(*out));
	return rc;
}

/* ---- PNG encoding ---- */

struct png_sink {
	uint8_t *buf;
	size_t len, cap;
	int oom;
};

static void
png_write_mem(png_structp png, png_bytep data, size_t len)
{
	struct png_sink *sink = png_get_io_ptr(png);

	if (sink->cap - sink->len < len) {
		size_t cap = sink->cap ? sink->cap : 4096;
		uint8_t *grown;

		while (cap - sink->len < len) {
			if (cap > SIZE_MAX / 2) {
				sink->oom = 1;
				png_error(png, "overflow");
			}
			cap *= 2;
		}
		grown = realloc(sink->buf, cap);
		if (!grown) {
			sink->oom = 1;
			png_error(png, "out of memory");
		}
		sink->buf = grown;
		sink->cap = cap;
	}
	memcpy(sink->buf + sink->len, data, len);
	sink->len += len;
}

static void
png_flush_mem(png_structp png)
{
	(void)png;
}

int
image_encode_png(const struct image *img, uint8_t **out, size_t *len)
{
	struct png_sink sink = {NULL, 0, 0, 0};
	png_structp png = NULL;
	png_infop info = NULL;
	int rc = SEAL_ENOMEM;

	if (out)
		*out = NULL;
	if (len)
		*len = 0;
	if (!img || !out || !len || !img->pixels || img->width <= 0 || img->height <= 0 ||
	    (img->channels != 1 && img->channels != 3) ||
	    img->stride < (size_t)img->width * img->channels)
		return SEAL_EINVAL;
	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, png_on_error, png_on_warning);
	if (!png)
		return SEAL_ENOMEM;
	info = png_create_info_struct(png);
	if (!info)
		goto out;
	if (setjmp(png_jmpbuf(png))) {
		rc = sink.oom ? SEAL_ENOMEM : SEAL_EINVAL;
		goto out;
	}
	png_set_write_fn(png, &sink, png_write_mem, png_flush_mem);
	png_set_IHDR(png, info, (png_uint_32)img->width, (png_uint_32)img->height, 8,
	             img->channels == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB,
	             PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (int y = 0; y < img->height; y++)
		png_write_row(png, img->pixels + (size_t)y * img->stride);
	png_write_end(png, NULL);
	*out = sink.buf;
	*len = sink.len;
	sink.buf = NULL;
	rc = 0;
out:
	png_destroy_write_struct(&png, info ? &info : NULL);
	free(sink.buf);
	return rc;
}
