/*
 * bench_registry - registrations and lookups per second of the registry
 * (issue 2's benchmark; not a test).
 *
 *   bench_registry [--dir DIR] [--seals N] [--lookups M] [--regs K] [--sync-regs S]
 *                  [--rounds R]
 *
 * 1. Registrations, one process, no images, in a scratch registry:
 *    registry_seal_register() one seal per write transaction with fsync,
 *    the same without fsync (no_sync), and registry_seal_register_batch()
 *    in batches of 1000 without fsync.  S seals with fsync (default 2000: a
 *    commit costs a disk flush), K seals each without (default 20000).
 * 2. A registry of N seals (default 1,000,000) over 50 engravers in 10
 *    regions, filled through registry_seal_register_batch() (batches of
 *    5000, no fsync) and cached in DIR/registry-N (default DIR
 *    $BUILD/bench-registry) so reruns skip the fill.
 * 3. M lookups (default 1,000,000) of random registered codes, the same keys
 *    in the same order for every method, R rounds (default 3); the methods
 *    take turns in chunks of 10,000 keys (rotating order), so load from other
 *    processes hits them alike, and their times are summed:
 *      api-renew  registry_read_reset/renew + registry_seal_get per lookup
 *      api-one    registry_seal_get in one read transaction
 *      raw-renew  mdb_txn_reset/renew + mdb_get + copy of the value
 *      raw-one    mdb_get + copy of the value in one read transaction
 *    An untimed warm-up pass maps the pages in first.  Prints lookups/s and
 *    the ratios api/raw (goal >= 0.8).
 *
 * The raw loop opens the same data.mdb with LMDB directly, read-only with
 * MDB_NOLOCK beside the registry's own read-only handle (no lock file, so
 * the registry's locks are untouched; nothing writes meanwhile), which is
 * why this program, unlike the product, includes <lmdb.h>.
 */
#include "common/errors.h"
#include "registry/registry.h"

#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ENGRAVERS 50
#define FILL_BATCH 5000
#define REG_BATCH 1000

static const char *const REGIONS[10] = {"1101", "3101", "4401", "4403", "5101",
                                        "6101", "3301", "3201", "4201", "2102"};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void
die(const char *what, int rc)
{
	fprintf(stderr, "bench_registry: %s: %s\n", what, seal_strerror(rc));
	exit(1);
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
rmrf(const char *dir)
{
	if (access(dir, F_OK) == 0)
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void
engraver_prefix(int e, char out[SEAL_PREFIX_LEN + 1])
{
	snprintf(out, SEAL_PREFIX_LEN + 1, "%s%03d", REGIONS[e % 10], 100 + e);
}

/* Seal i goes to engraver i % ENGRAVERS with serial i / ENGRAVERS + 1. */
static void
seal_code(unsigned long i, char out[SEAL_CODE_LEN + 1])
{
	char prefix[SEAL_PREFIX_LEN + 1];

	engraver_prefix((int)(i % ENGRAVERS), prefix);
	code_make(prefix, (unsigned)(i / ENGRAVERS + 1), out);
}

struct regbuf {
	struct seal_registration in[FILL_BATCH];
	char holder[FILL_BATCH][48];
	char credit[FILL_BATCH][SEAL_CREDIT_LEN + 1];
};

/* Fill rb->in[0..k) for seals first..first+k. */
static void
regbuf_fill(struct regbuf *rb, unsigned long first, size_t k)
{
	for (size_t j = 0; j < k; j++) {
		unsigned long s = first + j;
		int e = (int)(s % ENGRAVERS);
		struct seal_registration *in = &rb->in[j];

		memset(in, 0, sizeof *in);
		engraver_prefix(e, in->engraver);
		snprintf(rb->holder[j], sizeof rb->holder[j], "基准测试有限公司%lu", s);
		snprintf(rb->credit[j], sizeof rb->credit[j], "91%s00%09lu", REGIONS[e % 10],
		         s % 1000000000ul);
		rb->credit[j][17] = credit_code_check_char(rb->credit[j]);
		rb->credit[j][18] = '\0';
		in->holder = rb->holder[j];
		in->credit_code = rb->credit[j];
		in->type = "公章";
		in->shape = SEAL_SHAPE_ROUND;
	}
}

static struct registry *
registry_new(const char *dir, int no_sync)
{
	struct registry_options opt = {.map_size = (size_t)16 << 30, .no_sync = no_sync};
	struct registry_actor admin;
	struct registry *reg;
	int rc;

	rmrf(dir);
	rc = registry_create(dir, &opt);
	if (rc == 0)
		rc = registry_open(dir, &opt, &reg);
	if (rc != 0)
		die(dir, rc);
	registry_actor_local(&admin);
	for (int e = 0; e < ENGRAVERS; e++) {
		struct engraver_record er = {0};

		engraver_prefix(e, er.prefix);
		snprintf(er.company, sizeof er.company, "基准刻章有限公司%d", e);
		snprintf(er.licence, sizeof er.licence, "BENCH-%d", e);
		rc = registry_engraver_add(reg, &admin, &er);
		if (rc != 0)
			die("engraver add", rc);
	}
	return reg;
}

/* Register seals first..first+k one transaction each; returns the rate. */
static double
register_single(struct registry *reg, struct regbuf *rb, unsigned long first, unsigned long k)
{
	struct registry_actor admin;
	double t0 = now();

	registry_actor_local(&admin);
	for (unsigned long done = 0; done < k;) {
		size_t n = k - done < FILL_BATCH ? (size_t)(k - done) : FILL_BATCH;

		regbuf_fill(rb, first + done, n);
		for (size_t j = 0; j < n; j++) {
			int rc = registry_seal_register(reg, &admin, &rb->in[j], NULL, NULL);

			if (rc != 0)
				die("registry_seal_register", rc);
		}
		done += n;
	}
	return (double)k / (now() - t0);
}

/* Register seals first..first+k in batches; returns the rate. */
static double
register_batches(struct registry *reg, struct regbuf *rb, unsigned long first, unsigned long k,
                 size_t batch, int progress)
{
	struct registry_actor admin;
	double t0 = now(), last = t0;

	registry_actor_local(&admin);
	for (unsigned long done = 0; done < k;) {
		size_t n = k - done < batch ? (size_t)(k - done) : batch;
		int rc;

		regbuf_fill(rb, first + done, n);
		rc = registry_seal_register_batch(reg, &admin, rb->in, n, NULL, NULL, NULL);
		if (rc != 0)
			die("registry_seal_register_batch", rc);
		done += n;
		if (progress && now() - last > 10) {
			last = now();
			fprintf(stderr, "  %lu of %lu seals, %.0f/s\n", done, k,
			        (double)done / (last - t0));
		}
	}
	return (double)k / (now() - t0);
}

static void
bench_registrations(const char *dir, unsigned long k_sync, unsigned long k)
{
	char scratch[4096];
	struct regbuf *rb = malloc(sizeof *rb);
	struct registry *reg;
	double r_sync, r_nosync, r_batch;

	if (rb == NULL)
		die("malloc", SEAL_ENOMEM);
	snprintf(scratch, sizeof scratch, "%s/scratch", dir);
	reg = registry_new(scratch, 0);
	r_sync = register_single(reg, rb, 0, k_sync);
	registry_close(reg);
	reg = registry_new(scratch, 1);
	r_nosync = register_single(reg, rb, 0, k);
	registry_close(reg);
	reg = registry_new(scratch, 1);
	r_batch = register_batches(reg, rb, 0, k, REG_BATCH, 0);
	registry_close(reg);
	rmrf(scratch);
	free(rb);
	printf("registrations (no images, one process, into a new registry):\n");
	printf("  registry_seal_register, fsync        %6lu seals %9.0f /s\n", k_sync, r_sync);
	printf("  registry_seal_register, no_sync      %6lu seals %9.0f /s\n", k, r_nosync);
	printf("  registry_seal_register_batch(%d), no_sync %6lu seals %9.0f /s\n", REG_BATCH, k,
	       r_batch);
}

/* The cached registry of n seals: dir/registry-N with a "complete" marker. */
static void
ensure_registry(const char *path, unsigned long n)
{
	char marker[4200];
	struct regbuf *rb;
	struct registry *reg;
	double rate, t0 = now();
	FILE *f;

	snprintf(marker, sizeof marker, "%s/complete", path);
	if (access(marker, F_OK) == 0) {
		printf("registry of %lu seals: cached in %s\n", n, path);
		return;
	}
	rb = malloc(sizeof *rb);
	if (rb == NULL)
		die("malloc", SEAL_ENOMEM);
	fprintf(stderr, "building a registry of %lu seals in %s (once)\n", n, path);
	reg = registry_new(path, 1);
	rate = register_batches(reg, rb, 0, n, FILL_BATCH, 1);
	registry_close(reg);
	free(rb);
	f = fopen(marker, "w");
	if (f == NULL)
		die(marker, SEAL_EIO);
	fprintf(f, "%lu\n", n);
	fclose(f);
	printf("registry of %lu seals: filled in %.1f s, %.0f registrations/s "
	       "(registry_seal_register_batch(%d), no_sync)\n",
	       n, now() - t0, rate, FILL_BATCH);
}

enum method { API_RENEW, API_ONE, RAW_RENEW, RAW_ONE, METHODS };

static const char *const METHOD_NAMES[METHODS] = {
    "api-renew (registry_seal_get, txn reset/renew per lookup)",
    "api-one   (registry_seal_get, one read txn)",
    "raw-renew (mdb_get + copy, txn reset/renew per lookup)",
    "raw-one   (mdb_get + copy, one read txn)"};

#define CHUNK 10000

/* Both sides open at once: the registry read-only, and LMDB directly with
 * MDB_NOLOCK (no lock file, so it cannot disturb the registry's locks; safe
 * as nothing writes). */
struct lookup_ctx {
	struct registry *reg;
	struct registry_txn *api_renew, *api_one;
	MDB_env *env;
	MDB_txn *raw_renew, *raw_one;
	MDB_dbi dbi;
	uint64_t sink;
};

static void
mdb_die(const char *what, int rc)
{
	fprintf(stderr, "bench_registry: %s: %s\n", what, mdb_strerror(rc));
	exit(1);
}

static void
lookup_open(struct lookup_ctx *cx, const char *path)
{
	struct registry_options opt = {.read_only = 1};
	MDB_txn *t;
	int rc = registry_open(path, &opt, &cx->reg);

	if (rc == 0)
		rc = registry_read_begin(cx->reg, &cx->api_renew);
	if (rc == 0)
		rc = registry_read_begin(cx->reg, &cx->api_one);
	if (rc != 0)
		die(path, rc);
	rc = mdb_env_create(&cx->env);
	if (rc == 0)
		rc = mdb_env_set_maxdbs(cx->env, 16);
	if (rc == 0)
		rc = mdb_env_open(cx->env, path,
		                  MDB_RDONLY | MDB_NOTLS | MDB_NOLOCK | MDB_NORDAHEAD, 0640);
	/* A handle outlives the transaction that opened it once that one ends. */
	if (rc == 0)
		rc = mdb_txn_begin(cx->env, NULL, MDB_RDONLY, &t);
	if (rc == 0)
		rc = mdb_dbi_open(t, "seals", 0, &cx->dbi);
	if (rc == 0)
		rc = mdb_txn_commit(t);
	if (rc == 0)
		rc = mdb_txn_begin(cx->env, NULL, MDB_RDONLY, &cx->raw_renew);
	if (rc == 0)
		rc = mdb_txn_begin(cx->env, NULL, MDB_RDONLY, &cx->raw_one);
	if (rc != 0)
		mdb_die(path, rc);
}

static void
lookup_close(struct lookup_ctx *cx)
{
	mdb_txn_abort(cx->raw_renew);
	mdb_txn_abort(cx->raw_one);
	mdb_env_close(cx->env);
	registry_read_end(cx->api_renew);
	registry_read_end(cx->api_one);
	registry_close(cx->reg);
}

/* Look keys[0..n) up with method meth; returns the seconds taken. */
static double
lookup_run(struct lookup_ctx *cx, enum method meth, char (*keys)[SEAL_CODE_LEN + 1], size_t n)
{
	struct seal_record rec;
	double t0 = now();
	int rc;

	for (size_t i = 0; i < n; i++) {
		if (meth == API_RENEW || meth == API_ONE) {
			struct registry_txn *txn = meth == API_RENEW ? cx->api_renew : cx->api_one;

			if (meth == API_RENEW) {
				registry_read_reset(txn);
				rc = registry_read_renew(txn);
				if (rc != 0)
					die("registry_read_renew", rc);
			}
			rc = registry_seal_get(txn, keys[i], &rec);
			if (rc != 0)
				die(keys[i], rc);
		} else {
			MDB_txn *txn = meth == RAW_RENEW ? cx->raw_renew : cx->raw_one;
			MDB_val k = {SEAL_CODE_LEN, keys[i]}, v;

			if (meth == RAW_RENEW) {
				mdb_txn_reset(txn);
				rc = mdb_txn_renew(txn);
				if (rc != 0)
					mdb_die("mdb_txn_renew", rc);
			}
			rc = mdb_get(txn, cx->dbi, &k, &v);
			if (rc != 0)
				mdb_die(keys[i], rc);
			if (v.mv_size != sizeof rec)
				mdb_die("value size", MDB_CORRUPTED);
			memcpy(&rec, v.mv_data, sizeof rec);
		}
		cx->sink += rec.version + rec.status;
	}
	return now() - t0;
}

static void
bench_lookups(const char *path, unsigned long n, size_t m, int rounds)
{
	char(*keys)[SEAL_CODE_LEN + 1] = malloc(m * sizeof *keys);
	double total[METHODS] = {0};
	uint64_t x = 0x9e3779b97f4a7c15ull;
	struct lookup_ctx cx = {0};

	if (keys == NULL)
		die("malloc", SEAL_ENOMEM);
	for (size_t i = 0; i < m; i++) {
		/* xorshift64* */
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		seal_code((unsigned long)((x * 0x2545f4914f6cdd1dull) % n), keys[i]);
	}
	lookup_open(&cx, path);
	/* Untimed warm-up: every page the keys touch is mapped in. */
	lookup_run(&cx, RAW_ONE, keys, m);
	lookup_run(&cx, API_ONE, keys, m);
	/* Chunks of CHUNK keys, each looked up by all four methods in a
	 * rotating order, so load from other processes hits all alike. */
	for (int r = 0; r < rounds; r++)
		for (size_t c = 0, turn = 0; c < m; c += CHUNK, turn++) {
			size_t len = m - c < CHUNK ? m - c : CHUNK;

			for (int j = 0; j < METHODS; j++) {
				enum method meth = (enum method)((j + turn) % METHODS);

				total[meth] += lookup_run(&cx, meth, keys + c, len);
			}
		}
	lookup_close(&cx);
	printf("lookups: %zu random registered codes of %lu, %d rounds, the four methods "
	       "interleaved in chunks of %d (after a warm-up pass):\n",
	       m, n, rounds, CHUNK);
	for (int i = 0; i < METHODS; i++)
		printf("  %-58s %10.0f lookups/s\n", METHOD_NAMES[i],
		       (double)m * rounds / total[i]);
	printf("  ratio api-one / raw-one         %.3f  (goal >= 0.8)\n",
	       total[RAW_ONE] / total[API_ONE]);
	printf("  ratio api-renew / raw-renew     %.3f  (goal >= 0.8)\n",
	       total[RAW_RENEW] / total[API_RENEW]);
	printf("  ratio api-renew / raw-one       %.3f  (a txn per lookup vs the bare loop)\n",
	       total[RAW_ONE] / total[API_RENEW]);
	fprintf(stderr, "  (checksum %llu)\n", (unsigned long long)cx.sink);
	free(keys);
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: bench_registry [--dir DIR] [--seals N] [--lookups M] [--regs K] "
	           "[--sync-regs S] [--rounds R]\n"
	           "defaults: DIR $BUILD/bench-registry, N 1000000, M 1000000, K 20000, S 2000, "
	           "R 3\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {{"dir", 1, NULL, 'd'},       {"seals", 1, NULL, 'n'},
	                                     {"lookups", 1, NULL, 'm'},   {"regs", 1, NULL, 'k'},
	                                     {"rounds", 1, NULL, 'r'},    {"help", 0, NULL, 'h'},
	                                     {"sync-regs", 1, NULL, 's'}, {NULL, 0, NULL, 0}};
	const char *build = getenv("BUILD");
	char dir[2048], path[4096];
	unsigned long n = 1000000, m = 1000000, k = 20000, k_sync = 2000, rounds = 3;
	int c;

	setvbuf(stdout, NULL, _IOLBF, 0); /* figures appear as they come, also in a pipe */
	snprintf(dir, sizeof dir, "%s/bench-registry", build && *build ? build : "build");
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		char *end = NULL;
		unsigned long v = 0;

		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		if (c == '?') {
			usage(stderr);
			return 2;
		}
		if (c == 'd') {
			snprintf(dir, sizeof dir, "%s", optarg);
			continue;
		}
		errno = 0;
		v = strtoul(optarg, &end, 10);
		if (errno != 0 || *end != '\0' || v == 0) {
			fprintf(stderr, "bench_registry: --%s needs a positive number\n",
			        c == 'n'   ? "seals"
			        : c == 'm' ? "lookups"
			        : c == 'k' ? "regs"
			        : c == 's' ? "sync-regs"
			                   : "rounds");
			return 2;
		}
		if (c == 'n')
			n = v;
		else if (c == 'm')
			m = v;
		else if (c == 'k')
			k = v;
		else if (c == 's')
			k_sync = v;
		else
			rounds = v;
	}
	if (n / ENGRAVERS + 1 > SEAL_SERIAL_MAX) {
		fprintf(stderr, "bench_registry: at most %u seals\n", SEAL_SERIAL_MAX * ENGRAVERS);
		return 2;
	}
	if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
		fprintf(stderr, "bench_registry: mkdir %s: %s\n", dir, strerror(errno));
		return 1;
	}
	bench_registrations(dir, k_sync, k);
	snprintf(path, sizeof path, "%s/registry-%lu", dir, n);
	ensure_registry(path, n);
	bench_lookups(path, n, (size_t)m, (int)rounds);
	return 0;
}
