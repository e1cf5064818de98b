/*
 * qr.h - QR codes: render a payload as a PNG, find and read one in a photo.
 *
 * The only module that includes zbar and libqrencode.  Payloads are the
 * registry's URLs (https://HOST/q/{code}.{sig}), at most SEAL_QR_PAYLOAD_MAX
 * bytes.  Both functions are thread-safe: each call builds its own encoder or
 * scanner and shares no state.
 */
#ifndef SEAL_VERIFY_QR_H
#define SEAL_VERIFY_QR_H

#include <stddef.h>
#include <stdint.h>

#include "verify/image.h"

/* Size bounds of qr_encode_png()'s drawing. */
#define QR_MODULE_PX_MAX 64 /* pixels per module */
#define QR_MARGIN_MAX 16    /* quiet zone in modules (the standard asks for 4) */

/* qr_decode() also scans a half-size copy when the longer side is at least
 * QR_DOWNSCALE_MIN_SIDE; from QR_HALF_FIRST_PIXELS on it scans that copy
 * first, since a full-resolution scan of a 12 Mpx photo takes ~0.5 s. */
#define QR_DOWNSCALE_MIN_SIDE 1200
#define QR_HALF_FIRST_PIXELS (6 * 1000 * 1000)

/* Encode text (NUL-terminated, 1..SEAL_QR_PAYLOAD_MAX bytes) as a QR code,
 * error-correction level M, 8-bit byte mode, the smallest version that fits,
 * drawn black on white with module_px (1..QR_MODULE_PX_MAX) pixels per
 * module and a quiet zone of margin_modules (0..QR_MARGIN_MAX) modules, as
 * an 8-bit grey PNG.  On success *png is malloc'ed (the caller frees it) and
 * *len is its size; on error *png is NULL and *len 0.
 * Returns 0, SEAL_EINVAL (NULL or empty text, size out of range),
 * SEAL_ETOOBIG (text longer than SEAL_QR_PAYLOAD_MAX), SEAL_EPIXELS (the
 * drawing would exceed the image caps of common/limits.h, only with a long
 * text and a big module_px) or SEAL_ENOMEM. */
int qr_encode_png(const char *text, int module_px, int margin_modules, uint8_t **png, size_t *len);

/* Find a QR code in img (grey or RGB, any stride; borrowed for the call) and
 * copy its payload into out, NUL-terminated, its length (without the NUL)
 * in *len.  Only QR symbols are looked for (no 1-D barcodes).  When the
 * image is large (longer side >= QR_DOWNSCALE_MIN_SIDE) and the first scan
 * finds nothing, a second scan runs on a half-size copy, which helps with
 * phone photos where the code's modules are big and noisy.  Images of
 * QR_HALF_FIRST_PIXELS or more are scanned at half size first and at full
 * size only if that fails (small codes in big photos).  If several QR
 * codes are present the first one zbar reports wins.  The payload is copied
 * byte for byte (it may in theory contain NUL; trust *len).
 * Returns 0, SEAL_EINVAL (NULL arguments, empty or malformed image, cap 0),
 * SEAL_ENOQR (no readable QR code), SEAL_ETOOBIG (payload longer than
 * SEAL_QR_PAYLOAD_MAX or than cap - 1; out is then an empty string) or
 * SEAL_ENOMEM. */
int qr_decode(const struct image *img, char *out, size_t cap, size_t *len);

#endif
