/*
 * multipart.c - bounded multipart/form-data parsing.
 *
 * The body is walked once with memmem(): find "--boundary" at the start (or
 * after a preamble line), then for each part read the header block up to the
 * blank line, pick name/filename out of Content-Disposition and the
 * Content-Type, and take the data up to the next "\r\n--boundary".  The
 * delimiter followed by "--" ends the body; running out of bytes before that
 * is a truncated body.  Nothing is allocated.
 */
#include "server/multipart.h"

#include <string.h>
#include <strings.h>

#include "common/errors.h"

/* Copy the value of parameter param (e.g. name="x") from a header value. */
static int
header_param(const char *value, size_t vlen, const char *param, char *out, size_t cap)
{
	size_t plen = strlen(param);
	size_t i = 0;

	out[0] = '\0';
	while (i < vlen) {
		/* Move to the start of the next parameter (after ';'). */
		while (i < vlen && value[i] != ';')
			i++;
		if (i >= vlen)
			break;
		i++;
		while (i < vlen && (value[i] == ' ' || value[i] == '\t'))
			i++;
		if (vlen - i > plen && strncasecmp(value + i, param, plen) == 0 &&
		    value[i + plen] == '=') {
			size_t j = i + plen + 1, k = 0;

			if (j < vlen && value[j] == '"') {
				j++;
				while (j < vlen && value[j] != '"') {
					if (value[j] == '\\' && j + 1 < vlen)
						j++;
					if (k + 1 >= cap)
						return SEAL_EINVAL;
					out[k++] = value[j++];
				}
				if (j >= vlen)
					return SEAL_EINVAL;
			} else {
				while (j < vlen && value[j] != ';' && value[j] != ' ' &&
				       value[j] != '\t') {
					if (k + 1 >= cap)
						return SEAL_EINVAL;
					out[k++] = value[j++];
				}
			}
			out[k] = '\0';
			return 0;
		}
	}
	return SEAL_ENOTFOUND;
}

int
multipart_boundary(const char *content_type, char *out, size_t cap)
{
	static const char type[] = "multipart/form-data";
	int rc;

	if (!content_type || !out || cap < 2)
		return SEAL_EINVAL;
	out[0] = '\0';
	while (*content_type == ' ')
		content_type++;
	if (strncasecmp(content_type, type, sizeof(type) - 1) != 0)
		return SEAL_EINVAL;
	if (cap > MULTIPART_BOUNDARY_MAX + 1)
		cap = MULTIPART_BOUNDARY_MAX + 1;
	rc = header_param(content_type, strlen(content_type), "boundary", out, cap);
	if (rc != 0 || out[0] == '\0') {
		out[0] = '\0';
		return SEAL_EINVAL;
	}
	return 0;
}

/* Parse one part's header block [h, h + hlen) into part. */
static int
parse_part_headers(const char *h, size_t hlen, struct multipart_part *part)
{
	size_t i = 0;
	int have_disposition = 0;

	while (i < hlen) {
		const char *line = h + i;
		const char *eol = memchr(line, '\n', hlen - i);
		size_t llen = eol ? (size_t)(eol - line) : hlen - i;
		const char *colon;
		size_t nlen;

		i += llen + (eol ? 1 : 0);
		if (llen > 0 && line[llen - 1] == '\r')
			llen--;
		if (llen == 0)
			continue;
		colon = memchr(line, ':', llen);
		if (!colon)
			return SEAL_EINVAL;
		nlen = (size_t)(colon - line);
		{
			const char *v = colon + 1;
			size_t vlen = llen - nlen - 1;

			while (vlen > 0 && (*v == ' ' || *v == '\t')) {
				v++;
				vlen--;
			}
			if (nlen == 19 && strncasecmp(line, "Content-Disposition", nlen) == 0) {
				if (vlen < 9 || strncasecmp(v, "form-data", 9) != 0)
					return SEAL_EINVAL;
				if (header_param(v, vlen, "name", part->name, sizeof(part->name)) !=
				    0)
					return SEAL_EINVAL;
				if (header_param(v, vlen, "filename", part->filename,
				                 sizeof(part->filename)) == SEAL_EINVAL)
					return SEAL_EINVAL;
				have_disposition = 1;
			} else if (nlen == 12 && strncasecmp(line, "Content-Type", nlen) == 0) {
				if (vlen >= sizeof(part->content_type))
					return SEAL_EINVAL;
				memcpy(part->content_type, v, vlen);
				part->content_type[vlen] = '\0';
			}
		}
	}
	return have_disposition && part->name[0] ? 0 : SEAL_EINVAL;
}

int
multipart_parse(const uint8_t *body, size_t len, const char *boundary, size_t max_part,
                struct multipart_part *parts, size_t max, size_t *n)
{
	char delim[MULTIPART_BOUNDARY_MAX + 5]; /* "\r\n--" + boundary */
	size_t blen, dlen, pos;
	const uint8_t *p;

	if (n)
		*n = 0;
	if (!body || !boundary || !parts || !n)
		return SEAL_EINVAL;
	blen = strlen(boundary);
	if (blen == 0 || blen > MULTIPART_BOUNDARY_MAX)
		return SEAL_EINVAL;
	memcpy(delim, "\r\n--", 4);
	memcpy(delim + 4, boundary, blen);
	dlen = blen + 4;

	/* The first delimiter may open the body (no CRLF before it). */
	if (len >= dlen - 2 && memcmp(body, delim + 2, dlen - 2) == 0) {
		pos = dlen - 2;
	} else {
		p = memmem(body, len, delim, dlen);
		if (!p)
			return SEAL_EINVAL;
		pos = (size_t)(p - body) + dlen;
	}

	for (;;) {
		struct multipart_part *part;
		const uint8_t *hend;
		size_t hstart, hlen, dstart;
		int rc;

		/* After a delimiter: "--" closes, otherwise padding and CRLF. */
		if (len - pos >= 2 && body[pos] == '-' && body[pos + 1] == '-')
			return 0;
		while (pos < len && (body[pos] == ' ' || body[pos] == '\t'))
			pos++;
		if (len - pos >= 2 && body[pos] == '\r' && body[pos + 1] == '\n')
			pos += 2;
		else if (pos < len && body[pos] == '\n')
			pos += 1;
		else
			return SEAL_EINVAL;

		if (*n >= max || *n >= MULTIPART_MAX_PARTS)
			return SEAL_ETOOBIG;
		part = &parts[*n];
		memset(part, 0, sizeof(*part));

		/* The header block ends with an empty line. */
		hstart = pos;
		{
			size_t window = len - pos;

			if (window > MULTIPART_HEADERS_MAX + 4)
				window = MULTIPART_HEADERS_MAX + 4;
			hend = memmem(body + pos, window, "\r\n\r\n", 4);
			if (hend) {
				hlen = (size_t)(hend - body) - hstart;
				dstart = hstart + hlen + 4;
			} else if (pos + 1 < len && body[pos] == '\r' && body[pos + 1] == '\n') {
				hlen = 0; /* no headers at all */
				dstart = pos + 2;
			} else {
				hend = memmem(body + pos, window, "\n\n", 2);
				if (!hend)
					return window < len - pos ||
					               len - pos > MULTIPART_HEADERS_MAX
					           ? SEAL_ETOOBIG
					           : SEAL_EINVAL;
				hlen = (size_t)(hend - body) - hstart;
				dstart = hstart + hlen + 2;
			}
		}
		if (hlen > MULTIPART_HEADERS_MAX)
			return SEAL_ETOOBIG;
		rc = parse_part_headers((const char *)body + hstart, hlen, part);
		if (rc != 0)
			return rc;

		/* The data runs to the next delimiter. */
		p = memmem(body + dstart, len - dstart, delim, dlen);
		if (!p)
			return SEAL_EINVAL; /* truncated */
		part->data = body + dstart;
		part->len = (size_t)(p - body) - dstart;
		if (part->len > max_part)
			return SEAL_ETOOBIG;
		(*n)++;
		pos = (size_t)(p - body) + dlen;
	}
}

const struct multipart_part *
multipart_find(const struct multipart_part *parts, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(parts[i].name, name) == 0)
			return &parts[i];
	return NULL;
}
