/*
 * score.h - the matcher's evidence figures and their calibration.
 *
 * After alignment the matcher measures a handful of figures on the
 * normalised views of reference and query; this module turns them into a
 * score in [0, 1] and a verdict.  Part of the matcher (matcher.h).
 */
#ifndef SEAL_VERIFY_SCORE_H
#define SEAL_VERIFY_SCORE_H

#include "verify/matcher.h"

enum score_feature {
	SCORE_NCC,         /* correlation of ink after alignment, reference blurred to match */
	SCORE_NCC_MID,     /* the same over the text band (0.35 < rho / outline < 0.85) */
	SCORE_EXTRA0,      /* share of query ink outside the (dilated) reference ink */
	SCORE_EXTRA1,      /* share of query ink beyond 1 grid pixel of it */
	SCORE_MISSING,     /* share of reference ink far from query ink */
	SCORE_DIL,         /* dilation of the reference that best explains the query, ref px */
	SCORE_BLUR,        /* blur matched to the query, reference pixels (sigma) */
	SCORE_SCALE,       /* query seal scale / reference seal scale */
	SCORE_COVER,       /* share of outline rays inside the photo */
	SCORE_INK,         /* query ink pixels / reference ink pixels */
	SCORE_POLAR,       /* polar correlation peak of the rotation found */
	SCORE_NCC_PRESENT, /* text-band correlation where the query has ink nearby */
	SCORE_NFEAT
};

struct score_input {
	double f[SCORE_NFEAT];
	int found;        /* a seal region was found and aligned */
	int shape_ref;    /* enum seal_shape of the reference */
	int shape_q;      /* ... and of the region found in the query */
	double radius_px; /* query seal scale in query pixels */
};

/* The log-odds z of a genuine impression given the figures (match at
 * z >= 3.25). */
double score_z(const double f[SCORE_NFEAT]);

/* Fill out->score, verdict and reason from the figures. */
void score_decide(const struct score_input *in, struct match_result *out);

/* matcher_compare() that also hands back the figures (for calibration tools);
 * feat may be NULL. */
int matcher_compare_detail(const struct image *ref, const uint8_t *features, size_t flen,
                           const struct image *query, struct match_result *out,
                           double feat[SCORE_NFEAT]);

#endif
