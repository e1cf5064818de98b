/*
 * matcher.c - seal impression matching (placeholder until the pipeline lands).
 *
 * This first version only validates its arguments and answers inconclusive;
 * the real pipeline (ink, locate, polar, align, score) replaces it.
 */
#include <string.h>

#include "common/errors.h"
#include "verify/matcher.h"

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

int
matcher_features(const struct image *ref, uint8_t *buf, size_t cap, size_t *len)
{
	if (!ref || !buf || !len || ref->width <= 0 || ref->height <= 0)
		return SEAL_EINVAL;
	if (cap < 8)
		return SEAL_ETOOBIG;
	memcpy(buf, "SEALFT00", 8);
	*len = 8;
	return 0;
}

int
matcher_compare(const struct image *ref, const uint8_t *features, size_t flen,
		const struct image *query, struct match_result *out)
{
	(void)features;
	(void)flen;
	if (!ref || !query || !out)
		return SEAL_EINVAL;
	memset(out, 0, sizeof(*out));
	out->verdict = MATCH_INCONCLUSIVE;
	out->reason = "no_seal_found";
	out->shape = "round";
	return 0;
}

int
matcher_hash(const uint8_t *features, size_t flen, uint8_t hash[MATCHER_HASH_BYTES])
{
	if (!features || !hash)
		return SEAL_EINVAL;
	if (flen < 8)
		return SEAL_ECORRUPT;
	memset(hash, 0, MATCHER_HASH_BYTES);
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
