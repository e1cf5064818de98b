/*
 * locate.h - find seal-like regions in a red-ink map and fit their outline.
 *
 * The map is thresholded relative to its own ink level, closed by a small
 * dilation so characters join the ring, and split into connected components;
 * every component (or group of nearby fragments) large and compact enough is
 * a candidate.  For each, rays
 * cast from the centre find the outermost ink (the border), and a robust
 * least-squares conic fit gives the centre, the semi-axes and their angle.
 * The fit residual tells squares (corners stray from any ellipse) from
 * ellipses, and the axis ratio ovals from round seals.  Part of the matcher.
 */
#ifndef SEAL_VERIFY_LOCATE_H
#define SEAL_VERIFY_LOCATE_H

#include "verify/ink.h"

#define LOCATE_MAX_REGIONS 6 /* candidates returned at most */
#define LOCATE_RAYS 180      /* rays cast per outline fit */

enum seal_shape { SEAL_SHAPE_ROUND = 0, SEAL_SHAPE_OVAL = 1, SEAL_SHAPE_SQUARE = 2 };

struct seal_region {
	double cx, cy;   /* centre, in pixels of the map's source image */
	double a, b;     /* semi-axes of the fitted ellipse, a >= b, source pixels */
	double theta;    /* direction of the a axis, radians */
	double scale;    /* size: sqrt(a * b), source pixels */
	double fit_rms;  /* rms radial residual of outline points / scale */
	double coverage; /* fraction of rays that met the outline inside the image */
	double mass;     /* ink mass of the component, source pixels */
	enum seal_shape shape;
};

/*
 * Find up to max candidate regions in map, which was computed from its
 * source image at the given downsampling factor (coordinates in the results
 * are multiplied back by factor).  Largest first.  *n receives the count
 * (0 when nothing seal-like is there).  Returns 0, SEAL_EINVAL or SEAL_ENOMEM.
 */
int locate_seals(const struct ink_map *map, int factor, struct seal_region *out, int max, int *n);

/*
 * A second look for faint seals: the same search at a lower threshold (12%
 * instead of 40% of the ink's 90th percentile), which finds a faded seal on
 * a page dominated by saturated red print (a header, another seal).  Only
 * regions not already among the nknown in known are returned (up to max,
 * largest first, *n of them).  Returns 0, SEAL_EINVAL or SEAL_ENOMEM.
 */
int locate_seals_faint(const struct ink_map *map, int factor, const struct seal_region *known,
                       int nknown, struct seal_region *out, int max, int *n);

/* "round", "oval" or "square". */
const char *seal_shape_name(enum seal_shape s);

#endif
