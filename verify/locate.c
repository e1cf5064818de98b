/*
 * locate.c - seal regions and their outline.
 *
 * Threshold: 40% of the 90th percentile of the ink present (at least 0.08),
 * so faded seals are found as well as saturated ones.  The binary map is
 * dilated by a 5x5 square (separable max) and labelled with an iterative
 * flood fill (4-connected).  Components whose bounding box is at least
 * LOCATE_MIN_SIDE map pixels on its short side and at most 3:1 become
 * candidates; so do groups of nearby components (single link, boxes less
 * than 12% of a side apart), which reassemble a seal broken by erasures or
 * faded patches.  The outline fit casts LOCATE_RAYS rays from the box centre
 * inwards from beyond the box and keeps the first ink of that component
 * (or group);
 * points touching the image edge are dropped (a seal cut by the frame).  A
 * conic A x^2 + B xy + C y^2 + D x + E y = 1 is fitted by weighted least
 * squares, four rounds, rejecting points beyond 2.5 robust sigmas; then the
 * rays are cast again from the fitted centre and the fit repeated.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "verify/locate.h"
#include "verify/linsolve.h"

#define LOCATE_MIN_SIDE 14
#define LOCATE_MAX_COMPONENTS 4096
#define MERGE_MAX 256        /* regions considered for joining fragments */
#define LOCATE_LOW_REL 0.12f /* second pass: threshold relative to the ink's 90th percentile */

const char *
seal_shape_name(enum seal_shape s)
{
	switch (s) {
	case SEAL_SHAPE_OVAL:
		return "oval";
	case SEAL_SHAPE_SQUARE:
		return "square";
	case SEAL_SHAPE_ROUND:
		break;
	}
	return "round";
}

struct comp {
	int x0, y0, x1, y1, label;
	double mass;
	int merged; /* a group of fragments: pixels belong via root[] */
};

struct ellipse {
	double cx, cy, a, b, theta;
	double m00, m01, m11; /* (p-c)^T M (p-c) = 1 on the ellipse */
};

/* Fit an ellipse to points (px, py) with weights w (0 = ignored).  Returns 0
 * or -1 when the conic is not an ellipse. */
static int
fit_ellipse(const double *px, const double *py, const double *w, int n, double ox, double oy,
            double norm, struct ellipse *e)
{
	double ata[25] = {0}, atb[5] = {0};
	int used = 0;

	for (int i = 0; i < n; i++) {
		if (w[i] <= 0)
			continue;
		double x = (px[i] - ox) / norm, y = (py[i] - oy) / norm;
		double row[5] = {x * x, x * y, y * y, x, y};
		for (int r = 0; r < 5; r++) {
			for (int c = 0; c < 5; c++)
				ata[r * 5 + c] += w[i] * row[r] * row[c];
			atb[r] += w[i] * row[r];
		}
		used++;
	}
	if (used < 8 || linsolve(ata, atb, 5))
		return -1;
	double A = atb[0], B = atb[1], C = atb[2], D = atb[3], E = atb[4];
	double det = 4 * A * C - B * B;
	if (det <= 1e-12)
		return -1;
	double x0 = (-2 * C * D + B * E) / det, y0 = (B * D - 2 * A * E) / det;
	/* Centred form A u^2 + B uv + C v^2 = k, where at the centre
	 * D x0 + E y0 = -2 (A x0^2 + B x0 y0 + C y0^2). */
	double k = 1 + (A * x0 * x0 + B * x0 * y0 + C * y0 * y0);
	if (k <= 0)
		return -1;
	double m00 = A / k, m01 = B / (2 * k), m11 = C / k;
	double tr = m00 + m11, dd = sqrt((m00 - m11) * (m00 - m11) + 4 * m01 * m01);
	double l1 = (tr - dd) / 2, l2 = (tr + dd) / 2; /* l1 <= l2: a along l1 */
	if (l1 <= 0 || l2 <= 0)
		return -1;
	e->cx = ox + x0 * norm;
	e->cy = oy + y0 * norm;
	e->a = norm / sqrt(l1);
	e->b = norm / sqrt(l2);
	e->theta = 0.5 * atan2(2 * m01, m00 - m11) + M_PI / 2;
	e->m00 = m00 / (norm * norm);
	e->m01 = m01 / (norm * norm);
	e->m11 = m11 / (norm * norm);
	return 0;
}

/* Radius of the ellipse in direction (dx, dy) (unit vector) from its centre. */
static double
ellipse_radius(const struct ellipse *e, double dx, double dy)
{
	double q = e->m00 * dx * dx + 2 * e->m01 * dx * dy + e->m11 * dy * dy;
	return q > 0 ? 1.0 / sqrt(q) : 0.0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Cast rays from (ox, oy) and collect outline points of component label. */
static int
cast_rays(const struct ink_map *m, const int *lab, const int *root, int label, int merged,
          float thr, double ox, double oy, double rmax, double *px, double *py, double *w)
{
	int valid = 0;

	for (int i = 0; i < LOCATE_RAYS; i++) {
		double ang = 2 * M_PI * i / LOCATE_RAYS, dx = cos(ang), dy = sin(ang);
		w[i] = 0;
		for (double r = rmax; r > 1.0; r -= 0.5) {
			double x = ox + dx * r, y = oy + dy * r;
			int ix = (int)lround(x), iy = (int)lround(y);
			if (ix < 0 || iy < 0 || ix >= m->width || iy >= m->height)
				continue;
			size_t k = (size_t)iy * (size_t)m->width + (size_t)ix;
			if (lab[k] <= 0 || (merged ? root[lab[k]] : lab[k]) != label ||
			    m->v[k] < thr)
				continue;
			if (ix <= 1 || iy <= 1 || ix >= m->width - 2 || iy >= m->height - 2)
				break; /* cut by the frame: no trustworthy outline here */
			/* Sub-pixel: step back out to where the ink crosses thr. */
			double ro = r + 0.5;
			float vo = ink_map_sample(m, ox + dx * ro, oy + dy * ro);
			float vi = ink_map_sample(m, x, y);
			double t = vi > vo ? (vi - thr) / (double)(vi - vo) : 0.0;
			t = t < 0 ? 0 : (t > 1 ? 1 : t);
			px[i] = x + dx * 0.5 * t;
			py[i] = y + dy * 0.5 * t;
			w[i] = 1;
			valid++;
			break;
		}
	}
	return valid;
}

/* Robust ellipse fit over the current points; fills e and the rms. */
static int
robust_fit(double *px, double *py, double *w, double ox, double oy, double norm, struct ellipse *e,
           double *rms, int *inliers)
{
	double res[LOCATE_RAYS], tmp[LOCATE_RAYS];
	double w0[LOCATE_RAYS];

	memcpy(w0, w, sizeof(w0));
	for (int round = 0; round < 4; round++) {
		if (fit_ellipse(px, py, w, LOCATE_RAYS, ox, oy, norm, e))
			return -1;
		double s = sqrt(e->a * e->b);
		int n = 0;
		for (int i = 0; i < LOCATE_RAYS; i++) {
			if (w0[i] <= 0)
				continue;
			double dx = px[i] - e->cx, dy = py[i] - e->cy, r = hypot(dx, dy);
			res[i] = r > 0 ? (r - ellipse_radius(e, dx / r, dy / r)) / s : 1.0;
			tmp[n++] = fabs(res[i]);
		}
		if (n < 8)
			return -1;
		qsort(tmp, (size_t)n, sizeof(double), cmp_double);
		double sig = 1.4826 * tmp[n / 2];
		if (sig < 0.006)
			sig = 0.006;
		double ss = 0;
		int k = 0;
		for (int i = 0; i < LOCATE_RAYS; i++) {
			if (w0[i] <= 0)
				continue;
			w[i] = fabs(res[i]) < 2.5 * sig ? 1 : 0;
			if (w[i] > 0) {
				ss += res[i] * res[i];
				k++;
			}
		}
		*rms = k ? sqrt(ss / k) : 1.0;
		*inliers = k;
	}
	/* The rms over all valid points, trimmed of the worst 10%, for shape. */
	int n = 0;
	for (int i = 0; i < LOCATE_RAYS; i++) {
		if (w0[i] <= 0)
			continue;
		double dx = px[i] - e->cx, dy = py[i] - e->cy, r = hypot(dx, dy);
		double v =
		    r > 0 ? (r - ellipse_radius(e, dx / r, dy / r)) / sqrt(e->a * e->b) : 1.0;
		tmp[n++] = v * v;
	}
	qsort(tmp, (size_t)n, sizeof(double), cmp_double);
	double ss = 0;
	int keep = n - n / 10;
	for (int i = 0; i < keep; i++)
		ss += tmp[i];
	*rms = keep ? sqrt(ss / keep) : 1.0;
	return 0;
}

static int
fit_component(const struct ink_map *m, const int *lab, const int *root, const struct comp *c,
              float thr, int factor, struct seal_region *out)
{
	double px[LOCATE_RAYS], py[LOCATE_RAYS], w[LOCATE_RAYS];
	double ox = (c->x0 + c->x1) / 2.0, oy = (c->y0 + c->y1) / 2.0;
	double rmax = 0.5 * hypot(c->x1 - c->x0 + 1, c->y1 - c->y0 + 1) + 2;
	struct ellipse e;
	double rms = 1;
	int valid = 0, inl = 0;

	for (int pass = 0; pass < 2; pass++) {
		valid = cast_rays(m, lab, root, c->label, c->merged, thr, ox, oy, rmax, px, py, w);
		if (valid < LOCATE_RAYS / 4)
			return -1;
		if (robust_fit(px, py, w, ox, oy, rmax, &e, &rms, &inl))
			return -1;
		if (e.a > 2 * rmax || e.b < 2 || hypot(e.cx - ox, e.cy - oy) > rmax)
			return -1;
		ox = e.cx;
		oy = e.cy;
		rmax = e.a * 1.25 + 3;
	}
	out->cx = (e.cx + 0.5) * factor - 0.5;
	out->cy = (e.cy + 0.5) * factor - 0.5;
	out->a = e.a * factor;
	out->b = e.b * factor;
	out->theta = e.theta;
	out->scale = sqrt(out->a * out->b);
	out->fit_rms = rms;
	out->coverage = (double)valid / LOCATE_RAYS;
	out->mass = c->mass * factor * factor;
	if (rms > 0.035)
		out->shape = SEAL_SHAPE_SQUARE;
	else if (e.a / e.b > 1.12)
		out->shape = SEAL_SHAPE_OVAL;
	else
		out->shape = SEAL_SHAPE_ROUND;
	return 0;
}

/* The root of label l in the union-find forest parent. */
static int
find_root(int *parent, int l)
{
	while (parent[l] != l) {
		parent[l] = parent[parent[l]];
		l = parent[l];
	}
	return l;
}

static int
cmp_area(const void *a, const void *b)
{
	const struct comp *x = a, *y = b;
	long ax = (long)(x->x1 - x->x0 + 1) * (x->y1 - x->y0 + 1);
	long ay = (long)(y->x1 - y->x0 + 1) * (y->y1 - y->y0 + 1);
	return (ax < ay) - (ax > ay);
}

static int
cmp_comp(const void *a, const void *b)
{
	const struct comp *x = a, *y = b;
	return (x->mass < y->mass) - (x->mass > y->mass);
}

/* One pass at ink threshold thr: up to max regions into out, *n of them. */
static int
locate_pass(const struct ink_map *m, float thr, int factor, struct seal_region *out, int max,
            int *n)
{
	int rc = SEAL_ENOMEM;
	size_t np;
	uint8_t *bin = NULL, *dil = NULL;
	int *lab = NULL, *stack = NULL, *root = NULL;
	struct comp *comps = NULL;
	int ncomp = 0, nlabel = 0;

	if (!m || !m->v || !out || !n || max < 0 || factor < 1)
		return SEAL_EINVAL;
	*n = 0;
	int W = m->width, H = m->height;
	np = (size_t)W * (size_t)H;
	bin = malloc(np);
	dil = malloc(np);
	lab = malloc(np * sizeof(int));
	stack = malloc(np * sizeof(int));
	comps = malloc((LOCATE_MAX_COMPONENTS + MERGE_MAX) * sizeof(*comps));
	root = malloc((LOCATE_MAX_COMPONENTS + 1) * sizeof(int));
	if (!bin || !dil || !lab || !stack || !comps || !root)
		goto out;
	for (size_t i = 0; i < np; i++)
		bin[i] = m->v[i] >= thr;
	/* Separable 5x5 max: rows into dil, then columns back into bin's copy. */
	for (int y = 0; y < H; y++)
		for (int x = 0; x < W; x++) {
			uint8_t v = 0;
			for (int k = -2; k <= 2 && !v; k++) {
				int xx = x + k;
				if (xx >= 0 && xx < W)
					v = bin[(size_t)y * W + xx];
			}
			dil[(size_t)y * W + x] = v;
		}
	for (int y = 0; y < H; y++)
		for (int x = 0; x < W; x++) {
			int v = 0;
			for (int k = -2; k <= 2 && !v; k++) {
				int yy = y + k;
				if (yy >= 0 && yy < H)
					v = dil[(size_t)yy * W + x];
			}
			lab[(size_t)y * W + x] = v ? 0 : -1;
		}
	for (size_t s = 0; s < np && ncomp < LOCATE_MAX_COMPONENTS; s++) {
		if (lab[s] != 0)
			continue;
		struct comp c = {W, H, -1, -1, ++nlabel, 0, 0};
		int sp = 0;
		stack[sp++] = (int)s;
		lab[s] = c.label;
		while (sp) {
			int p = stack[--sp], x = p % W, y = p / W;
			if (x < c.x0)
				c.x0 = x;
			if (x > c.x1)
				c.x1 = x;
			if (y < c.y0)
				c.y0 = y;
			if (y > c.y1)
				c.y1 = y;
			if (bin[p])
				c.mass += m->v[p];
			int nb[4] = {x > 0 ? p - 1 : -1, x < W - 1 ? p + 1 : -1, y > 0 ? p - W : -1,
			             y < H - 1 ? p + W : -1};
			for (int k = 0; k < 4; k++)
				if (nb[k] >= 0 && lab[nb[k]] == 0) {
					lab[nb[k]] = c.label;
					stack[sp++] = nb[k];
				}
		}
		comps[ncomp++] = c;
	}
	/* Fragments of one seal (a broken ring, erased patches) are grouped:
	 * single-link over boxes less than 12% of the larger box's side apart,
	 * among the MERGE_MAX largest boxes.  Groups join the candidates next to
	 * the fragments themselves, so a seal beside red print is not lost. */
	for (int i = 0; i <= nlabel; i++)
		root[i] = i;
	qsort(comps, (size_t)ncomp, sizeof(*comps), cmp_area);
	int nm = ncomp < MERGE_MAX ? ncomp : MERGE_MAX;
	for (int i = 0; i < nm; i++)
		for (int j = i + 1; j < nm; j++) {
			const struct comp *a = &comps[i], *b = &comps[j];
			int aw = a->x1 - a->x0, ah = a->y1 - a->y0;
			int sa = aw > ah ? aw : ah, sl = aw > ah ? ah : aw;
			/* An elongated component (a red header line) reaches no
			 * further than a compact one of its thickness would. */
			if (sa > 3 * sl + 3)
				sa = 3 * sl + 3;
			int gx =
			    b->x0 > a->x1 ? b->x0 - a->x1 : (a->x0 > b->x1 ? a->x0 - b->x1 : 0);
			int gy =
			    b->y0 > a->y1 ? b->y0 - a->y1 : (a->y0 > b->y1 ? a->y0 - b->y1 : 0);
			if (gx > sa * 12 / 100 || gy > sa * 12 / 100 || sa < LOCATE_MIN_SIDE / 2)
				continue;
			int ra = find_root(root, a->label), rb = find_root(root, b->label);
			if (ra != rb)
				root[rb > ra ? rb : ra] = rb > ra ? ra : rb;
		}
	for (int i = 0; i <= nlabel; i++)
		root[i] = find_root(root, i);
	/* Candidates: fragments that look like seals on their own ... */
	int nc = 0;
	struct comp *cand = comps + ncomp;
	for (int i = 0; i < ncomp; i++) {
		const struct comp *c = &comps[i];
		int bw = c->x1 - c->x0 + 1, bh = c->y1 - c->y0 + 1;
		int lo = bw < bh ? bw : bh, hi = bw < bh ? bh : bw;
		if (lo >= LOCATE_MIN_SIDE && hi <= 3 * lo && nc < MERGE_MAX)
			cand[nc++] = *c;
	}
	/* ... and groups of two or more fragments. */
	for (int i = 0; i < nm; i++) {
		int r = root[comps[i].label], members = 0;
		if (r != comps[i].label)
			continue;
		struct comp g = comps[i];
		g.merged = 1;
		g.mass = 0;
		for (int j = 0; j < nm; j++) {
			const struct comp *b = &comps[j];
			if (root[b->label] != r)
				continue;
			members++;
			g.x0 = b->x0 < g.x0 ? b->x0 : g.x0;
			g.y0 = b->y0 < g.y0 ? b->y0 : g.y0;
			g.x1 = b->x1 > g.x1 ? b->x1 : g.x1;
			g.y1 = b->y1 > g.y1 ? b->y1 : g.y1;
			g.mass += b->mass;
		}
		int bw = g.x1 - g.x0 + 1, bh = g.y1 - g.y0 + 1;
		int lo = bw < bh ? bw : bh, hi = bw < bh ? bh : bw;
		if (members > 1 && lo >= LOCATE_MIN_SIDE && hi <= 3 * lo && nc < MERGE_MAX)
			cand[nc++] = g;
	}
	memmove(comps, cand, (size_t)nc * sizeof(*comps));
	ncomp = nc;
	qsort(comps, (size_t)ncomp, sizeof(*comps), cmp_comp);
	for (int i = 0; i < ncomp && *n < max; i++)
		if (fit_component(m, lab, root, &comps[i], thr, factor, &out[*n]) == 0)
			(*n)++;
	rc = 0;
out:
	free(bin);
	free(dil);
	free(lab);
	free(stack);
	free(comps);
	free(root);
	return rc;
}

/* Is r (nearly) the same region as one of the n in list? */
static int
region_known(const struct seal_region *list, int n, const struct seal_region *r)
{
	for (int i = 0; i < n; i++) {
		double d = hypot(list[i].cx - r->cx, list[i].cy - r->cy);
		double ratio = r->scale / list[i].scale;
		if (d < 0.15 * list[i].scale && ratio > 0.85 && ratio < 1.18)
			return 1;
	}
	return 0;
}

/* The first pass's threshold and the faint pass's for map m; 0 when the
 * map has no ink. */
static int
thresholds(const struct ink_map *m, float *thr, float *thr_low)
{
	size_t np = (size_t)m->width * (size_t)m->height;
	float q = ink_map_quantile(m->v, np, 0.08f, 0.90);
	if (q <= 0)
		return 0;
	*thr = 0.4f * q;
	*thr_low = LOCATE_LOW_REL * q;
	if (*thr < 0.08f)
		*thr = 0.08f;
	if (*thr_low < 0.08f)
		*thr_low = 0.08f;
	return 1;
}

int
locate_seals(const struct ink_map *m, int factor, struct seal_region *out, int max, int *n)
{
	float thr, thr_low;

	if (!m || !m->v || !out || !n || max < 0 || factor < 1)
		return SEAL_EINVAL;
	*n = 0;
	if (!thresholds(m, &thr, &thr_low))
		return 0;
	return locate_pass(m, thr, factor, out, max, n);
}

int
locate_seals_faint(const struct ink_map *m, int factor, const struct seal_region *known, int nknown,
                   struct seal_region *out, int max, int *n)
{
	struct seal_region low[LOCATE_MAX_REGIONS];
	float thr, thr_low;
	int nl = 0, rc;

	if (!m || !m->v || !out || !n || max < 0 || factor < 1 || nknown < 0 ||
	    (nknown > 0 && !known))
		return SEAL_EINVAL;
	*n = 0;
	if (!thresholds(m, &thr, &thr_low) || thr_low >= thr)
		return 0;
	rc = locate_pass(m, thr_low, factor, low, LOCATE_MAX_REGIONS, &nl);
	if (rc)
		return rc;
	for (int i = 0; i < nl && *n < max; i++)
		if (!region_known(known, nknown, &low[i]) && !region_known(out, *n, &low[i]))
			out[(*n)++] = low[i];
	return 0;
}
