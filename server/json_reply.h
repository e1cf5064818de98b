/*
 * json_reply.h - a small streaming JSON writer for replies.
 *
 * Replies are written by hand rather than built as jansson trees: the
 * writer appends to a 4 KiB stack buffer and flushes it into an evbuffer,
 * so the lookup path does no allocation of its own.  Strings are escaped
 * (quote, backslash, control characters); input text is trusted to be UTF-8
 * (the registry validates every text field).  Commas are inserted
 * automatically from the nesting state.
 */
#ifndef SEAL_SERVER_JSON_REPLY_H
#define SEAL_SERVER_JSON_REPLY_H

#include <stddef.h>
#include <stdint.h>

struct evbuffer;

#define JSON_DEPTH_MAX 8     /* nesting levels */
#define JSON_WRITER_BUF 4096 /* bytes buffered before a flush */

struct json_writer {
	struct evbuffer *out;
	int depth;
	int after_key;
	unsigned char need_comma[JSON_DEPTH_MAX];
	size_t len;
	char buf[JSON_WRITER_BUF];
};

/* Start writing into out (appended to).  jw_finish() flushes. */
void jw_init(struct json_writer *w, struct evbuffer *out);
void jw_finish(struct json_writer *w);

void jw_obj_begin(struct json_writer *w);
void jw_obj_end(struct json_writer *w);
void jw_arr_begin(struct json_writer *w);
void jw_arr_end(struct json_writer *w);
void jw_key(struct json_writer *w, const char *key);

void jw_str(struct json_writer *w, const char *s); /* NULL writes null */
void jw_strn(struct json_writer *w, const char *s, size_t n);
void jw_int(struct json_writer *w, int64_t v);
void jw_double(struct json_writer *w, double v); /* non-finite writes null */
void jw_bool(struct json_writer *w, int v);
void jw_null(struct json_writer *w);
void jw_raw(struct json_writer *w, const char *text, size_t n); /* a value already JSON */

/* key + value shorthands. */
void jw_kstr(struct json_writer *w, const char *key, const char *s);
void jw_kint(struct json_writer *w, const char *key, int64_t v);
void jw_kdouble(struct json_writer *w, const char *key, double v);
void jw_kbool(struct json_writer *w, const char *key, int v);

/* Write {"error":{"code":code,"message":message[,"field":field]}} to out;
 * field may be NULL. */
void json_error_body(struct evbuffer *out, const char *code, const char *message,
                     const char *field);

#endif
