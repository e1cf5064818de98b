/*
 * webroot.c - static file path canonicalisation and MIME types.
 *
 * root + "/" + rel is handed to realpath(); the result must equal root or
 * start with root + "/" and stat() as a regular file.  Percent-decoding
 * happens before, so "%2e%2e" is treated exactly like "..".
 */
#include "server/webroot.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "common/encode.h"
#include "common/errors.h"

int
webroot_decode(const char *src, size_t n, char *out, size_t cap)
{
	size_t k = 0;

	if (!out || cap == 0)
		return SEAL_EINVAL;
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		char c = src[i];

		if (c == '%') {
			int hi, lo;

			if (i + 2 >= n)
				return SEAL_EINVAL;
			hi = hex_digit(src[i + 1]);
			lo = hex_digit(src[i + 2]);
			if (hi < 0 || lo < 0)
				return SEAL_EINVAL;
			c = (char)(hi * 16 + lo);
			i += 2;
		}
		if (c == '\0' || k + 1 >= cap) {
			out[0] = '\0';
			return SEAL_EINVAL;
		}
		out[k++] = c;
	}
	out[k] = '\0';
	return 0;
}

int
webroot_resolve(const char *root, const char *rel, char *out, size_t cap)
{
	char joined[WEBROOT_PATH_MAX], real[PATH_MAX];
	size_t rlen;
	struct stat st;
	int n;

	if (cap)
		out[0] = '\0';
	if (!root || !rel || !out)
		return SEAL_EINVAL;
	while (*rel == '/')
		rel++;
	if (*rel == '\0')
		return SEAL_EINVAL;
	n = snprintf(joined, sizeof(joined), "%s/%s", root, rel);
	if (n < 0 || (size_t)n >= sizeof(joined))
		return SEAL_EINVAL;
	if (!realpath(joined, real))
		return SEAL_ENOTFOUND;
	rlen = strlen(root);
	if (strncmp(real, root, rlen) != 0 || real[rlen] != '/')
		return SEAL_ENOTFOUND;
	if (stat(real, &st) != 0 || !S_ISREG(st.st_mode))
		return SEAL_ENOTFOUND;
	if (strlen(real) >= cap)
		return SEAL_EINVAL;
	memcpy(out, real, strlen(real) + 1);
	return 0;
}

const char *
webroot_mime(const char *path)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
	    {".html", "text/html; charset=utf-8"},
	    {".htm", "text/html; charset=utf-8"},
	    {".js", "text/javascript; charset=utf-8"},
	    {".mjs", "text/javascript; charset=utf-8"},
	    {".css", "text/css; charset=utf-8"},
	    {".json", "application/json"},
	    {".png", "image/png"},
	    {".jpg", "image/jpeg"},
	    {".jpeg", "image/jpeg"},
	    {".svg", "image/svg+xml"},
	    {".ico", "image/x-icon"},
	    {".txt", "text/plain; charset=utf-8"},
	    {".yaml", "application/yaml"},
	    {".webmanifest", "application/manifest+json"},
	    {".woff2", "font/woff2"},
	    {".wasm", "application/wasm"},
	};
	const char *dot = strrchr(path, '.');

	if (dot && !strchr(dot, '/'))
		for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if (strcasecmp(dot, types[i].ext) == 0)
				return types[i].type;
	return "application/octet-stream";
}
