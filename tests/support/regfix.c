/*
 * regfix.c - registry fixtures for the tests (see regfix.h).
 *
 * The store digest walks every named database with a store cursor and feeds
 * (database index, key length, key, value length, value) into one SHA-256
 * context built from crypto_sha256_parts() chained through the running hash,
 * so two states compare with one memcmp.  The PNG is drawn pixel by pixel
 * (ring by distance, star by an even-odd polygon test) and encoded with the
 * image module.
 */
#include "tests/support/regfix.h"

#include <ftw.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/errors.h"
#include "registry/internal.h"
#include "verify/image.h"

/* cmocka's failure entry point, referenced weakly: the fixtures also link
 * into tools that do not use cmocka, where a failure just exits. */
extern void _fail(const char *const file, const int line) __attribute__((weak));

#define fail_msg(...) regfix_fail(__FILE__, __LINE__, __VA_ARGS__)

static void __attribute__((format(printf, 3, 4)))
regfix_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "ERROR: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	if (_fail != NULL)
		_fail(file, line);
	exit(1);
}

void
regfix_expect_rc(int want, int got, const char *what)
{
	if (want != got)
		fail_msg("%s: expected %s (%d), got %s (%d)", what, seal_errname(want), want,
		         seal_errname(got), got);
}

void
regfix_tmpdir(char out[REGFIX_PATH_MAX])
{
	const char *base = getenv("TMPDIR");
	int n;

	if (base == NULL || base[0] == '\0')
		base = "/tmp";
	n = snprintf(out, REGFIX_PATH_MAX, "%s/regfix.XXXXXX", base);
	if (n < 0 || n >= REGFIX_PATH_MAX || mkdtemp(out) == NULL)
		fail_msg("mkdtemp under %s: expected a new directory, got an error", base);
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void
regfix_rmrf(const char *dir)
{
	if (dir != NULL && dir[0] != '\0' && access(dir, F_OK) == 0)
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

struct registry *
regfix_registry_new(char dir[REGFIX_PATH_MAX], size_t map_size)
{
	struct registry_options opt = {.map_size = map_size};
	struct registry *reg = NULL;

	regfix_tmpdir(dir);
	regfix_expect_rc(0, registry_create(dir, &opt), "registry_create");
	regfix_expect_rc(0, registry_open(dir, &opt, &reg), "registry_open");
	return reg;
}

void
regfix_credit_code(const char *region6, unsigned n, char out[SEAL_CREDIT_LEN + 1])
{
	static const char org[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
	char check;

	out[0] = '9';
	out[1] = '1';
	memcpy(out + 2, region6, 6);
	/* Nine organisation characters: n in base 31 over the credit alphabet,
	 * most significant first, with a fixed "M" in the middle so codes are
	 * not all digits. */
	for (int i = 16; i >= 8; i--) {
		out[i] = org[n % 31];
		n /= 31;
	}
	out[12] = 'M';
	out[17] = '\0';
	check = credit_code_check_char(out);
	if (check == '\0')
		fail_msg("credit_code_check_char(%.17s): expected a check character, got none",
		         out);
	out[17] = check;
	out[18] = '\0';
}

/* Even-odd test of (x, y) against the polygon of n vertices. */
static int
in_polygon(const double *px, const double *py, int n, double x, double y)
{
	int in = 0;

	for (int i = 0, j = n - 1; i < n; j = i++)
		if ((py[i] > y) != (py[j] > y) &&
		    x < (px[j] - px[i]) * (y - py[i]) / (py[j] - py[i]) + px[i])
			in = !in;
	return in;
}

static void
draw_png(int side, unsigned seed, uint8_t **png, size_t *len)
{
	struct image img = {0};
	double c = side / 2.0, r_out = 0.45 * side, r_in = 0.40 * side;
	double sx[10], sy[10];
	int rc;

	for (int i = 0; i < 10; i++) {
		double a = -M_PI / 2 + i * M_PI / 5, r = (i % 2 ? 0.38 : 1.0) * 0.22 * side;

		sx[i] = c + r * cos(a);
		sy[i] = c + r * sin(a);
	}
	regfix_expect_rc(0, image_alloc(&img, side, side, 3, 255), "image_alloc");
	for (int y = 0; y < side; y++)
		for (int x = 0; x < side; x++) {
			double dx = x + 0.5 - c, dy = y + 0.5 - c, d = sqrt(dx * dx + dy * dy);
			uint8_t *p = img.pixels + (size_t)y * img.stride + (size_t)x * 3;

			if ((d <= r_out && d >= r_in) || in_polygon(sx, sy, 10, x + 0.5, y + 0.5)) {
				p[0] = 220;
				p[1] = 30;
				p[2] = 40;
			} else if (seed != 0) {
				for (int ch = 0; ch < 3; ch++) {
					seed = seed * 1103515245u + 12345u;
					p[ch] = (uint8_t)(224 + ((seed >> 16) & 31));
				}
			}
		}
	rc = image_encode_png(&img, png, len);
	image_fini(&img);
	regfix_expect_rc(0, rc, "image_encode_png");
}

void
regfix_png(int side, uint8_t **png, size_t *len)
{
	draw_png(side, 0, png, len);
}

void
regfix_png_noisy(int side, unsigned seed, uint8_t **png, size_t *len)
{
	draw_png(side, seed ? seed : 1, png, len);
}

void
regfix_engraver(struct registry *reg, const char *prefix)
{
	struct registry_actor admin;
	struct engraver_record e;

	registry_actor_local(&admin);
	memset(&e, 0, sizeof e);
	snprintf(e.prefix, sizeof e.prefix, "%s", prefix);
	snprintf(e.company, sizeof e.company, "刻章厂 %s", prefix);
	snprintf(e.licence, sizeof e.licence, "LIC-%s", prefix);
	regfix_expect_rc(0, registry_engraver_add(reg, &admin, &e), "registry_engraver_add");
}

int
regfix_seal(struct registry *reg, const char *prefix, const char *holder, unsigned n,
            struct seal_record *out)
{
	struct registry_actor admin;
	struct seal_registration in = {0};
	char credit[SEAL_CREDIT_LEN + 1], region6[7];

	registry_actor_local(&admin);
	snprintf(region6, sizeof region6, "%.4s00", prefix);
	regfix_credit_code(region6, n, credit);
	snprintf(in.engraver, sizeof in.engraver, "%s", prefix);
	in.holder = holder;
	in.credit_code = credit;
	in.type = "公章";
	in.shape = SEAL_SHAPE_ROUND;
	return registry_seal_register(reg, &admin, &in, out, NULL);
}

void
regfix_store_digest(struct store *st, uint64_t *entries, uint8_t out[CRYPTO_SHA256_LEN])
{
	struct store_txn *t = NULL;
	uint8_t h[CRYPTO_SHA256_LEN] = {0};
	uint64_t n = 0;

	regfix_expect_rc(0, store_txn_begin(st, 0, &t), "store_txn_begin (digest)");
	for (int db = 0; db < STORE_DB_COUNT; db++) {
		struct store_cursor *c = NULL;
		struct store_val k, v;
		int rc = store_cursor_open(t, (enum store_db)db, &c);

		regfix_expect_rc(0, rc, "store_cursor_open (digest)");
		for (rc = store_cursor_seek(c, NULL, 0, &k, &v); rc == 0;
		     rc = store_cursor_next(c, &k, &v)) {
			uint64_t meta[3] = {(uint64_t)db, k.len, v.len};
			const void *parts[4] = {h, meta, k.data, v.data};
			size_t lens[4] = {sizeof h, sizeof meta, k.len, v.len};

			crypto_sha256_parts(parts, lens, 4, h);
			n++;
		}
		store_cursor_close(c);
		regfix_expect_rc(SEAL_ENOTFOUND, rc, "cursor walk end (digest)");
	}
	store_txn_abort(t);
	*entries = n;
	memcpy(out, h, CRYPTO_SHA256_LEN);
}

void
regfix_state(struct registry *reg, struct regfix_state *out)
{
	struct registry_txn *txn = NULL;

	memset(out, 0, sizeof *out);
	regfix_expect_rc(0, registry_read_begin(reg, &txn), "registry_read_begin (state)");
	regfix_expect_rc(0, registry_stats(txn, &out->stats), "registry_stats (state)");
	regfix_expect_rc(0, registry_audit_head(txn, &out->head), "registry_audit_head (state)");
	registry_read_end(txn);
	/* The map's use may change on an aborted transaction (free pages); the
	 * logical content may not. */
	out->stats.map_used = out->stats.map_size = 0;
	regfix_store_digest(reg->st, &out->entries, out->digest);
}

void
regfix_expect_same_state(const struct regfix_state *want, const struct regfix_state *got,
                         const char *what)
{
	const struct registry_stats *a = &want->stats, *b = &got->stats;

	if (a->seals != b->seals)
		fail_msg("%s: expected %llu seals, got %llu", what, (unsigned long long)a->seals,
		         (unsigned long long)b->seals);
	for (int i = 0; i < SEAL_STATUS_COUNT; i++)
		if (a->by_status[i] != b->by_status[i])
			fail_msg("%s: expected %llu seals %s, got %llu", what,
			         (unsigned long long)a->by_status[i],
			         seal_status_name((enum seal_status)i),
			         (unsigned long long)b->by_status[i]);
	if (a->engravers != b->engravers || a->accounts != b->accounts || a->queries != b->queries)
		fail_msg("%s: expected engravers/accounts/queries %llu/%llu/%llu, got "
		         "%llu/%llu/%llu",
		         what, (unsigned long long)a->engravers, (unsigned long long)a->accounts,
		         (unsigned long long)a->queries, (unsigned long long)b->engravers,
		         (unsigned long long)b->accounts, (unsigned long long)b->queries);
	if (a->audit_length != b->audit_length)
		fail_msg("%s: expected audit length %llu, got %llu", what,
		         (unsigned long long)a->audit_length, (unsigned long long)b->audit_length);
	if (memcmp(a->audit_hash, b->audit_hash, sizeof a->audit_hash) != 0 ||
	    memcmp(&want->head, &got->head, sizeof want->head) != 0)
		fail_msg("%s: expected the same signed audit head (seq %llu), got a different "
		         "one (seq %llu)",
		         what, (unsigned long long)want->head.seq,
		         (unsigned long long)got->head.seq);
	if (want->entries != got->entries)
		fail_msg("%s: expected %llu key/value pairs in the store, got %llu", what,
		         (unsigned long long)want->entries, (unsigned long long)got->entries);
	if (memcmp(want->digest, got->digest, sizeof want->digest) != 0)
		fail_msg("%s: expected the same logical dump of every database, got a different "
		         "digest",
		         what);
}

void
regfix_file_sha256(const char *dir, const char *name, uint8_t out[CRYPTO_SHA256_LEN])
{
	char path[REGFIX_PATH_MAX + 64];
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("open %s: expected a readable file, got none", path);
	for (;;) {
		size_t got;

		if (len == cap) {
			cap = cap ? cap * 2 : 1 << 20;
			buf = realloc(buf, cap);
			if (buf == NULL)
				fail_msg("read %s: out of memory", path);
		}
		got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0)
			break;
	}
	fclose(f);
	crypto_sha256(buf, len, out);
	free(buf);
}

int
regfix_setup(void **state)
{
	struct regfix_fx *fx = calloc(1, sizeof *fx);

	fx->reg = regfix_registry_new(fx->dir, 0);
	registry_actor_local(&fx->admin);
	regfix_engraver(fx->reg, "6101001");
	regfix_engraver(fx->reg, "4401002");
	*state = fx;
	return 0;
}

int
regfix_teardown(void **state)
{
	struct regfix_fx *fx = *state;

	registry_close(fx->reg);
	regfix_rmrf(fx->dir);
	free(fx);
	return 0;
}
