/*
 * sealmatch.c - compare seal impressions from the command line.
 *
 *   sealmatch REF QUERY
 *       prints one JSON object: verdict, score, reason, centre, radius,
 *       rotation, shape and the milliseconds spent (decode included).
 *   sealmatch --pairs MANIFEST.csv --root DIR [--threads N] [--figures]
 *       reads rows pair_id,reference,query,... (a header first) and prints
 *       CSV pair_id,score,verdict with a header, one row per pair in manifest
 *       order; --figures appends the matcher's evidence figures, the ms per
 *       query (decode and compare) and the ms of the comparison alone.
 *
 * Reference features are computed once per distinct reference, as the
 * registry would store them.  Threads take pairs from a shared counter.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/errors.h"
#include "common/limits.h"
#include "verify/image.h"
#include "verify/matcher.h"
#include "verify/score.h"

#define SEALMATCH_MAX_PAIRS 100000
#define SEALMATCH_MAX_THREADS 64

static double
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Read and decode an image file. */
static int
load_image(const char *path, struct image *img)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t n = 0;
	int rc = SEAL_EIO;

	memset(img, 0, sizeof(*img));
	if (!fp)
		return SEAL_EIO;
	buf = malloc(SEAL_UPLOAD_MAX_BYTES + 1);
	if (!buf) {
		rc = SEAL_ENOMEM;
		goto out;
	}
	n = fread(buf, 1, SEAL_UPLOAD_MAX_BYTES + 1, fp);
	if (ferror(fp))
		goto out;
	if (n > SEAL_UPLOAD_MAX_BYTES) {
		rc = SEAL_ETOOBIG;
		goto out;
	}
	rc = image_decode(buf, n, NULL, img);
out:
	free(buf);
	fclose(fp);
	return rc;
}

/* Print s as a JSON string. */
static void
json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

static int
run_single(const char *refpath, const char *qpath)
{
	struct image ref, q;
	struct match_result r;
	uint8_t feat[SEAL_FEATURES_MAX_BYTES];
	size_t flen = 0;
	int rc;

	double t0 = now_ms();
	rc = load_image(refpath, &ref);
	if (rc) {
		fprintf(stderr, "sealmatch: %s: %s\n", refpath, seal_strerror(rc));
		return 1;
	}
	rc = matcher_features(&ref, feat, sizeof(feat), &flen);
	if (rc) {
		fprintf(stderr, "sealmatch: %s: %s\n", refpath, seal_strerror(rc));
		image_fini(&ref);
		return 1;
	}
	double t1 = now_ms();
	rc = load_image(qpath, &q);
	if (rc) {
		fprintf(stderr, "sealmatch: %s: %s\n", qpath, seal_strerror(rc));
		image_fini(&ref);
		return 1;
	}
	rc = matcher_compare(&ref, feat, flen, &q, &r);
	double t2 = now_ms();
	image_fini(&ref);
	image_fini(&q);
	if (rc) {
		fprintf(stderr, "sealmatch: %s\n", seal_strerror(rc));
		return 1;
	}
	printf("{\"verdict\": ");
	json_string(stdout, match_verdict_name(r.verdict));
	printf(", \"score\": %.4f, \"reason\": ", r.score);
	json_string(stdout, r.reason);
	printf(", \"centre\": [%.1f, %.1f], \"radius\": %.1f, \"rotation\": %.2f, \"shape\": ",
	       r.cx, r.cy, r.radius, r.angle_deg);
	json_string(stdout, r.shape);
	printf(", \"ms\": %.1f, \"ref_ms\": %.1f}\n", t2 - t1, t1 - t0);
	return 0;
}

struct pair {
	char *id, *ref, *query;
	int refidx;
	double score, ms, cmp_ms;
	const char *verdict;
	double fig[SCORE_NFEAT];
};

struct refentry {
	char *path;
	struct image img;
	uint8_t feat[SEAL_FEATURES_MAX_BYTES];
	size_t flen;
	int rc;
	pthread_mutex_t lock;
	int ready;
};

struct job {
	struct pair *pairs;
	int npairs;
	struct refentry *refs;
	const char *root;
	int next;
	pthread_mutex_t lock;
};

static char *
join_path(const char *root, const char *rel)
{
	size_t a = strlen(root), b = strlen(rel);
	char *p = malloc(a + b + 2);
	if (!p)
		return NULL;
	memcpy(p, root, a);
	p[a] = '/';
	memcpy(p + a + 1, rel, b + 1);
	return p;
}

/* Decode a reference and compute its features, once. */
static int
ref_get(struct job *j, int idx)
{
	struct refentry *e = &j->refs[idx];
	pthread_mutex_lock(&e->lock);
	if (!e->ready) {
		char *p = join_path(j->root, e->path);
		e->rc = p ? load_image(p, &e->img) : SEAL_ENOMEM;
		if (!e->rc)
			e->rc = matcher_features(&e->img, e->feat, sizeof(e->feat), &e->flen);
		free(p);
		e->ready = 1;
	}
	pthread_mutex_unlock(&e->lock);
	return e->rc;
}

static void *
worker(void *arg)
{
	struct job *j = arg;
	for (;;) {
		pthread_mutex_lock(&j->lock);
		int i = j->next++;
		pthread_mutex_unlock(&j->lock);
		if (i >= j->npairs)
			break;
		struct pair *p = &j->pairs[i];
		p->verdict = "inconclusive";
		p->score = 0;
		if (ref_get(j, p->refidx))
			continue;
		char *qp = join_path(j->root, p->query);
		struct image q;
		struct match_result r;
		double t0 = now_ms();
		if (qp && load_image(qp, &q) == 0) {
			double t1 = now_ms();
			if (matcher_compare_detail(&j->refs[p->refidx].img, j->refs[p->refidx].feat,
			                           j->refs[p->refidx].flen, &q, &r, p->fig) == 0) {
				p->score = r.score;
				p->verdict = match_verdict_name(r.verdict);
			}
			p->cmp_ms = now_ms() - t1;
			image_fini(&q);
		}
		p->ms = now_ms() - t0;
		free(qp);
	}
	return NULL;
}

/* Split a CSV line (no quoted commas in the fields we read) in place. */
static int
split_csv(char *line, char **f, int max)
{
	int n = 0;
	char *p = line;
	while (n < max) {
		f[n++] = p;
		char *c = strchr(p, ',');
		if (!c)
			break;
		*c = '\0';
		p = c + 1;
	}
	char *e = f[n - 1] + strcspn(f[n - 1], "\r\n");
	*e = '\0';
	return n;
}

static int
run_pairs(const char *manifest, const char *root, int threads, int figures)
{
	FILE *fp = fopen(manifest, "r");
	char line[SEAL_CSV_LINE_MAX];
	struct pair *pairs = NULL;
	struct refentry *refs = NULL;
	int np = 0, nr = 0, rc = 1, col_id = -1, col_ref = -1, col_q = -1;
	pthread_t th[SEALMATCH_MAX_THREADS];

	if (!fp) {
		fprintf(stderr, "sealmatch: %s: %s\n", manifest, strerror(errno));
		return 1;
	}
	pairs = calloc(SEALMATCH_MAX_PAIRS, sizeof(*pairs));
	refs = calloc(SEALMATCH_MAX_PAIRS, sizeof(*refs));
	if (!pairs || !refs)
		goto out;
	if (!fgets(line, sizeof(line), fp))
		goto out;
	char *f[64];
	int nf = split_csv(line, f, 64);
	for (int i = 0; i < nf; i++) {
		if (!strcmp(f[i], "pair_id"))
			col_id = i;
		else if (!strcmp(f[i], "reference"))
			col_ref = i;
		else if (!strcmp(f[i], "query"))
			col_q = i;
	}
	if (col_id < 0 || col_ref < 0 || col_q < 0) {
		fprintf(stderr, "sealmatch: %s: header lacks pair_id,reference,query\n", manifest);
		goto out;
	}
	while (np < SEALMATCH_MAX_PAIRS && fgets(line, sizeof(line), fp)) {
		nf = split_csv(line, f, 64);
		if (nf <= col_id || nf <= col_ref || nf <= col_q)
			continue;
		struct pair *p = &pairs[np];
		p->id = strdup(f[col_id]);
		p->query = strdup(f[col_q]);
		p->refidx = -1;
		for (int k = 0; k < nr; k++)
			if (!strcmp(refs[k].path, f[col_ref]))
				p->refidx = k;
		if (p->refidx < 0) {
			refs[nr].path = strdup(f[col_ref]);
			pthread_mutex_init(&refs[nr].lock, NULL);
			p->refidx = nr++;
		}
		np++;
	}
	struct job j = {pairs, np, refs, root, 0, PTHREAD_MUTEX_INITIALIZER};
	if (threads < 1)
		threads = 1;
	if (threads > SEALMATCH_MAX_THREADS)
		threads = SEALMATCH_MAX_THREADS;
	for (int t = 0; t < threads; t++)
		pthread_create(&th[t], NULL, worker, &j);
	for (int t = 0; t < threads; t++)
		pthread_join(th[t], NULL);
	printf("pair_id,score,verdict%s\n", figures ? ",ncc,ncc_mid,extra0,extra1,missing,dil,blur,"
	                                              "scale,cover,ink,polar,ncc_present,ms,cmp_ms"
	                                            : "");
	for (int i = 0; i < np; i++) {
		printf("%s,%.6f,%s", pairs[i].id, pairs[i].score, pairs[i].verdict);
		if (figures) {
			for (int k = 0; k < SCORE_NFEAT; k++)
				printf(",%.5f", pairs[i].fig[k]);
			printf(",%.2f,%.2f", pairs[i].ms, pairs[i].cmp_ms);
		}
		printf("\n");
	}
	rc = 0;
out:
	fclose(fp);
	if (pairs)
		for (int i = 0; i < np; i++) {
			free(pairs[i].id);
			free(pairs[i].query);
		}
	if (refs)
		for (int i = 0; i < nr; i++) {
			free(refs[i].path);
			image_fini(&refs[i].img);
			pthread_mutex_destroy(&refs[i].lock);
		}
	free(pairs);
	free(refs);
	return rc;
}

static void
usage(void)
{
	fprintf(stderr,
	        "usage: sealmatch REF QUERY\n"
	        "       sealmatch --pairs MANIFEST.csv --root DIR [--threads N] [--figures]\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"pairs", required_argument, NULL, 'p'},   {"root", required_argument, NULL, 'r'},
	    {"threads", required_argument, NULL, 't'}, {"figures", no_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
	const char *pairs = NULL, *root = ".";
	int threads = 1, figures = 0, c;

	while ((c = getopt_long(argc, argv, "p:r:t:fh", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			pairs = optarg;
			break;
		case 'r':
			root = optarg;
			break;
		case 't': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > SEALMATCH_MAX_THREADS) {
				usage();
				return 2;
			}
			threads = (int)v;
			break;
		}
		case 'f':
			figures = 1;
			break;
		default:
			usage();
			return c == 'h' ? 0 : 2;
		}
	}
	if (pairs)
		return run_pairs(pairs, root, threads, figures);
	if (argc - optind != 2) {
		usage();
		return 2;
	}
	return run_single(argv[optind], argv[optind + 1]);
}
