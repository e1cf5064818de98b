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
	SCORE_NCC,      /* correlation of ink after alignment, reference blurred to match */
	SCORE_NCC_MID,  /* the same over the text band (0.35 < rho < 0.85) */
	SCORE_EXTRA,    /* share of query ink far from (dilation-matched) reference ink */
	SCORE_EXTRA_O,  /* ... in the outer band (rho >= 0.85) */
	SCORE_EXTRA_M,  /* ... in the text band */
	SCORE_EXTRA_I,  /* ... in the centre (rho <= 0.35) */
	SCORE_EXTRA2,   /* share of query ink very far from reference ink */
	SCORE_MISSING,  /* share of reference ink far from query ink */
	SCORE_DIL,      /* dilation of the reference that best explains the query */
	SCORE_BLUR,     /* blur matched to the query, reference pixels (sigma) */
	SCORE_SCALE,    /* query seal scale / reference seal scale */
	SCORE_COVER,    /* share of outline rays inside the photo */
	SCORE_INK,      /* query ink pixels / reference ink pixels */
	SCORE_POLAR,    /* polar correlation peak */
	SCORE_NCC_OUT,  /* correlation over the outer band (border) */
	SCORE_NCC_IN,   /* correlation over the centre (star, emblem) */
	SCORE_MASS_MO,  /* log ink mass ratio query/reference, text band over outer band */
	SCORE_MASS_IO,  /* the same, centre over outer band */
	SCORE_THR_MO,   /* best-matching threshold of the blurred reference, text minus outer */
	SCORE_THR_IO,   /* the same, centre minus outer */
	SCORE_EXTRA1,   /* share of query ink beyond 1 grid pixel of (dilated) reference ink */
	SCORE_EXTRA1_O, /* ... in the outer band */
	SCORE_EXTRA1_M, /* ... in the text band */
	SCORE_EXTRA1_I, /* ... in the centre */
	SCORE_EXTRA0,   /* share of query ink outside the (dilated) reference ink */
	SCORE_EXTRA15,  /* share of query ink beyond 1.5 grid pixels */
	SCORE_SW_OM,    /* stroke width change (query - reference), outer minus text band, ref px */
	SCORE_SW_IM,    /* the same, centre minus text band */
	SCORE_SW_M,     /* stroke width change in the text band, ref px (ink spread) */
	SCORE_NFEAT
};

struct score_input {
	double f[SCORE_NFEAT];
	int found; /* a seal region was found and aligned */
	const char *shape_query;
	int shape_ref;
	int shape_q;
	double radius_px; /* query seal scale in query pixels */
};

/* Fill out->score, verdict and reason from the figures. */
void score_decide(const struct score_input *in, struct match_result *out);

/* matcher_compare() that also hands back the figures (for calibration tools);
 * feat may be NULL. */
int matcher_compare_detail(const struct image *ref, const uint8_t *features, size_t flen,
                           const struct image *query, struct match_result *out,
                           double feat[SCORE_NFEAT]);

#endif
