/*
 * polar.h - polar resampling, a small FFT and rotation by circular
 * cross-correlation of angular profiles.  Part of the matcher (matcher.h).
 */
#ifndef SEAL_VERIFY_POLAR_H
#define SEAL_VERIFY_POLAR_H

#include "verify/ink.h"

#define POLAR_ANGLES 256 /* angular samples (power of two) */
#define POLAR_RADII 40   /* radial samples from POLAR_RHO_MIN to POLAR_RHO_MAX */
#define POLAR_RHO_MIN 0.08
#define POLAR_RHO_MAX 1.12

/* A polar image: v[r * POLAR_ANGLES + t] is the ink at radius
 * rho_r (units of the seal's scale) and angle 2 pi t / POLAR_ANGLES. */
struct polar_image {
	float v[POLAR_RADII * POLAR_ANGLES];
};

/* Sample map around (cx, cy): the point at (rho, angle) is
 * (cx, cy) + m * rho * (cos, sin), with m a 2x2 matrix (row-major) that maps
 * the unit circle to the seal's outline (scale * identity for a similarity).
 * Values are divided by level and clamped to [0, 1]. */
void polar_sample(const struct ink_map *map, double cx, double cy, const double m[4], float level,
                  struct polar_image *out);

/* In-place radix-2 complex FFT of n (a power of two) points; inverse when
 * inverse != 0 (unscaled). */
void polar_fft(double *re, double *im, int n, int inverse);

/*
 * The rotations (radians, [0, 2 pi)) that best carry the reference polar
 * image onto the query's: query(rho, t + phi) ~ ref(rho, t).  Rings are
 * made zero-mean and weighted by rho.  Up to k peaks, best first, each
 * refined to sub-sample precision; corr receives the normalised correlation
 * of each.  Returns the number of peaks found.
 */
int polar_rotation(const struct polar_image *ref, const struct polar_image *query, int k,
                   double *phi, double *corr);

#endif
