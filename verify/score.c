/*
 * score.c - from evidence figures to a score and a verdict.
 *
 * A logistic combination of the figures, calibrated on the dev set, gives
 * the score; quality gates (seal size, ink, blur) turn a would-be match into
 * inconclusive with a reason.
 */
#include <math.h>

#include "verify/score.h"

void
score_decide(const struct score_input *in, struct match_result *out)
{
	const double *f = in->f;

	if (!in->found) {
		out->score = 0;
		out->verdict = MATCH_INCONCLUSIVE;
		out->reason = "no_seal_found";
		return;
	}
	double z = 8 * (f[SCORE_NCC] - 0.5) - 10 * f[SCORE_EXTRA];
	out->score = 1 / (1 + exp(-z));
	out->reason = "ok";
	if (out->score >= 0.8)
		out->verdict = MATCH_MATCH;
	else if (out->score < 0.2)
		out->verdict = MATCH_MISMATCH;
	else {
		out->verdict = MATCH_INCONCLUSIVE;
		out->reason = "weak_evidence";
	}
}
