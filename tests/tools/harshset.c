/*
 * harshset.c - a harsher labelled pair set for the impression matcher.
 *
 *   harshset OUTDIR [--ids N] [--seed S]
 *
 * Writes OUTDIR/refs/ID.png (clean reference impressions), OUTDIR/queries/
 * (photos and scans of stamped pages) and OUTDIR/manifest.csv with rows
 * pair_id,reference,query,label,identity,shape,font,mods,kind in the format
 * score.py reads (pair_id and label).  Each identity gives 8 pairs: 4
 * genuine, 2 forgeries, 2 other seals.
 *
 * Identities draw their layout at random (round with or without inner ring,
 * different arc spans, text sizes and radii; ovals; squares, some with white
 * text) and their font from every CJK face installed, including faces the
 * matcher was never tuned on.  A query is a page: tinted paper, black print
 * lines, sometimes a red header or red rules near the seal, a second or third
 * seal, a signature over the seal; the seal's ink is pressed unevenly (faded
 * patches, partial stamps, over-inking that thickens strokes) in orange-red,
 * pinkish or dark red.  The page is then photographed (perspective up to 6%,
 * uneven light, colour cast, blur up to 2.5 px, noise, JPEG q25-50) or
 * scanned (small skew, colour shift, JPEG q50-85 or PNG).  Forgeries change
 * one engraving parameter (font, arc span 3-8%, star 5-10%, border 8-15%,
 * text radius 2-5%); other seals share the layout and font but not the text.
 * Deterministic for a given seed.  Exit 0, 1 on failure, 2 on usage error.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/errors.h"
#include "import/render.h"
#include "tests/support/imgfix.h"
#include "verify/image.h"

#define HS_MAX_IDS 2000
#define HS_PATH 512
#define HS_NAME 256

struct font {
	const char *path;
	int face;
	const char *tag;
};

static const struct font FONTS[] = {
    {"/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0, "zenhei"},
    {"/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 2, "zenhei-sharp"},
    {"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2, "notosans-regular"},
    {"/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", 2, "notosans-bold"},
    {"/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2, "notoserif-regular"},
    {"/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc", 2, "notoserif-bold"},
    {"/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0, "droid"},
};
#define NFONTS ((int)(sizeof(FONTS) / sizeof(FONTS[0])))

static const char *CITIES[] = {"北京市", "上海市", "广州市", "深圳市", "杭州市", "南京市",
                               "成都市", "重庆市", "天津市", "苏州市", "郑州市", "长沙市",
                               "济南市", "青岛市", "沈阳市", "厦门市", "福州市", "昆明市",
                               "合肥市", "南昌市", "贵阳市", "兰州市", "太原市", "石家庄市"};
static const char *WORDS[] = {"华", "新", "宏", "远", "达", "信", "恒", "盛", "泰", "安",
                              "瑞", "丰", "鑫", "博", "创", "金", "海", "天", "德", "正",
                              "东", "明", "光", "中", "科", "汇", "通", "成", "和", "兴",
                              "永", "利", "嘉", "宇", "隆", "辉", "晨", "峰", "源", "洋"};
static const char *SUFFIX[] = {
    "科技有限公司", "贸易有限公司",     "建筑工程有限公司", "物流有限公司",     "实业有限公司",
    "商贸有限公司", "文化传媒有限公司", "电子有限公司",     "投资管理有限公司", "食品有限公司"};
static const char *TYPES[] = {"合同专用章", "财务专用章", "发票专用章", "业务专用章", ""};
static const char *SURNAMES[] = {"王", "李", "张", "刘", "陈", "杨", "赵", "黄",
                                 "周", "吴", "徐", "孙", "胡", "朱", "高", "林"};
static const char *GIVEN[] = {"伟", "芳", "娜", "敏", "静", "强", "磊", "军",
                              "洋", "勇", "艳", "杰", "涛", "明", "超", "平"};

/* xorshift64* */
struct rng {
	uint64_t s;
};

static uint64_t
rng_next(struct rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 2685821657736338717ULL;
}

static double
uni(struct rng *r, double a, double b)
{
	return a + (b - a) * ((double)(rng_next(r) >> 11) / 9007199254740992.0);
}

static int
pick(struct rng *r, int n)
{
	return (int)(rng_next(r) % (uint64_t)n);
}

static double
gauss(struct rng *r)
{
	double u = uni(r, 1e-12, 1), v = uni(r, 0, 1);
	return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

/* An identity: everything needed to render its seal. */
struct ident {
	char name[HS_NAME], type[64], code[32];
	struct render_params p;
	int font;
};

static void
make_text(struct rng *r, struct ident *id, int square)
{
	if (square) {
		int n = 2 + pick(r, 3); /* 2-4 characters */
		id->name[0] = 0;
		strncat(id->name, SURNAMES[pick(r, 16)], HS_NAME - 1);
		for (int i = 1; i < n; i++)
			strncat(id->name, GIVEN[pick(r, 16)], HS_NAME - strlen(id->name) - 1);
		id->type[0] = 0;
		id->code[0] = 0;
		return;
	}
	snprintf(id->name, sizeof(id->name), "%s%s%s%s", CITIES[pick(r, 24)], WORDS[pick(r, 40)],
	         WORDS[pick(r, 40)], SUFFIX[pick(r, 10)]);
	snprintf(id->type, sizeof(id->type), "%s", TYPES[pick(r, 5)]);
	unsigned long long c = rng_next(r) % 10000000000000ULL;
	snprintf(id->code, sizeof(id->code), "%013llu", c);
}

static void
make_ident(struct rng *r, struct ident *id)
{
	memset(id, 0, sizeof(*id));
	double u = uni(r, 0, 1);
	const char *shape = u < 0.6 ? "round" : (u < 0.8 ? "oval" : "square");
	make_text(r, id, shape[0] == 's');
	render_params_default(&id->p);
	id->p.shape = shape;
	id->font = pick(r, NFONTS);
	id->p.font_path = FONTS[id->font].path;
	id->p.face_index = FONTS[id->font].face;
	id->p.border_width = uni(r, 0.025, 0.05);
	id->p.star_radius = uni(r, 0.18, 0.3);
	id->p.text_radius = uni(r, 0.64, 0.76);
	id->p.arc_span_deg = uni(r, 190, 290);
	id->p.text_height = uni(r, 0.17, 0.25);
	id->p.text_aspect = uni(r, 0.65, 0.95);
	id->p.type_height = uni(r, 0.11, 0.16);
	id->p.inner_ring = uni(r, 0, 1) < 0.25;
	id->p.white_text = shape[0] == 's' && uni(r, 0, 1) < 0.4;
}

static void
ident_bind(struct ident *id)
{
	id->p.name = id->name;
	id->p.type_text = id->type[0] ? id->type : NULL;
	id->p.code = id->code[0] ? id->code : NULL;
}

/* A forgery of id: one engraving change.  Writes its description to mods. */
static void
make_forgery(struct rng *r, const struct ident *id, struct ident *f, char *mods, size_t cap)
{
	*f = *id;
	double sgn = uni(r, 0, 1) < 0.5 ? -1 : 1;
	int round = id->p.shape[0] == 'r';
	int k = pick(r, round ? 5 : 4);
	if (k == 0) {
		int nf;
		do
			nf = pick(r, NFONTS);
		while (nf == id->font);
		f->font = nf;
		f->p.font_path = FONTS[nf].path;
		f->p.face_index = FONTS[nf].face;
		snprintf(mods, cap, "font=%s", FONTS[nf].tag);
	} else if (k == 1) {
		double d = sgn * uni(r, 0.03, 0.08);
		f->p.arc_span_deg = id->p.arc_span_deg * (1 + d);
		if (f->p.arc_span_deg > 330)
			f->p.arc_span_deg = id->p.arc_span_deg * (1 - fabs(d));
		snprintf(mods, cap, "arc%+.3f", d);
		if (id->p.shape[0] == 's') { /* squares have no arc: the text size instead */
			f->p.text_height = id->p.text_height * (1 + d);
			snprintf(mods, cap, "textsize%+.3f", d);
		}
	} else if (k == 2) {
		double d = uni(r, 0.08, 0.15);
		f->p.border_width = id->p.border_width * (1 + d);
		snprintf(mods, cap, "border%+.3f", d);
	} else if (k == 3) {
		double d = sgn * uni(r, 0.02, 0.05);
		f->p.text_radius = id->p.text_radius * (1 + d);
		snprintf(mods, cap, "textrad%+.3f", d);
		if (id->p.shape[0] == 's') {
			f->p.text_aspect = id->p.text_aspect * (1 + 2 * d);
			snprintf(mods, cap, "aspect%+.3f", 2 * d);
		}
	} else {
		double d = sgn * uni(r, 0.05, 0.10);
		f->p.star_radius = id->p.star_radius * (1 + d);
		snprintf(mods, cap, "star%+.3f", d);
	}
}

/* A float RGB page, values 0..1. */
struct page {
	int w, h;
	float *v;
};

static int
page_alloc(struct page *pg, int w, int h)
{
	pg->w = w;
	pg->h = h;
	pg->v = malloc((size_t)w * h * 3 * sizeof(float));
	return pg->v ? 0 : -1;
}

/* Multiply a colour into the page with coverage a at (x, y). */
static inline void
page_mul(struct page *pg, int x, int y, const float col[3], float a)
{
	if (x < 0 || y < 0 || x >= pg->w || y >= pg->h || a <= 0)
		return;
	float *p = pg->v + ((size_t)y * pg->w + x) * 3;
	for (int c = 0; c < 3; c++)
		p[c] *= 1 - a * (1 - col[c]);
}

/* A filled disc of radius rad (anti-aliased edge). */
static void
page_dot(struct page *pg, double x, double y, double rad, const float col[3], float a)
{
	for (int yy = (int)floor(y - rad - 1); yy <= (int)ceil(y + rad + 1); yy++)
		for (int xx = (int)floor(x - rad - 1); xx <= (int)ceil(x + rad + 1); xx++) {
			double d = hypot(xx - x, yy - y) - rad;
			float c = d < -0.5 ? 1.0f : (d > 0.5 ? 0.0f : (float)(0.5 - d));
			page_mul(pg, xx, yy, col, a * c);
		}
}

/* Lines of "print": glyph-like clusters of short strokes. */
static void
page_print(struct rng *r, struct page *pg, double x0, double y0, double x1, double y1, double em,
           const float col[3])
{
	for (double y = y0; y < y1; y += em * uni(r, 1.5, 2.0)) {
		double xe = x1 - em * uni(r, 0, 8);
		for (double x = x0; x < xe; x += em * 1.1) {
			if (uni(r, 0, 1) < 0.08)
				continue; /* a space */
			int strokes = 3 + pick(r, 5);
			for (int s = 0; s < strokes; s++) {
				double sx = x + uni(r, 0, em), sy = y + uni(r, 0, em);
				double ang = pick(r, 4) * M_PI / 4 + uni(r, -0.1, 0.1);
				double len = em * uni(r, 0.3, 0.9), wid = em * uni(r, 0.05, 0.09);
				for (double t = 0; t < len; t += 0.7)
					page_dot(pg, sx + cos(ang) * t, sy + sin(ang) * t, wid, col,
					         0.9f);
			}
		}
	}
}

/* A handwritten signature: a thick wobbly curve. */
static void
page_signature(struct rng *r, struct page *pg, double cx, double cy, double len)
{
	static const float ink[3] = {0.08f, 0.08f, 0.22f};
	double f1 = uni(r, 2, 5), f2 = uni(r, 5, 11), ph = uni(r, 0, 6),
	       amp = len * uni(r, 0.1, 0.2);
	double wid = len * uni(r, 0.006, 0.012);
	double ang = uni(r, -0.4, 0.4), ca = cos(ang), sa = sin(ang);
	for (double t = 0; t < 1; t += 0.3 / len) {
		double u = (t - 0.5) * len;
		double v = amp * sin(2 * M_PI * f1 * t + ph) + 0.4 * amp * sin(2 * M_PI * f2 * t);
		page_dot(pg, cx + ca * u - sa * v, cy + sa * u + ca * v, wid, ink, 0.85f);
	}
}

/* How the seal is pressed. */
struct press {
	float col[3];   /* ink colour */
	double fade;    /* overall strength 0.35..1 */
	double grad;    /* pressure gradient across the seal */
	double gang;    /* its direction */
	double patchy;  /* amplitude of low-frequency pressure noise */
	double partial; /* > 0: a half-plane missing (partial stamp) */
	int thicken;    /* over-inking: dilation radius, seal pixels */
};

/* Stamp a rendered seal (ink on white, side x side) onto the page centred at
 * (cx, cy) with the pressing model. */
static void
stamp(struct rng *r, struct page *pg, const struct image *seal, double cx, double cy,
      const struct press *pr)
{
	int s = seal->width;
	float *a = malloc((size_t)s * s * sizeof(float)), *b = NULL;
	if (!a)
		return;
	for (int y = 0; y < s; y++)
		for (int x = 0; x < s; x++) {
			const uint8_t *p = seal->pixels + (size_t)y * seal->stride + (size_t)x * 3;
			a[(size_t)y * s + x] = (255 - p[1]) / 255.0f;
		}
	if (pr->thicken > 0 && (b = malloc((size_t)s * s * sizeof(float)))) {
		int k = pr->thicken;
		for (int y = 0; y < s; y++)
			for (int x = 0; x < s; x++) {
				float m = 0;
				for (int dy = -k; dy <= k; dy++)
					for (int dx = -k; dx <= k; dx++) {
						int xx = x + dx, yy = y + dy;
						if (dx * dx + dy * dy > k * k + k || xx < 0 ||
						    yy < 0 || xx >= s || yy >= s)
							continue;
						float v = a[(size_t)yy * s + xx];
						m = v > m ? v : m;
					}
				b[(size_t)y * s + x] = m;
			}
		memcpy(a, b, (size_t)s * s * sizeof(float));
		free(b);
	}
	/* Low-frequency pressure: a few random blobs. */
	double bx[6], by[6], bw[6], br[6];
	for (int i = 0; i < 6; i++) {
		bx[i] = uni(r, 0, s);
		by[i] = uni(r, 0, s);
		br[i] = uni(r, 0.1, 0.35) * s;
		bw[i] = uni(r, -1, 1) * pr->patchy;
	}
	double gx = cos(pr->gang), gy = sin(pr->gang);
	double pa = uni(r, 0, 2 * M_PI), pd = (1 - 2 * pr->partial) * s / 2;
	for (int y = 0; y < s; y++)
		for (int x = 0; x < s; x++) {
			float v = a[(size_t)y * s + x];
			if (v <= 0.01f)
				continue;
			double u = (x - s / 2.0) / (s / 2.0), w = (y - s / 2.0) / (s / 2.0);
			double k = pr->fade * (1 + pr->grad * (gx * u + gy * w));
			for (int i = 0; i < 6; i++) {
				double d2 =
				    ((x - bx[i]) * (x - bx[i]) + (y - by[i]) * (y - by[i])) /
				    (br[i] * br[i]);
				k += bw[i] * exp(-d2);
			}
			if (pr->partial > 0 &&
			    (x - s / 2.0) * cos(pa) + (y - s / 2.0) * sin(pa) > pd)
				k *= 0.08;
			/* Grain: ink fails in speckles where pressure is low. */
			if (k < 0.7 && uni(r, 0, 1) > k + 0.3)
				k *= 0.3;
			k = k < 0 ? 0 : (k > 1 ? 1 : k);
			page_mul(pg, (int)lround(cx - s / 2.0) + x, (int)lround(cy - s / 2.0) + y,
			         pr->col, (float)(v * k));
		}
	free(a);
}

static void
random_ink(struct rng *r, float col[3])
{
	int k = pick(r, 5);
	double j = uni(r, -0.04, 0.04);
	if (k == 0) { /* classic red */
		col[0] = 0.86f, col[1] = 0.12f, col[2] = 0.16f;
	} else if (k == 1) { /* orange-red */
		col[0] = 0.95f, col[1] = 0.35f, col[2] = 0.15f;
	} else if (k == 2) { /* pinkish */
		col[0] = 0.93f, col[1] = 0.40f, col[2] = 0.55f;
	} else if (k == 3) { /* dark red */
		col[0] = 0.58f, col[1] = 0.08f, col[2] = 0.12f;
	} else { /* purplish red */
		col[0] = 0.78f, col[1] = 0.15f, col[2] = 0.38f;
	}
	for (int c = 0; c < 3; c++)
		col[c] = (float)fmin(1, fmax(0, col[c] + j));
}

/* Render an identity's seal with diameter about diam px at rotation rot. */
static int
render_at(const struct ident *id, double diam, double rot, struct image *out)
{
	struct render_params p = id->p;
	int side = (int)lround(diam / 0.95) + 8;
	p.size_px = side < RENDER_MIN_SIZE ? RENDER_MIN_SIZE : side;
	p.rotation_deg = rot;
	p.ink_r = 0, p.ink_g = 0, p.ink_b = 0;
	return render_seal(&p, out);
}

/* Sample the page through a homography (output -> page) with bilinear
 * interpolation into an 8-bit RGB image. */
static void
warp_page(const struct page *pg, const double H[9], struct image *out)
{
	for (int y = 0; y < out->height; y++)
		for (int x = 0; x < out->width; x++) {
			double d = H[6] * x + H[7] * y + H[8];
			double u = (H[0] * x + H[1] * y + H[2]) / d,
			       v = (H[3] * x + H[4] * y + H[5]) / d;
			uint8_t *o = out->pixels + (size_t)y * out->stride + (size_t)x * 3;
			int iu = (int)floor(u), iv = (int)floor(v);
			float fu = (float)(u - iu), fv = (float)(v - iv);
			for (int c = 0; c < 3; c++) {
				float s = 0;
				for (int k = 0; k < 4; k++) {
					int xx = iu + (k & 1), yy = iv + (k >> 1);
					xx = xx < 0 ? 0 : (xx >= pg->w ? pg->w - 1 : xx);
					yy = yy < 0 ? 0 : (yy >= pg->h ? pg->h - 1 : yy);
					float wgt =
					    ((k & 1) ? fu : 1 - fu) * ((k >> 1) ? fv : 1 - fv);
					s += wgt * pg->v[((size_t)yy * pg->w + xx) * 3 + c];
				}
				int q = (int)lrintf(s * 255.0f);
				o[c] = (uint8_t)(q < 0 ? 0 : (q > 255 ? 255 : q));
			}
		}
}

/* Separable Gaussian blur of an RGB image in place. */
static void
blur_image(struct image *im, double sigma)
{
	if (sigma < 0.3)
		return;
	int rad = (int)ceil(3 * sigma), n = im->width > im->height ? im->width : im->height;
	float *k = malloc((size_t)(2 * rad + 1) * sizeof(float));
	float *line = malloc((size_t)n * 3 * sizeof(float));
	if (!k || !line)
		goto out;
	float ks = 0;
	for (int i = -rad; i <= rad; i++)
		ks += k[i + rad] = (float)exp(-i * i / (2 * sigma * sigma));
	for (int i = 0; i <= 2 * rad; i++)
		k[i] /= ks;
	for (int pass = 0; pass < 2; pass++) {
		int lines = pass ? im->width : im->height, len = pass ? im->height : im->width;
		for (int l = 0; l < lines; l++) {
			for (int i = 0; i < len; i++)
				for (int c = 0; c < 3; c++) {
					float s = 0;
					for (int j = -rad; j <= rad; j++) {
						int t = i + j;
						t = t < 0 ? 0 : (t >= len ? len - 1 : t);
						size_t off =
						    pass ? (size_t)t * im->stride + (size_t)l * 3
						         : (size_t)l * im->stride + (size_t)t * 3;
						s += k[j + rad] * im->pixels[off + c];
					}
					line[i * 3 + c] = s;
				}
			for (int i = 0; i < len; i++)
				for (int c = 0; c < 3; c++) {
					size_t off = pass ? (size_t)i * im->stride + (size_t)l * 3
					                  : (size_t)l * im->stride + (size_t)i * 3;
					im->pixels[off + c] = (uint8_t)lrintf(line[i * 3 + c]);
				}
		}
	}
out:
	free(k);
	free(line);
}

static int
write_file(const char *path, const uint8_t *buf, size_t n)
{
	FILE *fp = fopen(path, "wb");
	if (!fp)
		return -1;
	size_t w = fwrite(buf, 1, n, fp);
	int rc = fclose(fp);
	return w == n && rc == 0 ? 0 : -1;
}

static int
write_image(const char *path, const struct image *im, int jpeg_q)
{
	uint8_t *buf = NULL;
	size_t n = 0;
	int rc;
	if (jpeg_q > 0) {
		struct imgfix_jpeg j = {im->width, im->height, 3, im->pixels, jpeg_q, 0, 0, 0};
		rc = imgfix_jpeg_write(&j, &buf, &n);
	} else {
		rc = image_encode_png(im, &buf, &n);
	}
	if (rc == 0)
		rc = write_file(path, buf, n);
	free(buf);
	return rc;
}

/* Query kinds, for the manifest. */
static const char *KINDS[] = {"photo", "scan", "lowres"};

/* Make one query photo of seal id (its real engraving) on a page. */
static int
make_query(struct rng *r, const struct ident *id, const struct ident *others, int nothers,
           const char *stem, const char **ext, char *kind, size_t kcap)
{
	struct page pg = {0};
	struct image seal = {0}, out = {0};
	int rc = -1;
	int k = uni(r, 0, 1) < 0.6 ? 0 : (uni(r, 0, 1) < 0.6 ? 1 : 2);
	/* Seal diameter in the photo relative to the 570 px reference. */
	double sc = k == 2 ? uni(r, 0.4, 0.55) : uni(r, 0.55, 1.6);
	double diam = 570 * sc;
	if (id->p.shape[0] == 'o')
		diam *= 1.0;
	int W = (int)(diam * uni(r, 1.6, 2.6)), Hh = (int)(diam * uni(r, 1.6, 2.4));
	W = W < 400 ? 400 : (W > 2400 ? 2400 : W);
	Hh = Hh < 400 ? 400 : (Hh > 2400 ? 2400 : Hh);
	if (page_alloc(&pg, W, Hh))
		goto out;
	float tint[3] = {1, (float)uni(r, 0.93, 1), (float)uni(r, 0.82, 1)};
	if (uni(r, 0, 1) < 0.2) /* pinkish or greenish paper */
		tint[1] = (float)uni(r, 0.85, 0.95), tint[2] = (float)uni(r, 0.85, 1);
	for (size_t i = 0; i < (size_t)W * Hh; i++)
		for (int c = 0; c < 3; c++)
			pg.v[i * 3 + c] = tint[c];
	double cx = uni(r, 0.35, 0.65) * W, cy = uni(r, 0.4, 0.65) * Hh;
	static const float black[3] = {0.08f, 0.08f, 0.08f};
	double em = diam * uni(r, 0.05, 0.09);
	page_print(r, &pg, W * 0.05, Hh * 0.12, W * 0.95, Hh * 0.95, em, black);
	float red[3];
	random_ink(r, red);
	if (uni(r, 0, 1) < 0.4) { /* a red document header and rule */
		page_print(r, &pg, W * 0.15, Hh * 0.02, W * 0.85, Hh * 0.02 + em * 2.2, em * 1.8,
		           red);
		double ly = fmin(cy - diam * uni(r, 0.55, 0.8), Hh * 0.1 + em * 3);
		for (double x = W * 0.03; x < W * 0.97; x += 0.7)
			page_dot(&pg, x, ly, em * 0.08, red, 0.9f);
	}
	if (uni(r, 0, 1) < 0.2) { /* a red rule right next to the seal */
		double ly = cy + diam * uni(r, 0.5, 0.7) * (uni(r, 0, 1) < 0.5 ? -1 : 1);
		for (double x = W * 0.03; x < W * 0.97; x += 0.7)
			page_dot(&pg, x, ly, em * 0.07, red, 0.9f);
	}
	struct press pr;
	random_ink(r, pr.col);
	pr.fade = uni(r, 0, 1) < 0.3 ? uni(r, 0.35, 0.6) : uni(r, 0.6, 1.0);
	pr.grad = uni(r, 0, 0.5);
	pr.gang = uni(r, 0, 2 * M_PI);
	pr.patchy = uni(r, 0, 0.35);
	pr.partial = uni(r, 0, 1) < 0.15 ? uni(r, 0.05, 0.2) : 0;
	pr.thicken = uni(r, 0, 1) < 0.25 ? 1 + (int)(sc * uni(r, 0.5, 2.5)) : 0;
	/* Other seals on the page (never overlapping much). */
	int extra = uni(r, 0, 1) < 0.3 ? 1 + (uni(r, 0, 1) < 0.3) : 0;
	for (int e = 0; e < extra && nothers > 0; e++) {
		const struct ident *o = &others[pick(r, nothers)];
		double od = diam * uni(r, 0.8, 1.2);
		double ox = cx + (e ? -1 : 1) * (diam + od) * uni(r, 0.55, 0.7),
		       oy = cy + uni(r, -0.3, 0.3) * diam;
		struct image os = {0};
		if (render_at(o, od, uni(r, 0, 360), &os) == 0) {
			struct press op = pr;
			op.partial = 0;
			op.thicken = 0;
			stamp(r, &pg, &os, ox, oy, &op);
			image_fini(&os);
		}
	}
	if (render_at(id, diam, uni(r, 0, 360), &seal))
		goto out;
	stamp(r, &pg, &seal, cx, cy, &pr);
	if (uni(r, 0, 1) < 0.3)
		page_signature(r, &pg, cx + uni(r, -0.2, 0.2) * diam, cy + uni(r, -0.2, 0.2) * diam,
		               diam * uni(r, 0.5, 1.0));
	/* Illumination (photos): a gradient and a soft shadow. */
	if (k != 1) {
		double g0 = uni(r, 0.55, 0.9), ga = uni(r, 0, 2 * M_PI);
		double shx = uni(r, 0, W), shy = uni(r, 0, Hh), shr = uni(r, 0.2, 0.6) * W,
		       shd = uni(r, 0, 0.35);
		for (int y = 0; y < Hh; y++)
			for (int x = 0; x < W; x++) {
				double t = ((x - W / 2.0) * cos(ga) + (y - Hh / 2.0) * sin(ga)) /
				           (0.5 * hypot(W, Hh));
				double l = 1 - (1 - g0) * (0.5 + 0.5 * t);
				double d2 =
				    ((x - shx) * (x - shx) + (y - shy) * (y - shy)) / (shr * shr);
				l *= 1 - shd * exp(-d2);
				float *p = pg.v + ((size_t)y * W + x) * 3;
				for (int c = 0; c < 3; c++)
					p[c] *= (float)l;
			}
	}
	/* Colour cast and response curve (camera white balance, scanner lamp). */
	double gain[3], gam = uni(r, 0.8, 1.25);
	for (int c = 0; c < 3; c++)
		gain[c] = uni(r, 0.85, 1.08);
	if (k == 1 && uni(r, 0, 1) < 0.5) /* a scanner with a blue or yellow lamp */
		gain[pick(r, 3)] *= uni(r, 0.85, 0.95);
	for (size_t i = 0; i < (size_t)W * Hh; i++)
		for (int c = 0; c < 3; c++) {
			double v = pg.v[i * 3 + c] * gain[c];
			pg.v[i * 3 + c] = (float)pow(v < 0 ? 0 : (v > 1 ? 1 : v), gam);
		}
	/* Geometry: photos get perspective (corner shifts up to 6%), scans a
	 * small skew; low resolution pages are reduced after. */
	int ow = W, oh = Hh;
	if (image_alloc(&out, ow, oh, 3, 255))
		goto out;
	double H[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
	if (k != 1) {
		/* Homography mapping output corners to jittered page corners. */
		double sx[4] = {0, 1, 1, 0}, sy[4] = {0, 0, 1, 1}, tx[4], ty[4];
		double pm = uni(r, 0.0, 0.06);
		for (int i = 0; i < 4; i++) {
			tx[i] = (sx[i] + uni(r, -pm, pm)) * W;
			ty[i] = (sy[i] + uni(r, -pm, pm)) * Hh;
		}
		/* Solve for H (8 unknowns) mapping (sx*ow, sy*oh) -> (tx, ty). */
		double A[64], b[8];
		for (int i = 0; i < 4; i++) {
			double X = sx[i] * ow, Y = sy[i] * oh;
			double r1[8] = {X, Y, 1, 0, 0, 0, -X * tx[i], -Y * tx[i]};
			double r2[8] = {0, 0, 0, X, Y, 1, -X * ty[i], -Y * ty[i]};
			memcpy(A + (2 * i) * 8, r1, sizeof(r1));
			memcpy(A + (2 * i + 1) * 8, r2, sizeof(r2));
			b[2 * i] = tx[i];
			b[2 * i + 1] = ty[i];
		}
		for (int c = 0; c < 8; c++) {
			int p = c;
			for (int q = c + 1; q < 8; q++)
				if (fabs(A[q * 8 + c]) > fabs(A[p * 8 + c]))
					p = q;
			for (int q = 0; q < 8; q++) {
				double t = A[c * 8 + q];
				A[c * 8 + q] = A[p * 8 + q];
				A[p * 8 + q] = t;
			}
			double t = b[c];
			b[c] = b[p];
			b[p] = t;
			for (int q = 0; q < 8; q++) {
				if (q == c)
					continue;
				double f = A[q * 8 + c] / A[c * 8 + c];
				for (int m = c; m < 8; m++)
					A[q * 8 + m] -= f * A[c * 8 + m];
				b[q] -= f * b[c];
			}
		}
		for (int i = 0; i < 8; i++)
			H[i] = b[i] / A[i * 8 + i];
		H[8] = 1;
	} else {
		double a = uni(r, -2, 2) * M_PI / 180;
		H[0] = cos(a), H[1] = -sin(a), H[3] = sin(a), H[4] = cos(a);
		H[2] = W / 2.0 - H[0] * W / 2.0 - H[1] * Hh / 2.0;
		H[5] = Hh / 2.0 - H[3] * W / 2.0 - H[4] * Hh / 2.0;
	}
	warp_page(&pg, H, &out);
	double blur = k == 1 ? uni(r, 0.3, 1.0) : uni(r, 0.3, 2.5);
	blur_image(&out, blur);
	/* Sensor noise. */
	double ns = k == 1 ? uni(r, 0, 2) : uni(r, 1, 6);
	for (int y = 0; y < oh; y++)
		for (int x = 0; x < ow * 3; x++) {
			uint8_t *p = out.pixels + (size_t)y * out.stride + x;
			int v = (int)lrint(*p + ns * gauss(r));
			*p = (uint8_t)(v < 0 ? 0 : (v > 255 ? 255 : v));
		}
	int q = k == 1 ? (uni(r, 0, 1) < 0.3 ? 0 : 50 + pick(r, 36)) : 25 + pick(r, 26);
	snprintf(kind, kcap, "%s;sc=%.2f;blur=%.1f;q=%d;fade=%.2f;thick=%d;partial=%.2f;extra=%d",
	         KINDS[k], sc, blur, q, pr.fade, pr.thicken, pr.partial, extra);
	char path[HS_PATH];
	*ext = q > 0 ? ".jpg" : ".png";
	if (snprintf(path, sizeof(path), "%s%s", stem, *ext) >= (int)sizeof(path))
		goto out;
	rc = write_image(path, &out, q);
out:
	free(pg.v);
	image_fini(&seal);
	image_fini(&out);
	return rc;
}

/* Create dir unless it exists as a real directory.  A symlink (or anything
 * else) in its place is refused: the set must never be written through a
 * link into someone else's files. */
static int
mkdir_p(const char *dir)
{
	struct stat st;

	if (lstat(dir, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return 0;
		fprintf(stderr, "harshset: %s exists and is not a plain directory; refusing\n",
		        dir);
		return -1;
	}
	if (mkdir(dir, 0755) && errno != EEXIST)
		return -1;
	return 0;
}

/* Render the identity's seal, falling back to the default font when its own
 * lacks a character. */
static int
check_font(struct ident *id)
{
	struct image im = {0};
	struct render_params p = id->p;
	p.size_px = 200;
	int rc = render_seal(&p, &im);
	image_fini(&im);
	if (rc == SEAL_ETEXT || rc == SEAL_ENOTFOUND || rc == SEAL_EIO) {
		id->font = 0;
		id->p.font_path = FONTS[0].path;
		id->p.face_index = FONTS[0].face;
		rc = 0;
	}
	return rc;
}

int
main(int argc, char **argv)
{
	const char *dir = NULL;
	int nid = 150;
	unsigned long long seed = 20261128;
	char path[HS_PATH], rel[HS_PATH], kind[160], mods[64];

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--ids") && i + 1 < argc)
			nid = (int)strtol(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 10);
		else if (argv[i][0] != '-' && !dir)
			dir = argv[i];
		else {
			fprintf(stderr, "usage: harshset OUTDIR [--ids N] [--seed S]\n");
			return 2;
		}
	}
	if (!dir || nid < 2 || nid > HS_MAX_IDS) {
		fprintf(stderr, "usage: harshset OUTDIR [--ids N (2-%d)] [--seed S]\n", HS_MAX_IDS);
		return 2;
	}
	struct ident *ids = calloc((size_t)nid, sizeof(*ids));
	if (!ids)
		return 1;
	struct rng r = {seed * 2654435761ULL + 1};
	for (int i = 0; i < nid; i++) {
		make_ident(&r, &ids[i]);
		ident_bind(&ids[i]);
		if (check_font(&ids[i]))
			return 1;
	}
	snprintf(path, sizeof(path), "%s/refs", dir);
	if (mkdir_p(dir) || mkdir_p(path))
		return 1;
	snprintf(path, sizeof(path), "%s/queries", dir);
	if (mkdir_p(path))
		return 1;
	snprintf(path, sizeof(path), "%s/manifest.csv", dir);
	FILE *man = fopen(path, "w");
	if (!man)
		return 1;
	fprintf(man, "pair_id,reference,query,label,identity,shape,font,mods,kind\n");
	int pid = 0;
	for (int i = 0; i < nid; i++) {
		struct ident *id = &ids[i];
		struct image ref = {0};
		struct rng ri = {(seed + 1) * 0x9E3779B97F4A7C15ULL ^
		                 (uint64_t)(i + 1) * 0x2545F491ULL};
		if (render_seal(&id->p, &ref))
			return 1;
		char refrel[64];
		snprintf(refrel, sizeof(refrel), "refs/id%04d.png", i);
		snprintf(path, sizeof(path), "%s/%s", dir, refrel);
		if (write_image(path, &ref, 0))
			return 1;
		image_fini(&ref);
		for (int j = 0; j < 8; j++) {
			struct ident q;
			const char *label;
			mods[0] = 0;
			if (j < 4) {
				q = *id;
				label = "genuine";
			} else if (j < 6) {
				make_forgery(&ri, id, &q, mods, sizeof(mods));
				label = "forgery";
			} else {
				/* Another seal: same layout and font, other text (or
				 * another identity altogether). */
				if (j == 6) {
					q = *id;
					make_text(&ri, &q, id->p.shape[0] == 's');
				} else {
					int o;
					do
						o = pick(&ri, nid);
					while (o == i);
					q = ids[o];
				}
				label = "other";
			}
			ident_bind(&q);
			if (check_font(&q))
				return 1;
			const char *ext = "";
			snprintf(rel, sizeof(rel), "queries/id%04d_%d", i, j);
			if (snprintf(path, sizeof(path), "%s/%s", dir, rel) >= (int)sizeof(path))
				return 1;
			if (make_query(&ri, &q, ids, nid, path, &ext, kind, sizeof(kind)))
				return 1;
			fprintf(man, "%d,%s,%s%s,%s,id%04d,%s,%s,%s,%s\n", pid++, refrel, rel, ext,
			        label, i, id->p.shape, FONTS[id->font].tag, mods, kind);
		}
	}
	free(ids);
	return fclose(man) == 0 ? 0 : 1;
}
