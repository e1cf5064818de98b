/*
 * log.c - formats a whole line into a stack buffer and writes it with one
 * write(2), so concurrent threads never interleave within a line.  The log
 * descriptor is swapped atomically on reopen.
 */
#include "common/log.h"
#include "common/errors.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static atomic_int log_fd = 2;
static atomic_int log_level = LOG_LEVEL_INFO;

int
log_open(const char *path)
{
	int fd = 2, old;

	if (path != NULL) {
		fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
		if (fd < 0)
			return SEAL_EIO;
	}
	old = atomic_exchange(&log_fd, fd);
	if (old > 2)
		close(old);
	return 0;
}

void
log_set_level(enum log_level level)
{
	atomic_store(&log_level, (int)level);
}

void
log_write(enum log_level level, const char *func, int with_errno, const char *fmt, ...)
{
	static const char *const names[] = {"error", "warn", "info", "debug"};
	char line[2048];
	struct timespec ts;
	struct tm tm;
	int saved = errno, n, m;
	va_list ap;

	if ((int)level > atomic_load(&log_level))
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = snprintf(line, sizeof line,
	             "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s: ", tm.tm_year + 1900,
	             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	             ts.tv_nsec / 1000000, names[level], func);
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
	va_end(ap);
	n = m < 0 ? n : (n + m >= (int)sizeof line - 64 ? (int)sizeof line - 64 : n + m);
	if (with_errno)
		n += snprintf(line + n, sizeof line - (size_t)n, ": %s", strerror(saved));
	line[n++] = '\n';
	if (write(atomic_load(&log_fd), line, (size_t)n) < 0) {
		/* Nowhere left to report it. */
	}
	errno = saved;
}
