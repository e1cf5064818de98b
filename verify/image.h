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
	size_t max_bytes;    /* encoded size */
	uint64_t max_pixels; /* width * height */
	int max_side;        /* either side */
};

/* The defaults from common/limits.h (SEAL_UPLOAD_MAX_BYTES, SEAL_IMAGE_MAX_PIXELS,
 * SEAL_IMAGE_MAX_SIDE). */
extern const struct image_limits IMAGE_LIMITS_DEFAULT;

/* The format from the magic bytes, and the dimensions from the header
 * (JPEG: first SOFn marker; PNG: IHDR), without decoding pixels or
 * allocating.  For JPEG these are the stored dimensions, before any EXIF
 * rotation (which may swap them).  Any out-pointer may be NULL.  On error the
 * outputs are UNKNOWN/0, except *format, which is set as soon as the magic
 * matched.  Returns 0, SEAL_EINVAL (data NULL with n > 0), SEAL_EIMAGE_FORMAT
 * (neither magic) or SEAL_EIMAGE (truncated or zero-sized header). */
int image_probe(const void *data, size_t n, enum image_format *format, int *width, int *height);

/* Decode PNG or JPEG into 8-bit RGB (out->channels == 3, stride ==
 * width * 3): grey, palette, 16-bit (high byte kept), alpha (composited on
 * white) and interlaced PNGs; baseline and progressive, grey, RGB and CMYK
 * JPEG, with the EXIF orientation (APP1 tag 0x0112, values 1-8) applied, so
 * width and height are as displayed.  limits (borrowed for the call) may be
 * NULL for IMAGE_LIMITS_DEFAULT.  The checks run in this order, before any
 * pixel memory exists: bytes, magic, header dimensions.  A JPEG that ends
 * early (libjpeg would pad it with grey), a PNG with a bad CRC in a critical
 * chunk and a header promising more pixels than the bytes can hold are all
 * SEAL_EIMAGE.  On success out->pixels is malloc'ed and owned by *out
 * (release with image_fini()).  Thread-safe; data is only read.
 * Returns 0, SEAL_EINVAL (out NULL, or data NULL with n > 0), SEAL_ETOOBIG
 * (n > max_bytes), SEAL_EPIXELS (a side > max_side or width*height >
 * max_pixels), SEAL_EIMAGE_FORMAT, SEAL_EIMAGE (corrupt/truncated) or
 * SEAL_ENOMEM.  On error *out is zeroed and owns nothing. */
int image_decode(const void *data, size_t n, const struct image_limits *limits, struct image *out);

/* Allocate an image of the given size, every byte set to value (e.g. 255:
 * white), stride width * channels.  *img is overwritten (not freed first);
 * release with image_fini().  Returns 0, SEAL_EINVAL (img NULL, a size <= 0,
 * channels not 1 or 3; *img is then zeroed), SEAL_EPIXELS (beyond
 * IMAGE_LIMITS_DEFAULT's side or pixel caps) or SEAL_ENOMEM. */
int image_alloc(struct image *img, int width, int height, int channels, uint8_t value);

/* Encode img (borrowed; grey or RGB, any stride >= width * channels) as an
 * 8-bit grey or RGB PNG, non-interlaced, default zlib level.  On success *out
 * is malloc'ed (the caller frees it) and *len its size; on error *out is NULL
 * and *len 0.  Returns 0, SEAL_EINVAL (NULL pointers, empty image, bad
 * channels or stride) or SEAL_ENOMEM. */
int image_encode_png(const struct image *img, uint8_t **out, size_t *len);

/* Release the pixels and zero *img; img may be NULL, zeroed or already
 * finished. */
void image_fini(struct image *img);

#endif
