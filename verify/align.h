/*
 * align.h - normalised views of a seal and their fine alignment.
 *
 * A view is an n x n grid over [-half, half]^2 in units of the reference
 * seal's scale (its outer radius is about 1).  A warp (a homography) maps a
 * view point (u, v) to source pixels: x = (m0 u + m1 v + m2) / c,
 * y = (m3 u + m4 v + m5) / c, c = m6 u + m7 v + 1.  align_refine() improves
 * a warp by Gauss-Newton (Lucas-Kanade, forward additive with an ink gain)
 * so the query's view agrees with the reference's; perspective terms are
 * only freed when asked (photos of paper are mildly projective).  Also blur and exact Euclidean
 * distance transforms on views. Part of the matcher (matcher.h).
 */
#ifndef SEAL_VERIFY_ALIGN_H
#define SEAL_VERIFY_ALIGN_H

#include "verify/ink.h"

struct warp {
	double m[8];
};

struct view {
	int n;
	double half;
	float *v; /* owned, n * n */
};

/* Allocate a zeroed view.  Returns 0, SEAL_EINVAL or SEAL_ENOMEM. */
int view_alloc(struct view *vw, int n, double half);
void view_fini(struct view *vw);

/* The view coordinate of grid index i. */
static inline double
view_coord(const struct view *vw, int i)
{
	return (i + 0.5) * (2 * vw->half / vw->n) - vw->half;
}

/* Fill vw by sampling map (which is its source image downsampled by factor)
 * through w, dividing by level and clamping to [0, 1]. */
void view_sample(const struct ink_map *map, int factor, const struct warp *w, float level,
                 struct view *vw);

/* Gaussian blur of sigma grid pixels in place (no-op below 0.2).  tmp must
 * hold n * n floats.  */
void view_blur(struct view *vw, double sigma, float *tmp);

/* Squared Euclidean distance (grid pixels^2) from each pixel to the nearest
 * pixel with v >= thr, into dist (n * n floats; huge where none).  work must
 * hold 3 * n + 1 doubles... use align_edt_work(n) for the size in bytes. */
size_t align_edt_work(int n);
void view_edt(const struct view *vw, float thr, float *dist, void *work);

/*
 * Refine w so that the query (map, factor, level) seen through w matches the
 * template tmpl (already blurred by sigma grid pixels).  iters rounds at most;
 * projective 0 keeps m6 = m7 = 0 (affine).
 * Returns the final normalised correlation between template and query view.
 */
double align_refine(const struct view *tmpl, const struct ink_map *map, int factor, float level,
                    double sigma, int iters, int projective, struct warp *w);

#endif
