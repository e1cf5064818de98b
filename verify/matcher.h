/*
 * matcher.h - seal impression matching: features, 1:1 comparison, 1:N hash.
 *
 * A reference impression (the clean image an engraver registers) is reduced
 * once to a feature blob of at most SEAL_FEATURES_MAX_BYTES bytes that the
 * registry stores as opaque bytes.  A query photo (a stamped document,
 * photographed or scanned) is then compared against the reference: the
 * matcher finds every seal-like red-ink region in the photo, normalises the
 * best candidate for position, scale and rotation (any angle) and scores how
 * well its ink agrees with the reference.  Ink where the reference has none
 * costs much; reference ink missing from the query (faded or partial stamps,
 * black print over the seal) costs little.
 *
 * Verdicts: MATCH only when the evidence is strong and the photo resolves the
 * reference's fine detail; MISMATCH when the impression clearly differs;
 * INCONCLUSIVE otherwise, with a reason the page can show (ask for a sharper,
 * closer photo).  See docs/matcher.md for the pipeline and calibration.
 *
 * All functions are pure and thread-safe: no global mutable state; every
 * buffer is allocated per call and released before returning.
 */
#ifndef SEAL_VERIFY_MATCHER_H
#define SEAL_VERIFY_MATCHER_H

#include <stddef.h>
#include <stdint.h>

#include "common/limits.h"
#include "verify/image.h"

/* Size of the rotation-invariant hash used for 1:N search. */
#define MATCHER_HASH_BYTES 32

enum match_verdict { MATCH_MATCH, MATCH_MISMATCH, MATCH_INCONCLUSIVE };

struct match_result {
	enum match_verdict verdict;
	double score;       /* [0,1], higher = more alike; 0 when no seal was found */
	const char *reason; /* static string, see below */
	double cx, cy;      /* centre of the seal found in the query, query pixels */
	double radius;      /* its outer radius (oval: semi-major axis; square: half side) */
	double angle_deg;   /* rotation of the query relative to the reference, degrees
	                       counter-clockwise as seen on screen, [0, 360) */
	const char *shape;  /* "round", "oval" or "square" (of the region found) */
};

/*
 * Reasons (static strings in match_result.reason):
 *   "ok"                  a verdict from a good comparison (match or mismatch)
 *   "no_seal_found"       no seal-like red-ink region in the query
 *   "seal_too_small"      the seal found is too small in pixels to judge
 *   "too_little_ink"      the seal found is too faint or too incomplete
 *   "shape_differs"       the region's shape differs from the reference's
 *   "resolution_too_low"  blur or scale hide the detail that tells forgeries
 *   "weak_evidence"       the score falls between the match and mismatch bands
 */

/*
 * Compute the features of a reference impression.
 *   ref  decoded reference image (RGB or grey; red ink on light paper).
 *   buf  output buffer of cap bytes; cap >= SEAL_FEATURES_MAX_BYTES always suffices.
 *   len  receives the number of bytes written.
 * Returns 0, SEAL_EINVAL (NULL argument or empty image), SEAL_ETOOBIG (cap too
 * small), SEAL_ENOSEAL (no seal-like ink region in ref) or SEAL_ENOMEM.
 * The blob is deterministic for a given image (usable as a golden vector).
 */
int matcher_features(const struct image *ref, uint8_t *buf, size_t cap, size_t *len);

/*
 * Compare a query photo against a reference impression.
 *   ref       the decoded reference image (required).
 *   features  its blob from matcher_features(), flen bytes; may be NULL (or
 *             invalid/outdated), in which case it is recomputed from ref.
 *   query     the decoded query photo.
 *   out       receives the verdict, score, reason and where the seal is.
 * Returns 0 whenever a verdict was produced (including INCONCLUSIVE with
 * reason "no_seal_found"), SEAL_EINVAL (NULL argument or empty image),
 * SEAL_ENOSEAL (no seal in ref itself) or SEAL_ENOMEM.
 */
int matcher_compare(const struct image *ref, const uint8_t *features, size_t flen,
                    const struct image *query, struct match_result *out);

/* "match", "mismatch" or "inconclusive" (static; "unknown" for other values). */
const char *match_verdict_name(enum match_verdict v);

/*
 * Extract the rotation-invariant 256-bit hash from a feature blob: the
 * magnitudes of the angular Fourier spectrum of the ring bands that carry
 * the name (frequencies 4-35, relative to each band's mean ink), reduced by
 * SimHash (signs of 256 fixed pseudo-random projections).
 * Returns 0, SEAL_EINVAL (NULL) or SEAL_ECORRUPT (not a valid blob).
 */
int matcher_hash(const uint8_t *features, size_t flen, uint8_t hash[MATCHER_HASH_BYTES]);

/*
 * Hamming distance between two hashes, 0 (identical) .. 256 (a distance, not
 * a similarity: smaller is more alike).  Renderings of one seal at another
 * rotation differ by a handful of bits; distinct seals of the same layout by
 * tens of bits.  A coarse pre-filter for 1:N search, never a verdict.
 */
int matcher_hash_distance(const uint8_t a[MATCHER_HASH_BYTES], const uint8_t b[MATCHER_HASH_BYTES]);

#endif
