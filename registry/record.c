/* record.c - enum names and the one validated way text enters a record. */
#include "registry/record.h"
#include "common/errors.h"

#include <string.h>

static const char *const STATUS_NAMES[SEAL_STATUS_COUNT] = {"active", "lost", "revoked",
                                                            "destroyed", "disputed"};
static const char *const SHAPE_NAMES[SEAL_SHAPE_COUNT] = {"round", "oval", "square"};
static const char *const ROLE_NAMES[ROLE_COUNT] = {"none", "admin", "engraver", "police"};

static int
name_parse(const char *const *names, int count, const char *name)
{
	for (int i = 0; name != NULL && i < count; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return -1;
}

const char *
seal_status_name(enum seal_status s)
{
	return (unsigned)s < SEAL_STATUS_COUNT ? STATUS_NAMES[s] : "unknown";
}

int
seal_status_parse(const char *name)
{
	return name_parse(STATUS_NAMES, SEAL_STATUS_COUNT, name);
}

const char *
record_shape_name(enum seal_shape s)
{
	return (unsigned)s < SEAL_SHAPE_COUNT ? SHAPE_NAMES[s] : "unknown";
}

int
record_shape_parse(const char *name)
{
	return name_parse(SHAPE_NAMES, SEAL_SHAPE_COUNT, name);
}

const char *
account_role_name(enum account_role r)
{
	return (unsigned)r < ROLE_COUNT ? ROLE_NAMES[r] : "unknown";
}

int
account_role_parse(const char *name)
{
	int r = name_parse(ROLE_NAMES, ROLE_COUNT, name);

	return r == ROLE_NONE ? -1 : r;
}

/* Strict UTF-8: no overlongs, no surrogates, nothing above U+10FFFF, no C0/C1
 * controls or DEL. */
static int
utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned c = s[i];
		size_t len;
		unsigned cp, min;

		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f)
				return 0;
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			len = 2, cp = c & 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			len = 3, cp = c & 0x0f, min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			len = 4, cp = c & 0x07, min = 0x10000;
		} else {
			return 0;
		}
		if (i + len > n)
			return 0;
		for (size_t j = 1; j < len; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
		    (cp >= 0x80 && cp < 0xa0))
			return 0;
		i += len;
	}
	return 1;
}

int
record_set_text(char *dst, size_t cap, const char *src, int required)
{
	size_t n = src == NULL ? 0 : strlen(src);

	if ((n == 0 && required) || n >= cap || !utf8_valid((const unsigned char *)src, n))
		return SEAL_ETEXT;
	memset(dst, 0, cap);
	if (n > 0)
		memcpy(dst, src, n);
	return 0;
}
