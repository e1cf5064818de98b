/*
 * errors.h - the project-wide error codes.
 *
 * Every function that can fail returns int: 0 (SEAL_OK) on success or one of
 * the negative codes below.  seal_strerror() gives a sentence for people,
 * seal_errname() a stable snake_case name for machines (the JSON "code" field
 * of an HTTP error and the CLI's --json output).  Neither returns NULL; an
 * unknown code yields "unknown error" / "unknown".
 */
#ifndef SEAL_COMMON_ERRORS_H
#define SEAL_COMMON_ERRORS_H

#define SEAL_ERRORS(X)                                                                             \
	X(SEAL_OK, 0, "ok", "success")                                                             \
	X(SEAL_ENOMEM, -1, "out_of_memory", "out of memory")                                       \
	X(SEAL_EINVAL, -2, "invalid", "invalid argument")                                          \
	X(SEAL_ENOTFOUND, -3, "not_found", "not found")                                            \
	X(SEAL_EEXIST, -4, "exists", "already exists")                                             \
	X(SEAL_EIO, -5, "io_error", "input/output error")                                          \
	X(SEAL_EFULL, -6, "registry_full", "registry full: raise --map-size")                      \
	X(SEAL_ECORRUPT, -7, "corrupt", "stored data is corrupt")                                  \
	X(SEAL_EVERSION, -8, "schema_version", "registry schema version not supported")            \
	X(SEAL_EBUSY, -9, "busy", "resource busy, try again")                                      \
	X(SEAL_ECODE_LENGTH, -20, "code_length", "a seal code has exactly 13 digits")              \
	X(SEAL_ECODE_DIGIT, -21, "code_not_digits", "a seal code contains digits only")            \
	X(SEAL_ECODE_REGION, -22, "unknown_region",                                                \
	  "the first four digits are not a known region")                                          \
	X(SEAL_ECODE_ENGRAVER, -23, "unknown_engraver",                                            \
	  "digits 5-7 do not name a licensed engraver in that region")                             \
	X(SEAL_ECODE_SUSPENDED, -24, "engraver_suspended", "the engraver's licence is suspended")  \
	X(SEAL_ENOT_REGISTERED, -25, "not_registered",                                             \
	  "this code is not registered: treat the seal as suspect")                                \
	X(SEAL_ECREDIT_FORMAT, -30, "credit_code_format",                                          \
	  "a unified social credit code has 18 characters from 0-9 and A-Z without I, O, S, V, Z") \
	X(SEAL_ECREDIT_CHECK, -31, "credit_code_check",                                            \
	  "the credit code's check character is wrong")                                            \
	X(SEAL_ETRANSITION, -32, "illegal_transition", "that status change is not allowed")        \
	X(SEAL_ETOOBIG, -33, "too_big", "input exceeds its size limit")                            \
	X(SEAL_ETEXT, -34, "bad_text", "text is empty, too long or not valid UTF-8")               \
	X(SEAL_EAUTH, -40, "unauthorized", "missing or unknown token")                             \
	X(SEAL_EREVOKED, -41, "token_revoked", "the token has been revoked")                       \
	X(SEAL_EPERM, -42, "forbidden", "not allowed for this role or scope")                      \
	X(SEAL_EIMAGE, -50, "bad_image", "the image is corrupt or truncated")                      \
	X(SEAL_EIMAGE_FORMAT, -51, "unsupported_image", "the image is neither PNG nor JPEG")       \
	X(SEAL_EPIXELS, -52, "image_too_large", "the image has too many pixels")                   \
	X(SEAL_ENOSEAL, -53, "no_seal_found", "no seal impression found in the image")             \
	X(SEAL_ENOQR, -54, "no_qr_found", "no QR code found in the image")                         \
	X(SEAL_ECRYPTO, -60, "crypto_error", "cryptographic operation failed")                     \
	X(SEAL_EBADSIG, -61, "bad_signature", "signature does not verify")                         \
	X(SEAL_EAUDIT, -62, "audit_broken", "the audit chain does not verify")

enum seal_err {
#define SEAL_ERR_ENUM(name, value, id, text) name = value,
	SEAL_ERRORS(SEAL_ERR_ENUM)
#undef SEAL_ERR_ENUM
};

/* A sentence describing err, for people.  Static storage. */
const char *seal_strerror(int err);

/* A stable snake_case identifier for err, for machines.  Static storage. */
const char *seal_errname(int err);

#endif
