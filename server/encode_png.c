/* encode_png.c — PNG through stb_image_write, with libdeflate doing the DEFLATE.
 *
 * stb_image_write's own zlib is small and slow; it lets a program plug in another compressor
 * (STBIW_ZLIB_COMPRESS), and libdeflate is among the fastest. This file also holds the one
 * compiled copy of stb_image_write (STB_IMAGE_WRITE_IMPLEMENTATION), which encode_jpeg.c uses too.
 * stb's settings are process-wide globals, set once by encode_init().
 */
#include <libdeflate.h>
#include <stdlib.h>
#include <string.h>

#include "encode.h"
#include "encode_stb.h"

/* PNG filter and DEFLATE level, chosen by measurement (tests/bench/encode_times over six seeds,
 * 1024x1024): stb's adaptive per-row filter choice costs ~31 ms and gives 26-121 KB; no filter at
 * level 6 costs ~11 ms and gives 24-71 KB. Synthesized rows repeat, and DEFLATE's matcher finds
 * that better in raw pixels than in filtered residuals. */
enum { PNG_FILTER_NONE = 0, PNG_DEFLATE_LEVEL = 6 };

/* stb's hook: compress data[0..data_len) to a zlib stream in memory stb frees with free(). */
static unsigned char *deflate_for_stb(unsigned char *data, int data_len, int *out_len, int quality)
{
    (void)quality; /* the level is PNG_DEFLATE_LEVEL, not stb's default of 8 */
    struct libdeflate_compressor *c = libdeflate_alloc_compressor(PNG_DEFLATE_LEVEL);
    if (!c)
        return NULL;
    size_t bound = libdeflate_zlib_compress_bound(c, (size_t)data_len);
    unsigned char *out = malloc(bound);
    size_t n = out ? libdeflate_zlib_compress(c, data, (size_t)data_len, out, bound) : 0;
    libdeflate_free_compressor(c);
    if (!n) {
        free(out);
        return NULL;
    }
    *out_len = (int)n;
    return out;
}

#define STBIW_ZLIB_COMPRESS deflate_for_stb
#define STB_IMAGE_WRITE_IMPLEMENTATION
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#include <stb/stb_image_write.h>
#pragma GCC diagnostic pop

void encode_init(void)
{
    stbi_write_force_png_filter = PNG_FILTER_NONE;
    stbi_flip_vertically_on_write(0);
}

void encode_stb_forward(void *context, void *data, int size)
{
    struct stb_bridge *b = context;
    if (!b->failed && b->sink(b->ctx, data, (size_t)size) != 0)
        b->failed = 1;
}

int encode_png(const struct image_pixels *px, encode_sink *sink, void *ctx)
{
    struct stb_bridge bridge = {sink, ctx, 0};
    if (px->has_alpha || px->channels == 3) {
        int n = (int)px->channels;
        return stbi_write_png_to_func(encode_stb_forward, &bridge, (int)px->width, (int)px->height, n, px->rgba,
                                      (int)px->width * n) && !bridge.failed ? 0 : -1;
    }
    /* opaque RGBA: write RGB, as the real API's opaque PNGs are */
    size_t count = (size_t)px->width * px->height;
    uint8_t *rgb = malloc(count * 3);
    if (!rgb)
        return -1;
    for (size_t i = 0; i < count; i++)
        memcpy(rgb + i * 3, px->rgba + i * 4, 3);
    int ok = stbi_write_png_to_func(encode_stb_forward, &bridge, (int)px->width, (int)px->height, 3, rgb, (int)px->width * 3);
    free(rgb);
    return ok && !bridge.failed ? 0 : -1;
}
