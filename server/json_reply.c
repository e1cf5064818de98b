/*
 * json_reply.c - the streaming JSON writer.
 *
 * Everything goes through put(), which copies into w->buf and flushes to
 * the evbuffer when full.  The escaper copies runs of plain bytes at once.
 */
#include "server/json_reply.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>

static void
flush(struct json_writer *w)
{
	if (w->len) {
		evbuffer_add(w->out, w->buf, w->len);
		w->len = 0;
	}
}

static void
put(struct json_writer *w, const char *s, size_t n)
{
	if (n > sizeof(w->buf) - w->len) {
		flush(w);
		if (n > sizeof(w->buf)) {
			evbuffer_add(w->out, s, n);
			return;
		}
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

static void
putc1(struct json_writer *w, char c)
{
	if (w->len == sizeof(w->buf))
		flush(w);
	w->buf[w->len++] = c;
}

void
jw_init(struct json_writer *w, struct evbuffer *out)
{
	w->out = out;
	w->depth = 0;
	w->after_key = 0;
	w->len = 0;
	memset(w->need_comma, 0, sizeof(w->need_comma));
}

void
jw_finish(struct json_writer *w)
{
	flush(w);
}

/* Before any value: a comma when a sibling came before (not after a key). */
static void
pre_value(struct json_writer *w)
{
	if (w->after_key) {
		w->after_key = 0;
		return;
	}
	if (w->need_comma[w->depth])
		putc1(w, ',');
	w->need_comma[w->depth] = 1;
}

static void
open_nest(struct json_writer *w, char c)
{
	pre_value(w);
	putc1(w, c);
	if (w->depth + 1 < JSON_DEPTH_MAX)
		w->depth++;
	w->need_comma[w->depth] = 0;
}

static void
close_nest(struct json_writer *w, char c)
{
	putc1(w, c);
	if (w->depth > 0)
		w->depth--;
	w->after_key = 0;
}

void
jw_obj_begin(struct json_writer *w)
{
	open_nest(w, '{');
}

void
jw_obj_end(struct json_writer *w)
{
	close_nest(w, '}');
}

void
jw_arr_begin(struct json_writer *w)
{
	open_nest(w, '[');
}

void
jw_arr_end(struct json_writer *w)
{
	close_nest(w, ']');
}

static void
escape(struct json_writer *w, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t run = 0;

	putc1(w, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		put(w, s + run, i - run);
		run = i + 1;
		switch (c) {
		case '"':
			put(w, "\\\"", 2);
			break;
		case '\\':
			put(w, "\\\\", 2);
			break;
		case '\n':
			put(w, "\\n", 2);
			break;
		case '\r':
			put(w, "\\r", 2);
			break;
		case '\t':
			put(w, "\\t", 2);
			break;
		default: {
			char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};

			put(w, u, 6);
		}
		}
	}
	put(w, s + run, n - run);
	putc1(w, '"');
}

void
jw_key(struct json_writer *w, const char *key)
{
	pre_value(w);
	escape(w, key, strlen(key));
	putc1(w, ':');
	w->after_key = 1;
}

void
jw_strn(struct json_writer *w, const char *s, size_t n)
{
	pre_value(w);
	escape(w, s, n);
}

void
jw_str(struct json_writer *w, const char *s)
{
	if (!s) {
		jw_null(w);
		return;
	}
	jw_strn(w, s, strlen(s));
}

void
jw_int(struct json_writer *w, int64_t v)
{
	char tmp[24];
	int n = snprintf(tmp, sizeof(tmp), "%" PRId64, v);

	pre_value(w);
	put(w, tmp, (size_t)n);
}

void
jw_double(struct json_writer *w, double v)
{
	char tmp[32];
	int n;

	if (!isfinite(v)) {
		jw_null(w);
		return;
	}
	n = snprintf(tmp, sizeof(tmp), "%.4f", v);
	pre_value(w);
	put(w, tmp, (size_t)n);
}

void
jw_bool(struct json_writer *w, int v)
{
	pre_value(w);
	if (v)
		put(w, "true", 4);
	else
		put(w, "false", 5);
}

void
jw_null(struct json_writer *w)
{
	pre_value(w);
	put(w, "null", 4);
}

void
jw_raw(struct json_writer *w, const char *text, size_t n)
{
	pre_value(w);
	put(w, text, n);
}

void
jw_kstr(struct json_writer *w, const char *key, const char *s)
{
	jw_key(w, key);
	jw_str(w, s);
}

void
jw_kint(struct json_writer *w, const char *key, int64_t v)
{
	jw_key(w, key);
	jw_int(w, v);
}

void
jw_kdouble(struct json_writer *w, const char *key, double v)
{
	jw_key(w, key);
	jw_double(w, v);
}

void
jw_kbool(struct json_writer *w, const char *key, int v)
{
	jw_key(w, key);
	jw_bool(w, v);
}

void
json_error_body(struct evbuffer *out, const char *code, const char *message, const char *field)
{
	struct json_writer w;

	jw_init(&w, out);
	jw_obj_begin(&w);
	jw_key(&w, "error");
	jw_obj_begin(&w);
	jw_kstr(&w, "code", code);
	jw_kstr(&w, "message", message);
	if (field)
		jw_kstr(&w, "field", field);
	jw_obj_end(&w);
	jw_obj_end(&w);
	jw_finish(&w);
}
