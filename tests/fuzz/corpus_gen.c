/*
 * corpus_gen.c - writes the seed corpora tests/fuzz/corpus/{image,qr}/.
 *
 * Not part of any build; run by hand when the seeds should change:
 *   make build/tests/support/imgfix.o build/libverify.a build/libcommon.a
 *   cc -std=c11 -D_GNU_SOURCE -Wno-missing-field-initializers -I. -I/usr/include/libpng16 \
 *      tests/fuzz/corpus_gen.c \
 *      build/tests/support/imgfix.o build/libverify.a build/libcommon.a \
 *      -lpng16 -ljpeg -lqrencode -lzbar -o /tmp/corpus_gen && /tmp/corpus_gen
 * Seeds are small (well under 20 KB): valid files of every flavour the
 * decoder handles plus broken ones (truncated, oversized headers, bit flips).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/imgfix.h"
#include "verify/image.h"
#include "verify/qr.h"

static const char *dir = "tests/fuzz/corpus";

static void
put(const char *sub, const char *name, const void *data, size_t n)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, name);
	f = fopen(path, "wb");
	if (!f || fwrite(data, 1, n, f) != n) {
		perror(path);
		exit(1);
	}
	fclose(f);
}

static uint8_t pixels[64 * 64 * 4];

static void
fill(int w, int h, int ch)
{
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++)
			for (int c = 0; c < ch; c++)
				pixels[(y * w + x) * ch + c] =
				    (uint8_t)((x * 13 + y * 7 + c * 85) & 255);
}

static void
png(const char *name, struct imgfix_png spec)
{
	uint8_t *out;
	size_t n;

	if (imgfix_png_write(&spec, &out, &n) != 0)
		exit(1);
	put("image", name, out, n);
	free(out);
}

static void
jpeg(const char *sub, const char *name, struct imgfix_jpeg spec, size_t cut, int flip)
{
	uint8_t *out;
	size_t n;

	if (imgfix_jpeg_write(&spec, &out, &n) != 0)
		exit(1);
	if (flip)
		out[n / 2] ^= 0x55;
	put(sub, name, out, cut && cut < n ? cut : n);
	free(out);
}

int
main(void)
{
	static const uint8_t pal[] = {255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30};
	static const uint8_t trns[] = {0, 128};
	static const uint8_t png_huge[] = {
	    0x89, 'P',  'N',  'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R', 0,
	    0,    0x4e, 0x20, 0,   0,    0x4e, 0x20, 8,    2, 0, 0, 0,  0,   0,   0,   0};
	static const uint8_t jpg_huge[] = {0xFF, 0xD8, 0xFF, 0xC0, 0, 17,   8,   0x4e,
	                                   0x20, 0x4e, 0x20, 3,    1, 0x22, 0,   2,
	                                   0x11, 1,    3,    0x11, 1, 0xFF, 0xD9};
	const char *payload = "https://seal.example/q/6101001000001."
	                      "q7Zl1x-3pX_0aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789-_abcdefghijklmnopq"
	                      "rstuvwxyzABCDEFGHIJ";
	uint8_t junk[512], *out;
	size_t n;
	struct image img;

	fill(16, 16, 3);
	png("png_rgb_interlaced.png", (struct imgfix_png){16, 16, IMGFIX_RGB, 8, 1, pixels, 48});
	png("png_grey.png", (struct imgfix_png){16, 16, IMGFIX_GREY, 8, 0, pixels, 48});
	png("png_grey2_interlaced.png", (struct imgfix_png){9, 9, IMGFIX_GREY, 2, 1, pixels, 3});
	png("png_palette_trns.png",
	    (struct imgfix_png){12, 8, IMGFIX_PALETTE, 2, 0, pixels, 3, pal, 4, trns, 2});
	png("png_rgb16.png", (struct imgfix_png){8, 8, IMGFIX_RGB, 16, 0, pixels, 48});
	png("png_rgba.png", (struct imgfix_png){12, 12, IMGFIX_RGBA, 8, 0, pixels, 48});
	png("png_grey_alpha16.png",
	    (struct imgfix_png){8, 8, IMGFIX_GREY_ALPHA, 16, 0, pixels, 32});
	png("png_grey1.png", (struct imgfix_png){30, 5, IMGFIX_GREY, 1, 0, pixels, 4});
	{
		struct imgfix_png s = {16, 16, IMGFIX_RGB, 8, 0, pixels, 48};
		if (imgfix_png_write(&s, &out, &n) != 0)
			return 1;
		put("image", "png_truncated.png", out, n / 2);
		out[n - 20] ^= 0x20; /* inside IDAT: bad CRC or bad deflate */
		put("image", "png_corrupt_idat.png", out, n);
		put("image", "png_header_only.png", out, 33);
		free(out);
	}
	put("image", "png_huge_header.png", png_huge, sizeof(png_huge));
	put("image", "jpeg_huge_header.jpg", jpg_huge, sizeof(jpg_huge));
	fill(32, 24, 3);
	jpeg("image", "jpeg_baseline.jpg", (struct imgfix_jpeg){32, 24, 3, pixels, 75, 0, 0, 0}, 0,
	     0);
	jpeg("image", "jpeg_progressive.jpg", (struct imgfix_jpeg){32, 24, 3, pixels, 75, 1, 0, 0},
	     0, 0);
	jpeg("image", "jpeg_exif6_le.jpg", (struct imgfix_jpeg){32, 24, 3, pixels, 60, 0, 6, 0}, 0,
	     0);
	jpeg("image", "jpeg_exif8_be_prog.jpg",
	     (struct imgfix_jpeg){32, 24, 3, pixels, 60, 1, 8, 1}, 0, 0);
	jpeg("image", "jpeg_exif5.jpg", (struct imgfix_jpeg){24, 16, 3, pixels, 50, 0, 5, 0}, 0, 0);
	jpeg("image", "jpeg_grey.jpg", (struct imgfix_jpeg){32, 24, 1, pixels, 75, 0, 0, 0}, 0, 0);
	fill(16, 16, 4);
	jpeg("image", "jpeg_cmyk.jpg", (struct imgfix_jpeg){16, 16, 4, pixels, 75, 0, 0, 0}, 0, 0);
	fill(32, 24, 3);
	jpeg("image", "jpeg_truncated.jpg", (struct imgfix_jpeg){32, 24, 3, pixels, 75, 0, 0, 0},
	     300, 0);
	jpeg("image", "jpeg_bitflip_prog.jpg", (struct imgfix_jpeg){32, 24, 3, pixels, 75, 1, 0, 0},
	     0, 1);
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)((i * 2654435761u) >> 13);
	put("image", "random.bin", junk, sizeof(junk));
	put("image", "empty.bin", junk, 0);

	/* QR seeds. */
	if (qr_encode_png(payload, 2, 4, &out, &n) != 0)
		return 1;
	put("qr", "qr_payload.png", out, n);
	put("qr", "qr_truncated.png", out, n * 2 / 3);
	free(out);
	if (qr_encode_png("6101001000001", 3, 2, &out, &n) != 0)
		return 1;
	put("qr", "qr_short.png", out, n);
	if (image_decode(out, n, NULL, &img) != 0)
		return 1;
	free(out);
	{
		/* The short code on a noisy 160x160 grey background, as a JPEG. */
		static uint8_t scene[160 * 160];
		unsigned s = 1;

		for (int i = 0; i < 160 * 160; i++) {
			s = s * 1103515245u + 12345u;
			scene[i] = (uint8_t)(170 + (s >> 16) % 24);
		}
		for (int y = 0; y < img.height && y + 40 < 160; y++)
			for (int x = 0; x < img.width && x + 30 < 160; x++)
				scene[(y + 40) * 160 + x + 30] =
				    img.pixels[y * img.stride + x * 3] ? 230 : 30;
		jpeg("qr", "qr_in_noise.jpg", (struct imgfix_jpeg){160, 160, 1, scene, 70, 0, 0, 0},
		     0, 0);
	}
	image_fini(&img);
	if (image_alloc(&img, 64, 64, 1, 255) != 0 || image_encode_png(&img, &out, &n) != 0)
		return 1;
	put("qr", "blank.png", out, n);
	free(out);
	image_fini(&img);
	return 0;
}
