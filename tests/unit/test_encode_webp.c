/* test_encode_webp.c — the built-in lossless WebP encoder, checked by an independent decoder.
 *
 * Every image here is synthesized by the test (gradients with shapes, LCG noise, checkerboards,
 * the smallest and thinnest sizes, constant and fully transparent channels, repeats that LZ77
 * should find), encoded through a sink into memory, checked for a well-formed RIFF/VP8L header,
 * written to a temporary file and decoded by libwebp's `dwebp` (Debian package webp) into a PAM
 * that must equal the input pixel for pixel; with has_alpha == 0 every alpha must read 255.
 * Without dwebp those tests are reported as skipped, never as passed. The rest needs no decoder:
 * same pixels give the same bytes, a sink's -1 aborts with -1 (valgrind shows nothing leaks),
 * invalid sizes are refused.
 *
 * Prints "ok"/"FAIL"/"skip" per test and a closing "N passed, N failed, N skipped" line.
 */
#include "encode.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"

/* ---- helpers --------------------------------------------------------------------------------- */

static int have_dwebp;           /* set by main() */
static char tmpdir[256];         /* a fresh directory for this run's files */
static int skipped_in_test;      /* the running test needed dwebp and did not run */

#define REQUIRE_DWEBP()                                                                                      \
    do {                                                                                                     \
        if (!have_dwebp) {                                                                                   \
            skipped_in_test = 1;                                                                             \
            return;                                                                                          \
        }                                                                                                    \
    } while (0)

/* A sink into a growing buffer that can be told to fail on its fail_at-th call (0-based). */
struct membuf {
    uint8_t *data;
    size_t len, cap;
    int calls;
    int fail_at;       /* -1: never */
    size_t max_piece;  /* the largest piece seen */
    int empty_pieces;  /* calls with len 0 */
};

static int mem_sink(void *ctx, const void *data, size_t len)
{
    struct membuf *b = ctx;
    int call = b->calls++;
    if (len == 0)
        b->empty_pieces++;
    if (len > b->max_piece)
        b->max_piece = len;
    if (call == b->fail_at)
        return -1;
    if (b->len + len > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + len)
            cap *= 2;
        uint8_t *p = realloc(b->data, cap);
        if (!p)
            return -1;
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
    return 0;
}

static struct membuf membuf_new(void)
{
    struct membuf b = {0};
    b.fail_at = -1;
    return b;
}

/* An RGBA image owned by the test. */
struct img {
    uint8_t *rgba;
    unsigned w, h;
    int has_alpha;
};

static struct img img_new(unsigned w, unsigned h, int has_alpha)
{
    struct img im = {calloc((size_t)w * h, 4), w, h, has_alpha};
    if (!im.rgba) {
        fprintf(stderr, "out of memory for a %ux%u test image\n", w, h);
        exit(2);
    }
    return im;
}

static uint8_t *px_at(struct img *im, unsigned x, unsigned y)
{
    return im->rgba + 4 * ((size_t)y * im->w + x);
}

/* A fixed LCG (Numerical Recipes constants), returning its top byte: the low bits of such a
 * generator repeat with short periods (bit k every 2^(k+1) steps), which LZ77 would find. */
static uint32_t lcg(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 24;
}

static uint8_t clamp_u8(int v)
{
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/* The kind of picture imgmock synthesizes: a diagonal gradient background, a disc with a
 * radial gradient, a rectangle with its own gradient and a flat triangle; with alpha, a
 * vertical alpha ramp and a half-transparent rectangle. Integer arithmetic only. */
static struct img gen_gradient(unsigned w, unsigned h, int has_alpha)
{
    struct img im = img_new(w, h, has_alpha);
    long cx = (long)w * 35 / 100, cy = (long)h * 40 / 100, rad = (long)(w < h ? w : h) * 22 / 100 + 1;
    for (unsigned y = 0; y < h; y++)
        for (unsigned x = 0; x < w; x++) {
            int r = 30 + (int)(200L * x / w), g = 60 + (int)(150L * y / h);
            int b = 200 - (int)(60L * x / w + 60L * y / h), a = has_alpha ? 77 + (int)(178L * (h - y) / h) : 255;
            long dx = (long)x - cx, dy = (long)y - cy, d2 = dx * dx + dy * dy;
            if (d2 < rad * rad) {
                int t = (int)(255 * d2 / (rad * rad));
                r = 250 - t * 100 / 255;
                g = 200 - t * 150 / 255;
                b = 40 + t * 60 / 255;
                a = 255;
            }
            if (x * 100 > w * 55 && x * 100 < w * 90 && y * 100 > h * 50 && y * 100 < h * 85) {
                int t = (int)((x * 100L - w * 55L) * 255 / (w * 35L + 1));
                r = 20 + t * 60 / 255;
                g = 120 + t * 100 / 255;
                b = 220 - t * 50 / 255;
                if (has_alpha)
                    a = 128;
            }
            if (y * 10 > h && y * 10 < h * 3 && x * 10 > w * 6 && (x * 10 - w * 6) * 2 < (y * 10 - h) * 3)
                r = g = b = 240;
            uint8_t *p = px_at(&im, x, y);
            p[0] = clamp_u8(r);
            p[1] = clamp_u8(g);
            p[2] = clamp_u8(b);
            p[3] = clamp_u8(a);
        }
    return im;
}

/* Every byte random, alpha included (with has_alpha == 0 it is garbage the encoder must ignore). */
static struct img gen_noise(unsigned w, unsigned h, int has_alpha, uint32_t seed)
{
    struct img im = img_new(w, h, has_alpha);
    for (size_t i = 0; i < (size_t)w * h * 4; i++)
        im.rgba[i] = (uint8_t)lcg(&seed);
    return im;
}

static struct img gen_checker(unsigned w, unsigned h, unsigned cell, int has_alpha)
{
    struct img im = img_new(w, h, has_alpha);
    for (unsigned y = 0; y < h; y++)
        for (unsigned x = 0; x < w; x++) {
            int on = ((x / cell) + (y / cell)) & 1;
            uint8_t *p = px_at(&im, x, y);
            p[0] = on ? 250 : 10;
            p[1] = on ? 240 : 20;
            p[2] = on ? 5 : 200;
            p[3] = has_alpha ? (on ? 255 : 40) : 255;
        }
    return im;
}

static struct img gen_solid(unsigned w, unsigned h, int has_alpha, const uint8_t rgba[4])
{
    struct img im = img_new(w, h, has_alpha);
    for (size_t i = 0; i < (size_t)w * h; i++)
        memcpy(im.rgba + 4 * i, rgba, 4);
    return im;
}

/* Alpha 0 everywhere, colour noise underneath: lossless keeps the colours of invisible pixels. */
static struct img gen_transparent(unsigned w, unsigned h)
{
    struct img im = gen_noise(w, h, 1, 99);
    for (size_t i = 0; i < (size_t)w * h; i++)
        im.rgba[4 * i + 3] = 0;
    return im;
}

/* Red and alpha constant, green a gradient, blue noise. */
static struct img gen_constant_channels(unsigned w, unsigned h)
{
    struct img im = img_new(w, h, 1);
    uint32_t s = 7;
    for (unsigned y = 0; y < h; y++)
        for (unsigned x = 0; x < w; x++) {
            uint8_t *p = px_at(&im, x, y);
            p[0] = 77;
            p[1] = (uint8_t)((x + 2 * y) & 255);
            p[2] = (uint8_t)lcg(&s);
            p[3] = 200;
        }
    return im;
}

/* Noise rows, each the row above shifted by a few pixels with an occasional fresh pixel: repeats at
 * many distances, for the LZ77 search and both kinds of distance code. */
static struct img gen_shifted_rows(unsigned w, unsigned h)
{
    struct img im = img_new(w, h, 1);
    uint32_t s = 11;
    for (unsigned x = 0; x < w; x++)
        for (int c = 0; c < 4; c++)
            px_at(&im, x, 0)[c] = (uint8_t)lcg(&s);
    for (unsigned y = 1; y < h; y++) {
        unsigned shift = lcg(&s) % 9;
        for (unsigned x = 0; x < w; x++) {
            uint8_t *p = px_at(&im, x, y);
            if (lcg(&s) % 61 == 0)
                for (int c = 0; c < 4; c++)
                    p[c] = (uint8_t)lcg(&s);
            else
                memcpy(p, px_at(&im, (x + shift) % w, y - 1), 4);
        }
    }
    return im;
}

/* Random picks from four colours: many short matches. */
static struct img gen_palette_noise(unsigned w, unsigned h, int has_alpha)
{
    static const uint8_t pal[4][4] = {{255, 0, 0, 255}, {0, 128, 255, 128}, {12, 34, 56, 0}, {255, 255, 255, 255}};
    struct img im = img_new(w, h, has_alpha);
    uint32_t s = 3;
    for (size_t i = 0; i < (size_t)w * h; i++)
        memcpy(im.rgba + 4 * i, pal[lcg(&s) & 3], 4);
    return im;
}

/* A thin image: a gradient with noise in blue and alpha. */
static struct img gen_line(unsigned w, unsigned h, int has_alpha)
{
    struct img im = img_new(w, h, has_alpha);
    uint32_t s = 17;
    for (size_t i = 0; i < (size_t)w * h; i++) {
        uint8_t *p = im.rgba + 4 * i;
        p[0] = (uint8_t)(i / 64);
        p[1] = (uint8_t)(i * 3 / 128);
        p[2] = (uint8_t)lcg(&s);
        p[3] = has_alpha ? (uint8_t)(lcg(&s) | 0x80) : 255;
    }
    return im;
}

/* One row (so every pixel is predicted from its left neighbour) whose green differences follow
 * Fibonacci counts over 19 values, shuffled, under random red, blue and alpha: the unlimited
 * Huffman code for green would be 18 bits deep, so this exercises the 15-bit length limit. */
static struct img gen_skewed_row(unsigned w)
{
    struct img im = img_new(w, 1, 1);
    uint8_t *diff = malloc(w);
    if (!diff) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    unsigned n = 0, fa = 1, fb = 1;
    for (unsigned k = 0; k < 19 && n < w; k++) {
        for (unsigned i = 0; i < fa && n < w; i++)
            diff[n++] = (uint8_t)(k * 37 + 1);
        unsigned next = fa + fb;
        fa = fb;
        fb = next;
    }
    while (n < w)
        diff[n++] = (uint8_t)(18 * 37 + 1); /* the commonest value takes the rest */
    uint32_t s = 23;
    for (unsigned i = w - 1; i > 0; i--) { /* Fisher-Yates */
        unsigned j = (unsigned)(((uint64_t)lcg(&s) << 16 | lcg(&s) << 8 | lcg(&s)) % (i + 1));
        uint8_t t = diff[i];
        diff[i] = diff[j];
        diff[j] = t;
    }
    uint8_t g = 0;
    for (unsigned x = 0; x < w; x++) {
        uint8_t *p = px_at(&im, x, 0);
        g = (uint8_t)(g + diff[x]);
        p[0] = (uint8_t)lcg(&s);
        p[1] = g;
        p[2] = (uint8_t)lcg(&s);
        p[3] = (uint8_t)lcg(&s);
    }
    free(diff);
    return im;
}

/* Encode into memory; on failure the buffer is freed and data is NULL. */
static int encode_to(const struct img *im, struct membuf *out)
{
    struct image_pixels px = {im->rgba, im->w, im->h, im->has_alpha, 4};
    *out = membuf_new();
    int rc = encode_webp(&px, mem_sink, out);
    if (rc != 0) {
        free(out->data);
        out->data = NULL;
    }
    return rc;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The container and VP8L header of f (len bytes) for an image im; 0 if well formed. */
static int check_header(const uint8_t *f, size_t len, const struct img *im, const char *what)
{
    int bad = 0;
#define HDR(cond)                                                                                            \
    do {                                                                                                     \
        if (!(cond)) {                                                                                       \
            fprintf(stderr, "%s:%d: %s: header check failed: %s\n", __FILE__, __LINE__, what, #cond);       \
            bad = 1;                                                                                         \
        }                                                                                                    \
    } while (0)
    HDR(len >= 25);
    if (len < 25)
        return -1;
    HDR(memcmp(f, "RIFF", 4) == 0);
    HDR(le32(f + 4) == len - 8);
    HDR(memcmp(f + 8, "WEBPVP8L", 8) == 0);
    uint32_t chunk = le32(f + 16);
    HDR(20 + (size_t)chunk + (chunk & 1) == len);
    HDR(len % 2 == 0);
    if (chunk & 1)
        HDR(f[len - 1] == 0);
    HDR(f[20] == 0x2f);
    uint32_t bits = le32(f + 21);
    HDR((bits & 0x3fff) + 1 == im->w);
    HDR((bits >> 14 & 0x3fff) + 1 == im->h);
    HDR((int)(bits >> 28 & 1) == (im->has_alpha ? 1 : 0));
    HDR((bits >> 29) == 0);
#undef HDR
    return bad ? -1 : 0;
}

/* Read a PAM as dwebp writes it (P7, WIDTH, HEIGHT, DEPTH 4, MAXVAL 255, ENDHDR). Returns the
 * malloc'd RGBA pixels, or NULL. */
static uint8_t *read_pam(const char *path, unsigned *w, unsigned *h)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char line[128];
    unsigned depth = 0, maxval = 0;
    *w = *h = 0;
    if (!fgets(line, sizeof line, f) || strcmp(line, "P7\n") != 0) {
        fclose(f);
        return NULL;
    }
    while (fgets(line, sizeof line, f) && strcmp(line, "ENDHDR\n") != 0) {
        sscanf(line, "WIDTH %u", w);
        sscanf(line, "HEIGHT %u", h);
        sscanf(line, "DEPTH %u", &depth);
        sscanf(line, "MAXVAL %u", &maxval);
    }
    uint8_t *px = NULL;
    size_t n = (size_t)*w * *h * 4;
    if (depth == 4 && maxval == 255 && n > 0 && (px = malloc(n)) != NULL && fread(px, 1, n, f) != n) {
        free(px);
        px = NULL;
    }
    fclose(f);
    return px;
}

/* Encode im, check the header, decode with dwebp and compare every pixel. Frees im. */
static void roundtrip(struct img im, const char *name)
{
    struct membuf out;
    int rc = encode_to(&im, &out);
    if (rc != 0) {
        fprintf(stderr, "%s: encode_webp returned %d\n", name, rc);
        unit_failures_in_test++;
        free(im.rgba);
        return;
    }
    if (check_header(out.data, out.len, &im, name) != 0)
        unit_failures_in_test++;
    CHECK(out.empty_pieces == 0);
    CHECK(out.max_piece <= (1u << 20));

    char webp[512], pam[512], cmd[1200];
    snprintf(webp, sizeof webp, "%s/%s.webp", tmpdir, name);
    snprintf(pam, sizeof pam, "%s/%s.pam", tmpdir, name);
    FILE *f = fopen(webp, "wb");
    CHECK(f != NULL);
    if (f) {
        CHECK(fwrite(out.data, 1, out.len, f) == out.len);
        CHECK(fclose(f) == 0);
    }
    snprintf(cmd, sizeof cmd, "dwebp -quiet -pam '%s' -o '%s'", webp, pam);
    int st = system(cmd);
    if (st != 0) {
        fprintf(stderr, "%s: dwebp failed (status %d) on %s\n", name, st, webp);
        unit_failures_in_test++;
    } else {
        unsigned w, h;
        uint8_t *dec = read_pam(pam, &w, &h);
        if (!dec || w != im.w || h != im.h) {
            fprintf(stderr, "%s: unreadable PAM from dwebp, or %ux%u instead of %ux%u\n", name, w, h, im.w, im.h);
            unit_failures_in_test++;
        } else {
            size_t n = (size_t)w * h, bad = 0;
            for (size_t i = 0; i < n; i++) {
                uint8_t want[4];
                memcpy(want, im.rgba + 4 * i, 4);
                if (!im.has_alpha)
                    want[3] = 255;
                if (memcmp(dec + 4 * i, want, 4) != 0 && bad++ < 3)
                    fprintf(stderr, "%s: pixel (%zu,%zu) decodes as %u,%u,%u,%u, want %u,%u,%u,%u\n", name, i % w,
                            i / w, dec[4 * i], dec[4 * i + 1], dec[4 * i + 2], dec[4 * i + 3], want[0], want[1],
                            want[2], want[3]);
            }
            if (bad) {
                fprintf(stderr, "%s: %zu of %zu pixels differ (file kept: %s)\n", name, bad, n, webp);
                unit_failures_in_test++;
            }
        }
        free(dec);
    }
    if (unit_failures_in_test == 0)
        remove(webp);
    remove(pam);
    free(out.data);
    free(im.rgba);
}

/* ---- tests that decode ----------------------------------------------------------------------- */

static void test_gradients(void)
{
    REQUIRE_DWEBP();
    roundtrip(gen_gradient(512, 384, 0), "gradient_opaque");
    roundtrip(gen_gradient(512, 384, 1), "gradient_alpha");
    roundtrip(gen_gradient(97, 61, 1), "gradient_odd_size");
}

static void test_noise(void)
{
    REQUIRE_DWEBP();
    roundtrip(gen_noise(257, 131, 1, 1), "noise_alpha");
    roundtrip(gen_noise(131, 257, 0, 2), "noise_opaque_garbage_alpha"); /* alpha bytes random, must read 255 */
}

static void test_checkerboards(void)
{
    REQUIRE_DWEBP();
    roundtrip(gen_checker(200, 120, 8, 0), "checker8");
    roundtrip(gen_checker(63, 47, 1, 1), "checker1_alpha");
}

static void test_tiny_and_thin(void)
{
    REQUIRE_DWEBP();
    const uint8_t c[4] = {12, 200, 99, 130};
    roundtrip(gen_solid(1, 1, 0, c), "1x1_opaque");
    roundtrip(gen_solid(1, 1, 1, c), "1x1_alpha");
    roundtrip(gen_noise(3, 5, 1, 3), "3x5_noise");
    roundtrip(gen_noise(2, 2, 0, 4), "2x2_noise");
    roundtrip(gen_line(1, 300, 1), "1x300");
    roundtrip(gen_line(300, 1, 0), "300x1");
    roundtrip(gen_line(16383, 1, 1), "16383x1");
    roundtrip(gen_line(1, 16383, 0), "1x16383");
    roundtrip(gen_line(16383, 2, 1), "16383x2");
}

static void test_constant_planes(void)
{
    REQUIRE_DWEBP();
    const uint8_t grey[4] = {128, 128, 128, 255}, clear[4] = {0, 0, 0, 0};
    roundtrip(gen_solid(300, 300, 0, grey), "solid_opaque"); /* runs far beyond the 4096 copy limit */
    roundtrip(gen_solid(70, 50, 1, clear), "solid_clear");
    roundtrip(gen_transparent(64, 64), "transparent_colours");
    roundtrip(gen_constant_channels(150, 100), "constant_red_and_alpha");
    struct img opaque_flagged = gen_gradient(120, 80, 1); /* has_alpha 1 with every alpha 255 */
    for (size_t i = 0; i < (size_t)120 * 80; i++)
        opaque_flagged.rgba[4 * i + 3] = 255;
    roundtrip(opaque_flagged, "alpha_flag_all_opaque");
}

static void test_repeats(void)
{
    REQUIRE_DWEBP();
    roundtrip(gen_shifted_rows(400, 300), "shifted_rows");
    roundtrip(gen_palette_noise(333, 222, 1), "palette_noise_alpha");
    roundtrip(gen_palette_noise(5, 400, 0), "palette_noise_narrow");
}

static void test_length_limit(void)
{
    REQUIRE_DWEBP();
    roundtrip(gen_skewed_row(16383), "skewed_green_16383x1");
}

/* ---- tests that need no decoder -------------------------------------------------------------- */

static void test_deterministic(void)
{
    struct img im[2] = {gen_gradient(300, 200, 1), gen_shifted_rows(200, 100)};
    for (int k = 0; k < 2; k++) {
        struct membuf a, b;
        CHECK_INT(encode_to(&im[k], &a), 0);
        CHECK_INT(encode_to(&im[k], &b), 0);
        CHECK(a.data && b.data && a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
        free(a.data);
        free(b.data);
        free(im[k].rgba);
    }
    /* without alpha, the alpha bytes do not matter */
    struct img x = gen_noise(64, 48, 0, 9), y = gen_noise(64, 48, 0, 9);
    for (size_t i = 0; i < (size_t)64 * 48; i++)
        y.rgba[4 * i + 3] = 255;
    struct membuf a, b;
    CHECK_INT(encode_to(&x, &a), 0);
    CHECK_INT(encode_to(&y, &b), 0);
    CHECK(a.data && b.data && a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
    free(a.data);
    free(b.data);
    free(x.rgba);
    free(y.rgba);
}

static void test_sink_abort(void)
{
    struct img im = gen_noise(300, 300, 1, 8); /* ~360 KB: several pieces */
    struct image_pixels px = {im.rgba, im.w, im.h, im.has_alpha, 4};
    struct membuf ok = membuf_new();
    CHECK_INT(encode_webp(&px, mem_sink, &ok), 0);
    CHECK(ok.calls >= 3);
    const int fail_at[] = {0, 1, ok.calls - 1};
    for (int k = 0; k < 3; k++) {
        struct membuf b = membuf_new();
        b.fail_at = fail_at[k];
        CHECK_INT(encode_webp(&px, mem_sink, &b), -1);
        CHECK_INT(b.calls, fail_at[k] + 1); /* nothing more after the sink said stop */
        free(b.data);
    }
    free(ok.data);
    free(im.rgba);
}

static void test_invalid_sizes(void)
{
    uint8_t pixel[4] = {1, 2, 3, 4};
    const unsigned sizes[][2] = {{0, 1}, {1, 0}, {16385, 1}, {1, 16385}};
    for (int k = 0; k < 4; k++) {
        struct image_pixels px = {pixel, sizes[k][0], sizes[k][1], 1, 4};
        struct membuf b = membuf_new();
        CHECK_INT(encode_webp(&px, mem_sink, &b), -1);
        CHECK_INT(b.calls, 0);
    }
}

/* ---- main ------------------------------------------------------------------------------------ */

int main(void)
{
    static const struct unit_test tests[] = {
        UNIT_TEST(test_gradients),     UNIT_TEST(test_noise),         UNIT_TEST(test_checkerboards),
        UNIT_TEST(test_tiny_and_thin), UNIT_TEST(test_constant_planes), UNIT_TEST(test_repeats),
        UNIT_TEST(test_length_limit),
        UNIT_TEST(test_deterministic), UNIT_TEST(test_sink_abort),    UNIT_TEST(test_invalid_sizes),
    };
    have_dwebp = system("command -v dwebp >/dev/null 2>&1") == 0;
    if (!have_dwebp)
        printf("dwebp not found (Debian package webp): the decoding tests are skipped\n");

    const char *base = getenv("TMPDIR");
    if (!base || !*base || strchr(base, '\'') || strlen(base) > 200)
        base = "/tmp";
    snprintf(tmpdir, sizeof tmpdir, "%s/test_encode_webp.XXXXXX", base);
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }

    int passed = 0, failed = 0, skipped = 0;
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
        unit_failures_in_test = 0;
        skipped_in_test = 0;
        tests[i].run();
        const char *status = unit_failures_in_test ? "FAIL" : skipped_in_test ? "skip" : "ok  ";
        printf("%s %s\n", status, tests[i].name);
        if (unit_failures_in_test)
            failed++;
        else if (skipped_in_test)
            skipped++;
        else
            passed++;
    }
    if (!failed)
        rmdir(tmpdir); /* on failure the undecodable files stay for a look */
    else
        printf("files of failed cases are in %s\n", tmpdir);
    printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
    return failed ? 1 : 0;
}
