/*
 * image.h - decoding and encoding of photos, scans and reference impressions.
 *
 * The only module that includes libpng and libjpeg.  Everything else works on
 * struct image: 8-bit RGB (channels 3) or grey (channels 1), rows of `stride`
 * bytes, top row first.  Limits are checked from the file header before any
 * pixel is decoded, so a hostile 20000x20000 header costs nothing.
 */
#ifndef SEAL_VERIFY_IMAGE_H
#define SEAL_VERIFY_IMAGE_H

#include <stddef.h>
#include <stdint.h>

enum image_format { IMAGE_FORMAT_UNKNOWN, IMAGE_FORMAT_PNG, IMAGE_FORMAT_JPEG };

struct image {
	int width, height;
	int channels;    /* 1 (grey) or 3 (RGB) */
	size_t stride;   /* bytes per row, >= width * channels */
	uint8_t *pixels; /* owned; released by image_fini() */
};

struct image_limits {
	size_t max_bytes;  /* encoded size */
	uint64_t max_pixels; /* width * height */
	int max_side;      /* either side */
};

/* The defaults from common/limits.h (SEAL_UPLOAD_MAX_BYTES, SEAL_IMAGE_MAX_PIXELS,
 * SEAL_IMAGE_MAX_SIDE). */
extern const struct image_limits IMAGE_LIMITS_DEFAULT;

/* The format from the magic bytes, and the dimensions from the header
 * (JPEG: SOF marker; PNG: IHDR), without decoding pixels.  Returns 0,
 * SEAL_EIMAGE_FORMAT or SEAL_EIMAGE (truncated header). */
int image_probe(const void *data, size_t n, enum image_format *format, int *width, int *height);

/* Decode PNG or JPEG into 8-bit RGB (out->channels == 3): grey, palette,
 * 16-bit, alpha (composited on white) and interlaced PNGs; baseline and
 * progressive JPEG, with the EXIF orientation applied.  limits may be NULL
 * for the defaults.  Returns 0, SEAL_ETOOBIG (bytes), SEAL_EPIXELS (pixels or
 * side), SEAL_EIMAGE_FORMAT, SEAL_EIMAGE (corrupt/truncated) or SEAL_ENOMEM.
 * On error *out is zeroed and owns nothing. */
int image_decode(const void *data, size_t n, const struct image_limits *limits,
		 struct image *out);

/* Allocate an image of the given size, pixels set to value (e.g. 255: white). */
int image_alloc(struct image *img, int width, int height, int channels, uint8_t value);

/* Encode as PNG (8-bit grey or RGB).  *out is malloc'ed; the caller frees it. */
int image_encode_png(const struct image *img, uint8_t **out, size_t *len);

/* Release the pixels; img may be zeroed or already finished. */
void image_fini(struct image *img);

#endif
