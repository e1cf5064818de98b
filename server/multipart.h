/*
 * multipart.h - a small, bounded multipart/form-data parser (RFC 7578).
 *
 * The whole body is in memory (the HTTP layer capped its size); parts point
 * into it, nothing is copied except the short header values.  The parser
 * accepts a preamble, LF-only line ends inside part headers, quoted and
 * unquoted boundary parameters, and refuses anything truncated: a body that
 * does not end with the closing delimiter "--boundary--" is an error.
 */
#ifndef SEAL_SERVER_MULTIPART_H
#define SEAL_SERVER_MULTIPART_H

#include <stddef.h>
#include <stdint.h>

#define MULTIPART_MAX_PARTS 16     /* parts in one body */
#define MULTIPART_BOUNDARY_MAX 70  /* RFC 2046 limit on the boundary */
#define MULTIPART_HEADERS_MAX 2048 /* bytes of one part's header block */
#define MULTIPART_NAME_MAX 63      /* a part's name parameter */
#define MULTIPART_FILENAME_MAX 255 /* a part's filename parameter */
#define MULTIPART_TYPE_MAX 127     /* a part's Content-Type */

struct multipart_part {
	char name[MULTIPART_NAME_MAX + 1];
	char filename[MULTIPART_FILENAME_MAX + 1]; /* "" when not a file */
	char content_type[MULTIPART_TYPE_MAX + 1]; /* "" when absent */
	const uint8_t *data;                       /* into the body */
	size_t len;
};

/*
 * Extract the boundary from a Content-Type header value such as
 * `multipart/form-data; boundary="abc"`.  out needs MULTIPART_BOUNDARY_MAX + 1
 * bytes.  Returns 0, or SEAL_EINVAL when the type is not multipart/form-data
 * or the boundary is missing, empty or longer than MULTIPART_BOUNDARY_MAX.
 */
int multipart_boundary(const char *content_type, char *out, size_t cap);

/*
 * Split body (len bytes) into parts.  parts has room for max entries; *n
 * receives the count.  A part larger than max_part bytes is SEAL_ETOOBIG,
 * as is a body with more than max parts or a header block longer than
 * MULTIPART_HEADERS_MAX.  A missing opening delimiter, a missing closing
 * delimiter (truncated body), a part without a Content-Disposition name or
 * an over-long header value is SEAL_EINVAL.  Parts borrow from body.
 */
int multipart_parse(const uint8_t *body, size_t len, const char *boundary, size_t max_part,
                    struct multipart_part *parts, size_t max, size_t *n);

/* The first part named name, or NULL. */
const struct multipart_part *multipart_find(const struct multipart_part *parts, size_t n,
                                            const char *name);

#endif
