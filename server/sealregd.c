/*
 * sealregd.c - sealregd, the seal registry's HTTP verification service.
 *
 * Reads the configuration (option table in config.c), opens the registry
 * once, builds the shared pieces (rate limiter, metrics, worker pool,
 * verification-log writer), and hands over to http_serve() until SIGTERM.
 * Then the worker pool is drained, the verification log flushed and the
 * registry closed: exit 0.  --check-config validates the options, opens the
 * registry read-only and prints the effective configuration.
 */
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/encode.h"
#include "common/errors.h"
#include "common/log.h"
#include "registry/registry.h"
#include "server/config.h"
#include "server/http.h"
#include "server/metrics.h"
#include "server/querylog.h"
#include "server/ratelimit.h"
#include "server/router.h"
#include "server/workers.h"

void *http_worker_init(void *arg);
void http_worker_fini(void *state);

static int
qlog_sink(void *arg, const struct query_record *rows, size_t n)
{
	return registry_query_log(arg, rows, n);
}

static atomic_int warm_running;

static void *
warm_main(void *arg)
{
	uint64_t bytes = registry_warm(arg);

	log_info("registry warmed: %llu MiB touched", (unsigned long long)(bytes >> 20));
	atomic_store(&warm_running, 0);
	return NULL;
}

static enum log_level
parse_level(const char *s)
{
	if (!strcmp(s, "error"))
		return LOG_LEVEL_ERROR;
	if (!strcmp(s, "warn"))
		return LOG_LEVEL_WARN;
	if (!strcmp(s, "debug"))
		return LOG_LEVEL_DEBUG;
	return LOG_LEVEL_INFO;
}

static unsigned
cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > 64 ? 64 : (unsigned)n;
}

int
main(int argc, char **argv)
{
	static struct config cfg;
	static struct server srv;
	struct registry_options ropt = {0};
	enum config_action action;
	char err[CONFIG_ERR_MAX];
	uint8_t pub[CRYPTO_ED25519_PUB_LEN];
	pthread_t warm_thread;
	int warm_started = 0, rc, status = 1;

	config_defaults(&cfg);
	if (config_load(&cfg, argc, argv, &action, err, sizeof(err)) != 0) {
		fprintf(stderr, "sealregd: %s\n(see sealregd --help)\n", err);
		return 2;
	}
	if (action == CONFIG_HELP) {
		config_usage(stdout, "sealregd");
		return 0;
	}
	if (config_validate(&cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "sealregd: %s\n", err);
		return 2;
	}
	log_set_level(parse_level(cfg.log_level));
	if (log_open(cfg.log[0] ? cfg.log : NULL) != 0) {
		fprintf(stderr, "sealregd: cannot open log file %s\n", cfg.log);
		return 2;
	}
	if (action == CONFIG_CHECK) {
		struct registry *reg = NULL;

		ropt.read_only = 1;
		rc = registry_open(cfg.db, &ropt, &reg);
		if (rc != 0) {
			fprintf(stderr, "sealregd: registry %s: %s\n", cfg.db, seal_strerror(rc));
			return 1;
		}
		registry_close(reg);
		if (cfg.tls_cert[0]) {
			struct crypto_tls *tls = NULL;

			rc = crypto_tls_server_new(cfg.tls_cert, cfg.tls_key, &tls);
			crypto_tls_free(tls);
			if (rc != 0) {
				fprintf(stderr, "sealregd: TLS certificate %s / key %s: %s\n",
				        cfg.tls_cert, cfg.tls_key, seal_strerror(rc));
				return 1;
			}
		}
		if (access(cfg.web, R_OK | X_OK) != 0)
			fprintf(stderr, "sealregd: warning: web directory %s is not readable\n",
			        cfg.web);
		config_print(stdout, &cfg);
		printf("configuration ok\n");
		return 0;
	}

	http_block_signals();
	srv.cfg = &cfg;
	srv.nthreads = cfg.threads > 0 ? (unsigned)cfg.threads : cpus();
	rc = registry_open(cfg.db, NULL, &srv.reg);
	if (rc != 0) {
		fprintf(stderr, "sealregd: registry %s: %s\n", cfg.db, seal_strerror(rc));
		return 1;
	}
	srv.key = registry_key(srv.reg);
	srv.client_key = registry_client_key(srv.reg);
	if (crypto_key_public_pem(srv.key, srv.pubkey_pem, sizeof(srv.pubkey_pem)) != 0 ||
	    crypto_key_public_raw(srv.key, pub) != 0) {
		fprintf(stderr, "sealregd: cannot read the registry's public key\n");
		goto out;
	}
	base64_encode(pub, sizeof(pub), srv.pubkey_b64, sizeof(srv.pubkey_b64));
	if (!realpath(cfg.web, srv.web_root)) {
		log_warnx("web directory %s not found: pages will answer 404", cfg.web);
		srv.web_root[0] = '\0';
	}
	if (cfg.tls_cert[0]) {
		rc = crypto_tls_server_new(cfg.tls_cert, cfg.tls_key, &srv.tls);
		if (rc != 0) {
			fprintf(stderr, "sealregd: TLS certificate %s / key %s: %s\n", cfg.tls_cert,
			        cfg.tls_key, seal_strerror(rc));
			goto out;
		}
	}
	if (cfg.rate > 0 &&
	    ratelimit_new(cfg.rate, cfg.burst, RATELIMIT_SLOTS_DEFAULT, &srv.rl) != 0)
		goto oom;
	if (metrics_new(router_count() + 1, srv.nthreads, &srv.metrics) != 0)
		goto oom;
	if (workers_new(cfg.workers > 0 ? (unsigned)cfg.workers : cpus(), (unsigned)cfg.queue,
	                http_worker_init, http_worker_fini, &srv, &srv.workers) != 0)
		goto oom;
	if (!cfg.query_log)
		log_warnx("query_log = 0: lookups are NOT recorded (benchmarks only)");
	else if (querylog_new(qlog_sink, srv.reg, QUERYLOG_INTERVAL_MS, QUERYLOG_BATCH,
	                      QUERYLOG_QUEUE_MAX, &srv.qlog) != 0)
		goto oom;
	atomic_store(&warm_running, 1);
	if (cfg.warm && pthread_create(&warm_thread, NULL, warm_main, srv.reg) == 0)
		warm_started = 1;
	else
		atomic_store(&warm_running, 0);

	rc = http_serve(&srv);
	if (rc != 0) {
		fprintf(stderr, "sealregd: cannot serve on %s: %s\n", cfg.listen,
		        seal_strerror(rc));
		goto out;
	}
	status = 0;
	goto out;
oom:
	fprintf(stderr, "sealregd: out of memory at start-up\n");
out:
	workers_free(srv.workers);
	srv.workers = NULL;
	querylog_free(srv.qlog); /* flushes */
	srv.qlog = NULL;
	metrics_free(srv.metrics);
	ratelimit_free(srv.rl);
	crypto_tls_free(srv.tls);
	if (warm_started && atomic_load(&warm_running)) {
		/* A big map is still being faulted in: do not wait for it.  All
		 * writes are committed; the process exit releases the map. */
		log_info("stopped (warm-up abandoned)");
		return status;
	}
	if (warm_started)
		pthread_join(warm_thread, NULL);
	registry_close(srv.reg);
	log_info("stopped");
	return status;
}
