/*
 * ink.h - red-ink maps: how much seal ink each pixel carries.
 *
 * Seal ink is red (from orange-red through pinkish to dark red); black and
 * blue print, grey paper and shadows must drop out.  The measure is chroma,
 * not brightness: (R - max(G, B)) / max(R, 100), minus a small paper
 * allowance, clamped to [0, 1].  Dark pixels are damped so JPEG chroma noise
 * in black print does not read as ink.  Part of the matcher (matcher.h).
 */
#ifndef SEAL_VERIFY_INK_H
#define SEAL_VERIFY_INK_H

#include "verify/image.h"

/* A float map, row-major, width * height values, typically in [0, 1]. */
struct ink_map {
	int width, height;
	float *v; /* owned; released by ink_map_fini() */
};

/* The ink map of img, box-averaged over factor x factor blocks (factor >= 1;
 * the last partial block is averaged over the pixels it has).  On tinted
 * paper (most of the page reads as faint ink, 0.02-0.25) 1.4x the paper's
 * level is subtracted.  Returns 0,
 * SEAL_EINVAL or SEAL_ENOMEM; on error *out owns nothing. */
int ink_map_compute(const struct image *img, int factor, struct ink_map *out);

/* Box-downsample src by factor into out (a new map).  Returns 0, SEAL_EINVAL
 * or SEAL_ENOMEM. */
int ink_map_downsample(const struct ink_map *src, int factor, struct ink_map *out);

/* Allocate a zeroed map.  Returns 0, SEAL_EINVAL or SEAL_ENOMEM. */
int ink_map_alloc(struct ink_map *m, int width, int height);

/* Bilinear sample at (x, y) in pixel coordinates (pixel centres at integers);
 * outside the map the value is 0. */
float ink_map_sample(const struct ink_map *m, double x, double y);

/* The value below which a fraction q (0..1) of the given values lie, estimated
 * by a 256-bin histogram over [0, 1]; values <= floor are ignored.  Returns 0
 * when no value exceeds floor. */
float ink_map_quantile(const float *v, size_t n, float floor, double q);

/* Release the values; m may be zeroed or already finished. */
void ink_map_fini(struct ink_map *m);

#endif
