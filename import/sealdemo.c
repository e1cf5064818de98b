/*
 * sealdemo - create a demo registry: a few licensed engravers in different
 * regions, a few hundred seals with impressions drawn by the renderer, some
 * in every status, and one token per role written to a tokens file.
 *
 *   sealdemo --db DIR [--seals N] [--tokens FILE] [--samples DIR]
 *
 * Everything is deterministic (a fixed-seed xorshift), so two demo
 * registries hold the same seals; only tokens and keys differ.  --samples
 * writes a few stamped "photos" (seal on a page, rotated) for trying the
 * impression check by hand.
 */
#include "common/errors.h"
#include "import/intake.h"
#include "import/render.h"
#include "registry/registry.h"
#include "verify/image.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct demo_engraver {
	const char *region, *number, *company, *licence;
};

static const struct demo_engraver ENGRAVERS[] = {
    {"6101", "001", "西安市诚信刻章有限公司", "陕公刻字第610100001号"},
    {"4401", "002", "广州市羊城印章制作有限公司", "粤公刻字第440100002号"},
    {"1101", "003", "北京市京华刻字服务部", "京公刻字第110100003号"},
    {"3101", "001", "上海市浦江印章有限公司", "沪公刻字第310100001号"},
};

static const char *const NAME_CORE[] = {"秦岭", "长安", "华信", "启明", "鼎盛", "恒通",
                                        "瑞丰", "新城", "天成", "博远", "宏图", "安和",
                                        "嘉禾", "正源", "中联", "汇泽"};
static const char *const NAME_TRADE[] = {"实业", "科技", "贸易", "建设", "物流",
                                         "商贸", "电子", "餐饮", "文化", "医药"};
static const char *const NAME_FORM[] = {"有限公司", "股份有限公司", "有限责任公司"};
static const char *const CITY[] = {"西安市", "广州市", "北京市", "上海市"};
static const char *const TYPES[] = {"公章", "合同专用章", "财务专用章", "发票专用章"};
static const char *const PERSONS[] = {"张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊"};
/* The credit code's 3rd-8th characters: a full division code in each region. */
static const char *const CREDIT_DIVISION[] = {"610100", "440100", "110100", "310100"};

static uint64_t rng_state = 0x5ea1c0de2026ULL;

static uint32_t
rng_next(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

static const char *
pick(const char *const *list, size_t n)
{
	return list[rng_next() % n];
}

#define PICK(list) pick(list, sizeof list / sizeof list[0])

/* A valid unified social credit code in division `div`. */
static void
make_credit(const char *div, char out[SEAL_CREDIT_LEN + 1])
{
	static const char ALPHA[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

	out[0] = '9';
	out[1] = '1';
	memcpy(out + 2, div, 6);
	for (int i = 8; i < 17; i++)
		out[i] = ALPHA[rng_next() % 31];
	out[17] = credit_code_check_char(out);
	out[18] = '\0';
}

/* Render one impression as PNG bytes. */
static int
render_png(const char *shape, const char *name, const char *type, const char *code, uint8_t **png,
           size_t *len)
{
	struct render_params p;
	struct image img;
	int rc;

	render_params_default(&p);
	p.shape = shape;
	p.name = name;
	p.type_text = type;
	p.code = code;
	p.size_px = 480;
	rc = render_seal(&p, &img);
	if (rc != 0)
		return rc;
	rc = image_encode_png(&img, png, len);
	image_fini(&img);
	return rc;
}

static int
write_samples(const char *dir, struct registry *reg)
{
	struct registry_txn *txn;
	struct seal_record s;
	char path[512];
	int rc = registry_read_begin(reg, &txn);

	if (rc != 0)
		return rc;
	for (unsigned i = 1; i <= 3 && rc == 0; i++) {
		struct render_params p;
		struct image page;
		uint8_t *png;
		size_t len;
		char code[SEAL_CODE_LEN + 1];
		FILE *f;

		code_make("6101001", i, code);
		if (registry_seal_get(txn, code, &s) != 0)
			continue;
		/* A white page with lines of dark "text" (3 px strokes, like 12 pt
		 * print) and the seal stamped over them. */
		rc = image_alloc(&page, 1000, 1100, 3, 250);
		if (rc != 0)
			break;
		for (int y = 120; y < 1000; y += 40)
			for (int x = 80; x < 920; x++)
				for (int t = 0; t < 3; t++)
					if ((x / 23) % 5 != 4)
						memset(page.pixels + (size_t)(y + t) * page.stride +
						           (size_t)x * 3,
						       40, 3);
		render_params_default(&p);
		p.shape = record_shape_name((enum seal_shape)s.shape);
		p.name = s.holder;
		p.type_text = s.type;
		p.code = s.code;
		p.size_px = 480; /* as registered: glyph sizes round differently at other sizes */
		p.rotation_deg = 17.0 * i;
		rc = render_seal_onto(&p, &page, 560, 640);
		if (rc == 0)
			rc = image_encode_png(&page, &png, &len);
		image_fini(&page);
		if (rc != 0)
			break;
		snprintf(path, sizeof path, "%s/stamped-%s.png", dir, code);
		f = fopen(path, "wb");
		if (f == NULL || fwrite(png, 1, len, f) != len)
			rc = SEAL_EIO;
		if (f != NULL)
			fclose(f);
		free(png);
	}
	registry_read_end(txn);
	return rc;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: sealdemo --db DIR [--seals N] [--tokens FILE] [--samples DIR]\n"
	           "Create a demo seal registry in DIR (which must not hold one yet).\n"
	           "  --seals N      seals to register (default 300)\n"
	           "  --tokens FILE  where to write the demo tokens (default DIR/../tokens.txt)\n"
	           "  --samples DIR  also write a few stamped page images for manual checks\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {{"db", 1, 0, 'd'},     {"seals", 1, 0, 'n'},
	                                     {"tokens", 1, 0, 't'}, {"samples", 1, 0, 's'},
	                                     {"help", 0, 0, 'h'},   {0, 0, 0, 0}};
	const char *db = NULL, *tokens_path = NULL, *samples = NULL;
	char tokens_default[512], token[REGISTRY_TOKEN_LEN + 1], id[ACCOUNT_ID_LEN + 1];
	struct registry *reg = NULL;
	struct registry_actor admin;
	struct registry_options opt = {.no_sync = 1};
	unsigned nseals = 300, per_status[SEAL_STATUS_COUNT] = {0};
	FILE *tokens = NULL;
	int c, rc;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			db = optarg;
			break;
		case 'n': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);
			if (*end != '\0' || v < 10 || v > 100000) {
				fprintf(stderr,
				        "sealdemo: --seals is a number from 10 to 100000\n");
				return 2;
			}
			nseals = (unsigned)v;
			break;
		}
		case 't':
			tokens_path = optarg;
			break;
		case 's':
			samples = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (db == NULL || optind != argc) {
		usage(stderr);
		return 2;
	}
	if (tokens_path == NULL) {
		snprintf(tokens_default, sizeof tokens_default, "%s/../tokens.txt", db);
		tokens_path = tokens_default;
	}
	rc = registry_create(db, NULL);
	if (rc == 0)
		rc = registry_open(db, &opt, &reg);
	if (rc != 0) {
		fprintf(stderr, "sealdemo: %s: %s\n", db, seal_strerror(rc));
		return 1;
	}
	registry_actor_local(&admin);
	tokens = fopen(tokens_path, "w");
	if (tokens == NULL) {
		fprintf(stderr, "sealdemo: cannot write %s\n", tokens_path);
		registry_close(reg);
		return 1;
	}
	fprintf(tokens, "# demo tokens (role scope token); keep them secret\n");
	for (size_t e = 0; e < sizeof ENGRAVERS / sizeof ENGRAVERS[0] && rc == 0; e++) {
		struct engraver_record er = {0};
		snprintf(er.prefix, sizeof er.prefix, "%s%s", ENGRAVERS[e].region,
		         ENGRAVERS[e].number);
		snprintf(er.company, sizeof er.company, "%s", ENGRAVERS[e].company);
		snprintf(er.licence, sizeof er.licence, "%s", ENGRAVERS[e].licence);
		rc = registry_engraver_add(reg, &admin, &er);
		if (rc == 0)
			rc = registry_token_issue(reg, &admin, ROLE_ENGRAVER, er.prefix, token, id);
		if (rc == 0)
			fprintf(tokens, "engraver %s %s\n", er.prefix, token);
	}
	if (rc == 0 && (rc = registry_token_issue(reg, &admin, ROLE_POLICE, "西安市公安局经侦支队",
	                                          token, id)) == 0)
		fprintf(tokens, "police 西安市公安局经侦支队 %s\n", token);
	if (rc == 0 && (rc = registry_token_issue(reg, &admin, ROLE_ADMIN, "", token, id)) == 0)
		fprintf(tokens, "admin - %s\n", token);
	explicit_bzero(token, sizeof token);
	fclose(tokens);

	for (unsigned i = 0; i < nseals && rc == 0; i++) {
		size_t e = i % (sizeof ENGRAVERS / sizeof ENGRAVERS[0]);
		struct seal_registration in = {0};
		struct seal_record s;
		char holder[SEAL_HOLDER_MAX + 1], credit[SEAL_CREDIT_LEN + 1],
		    next[SEAL_CODE_LEN + 1];
		const char *shape = "round", *type = PICK(TYPES);
		uint8_t *png = NULL;
		size_t len = 0;
		unsigned roll = rng_next() % 100;

		snprintf(holder, sizeof holder, "%s%s%s%s", CITY[e], PICK(NAME_CORE),
		         PICK(NAME_TRADE), PICK(NAME_FORM));
		if (roll < 10) {
			shape = "square";
			type = "法定代表人名章";
			snprintf(holder, sizeof holder, "%s", PICK(PERSONS));
		} else if (roll < 22) {
			shape = "oval";
		}
		make_credit(CREDIT_DIVISION[e], credit);
		snprintf(in.engraver, sizeof in.engraver, "%s%s", ENGRAVERS[e].region,
		         ENGRAVERS[e].number);
		/* The code is needed to draw it; the next serial is (i / engravers) + 1. */
		code_make(in.engraver, i / (unsigned)(sizeof ENGRAVERS / sizeof ENGRAVERS[0]) + 1,
		          next);
		rc = render_png(shape, holder, type, next, &png, &len);
		if (rc != 0)
			break;
		in.holder = holder;
		in.credit_code = credit;
		in.type = type;
		in.shape = (enum seal_shape)record_shape_parse(shape);
		in.impression = png;
		in.impression_len = len;
		rc = intake_register(reg, &admin, &in, &s, NULL);
		free(png);
		if (rc != 0) {
			fprintf(stderr, "sealdemo: registering %s: %s\n", next, seal_strerror(rc));
			break;
		}
		/* About one seal in ten leaves the active state. */
		if (i % 10 == 9) {
			static const struct {
				enum seal_status to;
				const char *reason, *case_ref;
			} CHANGES[] = {
			    {SEAL_STATUS_LOST, "holder reported the seal lost", NULL},
			    {SEAL_STATUS_REVOKED, "company deregistered", "市监注销2026-118"},
			    {SEAL_STATUS_DESTROYED, "destroyed after re-engraving", NULL},
			    {SEAL_STATUS_DISPUTED, "contract fraud complaint", "经侦2026-0457"},
			};
			size_t k = (i / 10) % 4;
			rc = registry_seal_set_status(reg, &admin, s.code, CHANGES[k].to,
			                              CHANGES[k].reason, CHANGES[k].case_ref, &s);
		}
		if (rc == 0)
			per_status[s.status]++;
	}
	if (rc == 0 && samples != NULL)
		rc = write_samples(samples, reg);
	registry_close(reg);
	if (rc != 0) {
		fprintf(stderr, "sealdemo: %s\n", seal_strerror(rc));
		return 1;
	}
	printf("demo registry in %s: %u seals (", db, nseals);
	for (int s = 0; s < SEAL_STATUS_COUNT; s++)
		printf("%s%s %u", s ? ", " : "", seal_status_name((enum seal_status)s),
		       per_status[s]);
	printf("), %zu engravers; tokens in %s\n", sizeof ENGRAVERS / sizeof ENGRAVERS[0],
	       tokens_path);
	return 0;
}
