/* errors.c - names and sentences for the codes in errors.h, from one X-macro table. */
#include "common/errors.h"

const char *
seal_strerror(int err)
{
	switch (err) {
#define SEAL_ERR_TEXT(name, value, id, text)                                                       \
	case value:                                                                                \
		return text;
		SEAL_ERRORS(SEAL_ERR_TEXT)
#undef SEAL_ERR_TEXT
	}
	return "unknown error";
}

const char *
seal_errname(int err)
{
	switch (err) {
#define SEAL_ERR_ID(name, value, id, text)                                                         \
	case value:                                                                                \
		return id;
		SEAL_ERRORS(SEAL_ERR_ID)
#undef SEAL_ERR_ID
	}
	return "unknown";
}
