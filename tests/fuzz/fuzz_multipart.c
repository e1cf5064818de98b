/*
 * fuzz_multipart.c - libFuzzer target for the daemon's request parsers
 * (server/multipart.h, server/qrsig.h).
 *
 * The first line of the input is a Content-Type header value (its boundary
 * is extracted), the rest the body.  Every part found must lie inside the
 * body, have NUL-terminated header fields and respect the part cap.  The
 * whole input is also fed to the QR payload parser, whose outputs must be
 * NUL-terminated and of the documented shape.  Replayed over
 * corpus/multipart/ by the suite.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "server/multipart.h"
#include "server/qrsig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char ctype[512], boundary[MULTIPART_BOUNDARY_MAX + 1];
	char host[QRSIG_HOST_MAX + 1], code[SEAL_CODE_LEN + 1], sig[QRSIG_B64_LEN + 1];
	struct multipart_part parts[MULTIPART_MAX_PARTS];
	const uint8_t *nl = memchr(data, '\n', size < sizeof(ctype) ? size : sizeof(ctype));
	const size_t cap = 4096;
	size_t n = 0;

	if (qrsig_parse((const char *)data, size, host, code, sig) == 0) {
		if (strlen(code) != SEAL_CODE_LEN || strlen(sig) != QRSIG_B64_LEN ||
		    strlen(host) > QRSIG_HOST_MAX)
			abort();
	} else if (host[0] || code[0] || sig[0]) {
		abort();
	}
	if (!nl)
		return 0;
	memcpy(ctype, data, (size_t)(nl - data));
	ctype[nl - data] = '\0';
	if (multipart_boundary(ctype, boundary, sizeof(boundary)) != 0)
		return 0;
	if (strlen(boundary) == 0 || strlen(boundary) > MULTIPART_BOUNDARY_MAX)
		abort();
	{
		const uint8_t *body = nl + 1;
		size_t blen = size - (size_t)(body - data);
		int rc = multipart_parse(body, blen, boundary, cap, parts, MULTIPART_MAX_PARTS, &n);

		if (rc != 0)
			return 0;
		if (n > MULTIPART_MAX_PARTS)
			abort();
		for (size_t i = 0; i < n; i++) {
			const struct multipart_part *p = &parts[i];

			if (p->data < body || p->data + p->len > body + blen || p->len > cap)
				abort();
			if (!p->name[0] || strnlen(p->name, sizeof(p->name)) == sizeof(p->name) ||
			    strnlen(p->filename, sizeof(p->filename)) == sizeof(p->filename) ||
			    strnlen(p->content_type, sizeof(p->content_type)) ==
			        sizeof(p->content_type))
				abort();
		}
	}
	return 0;
}
