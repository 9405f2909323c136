/* fuzz_encode.c — every encoder over any pixels, any size up to 256x256, with or without alpha.
 *
 * The encoders see only images imgmock painted itself, but of any size the API allows and in
 * every format, quality and alpha combination; the built-in WebP encoder in particular is ours
 * from the bit writer up, and its LZ77, predictor and prefix-code paths depend on the pixels.
 * The input gives, in order: the format, a flags byte, the width and height (1..256 each), the
 * JPEG quality (0..100), where a failing sink gives up, a synth seed and shape count; the rest
 * of the bytes are the pixels, repeated to fill the image (or, with a flag, synth_render()
 * paints it from the seed, which fuzzes the painter too).
 *
 * Checked: encoding succeeds with non-empty output that starts as its format must (and, for
 * WebP, carries the RIFF and VP8L sizes it claims); small images encode to the same bytes twice
 * (nothing read uninitialised); and a sink that fails part-way makes the encoder fail cleanly,
 * freeing everything (LeakSanitizer checks that). Where a decoder is at hand the file is also
 * read back: PNG and JPEG by stb_image (Debian's libstb-dev, as stb_image_write is), PNG pixel
 * for pixel; WebP, being lossless, pixel for pixel by libwebp when its shared library is
 * installed (Debian's `webp` package brings it; it is loaded at run time, so the build needs no
 * libwebp-dev, and without it this one check is skipped with a note).
 */
#include <dlfcn.h>
#include <string.h>

#include "encode.h"
#include "fuzz.h"
#include "synth.h"

/* The decoder for the read-back checks, compiled here; only what PNG and JPEG need. Debian's
 * header, not ours: its own warnings stay quiet (and shifts unchecked, see CMakeLists.txt). */
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_NO_STDIO
#define STB_IMAGE_IMPLEMENTATION
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-function"
#include <stb/stb_image.h>
#pragma GCC diagnostic pop

/* libwebp's decoder, looked up at run time (see above). */
static uint8_t *(*webp_decode_rgba)(const uint8_t *data, size_t size, int *width, int *height);
static void (*webp_free)(void *ptr);

enum {
    EDGE_MAX = 256,        /* keep runs fast: a 256x256 WebP is a few milliseconds */
    REPEAT_PIXELS = 4096,  /* images up to this many pixels are encoded twice and compared */
    FLAG_ALPHA = 1,
    FLAG_SYNTH = 2,
    FLAG_FAILING_SINK = 4,
    FLAG_TRANSPARENT = 8,  /* synth: the transparent background of background "transparent" */
};

/* A sink that takes `budget` bytes, then refuses. */
struct failing_sink {
    size_t budget, taken;
    int refused;
};

static int failing_sink_write(void *ctx, const void *data, size_t len)
{
    struct failing_sink *s = ctx;
    (void)data;
    if (s->taken + len > s->budget) {
        s->refused = 1;
        return -1;
    }
    s->taken += len;
    return 0;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Decoded RGBA `got` (w x h) against the encoded pixels: exactly, alpha included where the
 * image has it, 255 where it does not. */
static void check_pixels(const struct image_pixels *px, const uint8_t *got, int w, int h)
{
    FUZZ_CHECK(got && (unsigned)w == px->width && (unsigned)h == px->height);
    size_t count = (size_t)px->width * px->height;
    for (size_t i = 0; i < count; i++) {
        const uint8_t *a = px->rgba + i * 4, *b = got + i * 4;
        if (a[0] != b[0] || a[1] != b[1] || a[2] != b[2] || (px->has_alpha ? a[3] : 255) != b[3]) {
            fprintf(stderr, "pixel %zu (x %zu, y %zu): encoded %02x%02x%02x%02x, decoded %02x%02x%02x%02x\n", i,
                    i % px->width, i / px->width, a[0], a[1], a[2], px->has_alpha ? a[3] : 255, b[0], b[1], b[2],
                    b[3]);
            FUZZ_CHECK(!"decoded pixels differ");
        }
    }
}

static void check_decodes(enum image_format format, const struct image_pixels *px, const struct encode_buffer *b)
{
    int w = 0, h = 0, channels = 0;
    if (format == IMAGE_WEBP) {
        if (!webp_decode_rgba)
            return;
        uint8_t *got = webp_decode_rgba(b->data, b->len, &w, &h);
        if (!got)
            fprintf(stderr, "libwebp refused the file\n");
        check_pixels(px, got, w, h);
        webp_free(got);
        return;
    }
    uint8_t *got = stbi_load_from_memory(b->data, (int)b->len, &w, &h, &channels, 4);
    if (!got)
        fprintf(stderr, "stb_image refused the file: %s\n", stbi_failure_reason());
    FUZZ_CHECK(got && (unsigned)w == px->width && (unsigned)h == px->height);
    if (format == IMAGE_PNG) {
        FUZZ_CHECK(channels == (px->has_alpha ? 4 : 3));
        check_pixels(px, got, w, h);
    }
    stbi_image_free(got);
}

static void check_output(enum image_format format, const struct image_pixels *px, const struct encode_buffer *b)
{
    FUZZ_CHECK(b->len > 0 && b->data);
    switch (format) {
    case IMAGE_PNG:
        FUZZ_CHECK(b->len > 8 && !memcmp(b->data, "\x89PNG\r\n\x1a\n", 8));
        break;
    case IMAGE_JPEG:
        FUZZ_CHECK(b->len > 4 && b->data[0] == 0xFF && b->data[1] == 0xD8 && b->data[b->len - 2] == 0xFF &&
                   b->data[b->len - 1] == 0xD9);
        break;
    case IMAGE_WEBP: {
        FUZZ_CHECK(b->len >= 25 && !memcmp(b->data, "RIFF", 4) && !memcmp(b->data + 8, "WEBPVP8L", 8));
        FUZZ_CHECK(le32(b->data + 4) == b->len - 8 && b->len % 2 == 0);
        uint32_t chunk = le32(b->data + 16);
        FUZZ_CHECK(chunk + 20 == b->len || chunk + 21 == b->len); /* odd chunks get a pad byte */
        FUZZ_CHECK(b->data[20] == 0x2f);
        uint32_t bits = le32(b->data + 21);
        FUZZ_CHECK((bits & 0x3fff) + 1 == px->width && (bits >> 14 & 0x3fff) + 1 == px->height);
        FUZZ_CHECK((bits >> 28 & 1) == (uint32_t)(px->has_alpha ? 1 : 0) && (bits >> 29) == 0);
        break;
    }
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

/* stb_image_write's settings are process-wide: set once, as main() does. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    encode_init();
    void *lib = dlopen("libwebp.so.7", RTLD_NOW | RTLD_LOCAL);
    if (lib) {
        *(void **)&webp_decode_rgba = dlsym(lib, "WebPDecodeRGBA");
        *(void **)&webp_free = dlsym(lib, "WebPFree");
    }
    if (!webp_decode_rgba || !webp_free) {
        webp_decode_rgba = NULL;
        fprintf(stderr, "fuzz_encode: libwebp.so.7 not found: WebP output is not decoded back\n");
    }
    return 0; /* the library stays loaded for the life of the process */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_bytes in = {data, size};
    enum image_format format = (enum image_format)(fuzz_u8(&in) % 3);
    uint8_t flags = fuzz_u8(&in);
    unsigned width = 1 + fuzz_u8(&in) % EDGE_MAX, height = 1 + fuzz_u8(&in) % EDGE_MAX;
    int quality = fuzz_u8(&in) % 101;
    size_t budget = fuzz_u64(&in, 2);
    uint64_t seed = fuzz_u64(&in, 8);
    unsigned shapes = fuzz_u8(&in) % 9;

    size_t count = (size_t)width * height;
    uint8_t *rgba = malloc(count * 4);
    FUZZ_CHECK(rgba);
    if (flags & FLAG_SYNTH) {
        struct synth_params sp = {.seed = seed, .width = width, .height = height,
                                  .transparent = !!(flags & FLAG_TRANSPARENT),
                                  .shapes_shown = shapes == 8 ? SYNTH_ALL_SHAPES : shapes};
        synth_render(&sp, rgba);
    } else if (in.left == 0) {
        memset(rgba, 0, count * 4);
    } else {
        for (size_t i = 0; i < count * 4; i++)
            rgba[i] = in.p[i % in.left];
    }
    struct image_pixels px = {.rgba = rgba, .width = width, .height = height, .has_alpha = !!(flags & FLAG_ALPHA),
                              .channels = 4};
    if (!px.has_alpha) /* the encoders' contract: without alpha, every alpha byte is 255 */
        for (size_t i = 0; i < count; i++)
            rgba[i * 4 + 3] = 255;

    if (flags & FLAG_FAILING_SINK) {
        struct failing_sink sink = {.budget = budget};
        int rc = encode_image(format, &px, quality, failing_sink_write, &sink);
        FUZZ_CHECK(rc == (sink.refused ? -1 : 0));
    } else {
        struct encode_buffer out = {0};
        FUZZ_CHECK(encode_image(format, &px, quality, encode_buffer_sink, &out) == 0);
        check_output(format, &px, &out);
        check_decodes(format, &px, &out);
        if (count <= REPEAT_PIXELS) {
            struct encode_buffer again = {0};
            FUZZ_CHECK(encode_image(format, &px, quality, encode_buffer_sink, &again) == 0);
            FUZZ_CHECK(again.len == out.len && !memcmp(again.data, out.data, out.len));
            free(again.data);
        }
        if (!px.has_alpha) { /* the same image packed as RGB (what images.c does): the same file */
            uint8_t *rgb = malloc(count * 3);
            FUZZ_CHECK(rgb);
            for (size_t i = 0; i < count; i++)
                memcpy(rgb + i * 3, rgba + i * 4, 3);
            struct image_pixels packed = px;
            packed.rgba = rgb;
            packed.channels = 3;
            struct encode_buffer from_rgb = {0};
            FUZZ_CHECK(encode_image(format, &packed, quality, encode_buffer_sink, &from_rgb) == 0);
            FUZZ_CHECK(from_rgb.len == out.len && !memcmp(from_rgb.data, out.data, out.len));
            free(from_rgb.data);
            free(rgb);
        }
        free(out.data);
    }
    free(rgba);
    return 0;
}
