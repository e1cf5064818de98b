/*
 * log.h - levelled logging to stderr or a file, one line per call.
 *
 * Every line carries a UTC timestamp, the level and the calling function.
 * log_warn() appends strerror(errno); log_warnx() does not (OpenBSD style).
 * Never pass secrets (tokens, keys, uploaded bytes) to these functions.
 * Thread-safe: each line is written with one write(2).
 */
#ifndef SEAL_COMMON_LOG_H
#define SEAL_COMMON_LOG_H

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

/* Send lines to path (appending; created 0640), or to stderr when path is NULL.
 * Returns 0 or SEAL_EIO.  Call again (e.g. on SIGHUP) to reopen after rotation. */
int log_open(const char *path);

/* Lines above level are dropped.  Default LOG_LEVEL_INFO. */
void log_set_level(enum log_level level);

void log_write(enum log_level level, const char *func, int with_errno, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#define log_error(...) log_write(LOG_LEVEL_ERROR, __func__, 0, __VA_ARGS__)
#define log_warn(...) log_write(LOG_LEVEL_WARN, __func__, 1, __VA_ARGS__)
#define log_warnx(...) log_write(LOG_LEVEL_WARN, __func__, 0, __VA_ARGS__)
#define log_info(...) log_write(LOG_LEVEL_INFO, __func__, 0, __VA_ARGS__)
#define log_debug(...) log_write(LOG_LEVEL_DEBUG, __func__, 0, __VA_ARGS__)

#endif
