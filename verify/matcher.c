/*
 * matcher.c - seal impression matching: the pipeline.
 *
 * Reference: red-ink map, seal located (locate.c), ink level measured; the
 * feature blob (2088 bytes: "SLF1", shape, centre, axes, scale, ink level,
 * then a 16 x 128 polar image for the 1:N hash) stores that geometry.
 * Query: red-ink map (photos beyond 1600 px a side reduced first) and a
 * pyramid of 2x box reductions; every seal-like region is a candidate.
 * Polar images give rotation hypotheses for each region (polar.c); regions
 * within MATCH_POLAR_MARGIN of the best polar peak get affine Lucas-Kanade
 * on a coarse view per hypothesis, and the best of all continues with
 * projective refinement on a middle and a fine view (align.c).  When that
 * fit looks wrong (blur at the top of the search, no rotation peak, a
 * fragment-sized region) or no region was found, up to two more regions are
 * tried, including those of a second, low-threshold look for faint seals,
 * and a plausible one that explains the query better wins.  On the fine
 * views (both anti-aliased) the reference is blurred to the query's blur and
 * dilated to its stroke width, and distance transforms measure query ink
 * outside the reference ink (costly) while the text-band correlation
 * ignores reference ink missing from the query (cheap).  score.c turns the
 * figures into a score and a verdict.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "verify/align.h"
#include "verify/ink.h"
#include "verify/locate.h"
#include "verify/matcher.h"
#include "verify/polar.h"
#include "verify/score.h"

#define MATCH_CANDIDATES 3     /* query regions compared at most */
#define MATCH_ROT_PEAKS 3      /* rotation hypotheses per region */
#define MATCH_POLAR_MARGIN 0.2 /* regions this far below the best polar peak are dropped */
#define MATCH_RETRIES 1        /* further regions tried after an implausible fit */
#define IMPLAUSIBLE_POLAR 0.15 /* a rotation peak this weak: the region is likely wrong */
#define IMPLAUSIBLE_SCALE 0.3  /* query seal / reference seal below this: a fragment */
#define AA_SIGMA 0.6           /* anti-aliasing blur of the measured views */
#define OUTLINE_RAYS 360       /* rays of the reference outline profile */
#define COARSE_N 64            /* coarse view side, grid pixels */
#define MID_N 112              /* middle view side, grid pixels */
#define FINE_N 224             /* fine view side, grid pixels */
#define LOCATE_SIDE 360        /* the locator works at about this many pixels */
#define PYR_LEVELS 5
#define QUERY_MAX_SIDE 1600 /* larger photos are box-reduced by an integer factor first */

#define FEAT_MAGIC "SLF1"
#define FEAT_BANDS 16
#define FEAT_ANGLES 128
#define FEAT_HEADER 40
#define FEAT_SIZE (FEAT_HEADER + FEAT_BANDS * FEAT_ANGLES)

const char *
match_verdict_name(enum match_verdict v)
{
	switch (v) {
	case MATCH_MATCH:
		return "match";
	case MATCH_MISMATCH:
		return "mismatch";
	case MATCH_INCONCLUSIVE:
		return "inconclusive";
	}
	return "unknown";
}

/* A pyramid of ink maps: level i is the image reduced by 2^i. */
struct pyramid {
	struct ink_map lv[PYR_LEVELS];
	int n;
};

static void
pyramid_fini(struct pyramid *p)
{
	for (int i = 0; i < p->n; i++)
		ink_map_fini(&p->lv[i]);
	p->n = 0;
}

static int
pyramid_build(const struct image *img, int factor, struct pyramid *p)
{
	int rc;

	memset(p, 0, sizeof(*p));
	rc = ink_map_compute(img, factor, &p->lv[0]);
	if (rc)
		return rc;
	p->n = 1;
	while (p->n < PYR_LEVELS && p->lv[p->n - 1].width >= 32 && p->lv[p->n - 1].height >= 32) {
		rc = ink_map_downsample(&p->lv[p->n - 1], 2, &p->lv[p->n]);
		if (rc) {
			pyramid_fini(p);
			return rc;
		}
		p->n++;
	}
	return 0;
}

/* The coarsest level that still has px_per_unit / factor >= want. */
static int
pyramid_pick(const struct pyramid *p, double px_per_unit, double want)
{
	int l = 0;
	while (l + 1 < p->n && px_per_unit / (double)(1 << (l + 1)) >= want)
		l++;
	return l;
}

/* Ink level of a region: the 90th percentile of ink within 1.1 of its
 * outline, over the full-resolution map (every other pixel). */
static float
region_level(const struct ink_map *m, const struct seal_region *r)
{
	size_t hist[256] = {0}, total = 0;
	double rad = r->a * 1.1;
	int x0 = (int)floor(r->cx - rad), x1 = (int)ceil(r->cx + rad);
	int y0 = (int)floor(r->cy - rad), y1 = (int)ceil(r->cy + rad);

	x0 = x0 < 0 ? 0 : x0;
	y0 = y0 < 0 ? 0 : y0;
	x1 = x1 >= m->width ? m->width - 1 : x1;
	y1 = y1 >= m->height ? m->height - 1 : y1;
	for (int y = y0; y <= y1; y += 2)
		for (int x = x0; x <= x1; x += 2) {
			float v = m->v[(size_t)y * m->width + x];
			if (v <= 0.08f)
				continue;
			int b = (int)(v * 255.0f);
			hist[b > 255 ? 255 : b]++;
			total++;
		}
	if (!total)
		return 0.0f;
	size_t want = total * 9 / 10, acc = 0;
	for (int b = 0; b < 256; b++) {
		acc += hist[b];
		if (acc > want)
			return ((float)b + 0.5f) / 255.0f;
	}
	return 1.0f;
}

/* Locate seals in the image whose pyramid is p; with faint, the second look
 * for faint seals, skipping the nknown regions in known. */
static int
find_regions(const struct pyramid *p, int faint, const struct seal_region *known, int nknown,
             struct seal_region *reg, int max, int *n)
{
	int side = p->lv[0].width > p->lv[0].height ? p->lv[0].width : p->lv[0].height;
	int f = (side + LOCATE_SIDE / 2) / LOCATE_SIDE, rc;
	struct ink_map low = {0};
	const struct ink_map *m;

	if (f < 1)
		f = 1;
	/* Use a pyramid level when the factor is a power of two. */
	if ((f & (f - 1)) == 0 && f < (1 << p->n)) {
		int l = 0;
		while ((1 << l) < f)
			l++;
		m = &p->lv[l];
	} else {
		rc = ink_map_downsample(&p->lv[0], f, &low);
		if (rc)
			return rc;
		m = &low;
	}
	if (faint)
		rc = locate_seals_faint(m, f, known, nknown, reg, max, n);
	else
		rc = locate_seals(m, f, reg, max, n);
	ink_map_fini(&low);
	return rc;
}

/* The reference: its pyramid, region and ink level. */
struct ref_model {
	struct pyramid pyr;
	struct seal_region reg;
	float level;
};

static void
put_f32(uint8_t *p, float v)
{
	uint32_t u;
	memcpy(&u, &v, 4);
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(u >> (8 * i));
}

static float
get_f32(const uint8_t *p)
{
	uint32_t u = 0;
	float v;
	for (int i = 0; i < 4; i++)
		u |= (uint32_t)p[i] << (8 * i);
	memcpy(&v, &u, 4);
	return v;
}

/* Parse a blob's geometry into reg and level; returns 0 or SEAL_ECORRUPT. */
static int
feat_parse(const uint8_t *b, size_t n, struct seal_region *reg, float *level)
{
	if (!b || n != FEAT_SIZE || memcmp(b, FEAT_MAGIC, 4) != 0 || b[4] > SEAL_SHAPE_SQUARE)
		return SEAL_ECORRUPT;
	memset(reg, 0, sizeof(*reg));
	reg->shape = (enum seal_shape)b[4];
	reg->cx = get_f32(b + 8);
	reg->cy = get_f32(b + 12);
	reg->a = get_f32(b + 16);
	reg->b = get_f32(b + 20);
	reg->theta = get_f32(b + 24);
	reg->scale = get_f32(b + 28);
	*level = get_f32(b + 32);
	reg->coverage = 1;
	if (!(reg->scale > 4 && reg->scale < 1e5 && *level > 0 && *level <= 1 &&
	      isfinite(reg->cx) && isfinite(reg->cy)))
		return SEAL_ECORRUPT;
	return 0;
}

static int
ref_prepare(const struct image *ref, struct ref_model *rm)
{
	struct seal_region reg[LOCATE_MAX_REGIONS];
	int n = 0, rc;

	rc = pyramid_build(ref, 1, &rm->pyr);
	if (rc)
		return rc;
	rc = find_regions(&rm->pyr, 0, NULL, 0, reg, LOCATE_MAX_REGIONS, &n);
	if (rc)
		return rc;
	if (n == 0)
		return SEAL_ENOSEAL;
	/* The reference is one seal: take the largest region. */
	int best = 0;
	for (int i = 1; i < n; i++)
		if (reg[i].scale > reg[best].scale)
			best = i;
	rm->reg = reg[best];
	rm->level = region_level(&rm->pyr.lv[0], &rm->reg);
	if (rm->level <= 0)
		return SEAL_ENOSEAL;
	return 0;
}

/* Polar image of a region on pyramid p, the outline map m (2x2) given in
 * source pixels per seal radius. */
static void
region_polar(const struct pyramid *p, double cx, double cy, const double m[4], double scale,
             float level, struct polar_image *out)
{
	int l = pyramid_pick(p, scale, POLAR_ANGLES / (2 * M_PI));
	double f = (double)(1 << l), mm[4] = {m[0] / f, m[1] / f, m[2] / f, m[3] / f};
	polar_sample(&p->lv[l], (cx + 0.5) / f - 0.5, (cy + 0.5) / f - 0.5, mm, level, out);
}

int
matcher_features(const struct image *ref, uint8_t *buf, size_t cap, size_t *len)
{
	struct ref_model rm;
	struct polar_image *pol = NULL;
	int rc;

	if (!ref || !buf || !len || !ref->pixels || ref->width <= 0 || ref->height <= 0)
		return SEAL_EINVAL;
	if (cap < FEAT_SIZE)
		return SEAL_ETOOBIG;
	memset(&rm, 0, sizeof(rm));
	rc = ref_prepare(ref, &rm);
	if (rc)
		goto out;
	pol = malloc(sizeof(*pol));
	if (!pol) {
		rc = SEAL_ENOMEM;
		goto out;
	}
	double m[4] = {rm.reg.scale, 0, 0, rm.reg.scale};
	region_polar(&rm.pyr, rm.reg.cx, rm.reg.cy, m, rm.reg.scale, rm.level, pol);
	memset(buf, 0, FEAT_SIZE);
	memcpy(buf, FEAT_MAGIC, 4);
	buf[4] = (uint8_t)rm.reg.shape;
	put_f32(buf + 8, (float)rm.reg.cx);
	put_f32(buf + 12, (float)rm.reg.cy);
	put_f32(buf + 16, (float)rm.reg.a);
	put_f32(buf + 20, (float)rm.reg.b);
	put_f32(buf + 24, (float)rm.reg.theta);
	put_f32(buf + 28, (float)rm.reg.scale);
	put_f32(buf + 32, rm.level);
	/* Coarse polar image: FEAT_BANDS radial bands x FEAT_ANGLES, 8 bits. */
	int rpb = POLAR_RADII / FEAT_BANDS, apb = POLAR_ANGLES / FEAT_ANGLES;
	for (int b = 0; b < FEAT_BANDS; b++)
		for (int t = 0; t < FEAT_ANGLES; t++) {
			float s = 0;
			for (int r = 0; r < rpb; r++)
				for (int k = 0; k < apb; k++)
					s += pol->v[(b * rpb + r) * POLAR_ANGLES + t * apb + k];
			s /= (float)(rpb * apb);
			buf[FEAT_HEADER + b * FEAT_ANGLES + t] = (uint8_t)lrintf(s * 255.0f);
		}
	*len = FEAT_SIZE;
	rc = 0;
out:
	free(pol);
	pyramid_fini(&rm.pyr);
	return rc;
}

int
matcher_hash(const uint8_t *features, size_t flen, uint8_t hash[MATCHER_HASH_BYTES])
{
	enum { K = 32, K0 = 4, B0 = 6, NB = 9, NF = NB * K };
	struct seal_region reg;
	float level;
	double x[NF], mean = 0;

	if (!features || !hash)
		return SEAL_EINVAL;
	if (feat_parse(features, flen, &reg, &level))
		return SEAL_ECORRUPT;
	/* Rotation-invariant figures: for the bands where the name runs (rho
	 * about 0.5 to 1), the magnitudes of angular frequencies K0..K0+K-1
	 * (character-sized detail) relative to the band's mean ink, log-compressed. */
	for (int b = B0; b < B0 + NB; b++) {
		double re[FEAT_ANGLES], im[FEAT_ANGLES];
		for (int t = 0; t < FEAT_ANGLES; t++) {
			re[t] = features[FEAT_HEADER + b * FEAT_ANGLES + t] / 255.0;
			im[t] = 0;
		}
		polar_fft(re, im, FEAT_ANGLES, 0);
		double dc = fabs(re[0]) + 1e-3 * FEAT_ANGLES;
		for (int k = 0; k < K; k++) {
			double v = log1p(4.0 * hypot(re[K0 + k], im[K0 + k]) / dc);
			x[(b - B0) * K + k] = v;
			mean += v;
		}
	}
	mean /= NF;
	/* SimHash: bit i is the sign of the centred figures projected on a fixed
	 * pseudo-random +-1 direction (a 32-bit LCG, seed 0x5ea1). */
	memset(hash, 0, MATCHER_HASH_BYTES);
	uint32_t st = 0x5ea1u;
	for (int bit = 0; bit < 8 * MATCHER_HASH_BYTES; bit++) {
		double dot = 0;
		for (int j = 0; j < NF; j++) {
			st = st * 1664525u + 1013904223u;
			dot += (st & 0x80000000u) ? x[j] - mean : mean - x[j];
		}
		if (dot > 0)
			hash[bit / 8] |= (uint8_t)(1u << (bit % 8));
	}
	return 0;
}

int
matcher_hash_distance(const uint8_t a[MATCHER_HASH_BYTES], const uint8_t b[MATCHER_HASH_BYTES])
{
	int d = 0;

	for (int i = 0; i < MATCHER_HASH_BYTES; i++)
		d += __builtin_popcount((unsigned)(a[i] ^ b[i]));
	return d;
}

/* Everything one comparison allocates, released in one place. */
struct work {
	struct ref_model rm;
	struct pyramid qp;
	struct view tc, tm, tf, tfb, q, tb;
	struct polar_image *pr, *pq;
	float *tmp, *dt, *dq, *di, *t07;
	uint8_t *mask;
	void *edt;
	double outline[OUTLINE_RAYS]; /* reference outline radius per angle, seal radii */
	double half;                  /* views cover [-half, half]^2 */
	int f0;                       /* the query was reduced by this factor first */
};

static void
work_fini(struct work *w)
{
	pyramid_fini(&w->rm.pyr);
	pyramid_fini(&w->qp);
	view_fini(&w->tc);
	view_fini(&w->tm);
	view_fini(&w->tf);
	view_fini(&w->tfb);
	view_fini(&w->q);
	view_fini(&w->tb);
	free(w->pr);
	free(w->pq);
	free(w->tmp);
	free(w->dt);
	free(w->dq);
	free(w->di);
	free(w->t07);
	free(w->mask);
	free(w->edt);
}

/* Sample the reference into a view (axis-aligned, its own scale). */
static void
ref_view(const struct ref_model *rm, struct view *vw)
{
	double rn = vw->n / (2 * vw->half);
	int l = pyramid_pick(&rm->pyr, rm->reg.scale, rn);
	struct warp w = {{rm->reg.scale, 0, rm->reg.cx, 0, rm->reg.scale, rm->reg.cy, 0, 0}};
	view_sample(&rm->pyr.lv[l], 1 << l, &w, rm->level, vw);
}

static double
view_ncc(const float *a, const float *b, size_t n)
{
	double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
	for (size_t i = 0; i < n; i++) {
		sa += a[i];
		sb += b[i];
		saa += (double)a[i] * a[i];
		sbb += (double)b[i] * b[i];
		sab += (double)a[i] * b[i];
	}
	double va = saa - sa * sa / n, vb = sbb - sb * sb / n;
	return va > 0 && vb > 0 ? (sab - sa * sb / n) / sqrt(va * vb) : 0.0;
}

static int
cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* The reference's outline: for each angle, the outermost ink radius in seal
 * radii (rays from 1.6 inwards); rays without ink get the median.  Sets the
 * view half-size to cover the whole seal with a small margin. */
static void
ref_outline(struct work *wk)
{
	const struct ref_model *rm = &wk->rm;
	int l = 0;
	const struct ink_map *m = &rm->pyr.lv[l];
	double f = 1 << l, s = rm->reg.scale / f;
	double cx = (rm->reg.cx + 0.5) / f - 0.5, cy = (rm->reg.cy + 0.5) / f - 0.5;
	double srt[OUTLINE_RAYS];
	float thr = 0.35f * rm->level;

	for (int i = 0; i < OUTLINE_RAYS; i++) {
		double a = 2 * M_PI * i / OUTLINE_RAYS, dx = cos(a), dy = sin(a);
		wk->outline[i] = -1;
		for (double r = 1.6 * s; r > 0.2 * s; r -= 0.7)
			if (ink_map_sample(m, cx + dx * r, cy + dy * r) >= thr) {
				wk->outline[i] = r / s;
				break;
			}
		srt[i] = wk->outline[i];
	}
	qsort(srt, OUTLINE_RAYS, sizeof(double), cmp_dbl);
	double med = srt[OUTLINE_RAYS / 2] > 0 ? srt[OUTLINE_RAYS / 2] : 1.0;
	for (int i = 0; i < OUTLINE_RAYS; i++)
		if (wk->outline[i] <= 0)
			wk->outline[i] = med;
	double hi = srt[OUTLINE_RAYS * 98 / 100] > 0 ? srt[OUTLINE_RAYS * 98 / 100] : med;
	wk->half = 1.08 * (hi > 1.0 ? hi : 1.0);
}

/* Candidate alignment: coarse hypotheses, the best refined on the fine view. */
struct cand {
	struct warp w;
	double ncc_coarse, ncc_fine, polar;
	int level; /* pyramid level used for the fine view */
	float qlevel;
	const struct seal_region *reg;
};

/* A candidate region after the rotation search. */
struct polar_cand {
	const struct seal_region *reg;
	double A[4]; /* unit circle -> region outline */
	float ql;    /* its ink level */
	double phi[MATCH_ROT_PEAKS], corr[MATCH_ROT_PEAKS];
	int np;
};

/* Rotation hypotheses for a region by polar correlation (cheap).  Returns 0
 * or -1 when the region has no usable ink. */
static int
polar_candidate(struct work *wk, const struct seal_region *reg, struct polar_cand *pc)
{
	pc->reg = reg;
	pc->ql = region_level(&wk->qp.lv[0], reg);
	if (pc->ql <= 0)
		return -1;
	if (reg->shape == SEAL_SHAPE_ROUND && wk->rm.reg.shape == SEAL_SHAPE_ROUND) {
		/* Undo mild perspective: the fitted ellipse becomes the unit circle. */
		double ct = cos(reg->theta), st = sin(reg->theta);
		pc->A[0] = ct * reg->a;
		pc->A[1] = -st * reg->b;
		pc->A[2] = st * reg->a;
		pc->A[3] = ct * reg->b;
	} else {
		pc->A[0] = pc->A[3] = reg->scale;
		pc->A[1] = pc->A[2] = 0;
	}
	region_polar(&wk->qp, reg->cx, reg->cy, pc->A, reg->scale, pc->ql, wk->pq);
	pc->np = polar_rotation(wk->pr, wk->pq, MATCH_ROT_PEAKS, pc->phi, pc->corr);
	return pc->np > 0 ? 0 : -1;
}

/* Coarse affine alignment of the rotation hypotheses worth trying (polar
 * correlation at least 60% of the best peak's); the best continues. */
static void
align_candidate(struct work *wk, const struct polar_cand *pc, struct cand *c)
{
	const double *A = pc->A;
	const struct seal_region *reg = pc->reg;
	int lc = pyramid_pick(&wk->qp, reg->scale, COARSE_N / (2 * wk->half));
	double best = -2;

	for (int i = 0; i < pc->np; i++) {
		if (i > 0 && pc->corr[i] < 0.6 * pc->corr[0])
			continue;
		double cp = cos(pc->phi[i]), sp = sin(pc->phi[i]);
		/* Query point = c + A R(phi) u. */
		struct warp w = {{A[0] * cp + A[1] * sp, -A[0] * sp + A[1] * cp, reg->cx,
		                  A[2] * cp + A[3] * sp, -A[2] * sp + A[3] * cp, reg->cy, 0, 0}};
		double r = align_refine(&wk->tc, &wk->qp.lv[lc], 1 << lc, pc->ql, 1.2, 4, 0, &w);
		if (r > best) {
			best = r;
			c->w = w;
			c->polar = pc->corr[i];
		}
	}
	c->ncc_coarse = align_refine(&wk->tc, &wk->qp.lv[lc], 1 << lc, pc->ql, 1.2, 6, 0, &c->w);
	c->qlevel = pc->ql;
	c->reg = reg;
}

/* Refine the chosen candidate: projective on the middle view, then a final
 * touch on the fine view. */
static void
align_fine(struct work *wk, struct cand *c)
{
	int lm = pyramid_pick(&wk->qp, c->reg->scale, MID_N / (2 * wk->half));
	align_refine(&wk->tm, &wk->qp.lv[lm], 1 << lm, c->qlevel, 1.0, 6, 1, &c->w);
	int lf = pyramid_pick(&wk->qp, c->reg->scale, FINE_N / (2 * wk->half));
	c->ncc_fine = align_refine(&wk->tfb, &wk->qp.lv[lf], 1 << lf, c->qlevel, 1.0, 2, 1, &c->w);
	c->level = lf;
}

/* NCC over the pixels where mask is set (mask NULL: all). */
static double
masked_ncc(const float *a, const float *b, const uint8_t *mask, size_t n)
{
	double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0, k = 0;
	for (size_t i = 0; i < n; i++) {
		if (mask && !mask[i])
			continue;
		sa += a[i];
		sb += b[i];
		saa += (double)a[i] * a[i];
		sbb += (double)b[i] * b[i];
		sab += (double)a[i] * b[i];
		k++;
	}
	if (k < 2)
		return 0;
	double va = saa - sa * sa / k, vb = sbb - sb * sb / k;
	return va > 0 && vb > 0 ? (sab - sa * sb / k) / sqrt(va * vb) : 0.0;
}

/* The evidence figures on the fine views of the chosen candidate.  Returns 1
 * when the fit looks wrong (see implausible()), else 0. */
static int implausible(int blur_max, const double *f);

static int
measure(struct work *wk, const struct cand *c, double *f)
{
	int n = FINE_N;
	size_t np = (size_t)n * n;
	static const double sigmas[] = {0, 0.7, 1.2, 1.8, 2.6, 3.6};
	static const double dils[] = {-1.5, -1, -0.5, 0, 1, 1.5, 2, 2.5, 3};
	double best = -2, bs = 0, rn = n / (2 * wk->half);

	view_sample(&wk->qp.lv[c->level], 1 << c->level, &c->w, c->qlevel, &wk->q);
	/* A little blur on both views makes thresholds independent of how the
	 * sampling grid falls on thin strokes. */
	view_blur(&wk->q, AA_SIGMA, wk->tmp);
	view_blur(&wk->tf, AA_SIGMA, wk->tmp);
	/* The blur that best explains the query (photo blur, resolution). */
	/* Blurs compose (sigma^2 adds), so each step blurs the previous one by
	 * the difference only: cheap small kernels. */
	memcpy(wk->tb.v, wk->tf.v, np * sizeof(float));
	for (size_t i = 0; i < sizeof(sigmas) / sizeof(sigmas[0]); i++) {
		double prev = i ? sigmas[i - 1] : 0;
		view_blur(&wk->tb, sqrt(sigmas[i] * sigmas[i] - prev * prev), wk->tmp);
		double r = view_ncc(wk->tb.v, wk->q.v, np);
		if (r > best) {
			best = r;
			bs = sigmas[i];
			memcpy(wk->tfb.v, wk->tb.v, np * sizeof(float));
		}
		if (sigmas[i] == 0.7)
			memcpy(wk->t07, wk->tb.v, np * sizeof(float));
	}
	/* Correlation over the text band (0.35 < rho / outline < 0.85): rings
	 * and stars are alike on most seals, the text is not. */
	memcpy(wk->tb.v, wk->tfb.v, np * sizeof(float));
	for (int y = 0; y < n; y++)
		for (int x = 0; x < n; x++) {
			double u = view_coord(&wk->q, x), v = view_coord(&wk->q, y);
			double ang = atan2(v, u);
			int b = (int)lround((ang < 0 ? ang + 2 * M_PI : ang) * OUTLINE_RAYS /
			                    (2 * M_PI));
			double rho = sqrt(u * u + v * v) / wk->outline[b % OUTLINE_RAYS];
			wk->mask[(size_t)y * n + x] = rho > 0.35 && rho < 0.85;
		}
	double ncc_mid = masked_ncc(wk->tb.v, wk->q.v, wk->mask, np);
	/* Distances: from reference ink (dt), inside it (di, from the
	 * complement) and from query ink (dq).  The reference ink for dt is
	 * blurred like the query (at least 0.7 grid pixels) and cut low, so
	 * sub-pixel differences in resampling never count as extra ink. */
	memcpy(wk->tb.v, bs >= 0.7 ? wk->tfb.v : wk->t07, np * sizeof(float));
	for (size_t i = 0; i < np; i++)
		if (wk->tf.v[i] >= 0.5f)
			wk->tb.v[i] = 1.0f; /* thin strokes the extra blur dimmed */
	view_edt(&wk->tb, 0.3f, wk->dt, wk->edt);
	for (size_t i = 0; i < np; i++)
		wk->tb.v[i] = wk->tf.v[i] < 0.5f ? 1.0f : 0.0f;
	view_edt(&wk->tb, 0.5f, wk->di, wk->edt);
	view_edt(&wk->q, 0.5f, wk->dq, wk->edt);
	double far = 0.15 * rn;
	/* The dilation (negative: erosion) of the reference that best explains
	 * the query's ink: stroke width differs with ink and pressure. */
	double bestx = -1, bd = 0;
	for (size_t k = 0; k < sizeof(dils) / sizeof(dils[0]); k++) {
		double d = dils[k], x = 0;
		for (size_t i = 0; i < np; i++) {
			int t = d >= 0 ? wk->dt[i] <= d * d + 1e-3 : wk->di[i] > d * d + 1e-3;
			int q = wk->q.v[i] >= 0.5f;
			if (wk->dt[i] > far * far && !q)
				continue;
			x += t != q;
		}
		if (bestx < 0 || x < bestx) {
			bestx = x;
			bd = d;
		}
	}
	/* Query ink beyond the (dilated) reference ink, and reference ink
	 * missing from the query; ink beyond `far` belongs to something else. */
	double grow = bd > 0 ? bd : 0, tau0 = 0.5 + grow, tau1 = 1.0 + grow;
	double nq = 0, extra0 = 0, extra1 = 0, nt = 0, miss = 0;
	for (size_t i = 0; i < np; i++) {
		double dtv = sqrt(wk->dt[i]);
		if (wk->q.v[i] >= 0.5f && dtv <= far) {
			nq++;
			extra0 += dtv > tau0;
			extra1 += dtv > tau1;
		}
		int t = bd >= 0 ? wk->dt[i] <= bd * bd + 1e-3 : wk->di[i] > bd * bd + 1e-3;
		if (t) {
			nt++;
			miss += sqrt(wk->dq[i]) > 0.025 * rn;
		}
	}
	f[SCORE_NCC] = best;
	f[SCORE_NCC_MID] = ncc_mid;
	f[SCORE_EXTRA0] = nq > 0 ? extra0 / nq : 1;
	f[SCORE_EXTRA1] = nq > 0 ? extra1 / nq : 1;
	f[SCORE_MISSING] = nt > 0 ? miss / nt : 1;
	f[SCORE_DIL] = bd * wk->rm.reg.scale / rn;
	f[SCORE_BLUR] = bs * wk->rm.reg.scale / rn;
	f[SCORE_SCALE] = c->reg->scale * wk->f0 / wk->rm.reg.scale;
	f[SCORE_COVER] = c->reg->coverage;
	f[SCORE_INK] = nt > 0 ? nq / nt : 0;
	f[SCORE_POLAR] = c->polar;
	/* Text-band correlation where the query has ink nearby: erased or faded
	 * patches do not count against it. */
	for (size_t i = 0; i < np; i++)
		if (wk->mask[i] && wk->tf.v[i] >= 0.5f && wk->dq[i] > (0.025 * rn) * (0.025 * rn))
			wk->mask[i] = 0;
	f[SCORE_NCC_PRESENT] = masked_ncc(wk->tfb.v, wk->q.v, wk->mask, np);
	return implausible(bs >= sigmas[sizeof(sigmas) / sizeof(sigmas[0]) - 1], f);
}

/* A fit that more likely found the wrong ink than a hard photo of the right
 * seal: the reference had to be blurred as far as the search goes (it is
 * being smeared over something unlike it), the rotation peak is hardly
 * there, or the region is a fragment of the reference's size. */
static int
implausible(int blur_max, const double *f)
{
	return blur_max || f[SCORE_POLAR] < IMPLAUSIBLE_POLAR || f[SCORE_SCALE] < IMPLAUSIBLE_SCALE;
}

int
matcher_compare_detail(const struct image *ref, const uint8_t *features, size_t flen,
                       const struct image *query, struct match_result *out,
                       double feat[SCORE_NFEAT])
{
	struct work wk;
	struct seal_region reg[2 * LOCATE_MAX_REGIONS];
	struct score_input in;
	int n = 0, rc;

	if (!ref || !query || !out || !ref->pixels || !query->pixels || ref->width <= 0 ||
	    ref->height <= 0 || query->width <= 0 || query->height <= 0)
		return SEAL_EINVAL;
	memset(&wk, 0, sizeof(wk));
	memset(out, 0, sizeof(*out));
	memset(&in, 0, sizeof(in));
	out->verdict = MATCH_INCONCLUSIVE;
	out->reason = "no_seal_found";
	out->shape = "round";
	/* Reference: geometry from the blob when valid, else located afresh. */
	if (features && feat_parse(features, flen, &wk.rm.reg, &wk.rm.level) == 0) {
		rc = pyramid_build(ref, 1, &wk.rm.pyr);
	} else {
		rc = ref_prepare(ref, &wk.rm);
	}
	if (rc)
		goto out;
	ref_outline(&wk);
	rc = SEAL_ENOMEM;
	wk.pr = malloc(sizeof(*wk.pr));
	wk.pq = malloc(sizeof(*wk.pq));
	wk.tmp = malloc((size_t)FINE_N * FINE_N * sizeof(float));
	wk.dt = malloc((size_t)FINE_N * FINE_N * sizeof(float));
	wk.dq = malloc((size_t)FINE_N * FINE_N * sizeof(float));
	wk.di = malloc((size_t)FINE_N * FINE_N * sizeof(float));
	wk.t07 = malloc((size_t)FINE_N * FINE_N * sizeof(float));
	wk.mask = malloc((size_t)FINE_N * FINE_N);
	wk.edt = malloc(align_edt_work(FINE_N));
	if (!wk.pr || !wk.pq || !wk.tmp || !wk.dt || !wk.dq || !wk.di || !wk.t07 || !wk.mask ||
	    !wk.edt)
		goto out;
	if ((rc = view_alloc(&wk.tc, COARSE_N, wk.half)) ||
	    (rc = view_alloc(&wk.tm, MID_N, wk.half)) ||
	    (rc = view_alloc(&wk.tf, FINE_N, wk.half)) ||
	    (rc = view_alloc(&wk.tfb, FINE_N, wk.half)) ||
	    (rc = view_alloc(&wk.q, FINE_N, wk.half)) || (rc = view_alloc(&wk.tb, FINE_N, wk.half)))
		goto out;
	double m[4] = {wk.rm.reg.scale, 0, 0, wk.rm.reg.scale};
	region_polar(&wk.rm.pyr, wk.rm.reg.cx, wk.rm.reg.cy, m, wk.rm.reg.scale, wk.rm.level,
	             wk.pr);
	ref_view(&wk.rm, &wk.tc);
	view_blur(&wk.tc, 1.2, wk.tmp);
	ref_view(&wk.rm, &wk.tm);
	view_blur(&wk.tm, 1.0, wk.tmp);
	ref_view(&wk.rm, &wk.tf);
	memcpy(wk.tfb.v, wk.tf.v, (size_t)FINE_N * FINE_N * sizeof(float));
	view_blur(&wk.tfb, 1.0, wk.tmp);

	/* Very large photos are read at a reduced size straight away: a seal
	 * never needs more than QUERY_MAX_SIDE pixels across the page. */
	int qside = query->width > query->height ? query->width : query->height;
	int f0 = qside > QUERY_MAX_SIDE ? qside / QUERY_MAX_SIDE : 1;
	wk.f0 = f0;
	rc = pyramid_build(query, f0, &wk.qp);
	if (rc)
		goto out;
	rc = find_regions(&wk.qp, 0, NULL, 0, reg, LOCATE_MAX_REGIONS, &n);
	if (rc)
		goto out;
	struct cand best = {0}, c;
	int have = 0;
	/* The first MATCH_CANDIDATES usable regions get the cheap rotation
	 * search; those whose polar correlation comes within
	 * MATCH_POLAR_MARGIN of the best are aligned and the best continues. */
	struct polar_cand pcs[2 * LOCATE_MAX_REGIONS];
	int npc = 0, next = 0, faint = 0, bi = -1, bad = 1, tried[2 * LOCATE_MAX_REGIONS] = {0};
	double top = -2;
	for (; next < n && npc < MATCH_CANDIDATES; next++)
		if (polar_candidate(&wk, &reg[next], &pcs[npc]) == 0) {
			top = pcs[npc].corr[0] > top ? pcs[npc].corr[0] : top;
			npc++;
		}
	for (int i = 0; i < npc; i++) {
		if (pcs[i].corr[0] < top - MATCH_POLAR_MARGIN)
			continue;
		align_candidate(&wk, &pcs[i], &c);
		if (!have || c.ncc_coarse > best.ncc_coarse) {
			best = c;
			bi = i;
		}
		have = 1;
	}
	if (have) {
		align_fine(&wk, &best);
		bad = measure(&wk, &best, in.f);
		tried[bi] = 1;
	}
	/* No region, or a fit that looks wrong: widen the search (the other
	 * regions, then a second look for faint seals) and try the regions
	 * with the strongest rotation peaks; a plausible one that explains the
	 * query better replaces the first. */
	for (int k = 0; k < MATCH_RETRIES && bad; k++) {
		if (next == n && !faint) {
			int nf = 0;
			faint = 1;
			rc = find_regions(&wk.qp, 1, reg, n, reg + n, LOCATE_MAX_REGIONS, &nf);
			if (rc)
				goto out;
			n += nf;
		}
		for (; next < n; next++)
			if (polar_candidate(&wk, &reg[next], &pcs[npc]) == 0)
				npc++;
		/* Fragment-sized regions would be rejected anyway: skip them. */
		int ni = -1;
		for (int i = 0; i < npc; i++)
			if (!tried[i] &&
			    pcs[i].reg->scale * f0 >= IMPLAUSIBLE_SCALE * wk.rm.reg.scale &&
			    (ni < 0 || pcs[i].corr[0] > pcs[ni].corr[0]))
				ni = i;
		if (ni < 0)
			break;
		tried[ni] = 1;
		double f2[SCORE_NFEAT];
		align_candidate(&wk, &pcs[ni], &c);
		align_fine(&wk, &c);
		int bad2 = measure(&wk, &c, f2);
		if (have && (bad2 || score_z(f2) <= score_z(in.f)))
			continue;
		best = c;
		memcpy(in.f, f2, sizeof(f2));
		have = 1;
		bad = bad2;
	}
	in.shape_ref = wk.rm.reg.shape;
	if (have) {
		in.found = 1;
		in.shape_q = best.reg->shape;
		in.radius_px = best.reg->scale * f0;
		out->cx = best.w.m[2] * f0 + (f0 - 1) / 2.0;
		out->cy = best.w.m[5] * f0 + (f0 - 1) / 2.0;
		out->radius = best.reg->a * f0;
		/* Counter-clockwise as seen on screen (y points down). */
		double ang = -atan2(best.w.m[3], best.w.m[0]) * 180 / M_PI;
		out->angle_deg = ang < 0 ? ang + 360 : ang;
		out->shape = seal_shape_name(best.reg->shape);
	}
	score_decide(&in, out);
	if (feat)
		memcpy(feat, in.f, sizeof(in.f));
	rc = 0;
out:
	work_fini(&wk);
	return rc;
}

int
matcher_compare(const struct image *ref, const uint8_t *features, size_t flen,
                const struct image *query, struct match_result *out)
{
	return matcher_compare_detail(ref, features, flen, query, out, NULL);
}
