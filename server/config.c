/*
 * config.c - the option table and its three readers.
 *
 * Each row names a field of struct config by offset and gives its kind,
 * bounds and default.  The command line is read with getopt_long() whose
 * long-option array is generated from the table (every option takes an
 * argument except the flags --help and --check-config); the file reader
 * splits "name = value" and goes through the same config_set().
 */
#include "server/config.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"

enum opt_kind { OPT_STR, OPT_INT, OPT_DOUBLE, OPT_BOOL };

struct option_row {
	const char *name;
	enum opt_kind kind;
	size_t offset, size;
	double min, max;
	const char *def;
	const char *arg;
	const char *help;
};

#define STR(f, def, arg, help)                                                                     \
	{                                                                                          \
#f, OPT_STR, offsetof(struct config, f), sizeof(((struct config *)0)->f), 0, 0,    \
		    def, arg, help                                                                 \
	}
#define NUM(f, kind, lo, hi, def, arg, help)                                                       \
	{                                                                                          \
#f, kind, offsetof(struct config, f), sizeof(((struct config *)0)->f), lo, hi,     \
		    def, arg, help                                                                 \
	}

static const struct option_row rows[] = {
    STR(db, "", "DIR", "registry directory (required)"),
    STR(listen, "127.0.0.1:8080", "HOST:PORT",
        "address to listen on; port 0 picks a free port (printed on stdout)"),
    NUM(threads, OPT_INT, 0, 64, "0", "N", "I/O threads (0 = number of CPUs)"),
    NUM(workers, OPT_INT, 0, 64, "0", "N", "worker threads for images and writes (0 = CPUs)"),
    NUM(queue, OPT_INT, 1, 100000, "64", "N", "worker queue length; beyond it answers 503"),
    NUM(rate, OPT_DOUBLE, 0, 1e9, "20", "PER_SEC",
        "public requests per second per client (0 = no limit)"),
    NUM(burst, OPT_INT, 1, 1000000000, "40", "N", "per-client burst"),
    STR(host, "localhost:8080", "HOST", "host[:port] written into QR URLs (https://HOST/q/...)"),
    STR(web, "./web-static", "DIR", "static pages directory"),
    STR(log, "", "FILE", "log file (default stderr; reopened on SIGHUP)"),
    STR(log_level, "info", "LEVEL", "error, warn, info or debug"),
    NUM(access_log, OPT_BOOL, 0, 1, "1", "0|1", "one log line per request"),
    NUM(timeout, OPT_INT, 1, 3600, "30", "SEC", "request read/write and keep-alive timeout"),
    NUM(warm, OPT_BOOL, 0, 1, "1", "0|1",
        "fault the registry map into memory at start (background)"),
    NUM(query_log, OPT_BOOL, 0, 1, "1", "0|1",
        "record every lookup in the verification log (0: benchmarks only)"),
    NUM(direct_write, OPT_BOOL, 0, 1, "1", "0|1",
        "no effect: plain HTTP always writes answers at once (kept for old configs)"),
    STR(tls_cert, "", "FILE", "TLS certificate (PEM); needs --tls-key"),
    STR(tls_key, "", "FILE", "TLS private key (PEM)"),
    STR(config, "", "FILE", "read options from FILE (name = value lines)"),
};

#define NROWS (sizeof(rows) / sizeof(rows[0]))

/* Option names use '-' on the command line and '_' in the struct. */
static const struct option_row *
find_row(const char *name)
{
	for (size_t i = 0; i < NROWS; i++) {
		const char *a = rows[i].name, *b = name;

		while (*a && (*a == *b || (*a == '_' && *b == '-'))) {
			a++;
			b++;
		}
		if (*a == '\0' && *b == '\0')
			return &rows[i];
	}
	return NULL;
}

static void
cli_name(const char *name, char *out, size_t cap)
{
	size_t i = 0;

	for (; name[i] && i + 1 < cap; i++)
		out[i] = name[i] == '_' ? '-' : name[i];
	out[i] = '\0';
}

static int
set_row(struct config *c, const struct option_row *row, const char *value, char *err, size_t errcap)
{
	char *field = (char *)c + row->offset;
	char *end;

	switch (row->kind) {
	case OPT_STR:
		if (strlen(value) >= row->size) {
			snprintf(err, errcap, "%s: value too long (at most %zu bytes)", row->name,
			         row->size - 1);
			return SEAL_EINVAL;
		}
		memcpy(field, value, strlen(value) + 1);
		return 0;
	case OPT_INT:
	case OPT_BOOL: {
		long v;

		errno = 0;
		v = strtol(value, &end, 10);
		if (row->kind == OPT_BOOL && (!strcmp(value, "yes") || !strcmp(value, "true"))) {
			v = 1;
			end = (char *)value + strlen(value);
		} else if (row->kind == OPT_BOOL &&
		           (!strcmp(value, "no") || !strcmp(value, "false"))) {
			v = 0;
			end = (char *)value + strlen(value);
		}
		if (errno || end == value || *end != '\0' || v < row->min || v > row->max) {
			snprintf(err, errcap, "%s: '%s' is not an integer from %.0f to %.0f",
			         row->name, value, row->min, row->max);
			return SEAL_EINVAL;
		}
		*(int *)field = (int)v;
		return 0;
	}
	case OPT_DOUBLE: {
		double v;

		errno = 0;
		v = strtod(value, &end);
		if (errno || end == value || *end != '\0' || !isfinite(v) || v < row->min ||
		    v > row->max) {
			snprintf(err, errcap, "%s: '%s' is not a number from %g to %g", row->name,
			         value, row->min, row->max);
			return SEAL_EINVAL;
		}
		*(double *)field = v;
		return 0;
	}
	}
	return SEAL_EINVAL;
}

void
config_defaults(struct config *c)
{
	char err[CONFIG_ERR_MAX];

	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < NROWS; i++)
		(void)set_row(c, &rows[i], rows[i].def, err, sizeof(err));
}

int
config_set(struct config *c, const char *name, const char *value, char *err, size_t errcap)
{
	const struct option_row *row = find_row(name);

	if (!row) {
		snprintf(err, errcap, "unknown option '%s'", name);
		return SEAL_EINVAL;
	}
	return set_row(c, row, value, err, errcap);
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static int
load_file(struct config *c, const char *path, char *err, size_t errcap)
{
	char line[CONFIG_LINE_MAX];
	FILE *f = fopen(path, "r");
	int lineno = 0, rc = 0;

	if (!f) {
		snprintf(err, errcap, "%s: %s", path, strerror(errno));
		return SEAL_EIO;
	}
	while (fgets(line, sizeof(line), f)) {
		char *s, *eq, msg[CONFIG_ERR_MAX];

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, errcap, "%s:%d: line too long", path, lineno);
			rc = SEAL_EINVAL;
			break;
		}
		s = trim(line);
		if (*s == '\0' || *s == '#')
			continue;
		eq = strchr(s, '=');
		if (!eq) {
			snprintf(err, errcap, "%s:%d: expected 'name = value'", path, lineno);
			rc = SEAL_EINVAL;
			break;
		}
		*eq = '\0';
		if (!strcmp(trim(s), "config")) {
			snprintf(err, errcap, "%s:%d: 'config' cannot be nested", path, lineno);
			rc = SEAL_EINVAL;
			break;
		}
		rc = config_set(c, trim(s), trim(eq + 1), msg, sizeof(msg));
		if (rc != 0) {
			snprintf(err, errcap, "%s:%d: %s", path, lineno, msg);
			break;
		}
	}
	fclose(f);
	return rc;
}

int
config_load(struct config *c, int argc, char **argv, enum config_action *action, char *err,
            size_t errcap)
{
	struct option longopts[NROWS + 3];
	char names[NROWS][40];
	int opt, idx, rc;

	*action = CONFIG_RUN;
	err[0] = '\0';
	for (size_t i = 0; i < NROWS; i++) {
		cli_name(rows[i].name, names[i], sizeof(names[i]));
		longopts[i] = (struct option){names[i], required_argument, NULL, 0};
	}
	longopts[NROWS] = (struct option){"help", no_argument, NULL, 'h'};
	longopts[NROWS + 1] = (struct option){"check-config", no_argument, NULL, 'C'};
	longopts[NROWS + 2] = (struct option){NULL, 0, NULL, 0};

	/* Pass 1: --config, --help, --check-config. */
	opterr = 0;
	optind = 0; /* glibc: 0 also resets its internal state */
	while ((opt = getopt_long(argc, argv, "h", longopts, &idx)) != -1) {
		if (opt == 'h') {
			*action = CONFIG_HELP;
			return 0;
		}
		if (opt == 'C')
			*action = CONFIG_CHECK;
		else if (opt == 0 && !strcmp(rows[idx].name, "config"))
			(void)set_row(c, &rows[idx], optarg, err, errcap);
	}
	if (c->config[0]) {
		rc = load_file(c, c->config, err, errcap);
		if (rc != 0)
			return rc;
	}
	/* Pass 2: everything, in order. */
	optind = 0; /* glibc: 0 also resets its internal state */
	while ((opt = getopt_long(argc, argv, "h", longopts, &idx)) != -1) {
		if (opt == '?' || opt == ':') {
			snprintf(err, errcap, "unknown option or missing value: '%s'",
			         argv[optind - 1]);
			return SEAL_EINVAL;
		}
		if (opt != 0)
			continue;
		rc = set_row(c, &rows[idx], optarg, err, errcap);
		if (rc != 0)
			return rc;
	}
	if (optind < argc) {
		snprintf(err, errcap, "unexpected argument '%s'", argv[optind]);
		return SEAL_EINVAL;
	}
	return 0;
}

int
config_listen_split(const char *listen, char *host, size_t hostcap, int *port)
{
	const char *colon;
	size_t hlen;
	char *end;
	long p;

	if (!listen || !*listen)
		return SEAL_EINVAL;
	if (listen[0] == '[') {
		const char *rb = strchr(listen, ']');

		if (!rb || rb[1] != ':')
			return SEAL_EINVAL;
		hlen = (size_t)(rb - listen - 1);
		if (hlen == 0 || hlen >= hostcap)
			return SEAL_EINVAL;
		memcpy(host, listen + 1, hlen);
		colon = rb + 1;
	} else {
		colon = strrchr(listen, ':');
		if (!colon)
			return SEAL_EINVAL;
		hlen = (size_t)(colon - listen);
		if (hlen == 0 || hlen >= hostcap)
			return SEAL_EINVAL;
		memcpy(host, listen, hlen);
	}
	host[hlen] = '\0';
	errno = 0;
	p = strtol(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || p < 0 || p > 65535)
		return SEAL_EINVAL;
	*port = (int)p;
	return 0;
}

int
config_validate(const struct config *c, char *err, size_t errcap)
{
	char host[256];
	int port;

	if (!c->db[0]) {
		snprintf(err, errcap, "--db DIR is required");
		return SEAL_EINVAL;
	}
	if (config_listen_split(c->listen, host, sizeof(host), &port) != 0) {
		snprintf(err, errcap, "listen: '%s' is not HOST:PORT", c->listen);
		return SEAL_EINVAL;
	}
	if (!!c->tls_cert[0] != !!c->tls_key[0]) {
		snprintf(err, errcap, "--tls-cert and --tls-key go together");
		return SEAL_EINVAL;
	}
	if (strcmp(c->log_level, "error") && strcmp(c->log_level, "warn") &&
	    strcmp(c->log_level, "info") && strcmp(c->log_level, "debug")) {
		snprintf(err, errcap, "log_level: '%s' is not error, warn, info or debug",
		         c->log_level);
		return SEAL_EINVAL;
	}
	if (!c->host[0] || strpbrk(c->host, "/ ?#@")) {
		snprintf(err, errcap, "host: '%s' is not a host[:port]", c->host);
		return SEAL_EINVAL;
	}
	return 0;
}

void
config_usage(FILE *f, const char *prog)
{
	fprintf(f,
	        "usage: %s --db DIR [options]\n"
	        "The seal registry's HTTP verification service.\n\n",
	        prog);
	for (size_t i = 0; i < NROWS; i++) {
		char name[40], left[64];

		cli_name(rows[i].name, name, sizeof(name));
		snprintf(left, sizeof(left), "--%s %s", name, rows[i].arg);
		fprintf(f, "  %-24s %s", left, rows[i].help);
		if (rows[i].def[0])
			fprintf(f, " [%s]", rows[i].def);
		fputc('\n', f);
	}
	fprintf(f, "  %-24s %s\n  %-24s %s\n", "--check-config",
	        "check the configuration and the registry, then exit", "--help", "this text");
	fprintf(f, "\nA config file holds 'name = value' lines with the same names "
	           "(log_level or log-level).\nSignals: SIGTERM drains and exits; SIGHUP "
	           "reopens the log.\n");
}

void
config_print(FILE *f, const struct config *c)
{
	for (size_t i = 0; i < NROWS; i++) {
		const char *field = (const char *)c + rows[i].offset;

		switch (rows[i].kind) {
		case OPT_STR:
			fprintf(f, "%s = %s\n", rows[i].name, field);
			break;
		case OPT_INT:
		case OPT_BOOL:
			fprintf(f, "%s = %d\n", rows[i].name, *(const int *)field);
			break;
		case OPT_DOUBLE:
			fprintf(f, "%s = %g\n", rows[i].name, *(const double *)field);
			break;
		}
	}
}
