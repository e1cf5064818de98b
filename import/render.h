/*
 * render.h - a small deterministic renderer of Chinese official seal impressions.
 *
 * Draws what a registered reference impression looks like, ink on white:
 *   round   outer ring (optionally a thin inner ring), a five-pointed star in the
 *           middle, the organisation name on the upper arc with every character
 *           rotated to follow the arc, the seal type (e.g. 合同专用章) horizontally
 *           below the star and the 13-digit code in small digits on the lower arc;
 *   oval    ring, the name on the upper arc of the ellipse, the code horizontally
 *           across the middle and the type text below it;
 *   square  a name seal (法定代表人名章): border and 1 to 4 characters in columns
 *           read right to left, top to bottom (4: 2x2, 3: one tall character on
 *           the right and two on the left, 2: two tall characters, 1: one), either
 *           as ink strokes or cut out white from a solid ink field.
 *
 * Used to make test impressions, demo registries and forgeries for the matcher's
 * tests: a different font, a wider arc span, a thicker border or a larger star all
 * change the picture.  Glyph outlines come from FreeType, unhinted, transformed in
 * double precision and rasterised with 8-bit antialiasing; rings, borders and the
 * star have analytic coverage.  No randomness: the same parameters always give the
 * same bytes (with the same FreeType and fonts).  About 5-10 ms for 600x600.
 *
 * Geometry: R = 0.475 * size_px * scale is the seal's outer radius (the oval's
 * horizontal semi-axis; the oval's vertical semi-axis is 0.65 R; the square's half
 * side is 0.9 R).  Fractions below are of R unless said otherwise.  All text is
 * UTF-8.
 */
#ifndef SEAL_IMPORT_RENDER_H
#define SEAL_IMPORT_RENDER_H

#include <stdint.h>

#include "verify/image.h"

/* The default font (Debian package fonts-wqy-zenhei). */
#define RENDER_DEFAULT_FONT "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"

/* Smallest and largest canvas side accepted. */
#define RENDER_MIN_SIZE 32
#define RENDER_MAX_SIZE 4096

struct render_params {
	const char *shape;     /* "round", "oval" or "square" */
	const char *name;      /* organisation name (round, oval) or 1-4 characters (square) */
	const char *type_text; /* e.g. "合同专用章"; NULL or "" for none (ignored by square) */
	const char *code;      /* e.g. "6101001000001"; NULL or "" for none (ignored by square) */
	const char *font_path; /* NULL: RENDER_DEFAULT_FONT */
	int face_index;        /* face inside a .ttc collection, default 0 */
	int size_px;           /* output canvas side, default 600 */
	double border_width;   /* ring / border width, default 0.035 (square: 1.6 times this) */
	double star_radius;    /* star's outer radius, default 0.25; 0: no star */
	double text_radius;    /* radius of the name's glyph baseline, default 0.72 (oval:
	                          the baseline ellipse is inset by 1.15 (1 - text_radius) 0.65 R) */
	double arc_span_deg;   /* angle between the centres of the first and the last character
	                          of the name, default 240; the oval uses 5/6 of it as a span of
	                          the ellipse's parametric angle */
	double text_height;    /* em size of the name, default 0.22 (oval: of 0.65 R) */
	double text_aspect;    /* width / height of a name character, default 0.8; characters
	                          are narrowed further when the arc is crowded */
	double type_height;    /* em size of the type text, default 0.14 */
	double code_height;    /* em size of the code digits, default 0.10 */
	double rotation_deg;   /* counter-clockwise rotation of the whole seal, default 0 */
	double scale;          /* seal size relative to the canvas, default 1.0 */
	int inner_ring;        /* round and oval: 1 adds a thin inner ring, default 0 */
	int white_text;        /* square: 1 cuts the characters out of solid ink, default 0 */
	uint8_t ink_r, ink_g, ink_b; /* ink colour, default 220, 30, 40 */
};

/* Fill *p with the defaults above: a round seal with empty texts, wqy-zenhei,
 * 600 px, red ink.  Callers then set the texts and whatever they want changed. */
void render_params_default(struct render_params *p);

/*
 * Render the seal centred on a new size_px x size_px RGB canvas, white background.
 *
 * out: receives the image (channels 3); the caller releases it with image_fini().
 *   On error *out is zeroed and owns nothing.
 * Returns 0, or
 *   SEAL_EINVAL     unknown shape, size_px outside [RENDER_MIN_SIZE, RENDER_MAX_SIZE],
 *                   a geometric parameter out of its sane range (fractions must be
 *                   positive and below 1, scale in (0, 2]), or a square seal whose
 *                   name has not 1-4 characters;
 *   SEAL_ETEXT      a text is not valid UTF-8, longer than its cap (name
 *                   SEAL_HOLDER_MAX, type and code SEAL_TYPE_MAX bytes), the name is
 *                   empty, or the font lacks one of its characters;
 *   SEAL_ENOTFOUND  the font file does not exist;
 *   SEAL_EIO        the font file (or face_index) cannot be opened by FreeType;
 *   SEAL_ENOMEM.
 */
int render_seal(const struct render_params *p, struct image *out);

/*
 * Render the seal onto an existing RGB canvas (e.g. a document page) with its
 * centre at (cx, cy) in pixel-corner coordinates (cx = width / 2 centres it), by
 * multiply blending: white becomes the ink colour, black print stays black, and
 * a second seal over the first darkens where they overlap.  The seal occupies a
 * size_px x size_px box around the centre; parts outside the canvas are clipped.
 *
 * canvas: 8-bit RGB (channels 3), modified in place; nothing is allocated for it.
 * Returns the codes of render_seal(), plus SEAL_EINVAL when the canvas is not RGB.
 * On error the canvas is unchanged.
 */
int render_seal_onto(const struct render_params *p, struct image *canvas, int cx, int cy);

#endif
