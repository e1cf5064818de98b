/*
 * score.c - from evidence figures to a score and a verdict.
 *
 * The evidence is combined linearly into a log-odds z (weights fitted by
 * logistic regression on the dev set, genuine against forgeries and other
 * seals, then rounded; the "extra ink" shares enter as logarithms because
 * genuine impressions have almost none).  score = 1 / (1 + exp(-(z - Z_MATCH)
 * / 2)), so 0.5 is the match threshold.  Quality gates run first: a region
 * too small, too incomplete or too blurred to show a re-engraving's
 * differences cannot earn "match"; it is "inconclusive" with its reason
 * unless the evidence against it is already overwhelming.
 */
#include <math.h>

#include "verify/score.h"

#define ZBIAS 59.040   /* logistic regression intercept */
#define Z_MATCH 3.25   /* z at or above: match (forgery -> match <= 2% on dev) */
#define Z_MISMATCH 1.0 /* z below: mismatch (genuine -> mismatch <= 3% on dev) */
#define Z_SURE_NO -6.0 /* z below: mismatch even when quality is poor */
#define MIN_RADIUS_PX 45.0
#define MAX_MISSING 0.5 /* share of the reference's ink not found in the query */
#define MIN_COVER 0.55

static double
lg(double x)
{
	return log(x + 0.003);
}

void
score_decide(const struct score_input *in, struct match_result *out)
{
	const double *f = in->f;

	out->reason = "ok";
	if (!in->found) {
		out->score = 0;
		out->verdict = MATCH_INCONCLUSIVE;
		out->reason = "no_seal_found";
		return;
	}
	double z = -4.7110 * lg(f[SCORE_EXTRA0]) + 36.063 * f[SCORE_NCC_PRESENT] - ZBIAS;
	out->score = 1 / (1 + exp(-(z - Z_MATCH) / 2));
	if (z < Z_SURE_NO) {
		out->verdict = MATCH_MISMATCH;
		return;
	}
	const char *gate = NULL;
	if (in->radius_px < MIN_RADIUS_PX)
		gate = "seal_too_small";
	else if (f[SCORE_MISSING] > MAX_MISSING || f[SCORE_COVER] < MIN_COVER)
		gate = "too_little_ink";
	if (gate) {
		out->verdict = MATCH_INCONCLUSIVE;
		out->reason = gate;
		return;
	}
	if (z >= Z_MATCH) {
		out->verdict = MATCH_MATCH;
	} else if (z < Z_MISMATCH) {
		out->verdict = MATCH_MISMATCH;
	} else {
		out->verdict = MATCH_INCONCLUSIVE;
		out->reason = "weak_evidence";
	}
}
