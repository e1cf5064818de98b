/*
 * ink.c - red-ink maps.
 *
 * Each RGB pixel becomes c = (R - max(G, B)) / max(R, 100) - 0.06, clamped to
 * [0, 1]: saturation of the red hue, which survives uneven lighting, while
 * grey paper, black and blue print (R <= max(G, B)) give zero and dark pixels
 * (R < 100) are damped so chroma noise around black print stays low.  Grey
 * images carry no chroma, so they use darkness instead (a scan of a seal
 * printed in black).  Maps are box-averaged on the fly when a factor > 1 is
 * asked for, which is how the locator gets its small working copy cheaply.
 * Tinted paper (pink, orange) is detected from a pixel sample and its level
 * subtracted, so the page does not read as one big faint seal.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "verify/ink.h"

#define INK_TINT 0.02f      /* paper reading above this much ink is tinted */
#define INK_TINT_MAX 0.25f  /* ... and below this (above: solid ink, not paper) */
#define INK_PAPER_SHARE 0.6 /* share of the page taken to be paper at least */
#define INK_TINT_STEP 7     /* every INK_TINT_STEP-th pixel samples the paper */

int
ink_map_alloc(struct ink_map *m, int width, int height)
{
	memset(m, 0, sizeof(*m));
	if (width <= 0 || height <= 0)
		return SEAL_EINVAL;
	m->v = calloc((size_t)width * (size_t)height, sizeof(float));
	if (!m->v)
		return SEAL_ENOMEM;
	m->width = width;
	m->height = height;
	return 0;
}

void
ink_map_fini(struct ink_map *m)
{
	if (!m)
		return;
	free(m->v);
	memset(m, 0, sizeof(*m));
}

/* The ink of one pixel, in [0, 1]. */
static inline float
pixel_ink(const uint8_t *p, int channels)
{
	if (channels < 3)
		return p[0] < 128 ? (float)(128 - p[0]) / 128.0f : 0.0f;
	int r = p[0], g = p[1], b = p[2];
	int m = g > b ? g : b;
	int c = r - m;
	if (c <= 0)
		return 0.0f;
	float s = (float)c / (float)(r > 100 ? r : 100) - 0.06f;
	return s < 0.0f ? 0.0f : (s > 1.0f ? 1.0f : s);
}

/* Tinted paper (pink, orange) reads as faint ink everywhere, which joins the
 * whole page into one region and spreads "extra ink" around every stroke.
 * When most of the page (INK_PAPER_SHARE of a sample of pixels) reads as
 * faint ink (INK_TINT to INK_TINT_MAX), that level is the paper's and is
 * subtracted. */
static void
remove_tint(struct ink_map *m)
{
	size_t np = (size_t)m->width * (size_t)m->height, hist[256] = {0}, total = 0;

	for (size_t i = 0; i < np; i += INK_TINT_STEP) {
		int b = (int)(m->v[i] * 255.0f);
		hist[b < 0 ? 0 : (b > 255 ? 255 : b)]++;
		total++;
	}
	size_t want = (size_t)(INK_PAPER_SHARE * (double)total), acc = 0;
	float bg = 0;
	for (int b = 0; b < 256; b++) {
		acc += hist[b];
		if (acc > want) {
			bg = (float)b / 255.0f;
			break;
		}
	}
	if (bg < INK_TINT || bg > INK_TINT_MAX)
		return; /* white paper, or a solid seal filling the picture */
	for (size_t i = 0; i < np; i++)
		m->v[i] = m->v[i] > 1.4f * bg ? m->v[i] - 1.4f * bg : 0.0f;
}

int
ink_map_compute(const struct image *img, int factor, struct ink_map *out)
{
	int rc;

	if (!img || !out || !img->pixels || factor < 1 || img->width <= 0 || img->height <= 0 ||
	    (img->channels != 1 && img->channels != 3))
		return SEAL_EINVAL;
	int w = (img->width + factor - 1) / factor, h = (img->height + factor - 1) / factor;
	rc = ink_map_alloc(out, w, h);
	if (rc)
		return rc;
	if (factor == 1) {
		for (int y = 0; y < img->height; y++) {
			const uint8_t *row = img->pixels + (size_t)y * img->stride;
			float *o = out->v + (size_t)y * (size_t)w;
			for (int x = 0; x < img->width; x++)
				o[x] = pixel_ink(row + (size_t)x * (size_t)img->channels,
				                 img->channels);
		}
		remove_tint(out);
		return 0;
	}
	float *cnt = calloc((size_t)w, sizeof(float));
	if (!cnt) {
		ink_map_fini(out);
		return SEAL_ENOMEM;
	}
	for (int by = 0; by < h; by++) {
		int y0 = by * factor, y1 = y0 + factor < img->height ? y0 + factor : img->height;
		float *o = out->v + (size_t)by * (size_t)w;
		memset(cnt, 0, (size_t)w * sizeof(float));
		for (int y = y0; y < y1; y++) {
			const uint8_t *row = img->pixels + (size_t)y * img->stride;
			for (int x = 0; x < img->width; x++) {
				o[x / factor] += pixel_ink(row + (size_t)x * (size_t)img->channels,
				                           img->channels);
				cnt[x / factor] += 1.0f;
			}
		}
		for (int x = 0; x < w; x++)
			o[x] /= cnt[x];
	}
	free(cnt);
	remove_tint(out);
	return 0;
}

int
ink_map_downsample(const struct ink_map *src, int factor, struct ink_map *out)
{
	int rc;

	if (!src || !out || !src->v || factor < 1)
		return SEAL_EINVAL;
	int w = (src->width + factor - 1) / factor, h = (src->height + factor - 1) / factor;
	rc = ink_map_alloc(out, w, h);
	if (rc)
		return rc;
	for (int by = 0; by < h; by++) {
		int y0 = by * factor, y1 = y0 + factor < src->height ? y0 + factor : src->height;
		float *o = out->v + (size_t)by * (size_t)w;
		for (int bx = 0; bx < w; bx++) {
			int x0 = bx * factor,
			    x1 = x0 + factor < src->width ? x0 + factor : src->width;
			float s = 0.0f;
			for (int y = y0; y < y1; y++) {
				const float *row = src->v + (size_t)y * (size_t)src->width;
				for (int x = x0; x < x1; x++)
					s += row[x];
			}
			o[bx] = s / (float)((y1 - y0) * (x1 - x0));
		}
	}
	return 0;
}

float
ink_map_sample(const struct ink_map *m, double x, double y)
{
	if (x >= 0 && y >= 0 && x < (double)(m->width - 1) && y < (double)(m->height - 1)) {
		int ix = (int)x, iy = (int)y;
		float fx = (float)(x - ix), fy = (float)(y - iy);
		const float *p = m->v + (size_t)iy * (size_t)m->width + (size_t)ix;
		const float *q = p + m->width;
		return (p[0] + (p[1] - p[0]) * fx) * (1 - fy) + (q[0] + (q[1] - q[0]) * fx) * fy;
	}
	if (!(x > -1.0 && y > -1.0 && x < (double)m->width && y < (double)m->height))
		return 0.0f;
	int x0 = (int)floor(x), y0 = (int)floor(y);
	float fx = (float)(x - x0), fy = (float)(y - y0);
	float v00 = 0, v01 = 0, v10 = 0, v11 = 0;
	int w = m->width, h = m->height;
	const float *p = m->v;
	if (y0 >= 0) {
		if (x0 >= 0)
			v00 = p[(size_t)y0 * (size_t)w + (size_t)x0];
		if (x0 + 1 < w)
			v01 = p[(size_t)y0 * (size_t)w + (size_t)x0 + 1];
	}
	if (y0 + 1 < h) {
		if (x0 >= 0)
			v10 = p[(size_t)(y0 + 1) * (size_t)w + (size_t)x0];
		if (x0 + 1 < w)
			v11 = p[(size_t)(y0 + 1) * (size_t)w + (size_t)x0 + 1];
	}
	return (v00 * (1 - fx) + v01 * fx) * (1 - fy) + (v10 * (1 - fx) + v11 * fx) * fy;
}

float
ink_map_quantile(const float *v, size_t n, float floor_v, double q)
{
	size_t hist[256] = {0}, total = 0;

	for (size_t i = 0; i < n; i++) {
		if (v[i] <= floor_v)
			continue;
		int b = (int)(v[i] * 255.0f);
		hist[b < 0 ? 0 : (b > 255 ? 255 : b)]++;
		total++;
	}
	if (!total)
		return 0.0f;
	size_t want = (size_t)(q * (double)total), acc = 0;
	for (int b = 0; b < 256; b++) {
		acc += hist[b];
		if (acc > want)
			return ((float)b + 0.5f) / 255.0f;
	}
	return 1.0f;
}
