/*
 * webroot.h - mapping URL paths to files under the static web root.
 *
 * Paths are canonicalised with realpath(3) and must stay inside the root
 * (itself a canonical path) - no searching for "..": whatever the request
 * spells, the resolved file is checked against the root.  Symlinks leading
 * outside the root are refused the same way.
 */
#ifndef SEAL_SERVER_WEBROOT_H
#define SEAL_SERVER_WEBROOT_H

#include <stddef.h>

#define WEBROOT_PATH_MAX 4096 /* bytes of a resolved path */

/*
 * Percent-decode src (n bytes) into out (cap bytes, NUL-terminated); '+' is
 * kept as is.  Returns 0, or SEAL_EINVAL for a bad escape, an encoded NUL or
 * an output that does not fit.
 */
int webroot_decode(const char *src, size_t n, char *out, size_t cap);

/*
 * Resolve rel (already decoded; leading '/' optional) under root (a
 * canonical directory path without trailing '/') into out.  Returns 0 when
 * out names a regular file inside root, SEAL_ENOTFOUND when the file does
 * not exist, is not a regular file or lies outside root, SEAL_EINVAL for an
 * empty or over-long path.
 */
int webroot_resolve(const char *root, const char *rel, char *out, size_t cap);

/* The Content-Type for a file name by extension ("application/octet-stream"
 * when unknown).  Static string. */
const char *webroot_mime(const char *path);

#endif
