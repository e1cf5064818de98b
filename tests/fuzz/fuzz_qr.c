/*
 * fuzz_qr.c - libFuzzer target: arbitrary bytes decoded as an image (at most
 * 1 Mpx, so zbar stays quick) and scanned with qr_decode().  A found payload
 * must be NUL-terminated, within the cap and of the reported length.
 * Replayed over corpus/qr/ by the suite.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/limits.h"
#include "verify/image.h"
#include "verify/qr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct image_limits lim = {1024 * 1024, 1000 * 1000, 2048};
	struct image img;
	char out[SEAL_QR_PAYLOAD_MAX + 1];
	size_t len = 0;
	int rc;

	if (image_decode(data, size, &lim, &img) != 0)
		return 0;
	rc = qr_decode(&img, out, sizeof(out), &len);
	image_fini(&img);
	if (rc == 0 && (len > SEAL_QR_PAYLOAD_MAX || out[len] != '\0'))
		abort();
	if (rc != 0 && (len != 0 || out[0] != '\0'))
		abort();
	return 0;
}
