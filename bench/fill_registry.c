/*
 * fill_registry - build a large registry for benchmarks, through the public
 * API (batched registrations without images, no fsync).
 *
 *   fill_registry DIR N CODES_FILE
 *
 * N seals spread over 50 engravers in 10 regions; every code is written to
 * CODES_FILE, one per line.  Prints the registrations per second.
 */
#include "common/errors.h"
#include "registry/registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ENGRAVERS 50
#define BATCH 5000

static const char *const REGIONS[10] = {"1101", "3101", "4401", "4403", "5101",
                                        "6101", "3301", "3201", "4201", "2102"};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int
main(int argc, char **argv)
{
	struct registry_options opt = {.map_size = (size_t)8 << 30, .no_sync = 1};
	struct registry *reg;
	struct registry_actor admin;
	struct seal_registration *in;
	struct seal_record *out;
	char holders[BATCH][40], credits[BATCH][SEAL_CREDIT_LEN + 1];
	unsigned long n;
	double t0;
	FILE *codes;
	int rc;

	if (argc != 4 || (n = strtoul(argv[2], NULL, 10)) == 0) {
		fprintf(stderr, "usage: fill_registry DIR N CODES_FILE\n");
		return 2;
	}
	rc = registry_create(argv[1], &opt);
	if (rc == 0)
		rc = registry_open(argv[1], &opt, &reg);
	if (rc != 0) {
		fprintf(stderr, "fill_registry: %s: %s\n", argv[1], seal_strerror(rc));
		return 1;
	}
	codes = fopen(argv[3], "w");
	in = calloc(BATCH, sizeof *in);
	out = calloc(BATCH, sizeof *out);
	if (codes == NULL || in == NULL || out == NULL)
		return 1;
	registry_actor_local(&admin);
	for (int e = 0; e < ENGRAVERS && rc == 0; e++) {
		struct engraver_record er = {0};
		snprintf(er.prefix, sizeof er.prefix, "%s%03d", REGIONS[e % 10], 100 + e);
		snprintf(er.company, sizeof er.company, "基准刻章有限公司%d", e);
		snprintf(er.licence, sizeof er.licence, "BENCH-%d", e);
		rc = registry_engraver_add(reg, &admin, &er);
	}
	t0 = now();
	for (unsigned long done = 0; done < n && rc == 0;) {
		size_t k = n - done < BATCH ? n - done : BATCH;
		for (size_t i = 0; i < k; i++) {
			unsigned long s = done + i;
			int e = (int)(s % ENGRAVERS);
			char div[7];
			snprintf(in[i].engraver, sizeof in[i].engraver, "%s%03d", REGIONS[e % 10],
			         100 + e);
			snprintf(holders[i], sizeof holders[i], "基准测试有限公司%lu", s);
			snprintf(div, sizeof div, "%s00", REGIONS[e % 10]);
			snprintf(credits[i], sizeof credits[i], "91%s%09lu", div, s % 1000000000ul);
			credits[i][17] = credit_code_check_char(credits[i]);
			credits[i][18] = '\0';
			in[i].holder = holders[i];
			in[i].credit_code = credits[i];
			in[i].type = "公章";
			in[i].shape = SEAL_SHAPE_ROUND;
		}
		rc = registry_seal_register_batch(reg, &admin, in, k, out, NULL, NULL);
		for (size_t i = 0; rc == 0 && i < k; i++)
			fprintf(codes, "%s\n", out[i].code);
		done += k;
	}
	if (rc != 0) {
		fprintf(stderr, "fill_registry: %s\n", seal_strerror(rc));
		return 1;
	}
	printf("filled %lu seals in %.1f s: %.0f registrations/s (batches of %d, no fsync)\n", n,
	       now() - t0, (double)n / (now() - t0), BATCH);
	fclose(codes);
	free(in);
	free(out);
	registry_close(reg);
	return 0;
}
