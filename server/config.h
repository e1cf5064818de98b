/*
 * config.h - sealregd's options: one table, three sources.
 *
 * Every option is described once (name, kind, bounds, default, help) in
 * config.c.  Values come from the defaults, then from a configuration file
 * (--config FILE: "name = value" lines, '#' comments, same names as the
 * long options), then from the command line, later sources winning.
 * --help is generated from the table.
 */
#ifndef SEAL_SERVER_CONFIG_H
#define SEAL_SERVER_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#define CONFIG_PATH_MAX 1024 /* bytes of a path option */
#define CONFIG_LINE_MAX 2048 /* bytes of a configuration file line */
#define CONFIG_ERR_MAX 256   /* bytes of an error message */

struct config {
	char db[CONFIG_PATH_MAX];
	char listen[256];
	int threads; /* I/O threads; 0 = number of CPUs */
	int workers; /* worker threads; 0 = number of CPUs */
	int queue;   /* worker queue capacity */
	double rate; /* public requests per second per client; 0 = unlimited */
	int burst;
	char host[256]; /* host[:port] written into QR URLs */
	char web[CONFIG_PATH_MAX];
	char log[CONFIG_PATH_MAX]; /* "" = stderr */
	char log_level[16];
	int access_log;   /* one line per request */
	int timeout;      /* seconds: request read/write and idle keep-alive */
	int warm;         /* fault the LMDB map in at start */
	int direct_write; /* write answers at once (plain HTTP) */
	int query_log;    /* record lookups in the verification log (1; 0 for benchmarks) */
	char tls_cert[CONFIG_PATH_MAX];
	char tls_key[CONFIG_PATH_MAX];
	char config[CONFIG_PATH_MAX];
};

enum config_action { CONFIG_RUN, CONFIG_HELP, CONFIG_CHECK };

/* Fill the defaults. */
void config_defaults(struct config *c);

/*
 * Apply --config (if given) then the command line.  *action tells what was
 * asked (--help, --check-config).  Returns 0, or SEAL_EINVAL with a
 * sentence in err (unknown option, bad value, out of bounds, file
 * unreadable: then SEAL_EIO).
 */
int config_load(struct config *c, int argc, char **argv, enum config_action *action, char *err,
                size_t errcap);

/* Set one option by name from text (as the file does).  0 or SEAL_EINVAL. */
int config_set(struct config *c, const char *name, const char *value, char *err, size_t errcap);

/* Cross-option checks (db given, listen parses, TLS pair...).  0 or SEAL_EINVAL. */
int config_validate(const struct config *c, char *err, size_t errcap);

/* Split "host:port" ("[v6]:port") into host and port.  0 or SEAL_EINVAL. */
int config_listen_split(const char *listen, char *host, size_t hostcap, int *port);

/* The usage text generated from the table. */
void config_usage(FILE *f, const char *prog);

/* Print the effective configuration as a config file would say it. */
void config_print(FILE *f, const struct config *c);

#endif
