/* test_synth.c — deterministic pictures from a seed.
 *
 * Every image imgmock serves is painted by synth_render(), so its contract is the contract of
 * every byte the server returns: the same parameters paint the same pixels (on every machine:
 * the golden digests below pin that), different seeds paint visibly different pictures, every
 * pixel of the caller's buffer is written and nothing outside it is, a transparent background
 * really is transparent (alpha 0) under opaque shapes, and partial images (fewer shapes shown)
 * differ from the final one.
 *
 * Buffers are malloc'd at exactly width * height * 4 bytes, so valgrind (or a sanitiser) sees any
 * write past the end; the canary tests see any pixel left unwritten.
 */
#include "synth.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

/* A malloc'd RGBA buffer of exactly w*h*4 bytes, filled with `fill`. */
static uint8_t *alloc_pixels(unsigned w, unsigned h, int fill)
{
    size_t n = (size_t)w * h * 4;
    uint8_t *p = malloc(n);
    if (p)
        memset(p, fill, n);
    return p;
}

/* Render into a fresh buffer of exactly the image's size. */
static uint8_t *render(uint64_t seed, unsigned w, unsigned h, int transparent, unsigned shown)
{
    struct synth_params p = {.seed = seed, .width = w, .height = h, .transparent = transparent, .shapes_shown = shown};
    uint8_t *px = alloc_pixels(w, h, 0xA5);
    if (px)
        synth_render(&p, px);
    return px;
}

static int same_pixels(const uint8_t *a, const uint8_t *b, unsigned w, unsigned h)
{
    return !memcmp(a, b, (size_t)w * h * 4);
}

/* 64-bit FNV-1a over n bytes. */
static uint64_t fnv1a64(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static void test_same_params_same_pixels(void)
{
    static const struct {
        unsigned w, h;
        int transparent;
    } cases[] = {{97, 61, 0}, {61, 97, 1}, {256, 256, 0}, {33, 200, 1}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        for (uint64_t seed = 0; seed < 4; seed++) {
            uint64_t s = seed * 0x9e3779b97f4a7c15ULL + 7;
            uint8_t *a = render(s, cases[i].w, cases[i].h, cases[i].transparent, SYNTH_ALL_SHAPES);
            uint8_t *b = render(s, cases[i].w, cases[i].h, cases[i].transparent, SYNTH_ALL_SHAPES);
            CHECK(a && b);
            if (a && b)
                CHECK(same_pixels(a, b, cases[i].w, cases[i].h));
            free(a);
            free(b);
        }
    }
}

static void test_different_seeds_differ(void)
{
    enum { W = 128, H = 96, SEEDS = 12 };
    uint8_t *img[SEEDS];
    for (int i = 0; i < SEEDS; i++)
        img[i] = render((uint64_t)i * 1000003u + 1, W, H, 0, SYNTH_ALL_SHAPES);
    for (int i = 0; i < SEEDS; i++)
        for (int j = i + 1; j < SEEDS; j++)
            if (img[i] && img[j] && same_pixels(img[i], img[j], W, H)) {
                fprintf(stderr, "%s:%d: seeds %d and %d paint the same picture\n", __FILE__, __LINE__, i, j);
                unit_failures_in_test++;
            }
    /* Neighbouring seeds (one bit apart) differ too. */
    uint8_t *a = render(0x8000000000000000ULL, W, H, 1, SYNTH_ALL_SHAPES);
    uint8_t *b = render(0x8000000000000001ULL, W, H, 1, SYNTH_ALL_SHAPES);
    CHECK(a && b && !same_pixels(a, b, W, H));
    free(a);
    free(b);
    for (int i = 0; i < SEEDS; i++)
        free(img[i]);
}

/* The result must not depend on what the buffer held before: render over two different
 * canaries (and over uninitialised memory, which valgrind watches) and compare. */
static void test_every_pixel_written(void)
{
    static const struct {
        unsigned w, h;
    } sizes[] = {{1, 1}, {7, 3}, {64, 48}, {200, 17}, {17, 200}};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        unsigned w = sizes[i].w, h = sizes[i].h;
        size_t n = (size_t)w * h * 4;
        for (int transparent = 0; transparent <= 1; transparent++) {
            for (unsigned shown = 0; shown <= 8; shown += 4) {
                struct synth_params p = {.seed = 0xC0FFEEu + i, .width = w, .height = h,
                                         .transparent = transparent, .shapes_shown = shown == 8 ? SYNTH_ALL_SHAPES : shown};
                uint8_t *zero = alloc_pixels(w, h, 0x00), *ones = alloc_pixels(w, h, 0xFF), *raw = malloc(n);
                CHECK(zero && ones && raw);
                if (zero && ones && raw) {
                    synth_render(&p, zero);
                    synth_render(&p, ones);
                    synth_render(&p, raw); /* any unwritten byte is an uninitialised read below */
                    CHECK(!memcmp(zero, ones, n));
                    CHECK(!memcmp(zero, raw, n));
                }
                free(zero);
                free(ones);
                free(raw);
            }
        }
    }
}

static void test_alpha(void)
{
    enum { W = 256, H = 192 };
    for (uint64_t seed = 1; seed <= 16; seed++) {
        uint8_t *t = render(seed * 0x2545F4914F6CDD1DULL, W, H, 1, SYNTH_ALL_SHAPES);
        uint8_t *o = render(seed * 0x2545F4914F6CDD1DULL, W, H, 0, SYNTH_ALL_SHAPES);
        uint8_t *bare = render(seed * 0x2545F4914F6CDD1DULL, W, H, 1, 0);
        CHECK(t && o && bare);
        if (!t || !o || !bare) {
            free(t);
            free(o);
            free(bare);
            continue;
        }
        size_t clear = 0, solid = 0, not_solid = 0, bare_nonzero = 0;
        for (size_t i = 0; i < (size_t)W * H; i++) {
            clear += t[i * 4 + 3] == 0;
            solid += t[i * 4 + 3] == 255;
            not_solid += o[i * 4 + 3] != 255;
            bare_nonzero += bare[i * 4] | bare[i * 4 + 1] | bare[i * 4 + 2] | bare[i * 4 + 3];
        }
        if (!clear || !solid || not_solid || bare_nonzero) {
            fprintf(stderr,
                    "%s:%d: seed %llu: transparent has %zu clear and %zu solid pixels (want both > 0); "
                    "opaque has %zu pixels with alpha != 255 (want 0); bare transparent background has %zu "
                    "non-zero pixels (want 0)\n",
                    __FILE__, __LINE__, (unsigned long long)seed, clear, solid, not_solid, bare_nonzero);
            unit_failures_in_test++;
        }
        free(t);
        free(o);
        free(bare);
    }
}

static void test_partial_images(void)
{
    enum { W = 160, H = 120 };
    for (uint64_t seed = 100; seed < 116; seed++) {
        unsigned count = synth_shape_count(seed);
        uint8_t *none = render(seed, W, H, 0, 0);
        uint8_t *all = render(seed, W, H, 0, SYNTH_ALL_SHAPES);
        uint8_t *exact = render(seed, W, H, 0, count);        /* all shapes, by number */
        uint8_t *more = render(seed, W, H, 0, count + 5);     /* more than there are: all of them */
        uint8_t *partial = render(seed, W, H, 0, count - 1);  /* one short: a partial image */
        uint8_t *first = render(seed, W, H, 0, 1);
        CHECK(none && all && exact && more && partial && first);
        if (none && all && exact && more && partial && first) {
            CHECK(!same_pixels(none, all, W, H));
            CHECK(!same_pixels(partial, all, W, H));
            CHECK(!same_pixels(first, none, W, H));
            CHECK(same_pixels(exact, all, W, H));
            CHECK(same_pixels(more, all, W, H));
        }
        free(none);
        free(all);
        free(exact);
        free(more);
        free(partial);
        free(first);
    }
    /* A partial transparent image differs too. */
    uint8_t *a = render(7, W, H, 1, 1), *b = render(7, W, H, 1, SYNTH_ALL_SHAPES);
    CHECK(a && b && !same_pixels(a, b, W, H));
    free(a);
    free(b);
}

static void test_shape_count_range(void)
{
    unsigned seen[8] = {0};
    for (uint64_t i = 0; i < 5000; i++) {
        uint64_t seed = i * 0x9e3779b97f4a7c15ULL ^ (i << 7);
        unsigned c = synth_shape_count(seed);
        if (c < 3 || c > 7) {
            fprintf(stderr, "%s:%d: synth_shape_count(%llu) = %u, want 3..7\n", __FILE__, __LINE__,
                    (unsigned long long)seed, c);
            unit_failures_in_test++;
            continue;
        }
        seen[c]++;
        CHECK_INT(synth_shape_count(seed), c); /* a pure function */
    }
    for (unsigned c = 3; c <= 7; c++)
        CHECK(seen[c] > 0); /* every count occurs */
    CHECK(synth_shape_count(0) >= 3 && synth_shape_count(0) <= 7);
    CHECK(synth_shape_count(UINT64_MAX) >= 3 && synth_shape_count(UINT64_MAX) <= 7);
}

/* Extreme shapes of buffer: exactly w*h*4 bytes each, for valgrind to police. */
static void test_extreme_sizes(void)
{
    static const struct {
        unsigned w, h;
    } sizes[] = {{1, 1}, {1, 37}, {37, 1}, {1, 2}, {2, 1}, {16383, 1}, {1, 16383}, {16383, 2}, {3840, 2160}};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        unsigned w = sizes[i].w, h = sizes[i].h;
        /* the big one once; the small ones for several seeds and both backgrounds */
        int rounds = (size_t)w * h > 100000 ? 1 : 8;
        for (int r = 0; r < rounds; r++) {
            int transparent = r & 1;
            uint8_t *px = render((uint64_t)r * 0x51ED270B27u + i, w, h, transparent, SYNTH_ALL_SHAPES);
            CHECK(px != NULL);
            if (!px)
                continue;
            /* The picture is well formed: opaque is all alpha 255. */
            if (!transparent) {
                size_t bad = 0;
                for (size_t k = 0; k < (size_t)w * h; k++)
                    bad += px[k * 4 + 3] != 255;
                CHECK_INT(bad, 0);
            }
            free(px);
        }
    }
    /* 3840x2160 transparent as well (the largest size a request can ask for) */
    uint8_t *px = render(42, 3840, 2160, 1, SYNTH_ALL_SHAPES);
    CHECK(px != NULL);
    free(px);
}

/* Golden digests: FNV-1a-64 of the RGBA bytes of 64x48 renders of seed 42.
 *
 * Changing any of these constants changes every image imgmock serves, and with them every
 * golden fixture and every client snapshot taken against imgmock: only do it on purpose, and
 * regenerate the fixtures in the same change.
 *
 * They hold under GCC and Clang alike: synth.c draws every random number in its own statement,
 * because C leaves the order of evaluating function arguments open (GCC and Clang differ), and
 * an earlier version that drew several numbers in one hsv() call painted compiler-dependent
 * pixels. */
#define GOLDEN_64x48_SEED42_OPAQUE 0x6713177257b3b8ffULL
#define GOLDEN_64x48_SEED42_TRANSPARENT 0x602e11e1b40d7963ULL
#define GOLDEN_64x48_SEED42_OPAQUE_2_SHAPES 0x917cfb05a3d0a4e0ULL
#define GOLDEN_64x48_SEED42_OPAQUE_NO_SHAPES 0x53a16bf3305ed68fULL

static void check_golden(int transparent, unsigned shown, uint64_t want, int line)
{
    uint8_t *px = render(42, 64, 48, transparent, shown);
    if (!px) {
        unit_failures_in_test++;
        return;
    }
    uint64_t got = fnv1a64(px, (size_t)64 * 48 * 4);
    free(px);
    if (got != want) {
        fprintf(stderr, "%s:%d: golden digest (transparent %d, shapes %u): got 0x%016llxULL, want 0x%016llxULL\n",
                __FILE__, line, transparent, shown, (unsigned long long)got, (unsigned long long)want);
        unit_failures_in_test++;
    }
}

static void test_golden_digest(void)
{
    check_golden(0, SYNTH_ALL_SHAPES, GOLDEN_64x48_SEED42_OPAQUE, __LINE__);
    check_golden(1, SYNTH_ALL_SHAPES, GOLDEN_64x48_SEED42_TRANSPARENT, __LINE__);
    check_golden(0, 2, GOLDEN_64x48_SEED42_OPAQUE_2_SHAPES, __LINE__);
    check_golden(0, 0, GOLDEN_64x48_SEED42_OPAQUE_NO_SHAPES, __LINE__);
    CHECK_INT(synth_shape_count(42), 6);
}

/* An opaque picture painted as RGB is the RGBA picture without its alpha bytes, for every
 * seed, size and number of shapes tried (the server paints opaque images so). */
static void test_rgb_is_rgba_without_alpha(void)
{
    static const unsigned sizes[][2] = {{1, 1}, {7, 3}, {64, 64}, {257, 129}};
    int same = 1;
    for (uint64_t seed = 1; seed <= 6; seed++)
        for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++)
            for (unsigned shapes = 0; shapes <= 8; shapes += 4) {
                unsigned w = sizes[k][0], h = sizes[k][1];
                struct synth_params p = {.seed = seed * 0x9e3779b97f4a7c15u, .width = w, .height = h,
                                         .shapes_shown = shapes == 8 ? SYNTH_ALL_SHAPES : shapes};
                uint8_t *rgba = malloc((size_t)w * h * 4), *rgb = malloc((size_t)w * h * 3);
                synth_render(&p, rgba);
                p.rgb = 1;
                synth_render(&p, rgb);
                for (size_t i = 0; i < (size_t)w * h; i++)
                    same &= !memcmp(rgb + i * 3, rgba + i * 4, 3) && rgba[i * 4 + 3] == 255;
                free(rgba);
                free(rgb);
            }
    CHECK(same);
}

UNIT_MAIN(UNIT_TEST(test_rgb_is_rgba_without_alpha), UNIT_TEST(test_same_params_same_pixels), UNIT_TEST(test_different_seeds_differ),
          UNIT_TEST(test_every_pixel_written), UNIT_TEST(test_alpha), UNIT_TEST(test_partial_images),
          UNIT_TEST(test_shape_count_range), UNIT_TEST(test_extreme_sizes), UNIT_TEST(test_golden_digest))
