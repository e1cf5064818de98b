/*
 * intake.h - the one path by which a seal enters the registry with its
 * impression: decode the image (PNG or JPEG, bounded), check that a seal is
 * found in it, compute the matcher's features, store the impression as PNG
 * and register - used by sealctl, the bulk importer, the demo seeder and
 * the daemon alike.
 */
#ifndef SEAL_IMPORT_INTAKE_H
#define SEAL_IMPORT_INTAKE_H

#include "registry/registry.h"

/* A registration whose impression has been decoded, checked and described:
 * ready for registry_seal_register(_batch).  reg points into the item and
 * into the caller's original bytes, which must outlive it. */
struct intake_item {
	struct seal_registration reg;
	uint8_t features[SEAL_FEATURES_MAX_BYTES];
	uint8_t *png; /* re-encoded impression when the input was not PNG */
};

/* Do everything intake_register() does before touching the registry.
 * Same errors.  Release with intake_item_fini() (also after an error). */
int intake_prepare(const struct seal_registration *in, struct intake_item *item);
void intake_item_fini(struct intake_item *item);

/* Register in->... with the impression in->impression (PNG or JPEG bytes,
 * in->impression_len); in->features is ignored and computed here.  A JPEG,
 * or a PNG over SEAL_IMPRESSION_MAX_BYTES, is re-encoded as PNG before it
 * is stored.  Returns what
 * registry_seal_register() returns, or before touching the registry:
 * SEAL_EINVAL (no impression), SEAL_ETOOBIG (bytes, or the PNG to store
 * exceeds SEAL_IMPRESSION_MAX_BYTES), SEAL_EPIXELS, SEAL_EIMAGE,
 * SEAL_EIMAGE_FORMAT, SEAL_ENOSEAL (no seal found in the impression). */
int intake_register(struct registry *reg, const struct registry_actor *actor,
                    const struct seal_registration *in, struct seal_record *out,
                    int *region_mismatch);

/* Read a whole file of at most max bytes.  *data is malloc'ed.  Returns 0,
 * SEAL_ENOTFOUND, SEAL_EIO or SEAL_ETOOBIG. */
int intake_read_file(const char *path, size_t max, uint8_t **data, size_t *len);

#endif
