/*
 * align.c - views, blur, distance transforms and Lucas-Kanade alignment.
 *
 * align_refine() resamples the query through the current warp, blurs it like
 * the template, takes central-difference gradients, maps them back to source
 * coordinates through the inverse of the warp's linear part and solves the
 * 6x6 normal equations for an additive update; the ink gain (query ink is
 * often fainter) is re-estimated in closed form each round.  Distance
 * transforms are the exact two-pass lower-envelope algorithm of Felzenszwalb
 * and Huttenlocher.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "verify/align.h"
#include "verify/linsolve.h"

int
view_alloc(struct view *vw, int n, double half)
{
	memset(vw, 0, sizeof(*vw));
	if (n <= 0)
		return SEAL_EINVAL;
	vw->v = calloc((size_t)n * (size_t)n, sizeof(float));
	if (!vw->v)
		return SEAL_ENOMEM;
	vw->n = n;
	vw->half = half;
	return 0;
}

void
view_fini(struct view *vw)
{
	if (!vw)
		return;
	free(vw->v);
	memset(vw, 0, sizeof(*vw));
}

void
view_sample(const struct ink_map *map, int factor, const struct warp *w, float level,
            struct view *vw)
{
	int n = vw->n;
	float inv = level > 0 ? 1.0f / level : 1.0f;
	double f = 1.0 / factor, off = 0.5 / factor - 0.5;

	for (int j = 0; j < n; j++) {
		double v = view_coord(vw, j);
		for (int i = 0; i < n; i++) {
			double u = view_coord(vw, i);
			double c = 1.0 / (w->m[6] * u + w->m[7] * v + 1.0);
			double x = (w->m[0] * u + w->m[1] * v + w->m[2]) * c;
			double y = (w->m[3] * u + w->m[4] * v + w->m[5]) * c;
			float s = ink_map_sample(map, x * f + off, y * f + off) * inv;
			vw->v[(size_t)j * n + i] = s > 1.0f ? 1.0f : s;
		}
	}
}

void
view_blur(struct view *vw, double sigma, float *tmp)
{
	enum { KMAX = 12 };
	float k[2 * KMAX + 1];
	int n = vw->n;

	if (sigma < 0.2)
		return;
	int r = (int)ceil(3 * sigma);
	if (r > KMAX)
		r = KMAX;
	if (2 * r + 1 > n)
		r = (n - 1) / 2;
	float s = 0;
	for (int i = -r; i <= r; i++) {
		k[i + r] = (float)exp(-0.5 * i * i / (sigma * sigma));
		s += k[i + r];
	}
	for (int i = 0; i < 2 * r + 1; i++)
		k[i] /= s;
	/* Rows: borders with bounds checks, the interior without. */
	for (int y = 0; y < n; y++) {
		const float *row = vw->v + (size_t)y * n;
		float *o = tmp + (size_t)y * n;
		for (int x = 0; x < n; x++) {
			if (x == r && n - r > r) {
				for (; x < n - r; x++) {
					float a = 0;
					for (int i = 0; i <= 2 * r; i++)
						a += k[i] * row[x - r + i];
					o[x] = a;
				}
				if (x >= n)
					break;
			}
			float a = 0;
			for (int i = -r; i <= r; i++) {
				int xx = x + i;
				if (xx >= 0 && xx < n)
					a += k[i + r] * row[xx];
			}
			o[x] = a;
		}
	}
	/* Columns, a row at a time so the inner loop runs along memory. */
	for (int y = 0; y < n; y++) {
		float *o = vw->v + (size_t)y * n;
		memset(o, 0, (size_t)n * sizeof(float));
		for (int i = -r; i <= r; i++) {
			int yy = y + i;
			if (yy < 0 || yy >= n)
				continue;
			const float *src = tmp + (size_t)yy * n;
			float kk = k[i + r];
			for (int x = 0; x < n; x++)
				o[x] += kk * src[x];
		}
	}
}

size_t
align_edt_work(int n)
{
	return (size_t)(4 * n + 2) * sizeof(double);
}

/* One-dimensional squared distance transform of f (n values) into d. */
static void
edt_1d(const double *f, double *d, int n, int *vtx, double *z)
{
	int k = 0;
	vtx[0] = 0;
	z[0] = -HUGE_VAL;
	z[1] = HUGE_VAL;
	for (int q = 1; q < n; q++) {
		double s;
		for (;;) {
			int p = vtx[k];
			s = ((f[q] + (double)q * q) - (f[p] + (double)p * p)) / (2.0 * (q - p));
			if (s <= z[k] && k > 0) {
				k--;
				continue;
			}
			break;
		}
		if (s <= z[k]) {
			/* k == 0 and the new parabola dominates from -inf. */
			vtx[0] = q;
			z[0] = -HUGE_VAL;
			z[1] = HUGE_VAL;
			continue;
		}
		k++;
		vtx[k] = q;
		z[k] = s;
		z[k + 1] = HUGE_VAL;
	}
	k = 0;
	for (int q = 0; q < n; q++) {
		while (z[k + 1] < q)
			k++;
		double dq = q - vtx[k];
		d[q] = dq * dq + f[vtx[k]];
	}
}

void
view_edt(const struct view *vw, float thr, float *dist, void *work)
{
	int n = vw->n;
	double *f = work, *d = f + n, *z = d + n;
	int *vtx = (int *)(z + n + 2);
	const double big = 1e12;

	for (int y = 0; y < n; y++) {
		for (int x = 0; x < n; x++)
			f[x] = vw->v[(size_t)y * n + x] >= thr ? 0 : big;
		edt_1d(f, d, n, vtx, z);
		for (int x = 0; x < n; x++)
			dist[(size_t)y * n + x] = (float)d[x];
	}
	for (int x = 0; x < n; x++) {
		for (int y = 0; y < n; y++)
			f[y] = dist[(size_t)y * n + x];
		edt_1d(f, d, n, vtx, z);
		for (int y = 0; y < n; y++)
			dist[(size_t)y * n + x] = (float)d[y];
	}
}

static double
ncc(const float *a, const float *b, size_t n)
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

double
align_refine(const struct view *tmpl, const struct ink_map *map, int factor, float level,
             double sigma, int iters, int projective, struct warp *w)
{
	struct view q = {0};
	float *tmp = NULL;
	double result = 0;
	int n = tmpl->n, np_ = projective ? 8 : 6;
	size_t np = (size_t)n * n;

	if (view_alloc(&q, n, tmpl->half))
		return 0;
	tmp = malloc(np * sizeof(float));
	if (!tmp)
		goto out;
	double du = 2 * tmpl->half / n;
	for (int it = 0; it <= iters; it++) {
		view_sample(map, factor, w, level, &q);
		view_blur(&q, sigma, tmp);
		if (it == iters)
			break;
		double sit = 0, sii = 0;
		for (size_t i = 0; i < np; i++) {
			sit += (double)q.v[i] * tmpl->v[i];
			sii += (double)q.v[i] * q.v[i];
		}
		if (sii <= 1e-9)
			break;
		double g = sit / sii;
		double H[64] = {0}, b[8] = {0};
		const double *m = w->m;
		for (int y = 1; y < n - 1; y++) {
			double v = view_coord(&q, y);
			for (int x = 1; x < n - 1; x++) {
				size_t k = (size_t)y * n + x;
				double iu = (q.v[k + 1] - q.v[k - 1]) / (2 * du);
				double iv = (q.v[k + n] - q.v[k - n]) / (2 * du);
				if (iu == 0 && iv == 0)
					continue;
				double u = view_coord(&q, x);
				double c = 1.0 / (m[6] * u + m[7] * v + 1.0);
				double px = (m[0] * u + m[1] * v + m[2]) * c;
				double py = (m[3] * u + m[4] * v + m[5]) * c;
				/* d(px, py)/d(u, v), then the source gradient by its inverse. */
				double a00 = (m[0] - px * m[6]) * c, a01 = (m[1] - px * m[7]) * c;
				double a10 = (m[3] - py * m[6]) * c, a11 = (m[4] - py * m[7]) * c;
				double det = a00 * a11 - a01 * a10;
				if (fabs(det) < 1e-12)
					continue;
				double qx = g * (iu * a11 - iv * a10) / det;
				double qy = g * (-iu * a01 + iv * a00) / det;
				double J[8] = {qx * u * c,
				               qx * v * c,
				               qx * c,
				               qy * u * c,
				               qy * v * c,
				               qy * c,
				               -(qx * px + qy * py) * u * c,
				               -(qx * px + qy * py) * v * c};
				double e = g * q.v[k] - tmpl->v[k];
				for (int r = 0; r < np_; r++) {
					for (int cc = r; cc < np_; cc++)
						H[r * np_ + cc] += J[r] * J[cc];
					b[r] += J[r] * e;
				}
			}
		}
		for (int r = 0; r < np_; r++)
			for (int cc = 0; cc < r; cc++)
				H[r * np_ + cc] = H[cc * np_ + r];
		/* A little damping keeps poorly constrained directions still. */
		for (int r = 0; r < np_; r++)
			H[r * np_ + r] *= 1.001;
		if (linsolve(H, b, np_))
			break;
		double step = 0;
		for (int r = 0; r < np_; r++) {
			w->m[r] -= b[r];
			step += (r == 2 || r == 5) ? b[r] * b[r] : 0;
		}
		if (step < 1e-4)
			break;
	}
	result = ncc(q.v, tmpl->v, np);
out:
	free(tmp);
	view_fini(&q);
	return result;
}
