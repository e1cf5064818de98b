/*
 * polar.c - polar images and rotation search.
 *
 * polar_sample() reads POLAR_RADII rings of POLAR_ANGLES bilinear samples.
 * polar_rotation() takes, ring by ring, the FFT of both zero-mean rings,
 * accumulates conj(REF) * QUERY weighted by rho, and one inverse FFT gives
 * the circular cross-correlation over all shifts at once; local maxima are
 * refined by a parabola through their neighbours.
 */
#include <math.h>
#include <string.h>

#include "verify/polar.h"

void
polar_sample(const struct ink_map *map, double cx, double cy, const double m[4], float level,
             struct polar_image *out)
{
	double cs[POLAR_ANGLES], sn[POLAR_ANGLES];
	float inv = level > 0 ? 1.0f / level : 1.0f;

	for (int t = 0; t < POLAR_ANGLES; t++) {
		double a = 2 * M_PI * t / POLAR_ANGLES;
		cs[t] = cos(a);
		sn[t] = sin(a);
	}
	for (int r = 0; r < POLAR_RADII; r++) {
		double rho =
		    POLAR_RHO_MIN + (POLAR_RHO_MAX - POLAR_RHO_MIN) * r / (POLAR_RADII - 1);
		for (int t = 0; t < POLAR_ANGLES; t++) {
			double ux = rho * cs[t], uy = rho * sn[t];
			double x = cx + m[0] * ux + m[1] * uy, y = cy + m[2] * ux + m[3] * uy;
			float v = ink_map_sample(map, x, y) * inv;
			out->v[r * POLAR_ANGLES + t] = v > 1.0f ? 1.0f : v;
		}
	}
}

void
polar_fft(double *re, double *im, int n, int inverse)
{
	for (int i = 1, j = 0; i < n; i++) {
		int bit = n >> 1;
		for (; j & bit; bit >>= 1)
			j ^= bit;
		j ^= bit;
		if (i < j) {
			double t = re[i];
			re[i] = re[j];
			re[j] = t;
			t = im[i];
			im[i] = im[j];
			im[j] = t;
		}
	}
	for (int len = 2; len <= n; len <<= 1) {
		double ang = 2 * M_PI / len * (inverse ? 1 : -1);
		double wr = cos(ang), wi = sin(ang);
		for (int i = 0; i < n; i += len) {
			double cr = 1, ci = 0;
			for (int k = 0; k < len / 2; k++) {
				double ur = re[i + k], ui = im[i + k];
				double vr = re[i + k + len / 2] * cr - im[i + k + len / 2] * ci;
				double vi = re[i + k + len / 2] * ci + im[i + k + len / 2] * cr;
				re[i + k] = ur + vr;
				im[i + k] = ui + vi;
				re[i + k + len / 2] = ur - vr;
				im[i + k + len / 2] = ui - vi;
				double nr = cr * wr - ci * wi;
				ci = cr * wi + ci * wr;
				cr = nr;
			}
		}
	}
}

int
polar_rotation(const struct polar_image *ref, const struct polar_image *query, int k, double *phi,
               double *corr)
{
	enum { N = POLAR_ANGLES };
	double accr[N], acci[N], ar[N], ai[N], br[N], bi[N];
	double ea = 0, eb = 0;
	int found = 0;

	memset(accr, 0, sizeof(accr));
	memset(acci, 0, sizeof(acci));
	for (int r = 0; r < POLAR_RADII; r++) {
		double rho =
		    POLAR_RHO_MIN + (POLAR_RHO_MAX - POLAR_RHO_MIN) * r / (POLAR_RADII - 1);
		const float *a = ref->v + r * N, *b = query->v + r * N;
		double ma = 0, mb = 0;
		for (int t = 0; t < N; t++) {
			ma += a[t];
			mb += b[t];
		}
		ma /= N;
		mb /= N;
		for (int t = 0; t < N; t++) {
			ar[t] = (a[t] - ma) * rho;
			br[t] = (b[t] - mb) * rho;
			ai[t] = bi[t] = 0;
			ea += ar[t] * ar[t];
			eb += br[t] * br[t];
		}
		polar_fft(ar, ai, N, 0);
		polar_fft(br, bi, N, 0);
		for (int f = 0; f < N; f++) {
			/* conj(A) * B */
			accr[f] += ar[f] * br[f] + ai[f] * bi[f];
			acci[f] += ar[f] * bi[f] - ai[f] * br[f];
		}
	}
	polar_fft(accr, acci, N, 1);
	double norm = sqrt(ea * eb) * N;
	if (norm <= 0)
		return 0;
	/* accr[s] = sum_t a(t) b(t + s) * N. */
	for (int pass = 0; pass < k; pass++) {
		int best = -1;
		for (int s = 0; s < N; s++) {
			double c = accr[s], l = accr[(s + N - 1) % N], r = accr[(s + 1) % N];
			if (c < l || c < r)
				continue;
			int taken = 0;
			for (int j = 0; j < found; j++) {
				double d = fabs(phi[j] * N / (2 * M_PI) - s);
				if (d > N / 2)
					d = N - d;
				if (d < N / 32)
					taken = 1;
			}
			if (!taken && (best < 0 || c > accr[best]))
				best = s;
		}
		if (best < 0)
			break;
		double c = accr[best], l = accr[(best + N - 1) % N], r = accr[(best + 1) % N];
		double den = l - 2 * c + r, off = den < 0 ? 0.5 * (l - r) / den : 0;
		double p = (best + off) * 2 * M_PI / N;
		if (p < 0)
			p += 2 * M_PI;
		phi[found] = p;
		corr[found] = c / norm;
		found++;
	}
	return found;
}
