/*
 * render.c - deterministic seal-impression renderer.
 *
 * How it works: every part of the seal is drawn into an 8-bit coverage buffer the
 * size of the seal's box (0 = no ink, 255 = full ink), as the union (maximum) of
 * the parts.  Rings, the square border and the star have analytic coverage: a
 * signed distance from the pixel centre to the shape's edge, clamped to one pixel
 * of antialiasing.  Characters are loaded from the font as unscaled, unhinted
 * outlines (FT_LOAD_NO_SCALE); each point is mapped to the canvas in double
 * precision by one affine transform (font units -> glyph pixels with its own
 * narrowing -> rotation to follow the arc -> position on the seal -> rotation of
 * the whole seal), and FreeType's antialiasing rasteriser reports coverage spans
 * straight into the buffer (FT_RASTER_FLAG_DIRECT).  A square seal with white
 * characters draws the glyphs into a second buffer and removes them from the
 * solid field.  Finally the buffer is multiply-blended onto the RGB canvas.
 *
 * Geometry is in "seal coordinates": pixels, origin at the seal centre, y up,
 * before the seal's own rotation.  Nothing depends on time, memory addresses or
 * random numbers, so identical parameters give identical bytes.
 */
#include "import/render.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <ft2build.h>
#include FT_FREETYPE_H
#include FT_OUTLINE_H

#include "common/errors.h"
#include "common/limits.h"

#define RENDER_PI 3.14159265358979323846

/* Proportions of the layout, as fractions of the outer radius R. */
#define SEAL_RADIUS_OF_CANVAS 0.475 /* R = this * size_px * scale */
#define OVAL_MINOR 0.65             /* the oval's vertical semi-axis */
#define SQUARE_HALF 0.9             /* the square's half side */
#define SQUARE_BORDER_FACTOR 1.6    /* square border = this * border_width */
#define SQUARE_MARGIN 0.05          /* between the border and the characters */
#define SQUARE_GAP 0.05             /* between character cells */
#define INNER_RING_GAP 0.015        /* between the outer ring and the inner ring */
#define INNER_RING_WIDTH 0.01
#define TYPE_Y_ROUND (-0.52) /* vertical centre of the type text */
#define TYPE_Y_OVAL (-0.55)  /* of the minor semi-axis */
#define CODE_Y_OVAL (-0.14)  /* of the minor semi-axis */
#define CODE_RING_GAP 0.05   /* code digits' feet to the ring's inner edge */
#define CODE_PITCH 0.72      /* digit pitch along the arc, of the digit em */
#define TYPE_ASPECT 0.9      /* width / height of type text characters */
#define EM_CENTRE 0.38       /* ink centre of an ideograph above the baseline, of em */
#define ARC_FILL 0.92        /* largest share of the arc pitch a character may use */
#define OVAL_SPAN_FACTOR (5.0 / 6.0)
#define OVAL_INSET_FACTOR 1.15 /* the ends of the oval curve sharply: keep glyphs off the ring */
#define OVAL_ARC_SAMPLES 720

/* Most characters of any one text (the longest, the name, has SEAL_HOLDER_MAX bytes). */
#define TEXT_MAX_CHARS SEAL_HOLDER_MAX

struct cov {
	int w, h;
	uint8_t *a;
};

/* Where the seal sits in the coverage buffer, and its rotation. */
struct frame {
	double cx, cy;     /* seal centre, pixel-corner coordinates, y down */
	double cosr, sinr; /* seal rotation, counter-clockwise */
	double R;          /* outer radius in pixels */
};

/* Font-units -> seal-coordinate mapping of one glyph. */
struct glyph_place {
	double sx, sy; /* pixels per font unit, horizontally and vertically */
	double au, av; /* anchor in font units (mapped onto the point px, py) */
	double angle;  /* glyph rotation in seal coordinates, radians, counter-clockwise */
	double px, py; /* anchor position in seal coordinates */
};

struct text {
	uint32_t cp[TEXT_MAX_CHARS];
	FT_UInt gi[TEXT_MAX_CHARS];
	int n;
};

struct ctx {
	FT_Library lib;
	FT_Face face;
	struct frame fr;
	struct cov cov;
	struct cov knock; /* square white text only */
};

static double
clamp01(double v)
{
	return v < 0.0 ? 0.0 : (v > 1.0 ? 1.0 : v);
}

static void
cov_put(struct cov *c, int x, int y, double v)
{
	int q = (int)lrint(clamp01(v) * 255.0);
	uint8_t *px = &c->a[(size_t)y * (size_t)c->w + (size_t)x];
	if (q > *px)
		*px = (uint8_t)q;
}

/* Pixel (x, y) of the buffer -> seal coordinates of its centre. */
static void
frame_to_seal(const struct frame *fr, int x, int y, double *sx, double *sy)
{
	double dx = x + 0.5 - fr->cx;
	double dy = fr->cy - (y + 0.5);
	*sx = dx * fr->cosr + dy * fr->sinr;
	*sy = -dx * fr->sinr + dy * fr->cosr;
}

/* Decode UTF-8 into code points; SEAL_ETEXT on malformed, overlong, surrogate or
 * too many characters.  NULL decodes as empty. */
static int
utf8_decode(const char *s, size_t max_bytes, struct text *t)
{
	const unsigned char *p = (const unsigned char *)s;
	t->n = 0;
	if (!s)
		return 0;
	if (strnlen(s, max_bytes + 1) > max_bytes)
		return SEAL_ETEXT;
	while (*p) {
		uint32_t c;
		int extra;
		if (*p < 0x80) {
			c = *p;
			extra = 0;
		} else if ((*p & 0xE0) == 0xC0) {
			c = *p & 0x1F;
			extra = 1;
		} else if ((*p & 0xF0) == 0xE0) {
			c = *p & 0x0F;
			extra = 2;
		} else if ((*p & 0xF8) == 0xF0) {
			c = *p & 0x07;
			extra = 3;
		} else {
			return SEAL_ETEXT;
		}
		p++;
		for (int i = 0; i < extra; i++, p++) {
			if ((*p & 0xC0) != 0x80)
				return SEAL_ETEXT;
			c = (c << 6) | (*p & 0x3F);
		}
		if ((extra == 1 && c < 0x80) || (extra == 2 && c < 0x800) ||
		    (extra == 3 && c < 0x10000) || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
			return SEAL_ETEXT;
		if (c < 0x20 || t->n >= TEXT_MAX_CHARS)
			return SEAL_ETEXT;
		t->cp[t->n++] = c;
	}
	return 0;
}

/* Look up every character's glyph; SEAL_ETEXT when the font lacks one. */
static int
text_map(FT_Face face, struct text *t)
{
	for (int i = 0; i < t->n; i++) {
		t->gi[i] = FT_Get_Char_Index(face, t->cp[i]);
		if (t->gi[i] == 0)
			return SEAL_ETEXT;
	}
	return 0;
}

/* FreeType span callback: y counts rows upwards from the buffer's bottom. */
static void
span_max(int y, int count, const FT_Span *spans, void *user)
{
	struct cov *c = user;
	int row = c->h - 1 - y;
	if (row < 0 || row >= c->h)
		return;
	uint8_t *line = &c->a[(size_t)row * (size_t)c->w];
	for (int i = 0; i < count; i++) {
		int x0 = spans[i].x, x1 = spans[i].x + spans[i].len;
		if (x0 < 0)
			x0 = 0;
		if (x1 > c->w)
			x1 = c->w;
		for (int x = x0; x < x1; x++)
			if (spans[i].coverage > line[x])
				line[x] = spans[i].coverage;
	}
}

/* Load glyph gi as an unscaled outline into the face's slot. */
static int
glyph_load(FT_Face face, FT_UInt gi)
{
	if (FT_Load_Glyph(face, gi, FT_LOAD_NO_SCALE | FT_LOAD_NO_BITMAP | FT_LOAD_NO_HINTING))
		return SEAL_EIO;
	if (face->glyph->format != FT_GLYPH_FORMAT_OUTLINE)
		return SEAL_EIO;
	return 0;
}

/* Transform the loaded outline by gp and the frame, and rasterise it into c. */
static int
glyph_draw_loaded(struct ctx *x, const struct glyph_place *gp, struct cov *c)
{
	FT_Outline *ol = &x->face->glyph->outline;
	double ca = cos(gp->angle), sa = sin(gp->angle);
	const struct frame *fr = &x->fr;

	for (int i = 0; i < ol->n_points; i++) {
		double lx = (ol->points[i].x - gp->au) * gp->sx;
		double ly = (ol->points[i].y - gp->av) * gp->sy;
		double sx = lx * ca - ly * sa + gp->px;
		double sy = lx * sa + ly * ca + gp->py;
		double rx = sx * fr->cosr - sy * fr->sinr;
		double ry = sx * fr->sinr + sy * fr->cosr;
		double X = fr->cx + rx;
		double Yup = (c->h - fr->cy) + ry;
		ol->points[i].x = (FT_Pos)lrint(X * 64.0);
		ol->points[i].y = (FT_Pos)lrint(Yup * 64.0);
	}
	FT_Raster_Params rp;
	memset(&rp, 0, sizeof(rp));
	rp.source = ol;
	rp.flags = FT_RASTER_FLAG_AA | FT_RASTER_FLAG_DIRECT | FT_RASTER_FLAG_CLIP;
	rp.gray_spans = span_max;
	rp.user = c;
	rp.clip_box.xMin = 0;
	rp.clip_box.yMin = 0;
	rp.clip_box.xMax = c->w;
	rp.clip_box.yMax = c->h;
	if (FT_Outline_Render(x->lib, ol, &rp))
		return SEAL_EIO;
	return 0;
}

/* The horizontal advance of glyph gi in font units. */
static int
glyph_advance(FT_Face face, FT_UInt gi, double *adv)
{
	int err = glyph_load(face, gi);
	if (err)
		return err;
	*adv = (double)face->glyph->metrics.horiAdvance;
	return 0;
}

/* Coverage of a ring between radii r_in and r_out around the seal centre. */
static void
draw_circle_ring(struct cov *c, const struct frame *fr, double r_out, double r_in)
{
	int x0 = (int)floor(fr->cx - r_out - 2), x1 = (int)ceil(fr->cx + r_out + 2);
	int y0 = (int)floor(fr->cy - r_out - 2), y1 = (int)ceil(fr->cy + r_out + 2);
	double lo = (r_in - 1.0) * (r_in - 1.0), hi = (r_out + 1.0) * (r_out + 1.0);
	if (r_in < 1.0)
		lo = 0.0;
	for (int y = y0 < 0 ? 0 : y0; y < y1 && y < c->h; y++) {
		double dy = y + 0.5 - fr->cy;
		for (int xx = x0 < 0 ? 0 : x0; xx < x1 && xx < c->w; xx++) {
			double dx = xx + 0.5 - fr->cx;
			double d2 = dx * dx + dy * dy;
			if (d2 < lo || d2 > hi)
				continue;
			double d = sqrt(d2);
			double v = fmin(clamp01(r_out - d + 0.5), clamp01(d - r_in + 0.5));
			if (v > 0.0)
				cov_put(c, xx, y, v);
		}
	}
}

/* Approximate signed distance (negative inside) to the ellipse with semi-axes a, b. */
static double
ellipse_sd(double x, double y, double a, double b)
{
	double f = x * x / (a * a) + y * y / (b * b) - 1.0;
	double g = 2.0 * sqrt(x * x / (a * a * a * a) + y * y / (b * b * b * b));
	if (g < 1e-12)
		return -fmin(a, b);
	return f / g;
}

static void
draw_ellipse_ring(struct cov *c, const struct frame *fr, double a, double b, double w)
{
	int ext = (int)ceil(fmax(a, b)) + 2;
	for (int y = (int)fr->cy - ext; y <= (int)fr->cy + ext; y++) {
		if (y < 0 || y >= c->h)
			continue;
		for (int xx = (int)fr->cx - ext; xx <= (int)fr->cx + ext; xx++) {
			if (xx < 0 || xx >= c->w)
				continue;
			double sx, sy;
			frame_to_seal(fr, xx, y, &sx, &sy);
			double so = ellipse_sd(sx, sy, a, b);
			if (so > 1.0 || so < -(w + 1.0) * 1.5)
				continue;
			double si = ellipse_sd(sx, sy, a - w, b - w);
			double v = fmin(clamp01(0.5 - so), clamp01(si + 0.5));
			if (v > 0.0)
				cov_put(c, xx, y, v);
		}
	}
}

/* Signed distance to an axis-aligned square of half side h. */
static double
box_sd(double x, double y, double h)
{
	double qx = fabs(x) - h, qy = fabs(y) - h;
	double ox = fmax(qx, 0.0), oy = fmax(qy, 0.0);
	return sqrt(ox * ox + oy * oy) + fmin(fmax(qx, qy), 0.0);
}

/* Square border of half side h and width w; solid fills the whole square. */
static void
draw_square(struct cov *c, const struct frame *fr, double h, double w, int solid)
{
	int ext = (int)ceil(h * (fabs(fr->cosr) + fabs(fr->sinr))) + 2;
	for (int y = (int)fr->cy - ext; y <= (int)fr->cy + ext; y++) {
		if (y < 0 || y >= c->h)
			continue;
		for (int xx = (int)fr->cx - ext; xx <= (int)fr->cx + ext; xx++) {
			if (xx < 0 || xx >= c->w)
				continue;
			double sx, sy;
			frame_to_seal(fr, xx, y, &sx, &sy);
			if (!solid && fabs(sx) < h - w - 1.0 && fabs(sy) < h - w - 1.0)
				continue;
			double v = clamp01(0.5 - box_sd(sx, sy, h));
			if (!solid && v > 0.0)
				v = fmin(v, clamp01(box_sd(sx, sy, h - w) + 0.5));
			if (v > 0.0)
				cov_put(c, xx, y, v);
		}
	}
}

/* Signed distance to a polygon (negative inside), after Inigo Quilez. */
static double
polygon_sd(double px, double py, const double (*v)[2], int n)
{
	double d = (px - v[0][0]) * (px - v[0][0]) + (py - v[0][1]) * (py - v[0][1]);
	double s = 1.0;
	for (int i = 0, j = n - 1; i < n; j = i, i++) {
		double ex = v[j][0] - v[i][0], ey = v[j][1] - v[i][1];
		double wx = px - v[i][0], wy = py - v[i][1];
		double t = (wx * ex + wy * ey) / (ex * ex + ey * ey);
		t = t < 0.0 ? 0.0 : (t > 1.0 ? 1.0 : t);
		double bx = wx - ex * t, by = wy - ey * t;
		d = fmin(d, bx * bx + by * by);
		int c1 = py >= v[i][1], c2 = py<v[j][1], c3 = ex * wy> ey * wx;
		if ((c1 && c2 && c3) || (!c1 && !c2 && !c3))
			s = -s;
	}
	return s * sqrt(d);
}

/* A five-pointed star, one point up, outer radius rs, centred on the seal. */
static void
draw_star(struct cov *c, const struct frame *fr, double rs)
{
	double v[10][2];
	/* Inner / outer radius of a regular star: sin 18 / sin 54. */
	double ri = rs * 0.38196601125010515;
	for (int k = 0; k < 10; k++) {
		double ang = (90.0 + 36.0 * k) * RENDER_PI / 180.0;
		double r = (k % 2) ? ri : rs;
		v[k][0] = r * cos(ang);
		v[k][1] = r * sin(ang);
	}
	int ext = (int)ceil(rs) + 2;
	for (int y = (int)fr->cy - ext; y <= (int)fr->cy + ext; y++) {
		if (y < 0 || y >= c->h)
			continue;
		for (int xx = (int)fr->cx - ext; xx <= (int)fr->cx + ext; xx++) {
			if (xx < 0 || xx >= c->w)
				continue;
			double sx, sy;
			frame_to_seal(fr, xx, y, &sx, &sy);
			if (sx * sx + sy * sy > (rs + 1.0) * (rs + 1.0))
				continue;
			double v01 = clamp01(0.5 - polygon_sd(sx, sy, (const double(*)[2])v, 10));
			if (v01 > 0.0)
				cov_put(c, xx, y, v01);
		}
	}
}

/*
 * Characters of t on an arc of radius rb (glyph baseline) centred at angle mid
 * (degrees), span degrees between the first and last character centres.
 * outward: glyph tops point away from the centre and the text runs clockwise
 * (upper arc); otherwise tops point inwards and it runs counter-clockwise (lower
 * arc).  em in pixels, aspect = width / height.
 */
static int
draw_arc_text(struct ctx *x, const struct text *t, double rb, double mid, double span, double em,
              double aspect, int outward)
{
	double upem = x->face->units_per_EM;
	double step = t->n > 1 ? span / (t->n - 1) : 0.0;
	for (int i = 0; i < t->n; i++) {
		double adv;
		int err = glyph_advance(x->face, t->gi[i], &adv);
		if (err)
			return err;
		double th = outward ? mid + span / 2.0 - i * step : mid - span / 2.0 + i * step;
		double thr = th * RENDER_PI / 180.0;
		struct glyph_place gp = {
		    .sx = aspect * em / upem,
		    .sy = em / upem,
		    .au = adv / 2.0,
		    .av = 0.0,
		    .angle = (outward ? th - 90.0 : th + 90.0) * RENDER_PI / 180.0,
		    .px = rb * cos(thr),
		    .py = rb * sin(thr),
		};
		err = glyph_draw_loaded(x, &gp, &x->cov);
		if (err)
			return err;
	}
	return 0;
}

/* A horizontal line of text centred (by ink centre) at (0, y); narrowed to max_w. */
static int
draw_line_text(struct ctx *x, const struct text *t, double y, double em, double aspect,
               double max_w)
{
	double upem = x->face->units_per_EM;
	double total = 0.0;
	for (int i = 0; i < t->n; i++) {
		double adv;
		int err = glyph_advance(x->face, t->gi[i], &adv);
		if (err)
			return err;
		total += adv;
	}
	double sx = aspect * em / upem;
	if (total * sx > max_w && total > 0.0)
		sx = max_w / total;
	double pen = -total * sx / 2.0;
	for (int i = 0; i < t->n; i++) {
		double adv;
		int err = glyph_advance(x->face, t->gi[i], &adv);
		if (err)
			return err;
		struct glyph_place gp = {
		    .sx = sx,
		    .sy = em / upem,
		    .au = 0.0,
		    .av = EM_CENTRE * upem,
		    .angle = 0.0,
		    .px = pen,
		    .py = y,
		};
		err = glyph_draw_loaded(x, &gp, &x->cov);
		if (err)
			return err;
		pen += adv * sx;
	}
	return 0;
}

static int
draw_round(struct ctx *x, const struct render_params *p, const struct text *name,
           const struct text *type, const struct text *code)
{
	const struct frame *fr = &x->fr;
	double R = fr->R, bw = p->border_width * R;
	int err;

	draw_circle_ring(&x->cov, fr, R, R - bw);
	if (p->inner_ring) {
		double ro = R - bw - INNER_RING_GAP * R;
		draw_circle_ring(&x->cov, fr, ro, ro - INNER_RING_WIDTH * R);
	}
	if (p->star_radius > 0.0)
		draw_star(&x->cov, fr, p->star_radius * R);

	/* Name: narrower characters when the arc is crowded. */
	double em = p->text_height * R;
	double rb = p->text_radius * R;
	double aspect = p->text_aspect;
	if (name->n > 1) {
		double pitch =
		    p->arc_span_deg / (name->n - 1) * RENDER_PI / 180.0 * (rb + EM_CENTRE * em);
		aspect = fmin(aspect, ARC_FILL * pitch / em);
	}
	err = draw_arc_text(x, name, rb, 90.0, p->arc_span_deg, em, aspect, 1);
	if (err)
		return err;

	if (type->n > 0) {
		double ty = TYPE_Y_ROUND * R;
		double r_in = R - bw;
		double half = sqrt(fmax(r_in * r_in - ty * ty, 0.0));
		err = draw_line_text(x, type, ty, p->type_height * R, TYPE_ASPECT, 1.6 * half);
		if (err)
			return err;
	}
	if (code->n > 0) {
		double cem = p->code_height * R;
		double rc = R - bw - CODE_RING_GAP * R;
		double pitch = CODE_PITCH * cem / (rc - EM_CENTRE * cem) * 180.0 / RENDER_PI;
		err = draw_arc_text(x, code, rc, 270.0, pitch * (code->n - 1), cem, 1.0, 0);
		if (err)
			return err;
	}
	return 0;
}

static int
draw_oval(struct ctx *x, const struct render_params *p, const struct text *name,
          const struct text *type, const struct text *code)
{
	const struct frame *fr = &x->fr;
	double A = fr->R, B = OVAL_MINOR * fr->R, bw = p->border_width * fr->R;
	double upem = x->face->units_per_EM;
	int err;

	draw_ellipse_ring(&x->cov, fr, A, B, bw);
	if (p->inner_ring) {
		double g = bw + INNER_RING_GAP * fr->R;
		draw_ellipse_ring(&x->cov, fr, A - g, B - g, INNER_RING_WIDTH * fr->R);
	}

	/* Name: equal arc-length spacing along the baseline ellipse. */
	double inset = (1.0 - p->text_radius) * B * OVAL_INSET_FACTOR;
	double a = A - inset, b = B - inset;
	double em = p->text_height * B;
	double span = p->arc_span_deg * OVAL_SPAN_FACTOR * RENDER_PI / 180.0;
	double t0 = RENDER_PI / 2.0 + span / 2.0;
	double cum[OVAL_ARC_SAMPLES + 1];
	cum[0] = 0.0;
	for (int k = 1; k <= OVAL_ARC_SAMPLES; k++) {
		double ta = t0 - span * (k - 1) / OVAL_ARC_SAMPLES;
		double tb = t0 - span * k / OVAL_ARC_SAMPLES;
		cum[k] = cum[k - 1] + hypot(a * (cos(tb) - cos(ta)), b * (sin(tb) - sin(ta)));
	}
	double total = cum[OVAL_ARC_SAMPLES];
	double aspect = p->text_aspect;
	if (name->n > 1)
		aspect = fmin(aspect, ARC_FILL * total / (name->n - 1) / em);
	int k = 0;
	for (int i = 0; i < name->n; i++) {
		double want = name->n > 1 ? total * i / (name->n - 1) : total / 2.0;
		while (k < OVAL_ARC_SAMPLES - 1 && cum[k + 1] < want)
			k++;
		double seg = cum[k + 1] - cum[k];
		double f = seg > 0.0 ? (want - cum[k]) / seg : 0.0;
		double t = t0 - span * (k + f) / OVAL_ARC_SAMPLES;
		double normal = atan2(sin(t) / b, cos(t) / a);
		double adv;
		err = glyph_advance(x->face, name->gi[i], &adv);
		if (err)
			return err;
		struct glyph_place gp = {
		    .sx = aspect * em / upem,
		    .sy = em / upem,
		    .au = adv / 2.0,
		    .av = 0.0,
		    .angle = normal - RENDER_PI / 2.0,
		    .px = a * cos(t),
		    .py = b * sin(t),
		};
		err = glyph_draw_loaded(x, &gp, &x->cov);
		if (err)
			return err;
	}

	if (code->n > 0) {
		err =
		    draw_line_text(x, code, CODE_Y_OVAL * B, p->code_height * fr->R, 1.0, 1.2 * A);
		if (err)
			return err;
	}
	if (type->n > 0) {
		double ty = TYPE_Y_OVAL * B;
		double half = (A - bw) * sqrt(fmax(1.0 - ty * ty / ((B - bw) * (B - bw)), 0.0));
		err = draw_line_text(x, type, ty, p->type_height * fr->R, TYPE_ASPECT, 1.6 * half);
		if (err)
			return err;
	}
	return 0;
}

/* A character cell of a square seal: centre and size in seal coordinates. */
struct cell {
	double cx, cy, w, h;
};

/* Fit glyph gi's ink box into cell. */
static int
draw_in_cell(struct ctx *x, FT_UInt gi, const struct cell *cell, struct cov *c)
{
	int err = glyph_load(x->face, gi);
	if (err)
		return err;
	FT_BBox bb;
	FT_Outline_Get_CBox(&x->face->glyph->outline, &bb);
	double bw = (double)(bb.xMax - bb.xMin), bh = (double)(bb.yMax - bb.yMin);
	if (bw <= 0.0 || bh <= 0.0)
		return 0;
	double sx = cell->w / bw, sy = cell->h / bh;
	/* Do not stretch flat or thin characters (一, 丨) beyond recognition. */
	if (sy > 1.6 * sx)
		sy = 1.6 * sx;
	if (sx > 1.6 * sy)
		sx = 1.6 * sy;
	struct glyph_place gp = {
	    .sx = sx,
	    .sy = sy,
	    .au = (bb.xMin + bb.xMax) / 2.0,
	    .av = (bb.yMin + bb.yMax) / 2.0,
	    .angle = 0.0,
	    .px = cell->cx,
	    .py = cell->cy,
	};
	return glyph_draw_loaded(x, &gp, c);
}

static int
draw_square_seal(struct ctx *x, const struct render_params *p, const struct text *name)
{
	const struct frame *fr = &x->fr;
	double h = SQUARE_HALF * fr->R;
	double bw = SQUARE_BORDER_FACTOR * p->border_width * fr->R;
	double in = h - bw - SQUARE_MARGIN * fr->R; /* half side of the character area */
	double g = SQUARE_GAP * fr->R;
	double colw = (2.0 * in - g) / 2.0, rowh = colw;
	double right = g / 2.0 + colw / 2.0, left = -right;
	struct cov *target = p->white_text ? &x->knock : &x->cov;
	int err = 0;

	draw_square(&x->cov, fr, h, bw, p->white_text);
	/* Cells in reading order: right column top to bottom, then the left column;
	 * a column with one character gives it the full height. */
	struct cell cells[4];
	int n = name->n, k = 0;
	double full = 2.0 * in, top = g / 2.0 + rowh / 2.0;
	if (n == 1) {
		cells[k++] = (struct cell){0.0, 0.0, full, full};
	} else {
		if (n == 4) {
			cells[k++] = (struct cell){right, top, colw, rowh};
			cells[k++] = (struct cell){right, -top, colw, rowh};
		} else {
			cells[k++] = (struct cell){right, 0.0, colw, full};
		}
		if (n >= 3) {
			cells[k++] = (struct cell){left, top, colw, rowh};
			cells[k++] = (struct cell){left, -top, colw, rowh};
		} else {
			cells[k++] = (struct cell){left, 0.0, colw, full};
		}
	}
	for (int i = 0; i < n && !err; i++)
		err = draw_in_cell(x, name->gi[i], &cells[i], target);
	if (err)
		return err;
	if (p->white_text) {
		size_t total = (size_t)x->cov.w * (size_t)x->cov.h;
		for (size_t i = 0; i < total; i++) {
			uint8_t keep = (uint8_t)(255 - x->knock.a[i]);
			if (x->cov.a[i] > keep)
				x->cov.a[i] = keep;
		}
	}
	return 0;
}

static int
params_check(const struct render_params *p)
{
	if (!p || !p->shape)
		return SEAL_EINVAL;
	if (strcmp(p->shape, "round") && strcmp(p->shape, "oval") && strcmp(p->shape, "square"))
		return SEAL_EINVAL;
	if (p->size_px < RENDER_MIN_SIZE || p->size_px > RENDER_MAX_SIZE)
		return SEAL_EINVAL;
	if (!(p->border_width > 0.0 && p->border_width <= 0.3))
		return SEAL_EINVAL;
	if (!(p->star_radius >= 0.0 && p->star_radius <= 0.6))
		return SEAL_EINVAL;
	if (!(p->text_radius > 0.2 && p->text_radius < 1.0))
		return SEAL_EINVAL;
	if (!(p->arc_span_deg > 0.0 && p->arc_span_deg <= 360.0))
		return SEAL_EINVAL;
	if (!(p->text_height > 0.0 && p->text_height <= 0.5))
		return SEAL_EINVAL;
	if (!(p->text_aspect > 0.2 && p->text_aspect <= 2.0))
		return SEAL_EINVAL;
	if (!(p->type_height > 0.0 && p->type_height <= 0.4))
		return SEAL_EINVAL;
	if (!(p->code_height > 0.0 && p->code_height <= 0.3))
		return SEAL_EINVAL;
	if (!(p->scale > 0.0 && p->scale <= 2.0) || !isfinite(p->rotation_deg))
		return SEAL_EINVAL;
	if (p->face_index < 0)
		return SEAL_EINVAL;
	return 0;
}

static int
font_open(struct ctx *x, const struct render_params *p)
{
	const char *path = p->font_path ? p->font_path : RENDER_DEFAULT_FONT;
	struct stat st;
	if (stat(path, &st) != 0)
		return errno == ENOENT || errno == ENOTDIR ? SEAL_ENOTFOUND : SEAL_EIO;
	if (FT_Init_FreeType(&x->lib)) {
		x->lib = NULL;
		return SEAL_ENOMEM;
	}
	if (FT_New_Face(x->lib, path, p->face_index, &x->face)) {
		x->face = NULL;
		return SEAL_EIO;
	}
	if (!FT_IS_SCALABLE(x->face) || x->face->units_per_EM == 0)
		return SEAL_EIO;
	if (FT_Select_Charmap(x->face, FT_ENCODING_UNICODE))
		return SEAL_EIO;
	return 0;
}

void
render_params_default(struct render_params *p)
{
	memset(p, 0, sizeof(*p));
	p->shape = "round";
	p->name = "";
	p->type_text = "";
	p->code = "";
	p->font_path = NULL;
	p->face_index = 0;
	p->size_px = 600;
	p->border_width = 0.035;
	p->star_radius = 0.25;
	p->text_radius = 0.72;
	p->arc_span_deg = 240.0;
	p->text_height = 0.22;
	p->text_aspect = 0.8;
	p->type_height = 0.14;
	p->code_height = 0.10;
	p->rotation_deg = 0.0;
	p->scale = 1.0;
	p->inner_ring = 0;
	p->white_text = 0;
	p->ink_r = 220;
	p->ink_g = 30;
	p->ink_b = 40;
}

int
render_seal_onto(const struct render_params *p, struct image *canvas, int cx, int cy)
{
	struct ctx x;
	struct text *name = NULL, *type = NULL, *code = NULL;
	int err;

	memset(&x, 0, sizeof(x));
	err = params_check(p);
	if (err)
		goto out;
	if (!canvas || canvas->channels != 3 || !canvas->pixels || canvas->width <= 0 ||
	    canvas->height <= 0) {
		err = SEAL_EINVAL;
		goto out;
	}
	name = calloc(1, sizeof(*name));
	type = calloc(1, sizeof(*type));
	code = calloc(1, sizeof(*code));
	if (!name || !type || !code) {
		err = SEAL_ENOMEM;
		goto out;
	}
	int square = !strcmp(p->shape, "square");
	err = utf8_decode(p->name, SEAL_HOLDER_MAX, name);
	if (!err && !square)
		err = utf8_decode(p->type_text, SEAL_TYPE_MAX, type);
	if (!err && !square)
		err = utf8_decode(p->code, SEAL_TYPE_MAX, code);
	if (err)
		goto out;
	if (name->n == 0) {
		err = SEAL_ETEXT;
		goto out;
	}
	if (square && name->n > 4) {
		err = SEAL_EINVAL;
		goto out;
	}
	err = font_open(&x, p);
	if (!err)
		err = text_map(x.face, name);
	if (!err)
		err = text_map(x.face, type);
	if (!err)
		err = text_map(x.face, code);
	if (err)
		goto out;

	/* The seal's box: size_px square around (cx, cy). */
	int size = p->size_px;
	int ox = cx - size / 2, oy = cy - size / 2;
	x.cov.w = x.cov.h = size;
	x.cov.a = calloc((size_t)size * (size_t)size, 1);
	if (!x.cov.a) {
		err = SEAL_ENOMEM;
		goto out;
	}
	if (square && p->white_text) {
		x.knock.w = x.knock.h = size;
		x.knock.a = calloc((size_t)size * (size_t)size, 1);
		if (!x.knock.a) {
			err = SEAL_ENOMEM;
			goto out;
		}
	}
	double rot = p->rotation_deg * RENDER_PI / 180.0;
	x.fr.cx = cx - ox;
	x.fr.cy = cy - oy;
	x.fr.cosr = cos(rot);
	x.fr.sinr = sin(rot);
	x.fr.R = SEAL_RADIUS_OF_CANVAS * size * p->scale;

	if (square)
		err = draw_square_seal(&x, p, name);
	else if (!strcmp(p->shape, "oval"))
		err = draw_oval(&x, p, name, type, code);
	else
		err = draw_round(&x, p, name, type, code);
	if (err)
		goto out;

	/* Multiply blend: channel * (1 - a * (1 - ink)). */
	const uint8_t ink[3] = {p->ink_r, p->ink_g, p->ink_b};
	for (int y = 0; y < size; y++) {
		int cyy = oy + y;
		if (cyy < 0 || cyy >= canvas->height)
			continue;
		const uint8_t *crow = &x.cov.a[(size_t)y * (size_t)size];
		uint8_t *row = canvas->pixels + (size_t)cyy * canvas->stride;
		for (int xx = 0; xx < size; xx++) {
			int cxx = ox + xx;
			if (crow[xx] == 0 || cxx < 0 || cxx >= canvas->width)
				continue;
			uint8_t *px = &row[(size_t)cxx * 3];
			for (int ch = 0; ch < 3; ch++) {
				uint32_t f = 65025u - (uint32_t)crow[xx] * (255u - ink[ch]);
				px[ch] = (uint8_t)((px[ch] * f + 32512u) / 65025u);
			}
		}
	}
out:
	free(x.cov.a);
	free(x.knock.a);
	if (x.face)
		FT_Done_Face(x.face);
	if (x.lib)
		FT_Done_FreeType(x.lib);
	free(name);
	free(type);
	free(code);
	return err;
}

int
render_seal(const struct render_params *p, struct image *out)
{
	int err;

	memset(out, 0, sizeof(*out));
	err = params_check(p);
	if (err)
		return err;
	err = image_alloc(out, p->size_px, p->size_px, 3, 255);
	if (err)
		return err;
	err = render_seal_onto(p, out, p->size_px / 2, p->size_px / 2);
	if (err)
		image_fini(out);
	return err;
}
