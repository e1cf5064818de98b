/*
 * replay.c - run a libFuzzer target over a corpus without libFuzzer.
 *
 *   build/fuzz/fuzz_NAME DIR_OR_FILE...
 *
 * Every regular file in each directory (sorted by name, not recursive) and
 * every file named directly is read into a buffer of exactly its size (so
 * ASan catches reads past the end) and passed to LLVMFuzzerTestOneInput.  A
 * crash or sanitizer report is the failure; otherwise the last line is
 * "N passed, 0 failed".  A missing or unreadable input counts as one failure.
 */
#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Inputs bigger than this are not fuzz inputs; refuse rather than swap. */
#define REPLAY_FILE_MAX (64 * 1024 * 1024)

/* Read path into a malloc'ed buffer of exactly its size.  Returns 0 or -1. */
static int
read_file(const char *path, uint8_t **data, size_t *size)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	uint8_t *buf;

	if (!f)
		return -1;
	if (fstat(fileno(f), &st) != 0 || st.st_size < 0 || st.st_size > REPLAY_FILE_MAX) {
		fclose(f);
		return -1;
	}
	/* malloc(0) may return NULL; keep one byte but report size 0. */
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf || fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	*data = buf;
	*size = (size_t)st.st_size;
	return 0;
}

static int
replay_one(const char *path, unsigned *passed, unsigned *failed)
{
	uint8_t *data;
	size_t size;

	if (read_file(path, &data, &size) != 0) {
		fprintf(stderr, "replay: cannot read %s\n", path);
		(*failed)++;
		return -1;
	}
	LLVMFuzzerTestOneInput(data, size);
	free(data);
	(*passed)++;
	return 0;
}

static int
by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int
main(int argc, char **argv)
{
	unsigned passed = 0, failed = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR_OR_FILE...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		struct stat st;
		struct dirent **names;
		int n;

		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "replay: %s: no such file or directory\n", argv[i]);
			failed++;
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			replay_one(argv[i], &passed, &failed);
			continue;
		}
		n = scandir(argv[i], &names, NULL, by_name);
		if (n < 0) {
			fprintf(stderr, "replay: cannot list %s\n", argv[i]);
			failed++;
			continue;
		}
		for (int k = 0; k < n; k++) {
			char path[4096];
			struct stat fst;
			int len = snprintf(path, sizeof(path), "%s/%s", argv[i], names[k]->d_name);

			if (len > 0 && (size_t)len < sizeof(path) && stat(path, &fst) == 0 &&
			    S_ISREG(fst.st_mode))
				replay_one(path, &passed, &failed);
			free(names[k]);
		}
		free(names);
	}
	printf("%u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
