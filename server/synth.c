/* synth.c — gradient plus shapes, in fixed point.
 *
 * Geometry is in 1/16 pixel units and sampled at pixel centres; shape edges are anti-aliased
 * over one pixel from the exact distance (an integer square root, computed only for edge
 * pixels). Each shape is painted over its bounding box only, so the cost is the gradient plus
 * the area the shapes cover, about 30 ms for 3840x2160.
 */
#include "synth.h"

#include <string.h>

#include "mix.h"

enum { SUB = 16 };            /* subpixel units per pixel */
enum { MAX_SHAPES = 7 };

/* A stream of pseudo-random numbers: splitmix64 over a counter. */
struct rng {
    uint64_t state;
};

static uint64_t rng_next(struct rng *r)
{
    r->state += 0x9e3779b97f4a7c15ULL;
    return mix64(r->state);
}

/* An integer in [lo, hi]. Never call it twice in one expression or argument list: C leaves
 * the order of evaluation open, and compilers differ (gcc and clang draw in opposite orders),
 * which would make pixels depend on the compiler. Every draw is its own statement. */
static int rng_range(struct rng *r, int lo, int hi)
{
    return lo + (int)(rng_next(r) % (uint64_t)(hi - lo + 1));
}

struct rgb {
    uint8_t r, g, b;
};

/* HSV to RGB with hue in degrees (0..359), saturation and value in 0..255. */
static struct rgb hsv(int hue, int sat, int val)
{
    int region = hue / 60, rem = (hue % 60) * 255 / 60;
    int p = val * (255 - sat) / 255;
    int q = val * (255 - sat * rem / 255) / 255;
    int t = val * (255 - sat * (255 - rem) / 255) / 255;
    switch (region) {
    case 0: return (struct rgb){(uint8_t)val, (uint8_t)t, (uint8_t)p};
    case 1: return (struct rgb){(uint8_t)q, (uint8_t)val, (uint8_t)p};
    case 2: return (struct rgb){(uint8_t)p, (uint8_t)val, (uint8_t)t};
    case 3: return (struct rgb){(uint8_t)p, (uint8_t)q, (uint8_t)val};
    case 4: return (struct rgb){(uint8_t)t, (uint8_t)p, (uint8_t)val};
    default: return (struct rgb){(uint8_t)val, (uint8_t)p, (uint8_t)q};
    }
}

static uint32_t isqrt64(uint64_t v)
{
    uint64_t r = 0, bit = 1ULL << 62;
    while (bit > v)
        bit >>= 2;
    while (bit) {
        if (v >= r + bit) {
            v -= r + bit;
            r = (r >> 1) + bit;
        } else
            r >>= 1;
        bit >>= 2;
    }
    return (uint32_t)r;
}

enum shape_kind { DISC, RING, ROUNDED_RECT };

/* One shape, in subpixel units. */
struct shape {
    enum shape_kind kind;
    int32_t cx, cy;        /* centre */
    int32_t rx, ry;        /* DISC, RING: radius in rx; ROUNDED_RECT: half extents */
    int32_t inner;         /* RING: inner radius; ROUNDED_RECT: corner radius */
    struct rgb color;
    uint8_t opacity;       /* 0..255 */
};

/* The picture a seed describes, before any pixel is painted. */
struct scene {
    struct rgb from, to;   /* gradient end colours */
    int32_t vx, vy;        /* gradient direction, |v| about 1024 */
    unsigned count;        /* shapes */
    struct shape shapes[MAX_SHAPES];
};

/* 16 directions around the circle, as (cos, sin) * 1024. */
static const int16_t directions[16][2] = {
    {1024, 0},   {946, 392},   {724, 724},   {392, 946},   {0, 1024},   {-392, 946},   {-724, 724},  {-946, 392},
    {-1024, 0},  {-946, -392}, {-724, -724}, {-392, -946}, {0, -1024},  {392, -946},   {724, -724},  {946, -392},
};

unsigned synth_shape_count(uint64_t seed)
{
    return 3 + (unsigned)(mix64(seed ^ 0x5eed5eed5eed5eedULL) % 5);
}

static void plan_scene(const struct synth_params *p, struct scene *s)
{
    struct rng r = {p->seed};
    int hue = rng_range(&r, 0, 359);
    int sat = rng_range(&r, 120, 220);
    int val = rng_range(&r, 60, 120);
    s->from = hsv(hue, sat, val);
    int hue_to = (hue + rng_range(&r, 30, 150)) % 360;
    sat = rng_range(&r, 60, 160);
    val = rng_range(&r, 200, 250);
    s->to = hsv(hue_to, sat, val);
    const int16_t *d = directions[rng_range(&r, 0, 15)];
    s->vx = d[0];
    s->vy = d[1];
    s->count = synth_shape_count(p->seed);
    int32_t m = (int32_t)(p->width < p->height ? p->width : p->height);
    for (unsigned i = 0; i < s->count; i++) {
        struct shape *sh = &s->shapes[i];
        sh->kind = (enum shape_kind)rng_range(&r, 0, 2);
        sh->cx = rng_range(&r, 0, (int)p->width * SUB);
        sh->cy = rng_range(&r, 0, (int)p->height * SUB);
        sh->rx = m * SUB * rng_range(&r, 8, 30) / 100 + SUB;
        sh->ry = sh->kind == ROUNDED_RECT ? m * SUB * rng_range(&r, 8, 30) / 100 + SUB : sh->rx;
        sh->inner = sh->kind == RING ? sh->rx * rng_range(&r, 45, 80) / 100
                                     : (sh->rx < sh->ry ? sh->rx : sh->ry) * rng_range(&r, 10, 50) / 100;
        int shape_hue = (hue + 180 + rng_range(&r, -70, 70) + 360) % 360;
        sat = rng_range(&r, 120, 255);
        val = rng_range(&r, 170, 255);
        sh->color = hsv(shape_hue, sat, val);
        sh->opacity = p->transparent ? 255 : (uint8_t)rng_range(&r, 170, 240);
    }
}

static void paint_gradient(const struct synth_params *p, const struct scene *s, uint8_t *rgba)
{
    int64_t corners[4] = {0, (int64_t)s->vx * (p->width - 1), (int64_t)s->vy * (p->height - 1),
                          (int64_t)s->vx * (p->width - 1) + (int64_t)s->vy * (p->height - 1)};
    int64_t lo = corners[0], hi = corners[0];
    for (int i = 1; i < 4; i++) {
        lo = corners[i] < lo ? corners[i] : lo;
        hi = corners[i] > hi ? corners[i] : hi;
    }
    int64_t span = hi > lo ? hi - lo : 1;
    size_t step = p->rgb ? 3 : 4;
    if (p->transparent) {
        memset(rgba, 0, (size_t)p->width * p->height * step);
        return;
    }
    for (unsigned y = 0; y < p->height; y++) {
        uint8_t *row = rgba + (size_t)y * p->width * step;
        int64_t t = (int64_t)s->vy * y - lo;
        for (unsigned x = 0; x < p->width; x++, t += s->vx) {
            int w = (int)(t * 256 / span); /* 0..256 */
            uint8_t *px = row + (size_t)x * step;
            px[0] = (uint8_t)((s->from.r * (256 - w) + s->to.r * w) >> 8);
            px[1] = (uint8_t)((s->from.g * (256 - w) + s->to.g * w) >> 8);
            px[2] = (uint8_t)((s->from.b * (256 - w) + s->to.b * w) >> 8);
            if (step == 4)
                px[3] = 255;
        }
    }
}

/* Coverage 0..255 of a disc of radius `r` at subpixel distance squared `d2` from its centre. */
static int disc_coverage(int64_t d2, int32_t r)
{
    int64_t in = r - SUB / 2, out = r + SUB / 2;
    if (d2 <= (in > 0 ? in * in : 0))
        return 255;
    if (d2 >= out * out)
        return 0;
    int32_t d = (int32_t)isqrt64((uint64_t)d2);
    int c = (out - d) * 255 / SUB;
    return c < 0 ? 0 : c > 255 ? 255 : c;
}

/* Coverage 0..255 of a shape at a pixel centre (dx, dy subpixels from the shape's centre). */
static int coverage(const struct shape *sh, int32_t dx, int32_t dy)
{
    int64_t d2 = (int64_t)dx * dx + (int64_t)dy * dy;
    switch (sh->kind) {
    case DISC:
        return disc_coverage(d2, sh->rx);
    case RING: {
        int outer = disc_coverage(d2, sh->rx), inner = disc_coverage(d2, sh->inner);
        return outer < 255 - inner ? outer : 255 - inner;
    }
    case ROUNDED_RECT: {
        int32_t ax = (dx < 0 ? -dx : dx) - (sh->rx - sh->inner);
        int32_t ay = (dy < 0 ? -dy : dy) - (sh->ry - sh->inner);
        int32_t outside;
        if (ax > 0 && ay > 0)
            outside = (int32_t)isqrt64((uint64_t)((int64_t)ax * ax + (int64_t)ay * ay));
        else
            outside = ax > ay ? (ax > 0 ? ax : 0) : (ay > 0 ? ay : 0);
        int32_t inside = ax > ay ? ax : ay;
        int32_t sd = outside + (inside < 0 ? inside : 0) - sh->inner; /* signed distance */
        int c = (SUB / 2 - sd) * 255 / SUB;
        return c < 0 ? 0 : c > 255 ? 255 : c;
    }
    }
    return 0;
}

/* Paint one shape over its bounding box with the "over" operator in straight alpha. */
static void paint_shape(const struct synth_params *p, const struct shape *sh, uint8_t *rgba)
{
    int32_t ext = (sh->rx > sh->ry ? sh->rx : sh->ry) + SUB;
    int64_t x0 = (sh->cx - ext) / SUB, x1 = (sh->cx + ext) / SUB + 1;
    int64_t y0 = (sh->cy - ext) / SUB, y1 = (sh->cy + ext) / SUB + 1;
    x0 = x0 < 0 ? 0 : x0;
    y0 = y0 < 0 ? 0 : y0;
    x1 = x1 > (int64_t)p->width ? (int64_t)p->width : x1;
    y1 = y1 > (int64_t)p->height ? (int64_t)p->height : y1;
    size_t step = p->rgb ? 3 : 4;
    for (int64_t y = y0; y < y1; y++) {
        int32_t dy = (int32_t)(y * SUB + SUB / 2) - sh->cy;
        uint8_t *row = rgba + (size_t)y * p->width * step;
        for (int64_t x = x0; x < x1; x++) {
            int c = coverage(sh, (int32_t)(x * SUB + SUB / 2) - sh->cx, dy);
            if (!c)
                continue;
            int a = c * sh->opacity / 255; /* source alpha */
            uint8_t *px = row + (size_t)x * step;
            int da = step == 4 ? px[3] : 255; /* RGB: opaque, and "over" keeps it at 255 */
            int out_a = a + da * (255 - a) / 255;
            if (!out_a)
                continue;
            int dst_w = da * (255 - a) / 255;
            px[0] = (uint8_t)((sh->color.r * a + px[0] * dst_w) / out_a);
            px[1] = (uint8_t)((sh->color.g * a + px[1] * dst_w) / out_a);
            px[2] = (uint8_t)((sh->color.b * a + px[2] * dst_w) / out_a);
            if (step == 4)
                px[3] = (uint8_t)out_a;
        }
    }
}

void synth_render(const struct synth_params *p, uint8_t *rgba)
{
    struct scene s;
    plan_scene(p, &s);
    paint_gradient(p, &s, rgba);
    unsigned shown = p->shapes_shown < s.count ? p->shapes_shown : s.count;
    for (unsigned i = 0; i < shown; i++)
        paint_shape(p, &s.shapes[i], rgba);
}
