/*
 * request.c - request helpers: query parameters, bodies, error answers.
 *
 * Query parameters are found by scanning the raw query string and decoded
 * into the caller's buffer - no allocation.  Error answers replace whatever
 * a handler had written, so a handler may fail at any point.
 */
#include "server/request.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/buffer.h>

#include "common/errors.h"
#include "server/json_reply.h"
#include "server/webroot.h"

void
request_reset(struct request *r)
{
	r->route = NULL;
	r->route_index = 0;
	r->method = 0;
	r->param[0] = r->path[0] = r->query[0] = r->content_type[0] = '\0';
	r->client_ip[0] = r->client[0] = '\0';
	r->authed = 0;
	r->status = 0;
	r->ctype = NULL;
	r->retry_after = 0;
	r->allow[0] = r->location[0] = '\0';
	r->xhdr_name = NULL;
	r->xhdr_value[0] = '\0';
	r->www_authenticate = 0;
	r->cacheable = 0;
}

int
request_query(const struct request *r, const char *name, char *out, size_t cap)
{
	const char *q = r->query;
	size_t nlen = strlen(name);

	if (cap)
		out[0] = '\0';
	while (*q) {
		const char *amp = strchrnul(q, '&');
		const char *eq = memchr(q, '=', (size_t)(amp - q));
		const char *kend = eq ? eq : amp;

		if ((size_t)(kend - q) == nlen && memcmp(q, name, nlen) == 0) {
			const char *v = eq ? eq + 1 : amp;
			size_t vlen = (size_t)(amp - v), k = 0;
			char tmp[REQUEST_QUERY_MAX];

			if (vlen >= sizeof(tmp))
				return SEAL_EINVAL;
			for (size_t i = 0; i < vlen; i++)
				tmp[k++] = v[i] == '+' ? ' ' : v[i];
			return webroot_decode(tmp, k, out, cap);
		}
		q = *amp ? amp + 1 : amp;
	}
	return SEAL_ENOTFOUND;
}

int
request_query_uint(struct request *r, const char *name, unsigned min, unsigned max, unsigned *v)
{
	char buf[32], *end;
	unsigned long n;
	int rc = request_query(r, name, buf, sizeof(buf));

	if (rc == SEAL_ENOTFOUND)
		return 0;
	if (rc == 0 && buf[0] >= '0' && buf[0] <= '9') {
		n = strtoul(buf, &end, 10);
		if (*end == '\0' && n >= min && n <= max) {
			*v = (unsigned)n;
			return 0;
		}
	}
	{
		char msg[128];

		snprintf(msg, sizeof(msg), "%s must be an integer from %u to %u", name, min, max);
		request_error(r, 400, "invalid", msg, name);
	}
	return SEAL_EINVAL;
}

const void *
request_body(struct request *r, size_t *len)
{
	*len = r->body ? evbuffer_get_length(r->body) : 0;
	if (*len == 0)
		return "";
	return evbuffer_pullup(r->body, -1);
}

int
request_ctype_is(const struct request *r, const char *type)
{
	size_t n = strlen(type);
	const char *c = r->content_type;

	while (*c == ' ')
		c++;
	return strncasecmp(c, type, n) == 0 && (c[n] == '\0' || c[n] == ';' || c[n] == ' ');
}

void
request_error(struct request *r, int status, const char *code, const char *message,
              const char *field)
{
	evbuffer_drain(r->out, evbuffer_get_length(r->out));
	r->status = status;
	r->ctype = "application/json";
	r->location[0] = '\0';
	r->xhdr_name = NULL;
	json_error_body(r->out, code, message, field);
}

int
request_http_status(int err)
{
	switch (err) {
	case SEAL_OK:
		return 200;
	case SEAL_EINVAL:
	case SEAL_ECODE_LENGTH:
	case SEAL_ECODE_DIGIT:
	case SEAL_ECODE_REGION:
	case SEAL_ECODE_ENGRAVER:
	case SEAL_ECREDIT_FORMAT:
	case SEAL_ECREDIT_CHECK:
	case SEAL_ETEXT:
	case SEAL_EIMAGE:
	case SEAL_EIMAGE_FORMAT:
	case SEAL_EPIXELS:
	case SEAL_EBADSIG:
		return 400;
	case SEAL_EAUTH:
	case SEAL_EREVOKED:
		return 401;
	case SEAL_EPERM:
	case SEAL_ECODE_SUSPENDED:
		return 403;
	case SEAL_ENOTFOUND:
	case SEAL_ENOT_REGISTERED:
		return 404;
	case SEAL_EEXIST:
	case SEAL_ETRANSITION:
		return 409;
	case SEAL_ETOOBIG:
		return 413;
	case SEAL_ENOSEAL:
	case SEAL_ENOQR:
		return 422;
	case SEAL_EBUSY:
	case SEAL_EFULL:
	case SEAL_ENOMEM:
		return 503;
	default:
		return 500;
	}
}

void
request_fail(struct request *r, int err, const char *field)
{
	int status = request_http_status(err);

	request_error(r, status, status == 500 ? "internal" : seal_errname(err), seal_strerror(err),
	              field);
	if (status == 503)
		r->retry_after = 1;
	if (status == 401)
		r->www_authenticate = 1;
}

void
request_json(struct request *r, int status)
{
	r->status = status;
	r->ctype = "application/json";
}

/* Civil date from days since 1970-01-01 (H. Hinnant's algorithm): no
 * gmtime_r() or strftime() on the lookup path. */
static void
civil(int64_t days, int *y, int *m, int *d)
{
	int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;

	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static void
digits(char *out, int v, int n)
{
	for (int i = n - 1; i >= 0; i--) {
		out[i] = (char)('0' + v % 10);
		v /= 10;
	}
}

void
request_date(int64_t unix_seconds, char out[11])
{
	int64_t days = unix_seconds >= 0 ? unix_seconds / 86400 : (unix_seconds - 86399) / 86400;
	int y, m, d;

	civil(days, &y, &m, &d);
	if (y < 0 || y > 9999) {
		memcpy(out, "0000-00-00", 11);
		return;
	}
	digits(out, y, 4);
	out[4] = '-';
	digits(out + 5, m, 2);
	out[7] = '-';
	digits(out + 8, d, 2);
	out[10] = '\0';
}

void
request_time_iso(int64_t unix_seconds, char out[21])
{
	int64_t days = unix_seconds >= 0 ? unix_seconds / 86400 : (unix_seconds - 86399) / 86400;
	int64_t rem = unix_seconds - days * 86400;

	request_date(unix_seconds, out);
	out[10] = 'T';
	digits(out + 11, (int)(rem / 3600), 2);
	out[13] = ':';
	digits(out + 14, (int)(rem / 60 % 60), 2);
	out[16] = ':';
	digits(out + 17, (int)(rem % 60), 2);
	out[19] = 'Z';
	out[20] = '\0';
}

size_t
request_copy(char *dst, size_t cap, const char *src)
{
	size_t n;

	if (cap == 0)
		return 0;
	n = src ? strnlen(src, cap - 1) : 0;
	memcpy(dst, src ? src : "", n);
	dst[n] = '\0';
	return n;
}

uint64_t
request_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int64_t
request_wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
