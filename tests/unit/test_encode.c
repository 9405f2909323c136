/* test_encode.c — pixels to PNG, JPEG and WebP bytes, and base64 for b64_json.
 *
 * Clients decode what imgmock sends, and some check the header (an opaque PNG is RGB, colour
 * type 2, as the real API's are; a transparent one is RGBA, type 6). So PNGs are decoded here
 * completely: every chunk's CRC checked, the zlib stream inflated with libdeflate, the row
 * filters undone, and the pixels compared with the input. JPEG and WebP are checked for their
 * structure (markers, RIFF sizes, the dimensions in the headers). Every encoder must be
 * byte-for-byte deterministic and must give up with -1 as soon as its sink refuses.
 * base64_encode() is checked against RFC 4648's vectors and against base64_decode().
 */
#include "encode.h"

#include <libdeflate.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "unit.h"

/* ---- helpers ------------------------------------------------------------------------------- */

/* A sink that keeps the bytes, counts calls, and refuses call `fail_at` (1-based; 0: never) and
 * every call after it. */
struct sink {
    uint8_t *data;
    size_t len;
    size_t calls;
    size_t fail_at;
};

static int sink_write(void *ctx, const void *data, size_t len)
{
    struct sink *s = ctx;
    s->calls++;
    if (s->fail_at && s->calls >= s->fail_at)
        return -1;
    uint8_t *p = realloc(s->data, s->len + len + 1);
    if (!p)
        return -1;
    memcpy(p + s->len, data, len);
    s->data = p;
    s->len += len;
    return 0;
}

static void sink_free(struct sink *s)
{
    free(s->data);
    memset(s, 0, sizeof *s);
}

/* A test picture: gradients, a checkerboard and some noise, so every filter and code path has
 * something to do; alpha varies when `alpha` is set, else it is 255. malloc'd, exactly w*h*4. */
static uint8_t *picture(unsigned w, unsigned h, int alpha, uint32_t salt)
{
    uint8_t *p = malloc((size_t)w * h * 4);
    if (!p)
        return NULL;
    uint32_t r = 0x9e3779b9u ^ salt;
    for (unsigned y = 0; y < h; y++)
        for (unsigned x = 0; x < w; x++) {
            uint8_t *px = p + ((size_t)y * w + x) * 4;
            r = r * 1664525u + 1013904223u;
            px[0] = (uint8_t)(x * 255 / (w > 1 ? w - 1 : 1));
            px[1] = (uint8_t)(y * 255 / (h > 1 ? h - 1 : 1));
            px[2] = (uint8_t)((((x >> 3) ^ (y >> 3)) & 1) ? 200 : 40) ^ (uint8_t)((r >> 24) & 7);
            px[3] = alpha ? (uint8_t)((x + y * 3) * 7 + (r >> 28)) : 255;
        }
    return p;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t le32(const uint8_t *p)
{
    return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int encode_to(enum image_format f, const uint8_t *rgba, unsigned w, unsigned h, int has_alpha, int quality,
                     struct sink *s)
{
    struct image_pixels px = {rgba, w, h, has_alpha, 4};
    memset(s, 0, sizeof *s);
    encode_init(); /* what the server does once at startup; idempotent */
    return encode_image(f, &px, quality, sink_write, s);
}

/* ---- a complete PNG decoder (8-bit RGB/RGBA, non-interlaced) --------------------------------- */

struct png_info {
    unsigned width, height;
    int bit_depth, color_type, interlace;
    uint8_t *pixels; /* width * height * channels, unfiltered (malloc'd) */
    int channels;
};

static int paeth(int a, int b, int c)
{
    int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
    return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/* Decode `d`, checking the signature, every CRC, IHDR first, IEND last. Returns an error text,
 * or NULL with `out` filled. */
static const char *png_decode(const uint8_t *d, size_t n, struct png_info *out)
{
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    memset(out, 0, sizeof *out);
    if (n < 8 || memcmp(d, sig, 8))
        return "bad signature";
    uint8_t *idat = NULL;
    size_t idat_len = 0, at = 8;
    int chunks = 0, ended = 0;
    const char *err = NULL;
    while (!err && at + 12 <= n && !ended) {
        uint32_t len = be32(d + at);
        if (len > n - at - 12) {
            err = "chunk overruns the file";
            break;
        }
        const uint8_t *type = d + at + 4, *data = d + at + 8;
        if ((uint32_t)libdeflate_crc32(0, type, len + 4) != be32(data + len)) {
            err = "bad CRC";
            break;
        }
        if (chunks == 0 && memcmp(type, "IHDR", 4))
            err = "IHDR is not first";
        else if (!memcmp(type, "IHDR", 4)) {
            if (len != 13)
                err = "IHDR length";
            else {
                out->width = be32(data);
                out->height = be32(data + 4);
                out->bit_depth = data[8];
                out->color_type = data[9];
                out->interlace = data[12];
                if (data[10] || data[11])
                    err = "compression or filter method";
            }
        } else if (!memcmp(type, "IDAT", 4)) {
            uint8_t *p = realloc(idat, idat_len + len + 1);
            if (!p)
                err = "out of memory";
            else {
                idat = p;
                memcpy(idat + idat_len, data, len);
                idat_len += len;
            }
        } else if (!memcmp(type, "IEND", 4))
            ended = 1;
        chunks++;
        at += 12 + (size_t)len;
    }
    if (!err && (!ended || at != n))
        err = "IEND missing or not last";
    if (!err && (out->bit_depth != 8 || out->interlace != 0 || (out->color_type != 2 && out->color_type != 6)))
        err = "unexpected IHDR fields";
    if (!err && !idat_len)
        err = "no IDAT";
    if (err) {
        free(idat);
        return err;
    }
    int ch = out->color_type == 6 ? 4 : 3;
    size_t stride = (size_t)out->width * ch, raw_len = (stride + 1) * out->height;
    uint8_t *raw = malloc(raw_len + 1);
    struct libdeflate_decompressor *dec = libdeflate_alloc_decompressor();
    size_t actual = 0;
    if (!raw || !dec)
        err = "out of memory";
    else if (libdeflate_zlib_decompress(dec, idat, idat_len, raw, raw_len, &actual) != LIBDEFLATE_SUCCESS ||
             actual != raw_len)
        err = "zlib stream does not inflate to the image's size";
    libdeflate_free_decompressor(dec);
    free(idat);
    uint8_t *pix = err ? NULL : malloc(stride * out->height + 1);
    if (!err && !pix)
        err = "out of memory";
    for (unsigned y = 0; !err && y < out->height; y++) {
        const uint8_t *row = raw + y * (stride + 1) + 1;
        uint8_t *cur = pix + y * stride, *prev = y ? pix + (y - 1) * stride : NULL;
        int filter = row[-1];
        for (size_t i = 0; i < stride; i++) {
            int a = i >= (size_t)ch ? cur[i - ch] : 0, b = prev ? prev[i] : 0;
            int c = prev && i >= (size_t)ch ? prev[i - ch] : 0;
            switch (filter) {
            case 0: cur[i] = row[i]; break;
            case 1: cur[i] = (uint8_t)(row[i] + a); break;
            case 2: cur[i] = (uint8_t)(row[i] + b); break;
            case 3: cur[i] = (uint8_t)(row[i] + (a + b) / 2); break;
            case 4: cur[i] = (uint8_t)(row[i] + paeth(a, b, c)); break;
            default: err = "bad filter type"; break;
            }
        }
    }
    free(raw);
    if (err) {
        free(pix);
        return err;
    }
    out->pixels = pix;
    out->channels = ch;
    return NULL;
}

/* Encode `rgba` as PNG and decode it back: the header and every pixel must match. */
static void check_png_round_trip(unsigned w, unsigned h, int has_alpha, int line)
{
    uint8_t *rgba = picture(w, h, has_alpha, w * 31 + h);
    if (!rgba) {
        unit_failures_in_test++;
        return;
    }
    struct sink s;
    int rc = encode_to(IMAGE_PNG, rgba, w, h, has_alpha, 100, &s);
    struct png_info info;
    const char *err = rc ? "encode_image failed" : png_decode(s.data, s.len, &info);
    if (err) {
        fprintf(stderr, "%s:%d: PNG %ux%u alpha %d: %s\n", __FILE__, line, w, h, has_alpha, err);
        unit_failures_in_test++;
    } else {
        int want_type = has_alpha ? 6 : 2; /* opaque: RGB, as the real API's opaque PNGs are */
        if (info.width != w || info.height != h || info.color_type != want_type) {
            fprintf(stderr, "%s:%d: PNG header says %ux%u colour type %d, want %ux%u type %d\n", __FILE__, line,
                    info.width, info.height, info.color_type, w, h, want_type);
            unit_failures_in_test++;
        } else {
            size_t bad = 0;
            for (size_t i = 0; i < (size_t)w * h; i++)
                bad += memcmp(info.pixels + i * info.channels, rgba + i * 4, (size_t)info.channels) != 0;
            if (bad) {
                fprintf(stderr, "%s:%d: PNG %ux%u alpha %d: %zu pixels differ after decoding\n", __FILE__, line, w,
                        h, has_alpha, bad);
                unit_failures_in_test++;
            }
        }
        /* IHDR right after the signature, as readers that sniff the header expect */
        CHECK(s.len > 33 && be32(s.data + 8) == 13 && !memcmp(s.data + 12, "IHDR", 4) && be32(s.data + 16) == w &&
              be32(s.data + 20) == h && s.data[25] == want_type);
        free(info.pixels);
    }
    sink_free(&s);
    free(rgba);
}

/* ---- tests --------------------------------------------------------------------------------- */

static void test_png(void)
{
    static const struct {
        unsigned w, h;
    } sizes[] = {{1, 1}, {2, 1}, {1, 2}, {3, 5}, {64, 48}, {257, 3}, {1, 300}, {300, 1}, {123, 77}};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
        for (int alpha = 0; alpha <= 1; alpha++)
            check_png_round_trip(sizes[i].w, sizes[i].h, alpha, __LINE__);
    check_png_round_trip(16383, 1, 0, __LINE__);
    check_png_round_trip(1, 1024, 1, __LINE__);
}

/* An opaque PNG drops the alpha channel whatever it holds. */
static void test_png_opaque_ignores_alpha(void)
{
    uint8_t *a = picture(40, 30, 1, 5), *b = picture(40, 30, 1, 5);
    CHECK(a && b);
    if (!a || !b) {
        free(a);
        free(b);
        return;
    }
    for (size_t i = 0; i < 40 * 30; i++)
        b[i * 4 + 3] = 255;
    struct sink sa, sb;
    CHECK_INT(encode_to(IMAGE_PNG, a, 40, 30, 0, 100, &sa), 0);
    CHECK_INT(encode_to(IMAGE_PNG, b, 40, 30, 0, 100, &sb), 0);
    CHECK(sa.len == sb.len && !memcmp(sa.data, sb.data, sa.len));
    sink_free(&sa);
    sink_free(&sb);
    free(a);
    free(b);
}

/* The frame header's dimensions, from the first SOFn marker; 0 when none is found. */
static int jpeg_dimensions(const uint8_t *d, size_t n, unsigned *w, unsigned *h)
{
    size_t at = 2;
    while (at + 4 <= n && d[at] == 0xFF) {
        uint8_t m = d[at + 1];
        size_t len = (size_t)d[at + 2] << 8 | d[at + 3];
        if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) {
            if (at + 9 > n)
                return 0;
            *h = (unsigned)d[at + 5] << 8 | d[at + 6];
            *w = (unsigned)d[at + 7] << 8 | d[at + 8];
            return 1;
        }
        at += 2 + len;
    }
    return 0;
}

static void test_jpeg(void)
{
    static const struct {
        unsigned w, h;
    } sizes[] = {{1, 1}, {9, 7}, {64, 48}, {300, 1}, {1, 300}, {200, 150}};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        unsigned w = sizes[i].w, h = sizes[i].h;
        uint8_t *rgba = picture(w, h, 0, 7);
        struct sink s;
        CHECK_INT(encode_to(IMAGE_JPEG, rgba, w, h, 0, 90, &s), 0);
        CHECK(s.len > 4 && s.data[0] == 0xFF && s.data[1] == 0xD8); /* SOI */
        CHECK(s.len > 4 && s.data[s.len - 2] == 0xFF && s.data[s.len - 1] == 0xD9); /* EOI */
        unsigned jw = 0, jh = 0;
        CHECK(s.len > 4 && jpeg_dimensions(s.data, s.len, &jw, &jh));
        CHECK_INT(jw, w);
        CHECK_INT(jh, h);
        sink_free(&s);
        free(rgba);
    }
}

static void test_jpeg_quality(void)
{
    uint8_t *rgba = picture(200, 150, 0, 11);
    if (!rgba) {
        unit_failures_in_test++;
        return;
    }
    struct sink q0, q1, q10, q50, q100;
    CHECK_INT(encode_to(IMAGE_JPEG, rgba, 200, 150, 0, 0, &q0), 0);
    CHECK_INT(encode_to(IMAGE_JPEG, rgba, 200, 150, 0, 1, &q1), 0);
    CHECK_INT(encode_to(IMAGE_JPEG, rgba, 200, 150, 0, 10, &q10), 0);
    CHECK_INT(encode_to(IMAGE_JPEG, rgba, 200, 150, 0, 50, &q50), 0);
    CHECK_INT(encode_to(IMAGE_JPEG, rgba, 200, 150, 0, 100, &q100), 0);
    CHECK(q10.len < q50.len);
    CHECK(q50.len < q100.len);
    CHECK(q10.len < q100.len);
    /* quality 0 is taken as 1 */
    CHECK(q0.len == q1.len && !memcmp(q0.data, q1.data, q0.len));
    CHECK(q1.len <= q10.len);
    sink_free(&q0);
    sink_free(&q1);
    sink_free(&q10);
    sink_free(&q50);
    sink_free(&q100);
    free(rgba);
}

/* JPEG has no alpha: the alpha bytes and has_alpha make no difference. */
static void test_jpeg_ignores_alpha(void)
{
    uint8_t *a = picture(48, 32, 1, 3), *b = picture(48, 32, 0, 3);
    CHECK(a && b);
    if (a && b) {
        struct sink sa, sb;
        CHECK_INT(encode_to(IMAGE_JPEG, a, 48, 32, 1, 75, &sa), 0);
        CHECK_INT(encode_to(IMAGE_JPEG, b, 48, 32, 0, 75, &sb), 0);
        CHECK(sa.len == sb.len && !memcmp(sa.data, sb.data, sa.len));
        sink_free(&sa);
        sink_free(&sb);
    }
    free(a);
    free(b);
}

static void test_webp_structure(void)
{
    static const struct {
        unsigned w, h;
    } sizes[] = {{1, 1}, {64, 48}, {300, 1}, {1, 300}, {129, 65}};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
        for (int alpha = 0; alpha <= 1; alpha++) {
            unsigned w = sizes[i].w, h = sizes[i].h;
            uint8_t *rgba = picture(w, h, alpha, 13);
            struct sink s;
            CHECK_INT(encode_to(IMAGE_WEBP, rgba, w, h, alpha, 100, &s), 0);
            int ok = s.len >= 25 && !memcmp(s.data, "RIFF", 4) && le32(s.data + 4) + 8 == s.len &&
                     !memcmp(s.data + 8, "WEBP", 4) && !memcmp(s.data + 12, "VP8L", 4) &&
                     le32(s.data + 16) + 20 + (le32(s.data + 16) & 1) == s.len && s.data[20] == 0x2F;
            if (ok) {
                uint32_t bits = le32(s.data + 21); /* 14 bits width-1, 14 bits height-1, alpha, version */
                ok = (bits & 0x3FFF) + 1 == w && ((bits >> 14) & 0x3FFF) + 1 == h && (bits >> 29) == 0;
                /* the alpha hint may be set only when there is alpha */
                ok = ok && (alpha || !((bits >> 28) & 1));
            }
            if (!ok) {
                fprintf(stderr, "%s:%d: WebP %ux%u alpha %d: bad RIFF/VP8L header (%zu bytes)\n", __FILE__, __LINE__,
                        w, h, alpha, s.len);
                unit_failures_in_test++;
            }
            sink_free(&s);
            free(rgba);
        }
}

static void test_format_names(void)
{
    CHECK_INT(encode_format_from_name("png"), IMAGE_PNG);
    CHECK_INT(encode_format_from_name("jpeg"), IMAGE_JPEG);
    CHECK_INT(encode_format_from_name("webp"), IMAGE_WEBP);
    CHECK_INT(encode_format_from_name("jpg"), -1);
    CHECK_INT(encode_format_from_name("PNG"), -1);
    CHECK_INT(encode_format_from_name("png "), -1);
    CHECK_INT(encode_format_from_name(""), -1);
    CHECK_INT(encode_format_from_name("gif"), -1);
    CHECK_STR(encode_mime_type(IMAGE_PNG), "image/png");
    CHECK_STR(encode_mime_type(IMAGE_JPEG), "image/jpeg");
    CHECK_STR(encode_mime_type(IMAGE_WEBP), "image/webp");
}

/* A sink that refuses makes encode_image() return -1, whichever call it refuses. */
static void test_sink_failure(void)
{
    static const enum image_format formats[] = {IMAGE_PNG, IMAGE_JPEG, IMAGE_WEBP};
    for (size_t f = 0; f < 3; f++)
        for (int alpha = 0; alpha <= 1; alpha++) {
            unsigned w = 300, h = 240; /* big enough for several sink calls where an encoder makes them */
            uint8_t *rgba = picture(w, h, alpha, 17);
            struct sink all;
            CHECK_INT(encode_to(formats[f], rgba, w, h, alpha, 80, &all), 0);
            size_t calls = all.calls;
            CHECK(calls >= 1);
            sink_free(&all);
            /* refuse call k (and all later ones), for up to 40 values of k spread over the calls */
            size_t step = calls > 40 ? calls / 40 : 1;
            for (size_t k = 1; k <= calls; k += step) {
                struct sink s;
                struct image_pixels px = {rgba, w, h, alpha, 4};
                memset(&s, 0, sizeof s);
                s.fail_at = k;
                int rc = encode_image(formats[f], &px, 80, sink_write, &s);
                if (rc != -1) {
                    fprintf(stderr, "%s:%d: format %zu alpha %d: sink refusing call %zu of %zu: returned %d\n",
                            __FILE__, __LINE__, f, alpha, k, calls, rc);
                    unit_failures_in_test++;
                }
                sink_free(&s);
            }
            free(rgba);
        }
}

static void test_deterministic(void)
{
    static const enum image_format formats[] = {IMAGE_PNG, IMAGE_JPEG, IMAGE_WEBP};
    for (size_t f = 0; f < 3; f++)
        for (int alpha = 0; alpha <= 1; alpha++) {
            uint8_t *rgba = picture(150, 100, alpha, 23);
            struct sink a, b;
            CHECK_INT(encode_to(formats[f], rgba, 150, 100, alpha, 85, &a), 0);
            CHECK_INT(encode_to(formats[f], rgba, 150, 100, alpha, 85, &b), 0);
            CHECK(a.len > 0 && a.len == b.len && !memcmp(a.data, b.data, a.len));
            sink_free(&a);
            sink_free(&b);
            free(rgba);
        }
}

/* ---- base64_encode ------------------------------------------------------------------------- */

static void check_b64(const char *in, const char *want, int line)
{
    size_t n = strlen(in);
    char out[64];
    memset(out, '#', sizeof out);
    base64_encode(in, n, out);
    if (BASE64_ENCODED_SIZE(n) != strlen(want) || memcmp(out, want, strlen(want)) ||
        out[strlen(want)] != '#') {
        fprintf(stderr, "%s:%d: base64_encode(\"%s\") = \"%.*s\", want \"%s\"\n", __FILE__, line, in,
                (int)BASE64_ENCODED_SIZE(n), out, want);
        unit_failures_in_test++;
    }
}

#define B64(in, want) check_b64(in, want, __LINE__)

static void test_base64_encode(void)
{
    /* RFC 4648 §10 */
    B64("", "");
    B64("f", "Zg==");
    B64("fo", "Zm8=");
    B64("foo", "Zm9v");
    B64("foob", "Zm9vYg==");
    B64("fooba", "Zm9vYmE=");
    B64("foobar", "Zm9vYmFy");
    /* the last two characters of the alphabet */
    char out[8];
    base64_encode("\xfb\xff\xbf", 3, out);
    CHECK(!memcmp(out, "+/+/", 4));
    base64_encode("\0\0\0", 3, out);
    CHECK(!memcmp(out, "AAAA", 4));
    base64_encode("\xff", 1, out);
    CHECK(!memcmp(out, "/w==", 4));
    CHECK_INT(BASE64_ENCODED_SIZE(0), 0);
    CHECK_INT(BASE64_ENCODED_SIZE(1), 4);
    CHECK_INT(BASE64_ENCODED_SIZE(3), 4);
    CHECK_INT(BASE64_ENCODED_SIZE(4), 8);

    /* every byte value, at every length 0..300: decodes back, and pieces of 3k bytes join */
    uint8_t data[300], back[BASE64_DECODED_MAX(400)];
    char text[400], joined[400];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 167 + 13);
    for (size_t n = 0; n <= sizeof data; n++) {
        base64_encode(data, n, text);
        size_t m = base64_decode(text, BASE64_ENCODED_SIZE(n), back);
        if (m != n || memcmp(back, data, n)) {
            fprintf(stderr, "%s:%d: base64 round trip of %zu bytes gives %zu\n", __FILE__, __LINE__, n, m);
            unit_failures_in_test++;
        }
        size_t cut = n / 3 / 2 * 3; /* a multiple of 3 */
        base64_encode(data, cut, joined);
        base64_encode(data + cut, n - cut, joined + BASE64_ENCODED_SIZE(cut));
        CHECK(!memcmp(joined, text, BASE64_ENCODED_SIZE(n)));
    }
}

/* An opaque image given as packed RGB (channels 3) encodes to exactly the bytes of the same
 * image given as RGBA, in every format: images.c packs opaque images to spare memory, and the
 * golden digests must not notice. Pixel layouts that break the contract are refused. */
static void test_rgb_input_same_bytes(void)
{
    enum { W = 37, H = 23 };
    static uint8_t rgba[W * H * 4], rgb[W * H * 3];
    for (unsigned i = 0; i < W * H; i++) {
        rgba[i * 4] = rgb[i * 3] = (uint8_t)(i * 7);
        rgba[i * 4 + 1] = rgb[i * 3 + 1] = (uint8_t)(i * 13 >> 2);
        rgba[i * 4 + 2] = rgb[i * 3 + 2] = (uint8_t)(255 - i);
        rgba[i * 4 + 3] = 255;
    }
    encode_init();
    for (int f = IMAGE_PNG; f <= IMAGE_WEBP; f++) {
        struct sink a, b;
        memset(&a, 0, sizeof a);
        memset(&b, 0, sizeof b);
        struct image_pixels four = {rgba, W, H, 0, 4}, three = {rgb, W, H, 0, 3};
        CHECK_INT(encode_image((enum image_format)f, &four, 75, sink_write, &a), 0);
        CHECK_INT(encode_image((enum image_format)f, &three, 75, sink_write, &b), 0);
        CHECK(a.len > 0 && a.len == b.len && !memcmp(a.data, b.data, a.len));
        sink_free(&a);
        sink_free(&b);
        struct image_pixels bad[] = {{rgb, W, H, 1, 3}, {rgba, W, H, 0, 0}, {rgba, W, H, 0, 5}};
        for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
            CHECK_INT(encode_image((enum image_format)f, &bad[k], 75, sink_write, &a), -1);
            sink_free(&a);
        }
    }
}

UNIT_MAIN(UNIT_TEST(test_rgb_input_same_bytes), UNIT_TEST(test_png), UNIT_TEST(test_png_opaque_ignores_alpha), UNIT_TEST(test_jpeg),
          UNIT_TEST(test_jpeg_quality), UNIT_TEST(test_jpeg_ignores_alpha), UNIT_TEST(test_webp_structure),
          UNIT_TEST(test_format_names), UNIT_TEST(test_sink_failure), UNIT_TEST(test_deterministic),
          UNIT_TEST(test_base64_encode))
