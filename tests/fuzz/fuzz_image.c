/*
 * fuzz_image.c - libFuzzer target: arbitrary bytes into image_probe() and
 * image_decode() with small limits (4 Mpx, 1 MB), checking the invariants of
 * the result: either an error code with a zeroed image, or a consistent RGB
 * image whose every byte is readable.  Replayed over corpus/image/ by the
 * suite; `make fuzz` builds it for real fuzzing.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "common/errors.h"
#include "verify/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct image_limits lim = {1024 * 1024, 4 * 1000 * 1000, 4096};
	struct image img;
	enum image_format fmt;
	int w, h, rc;
	unsigned sum = 0;

	rc = image_probe(data, size, &fmt, &w, &h);
	if (rc == 0 && (w <= 0 || h <= 0 || fmt == IMAGE_FORMAT_UNKNOWN))
		abort();
	rc = image_decode(data, size, &lim, &img);
	if (rc != 0) {
		if (img.pixels || img.width || rc > 0)
			abort();
		return 0;
	}
	if (img.channels != 3 || img.width <= 0 || img.height <= 0 ||
	    (uint64_t)img.width * (uint64_t)img.height > lim.max_pixels ||
	    img.stride < (size_t)img.width * 3)
		abort();
	/* Touch every pixel so ASan sees a short buffer and MSan uninitialised bytes. */
	for (int y = 0; y < img.height; y++)
		for (size_t x = 0; x < (size_t)img.width * 3; x++)
			sum += img.pixels[(size_t)y * img.stride + x];
	if (sum == 0xFFFFFFFFu)
		abort(); /* keeps the loop */
	image_fini(&img);
	return 0;
}
