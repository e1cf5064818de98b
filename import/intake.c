/*
 * intake.c - decode, check, describe and register one seal impression.
 * The matcher runs before the write transaction opens, so the registry is
 * only ever touched with a complete, valid registration.
 */
#include "import/intake.h"
#include "common/errors.h"
#include "verify/image.h"
#include "verify/matcher.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
intake_prepare(const struct seal_registration *in, struct intake_item *item)
{
	static const struct image_limits limits = {SEAL_UPLOAD_MAX_BYTES, 25 * 1000 * 1000, 8000};
	struct image img = {0};
	enum image_format fmt;
	size_t flen = 0, png_len = 0;
	int w, h, rc;

	item->reg = *in;
	item->png = NULL;
	if (in->impression == NULL || in->impression_len == 0)
		return SEAL_EINVAL;
	rc = image_probe(in->impression, in->impression_len, &fmt, &w, &h);
	if (rc == 0)
		rc = image_decode(in->impression, in->impression_len, &limits, &img);
	if (rc == 0)
		rc = matcher_features(&img, item->features, sizeof item->features, &flen);
	if (rc == 0 &&
	    (fmt != IMAGE_FORMAT_PNG || in->impression_len > SEAL_IMPRESSION_MAX_BYTES)) {
		rc = image_encode_png(&img, &item->png, &png_len);
		item->reg.impression = item->png;
		item->reg.impression_len = png_len;
	}
	if (rc == 0 && item->reg.impression_len > SEAL_IMPRESSION_MAX_BYTES)
		rc = SEAL_ETOOBIG;
	item->reg.features = item->features;
	item->reg.features_len = flen;
	image_fini(&img);
	return rc;
}

void
intake_item_fini(struct intake_item *item)
{
	free(item->png);
	item->png = NULL;
}

int
intake_register(struct registry *reg, const struct registry_actor *actor,
                const struct seal_registration *in, struct seal_record *out, int *region_mismatch)
{
	struct intake_item *item = malloc(sizeof *item);
	int rc;

	if (item == NULL)
		return SEAL_ENOMEM;
	rc = intake_prepare(in, item);
	if (rc == 0)
		rc = registry_seal_register(reg, actor, &item->reg, out, region_mismatch);
	intake_item_fini(item);
	free(item);
	return rc;
}

int
intake_read_file(const char *path, size_t max, uint8_t **data, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;

	*data = NULL;
	*len = 0;
	if (f == NULL)
		return errno == ENOENT ? SEAL_ENOTFOUND : SEAL_EIO;
	for (;;) {
		size_t got;
		if (n == cap) {
			uint8_t *nb;
			if (cap > max) {
				rc = SEAL_ETOOBIG;
				break;
			}
			cap = cap ? cap * 2 : 64 * 1024;
			nb = realloc(buf, cap + 1);
			if (nb == NULL) {
				rc = SEAL_ENOMEM;
				break;
			}
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0) {
			if (ferror(f))
				rc = SEAL_EIO;
			break;
		}
	}
	fclose(f);
	if (rc == 0 && n > max)
		rc = SEAL_ETOOBIG;
	if (rc != 0) {
		free(buf);
		return rc;
	}
	*data = buf;
	*len = n;
	return 0;
}
