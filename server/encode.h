/* encode — pixels in, image file bytes out: one module per format behind this interface.
 *
 * Every encoder takes the same struct image_pixels and writes its file through a caller's sink
 * (the shape of stb_image_write's *_to_func), so the caller decides where bytes go (a buffer, a
 * socket, a cache).
 *
 *   encode_png.c   stb_image_write, with libdeflate as its compressor
 *   encode_jpeg.c  stb_image_write, quality 1..100
 *   encode_webp.c  a small built-in lossless (VP8L) encoder; no WebP library
 *
 * Encoders are deterministic: the same pixels give the same bytes, on every machine.
 */
#ifndef IMGMOCK_ENCODE_H
#define IMGMOCK_ENCODE_H

#include <stddef.h>
#include <stdint.h>

/* An image in memory: 8-bit RGBA, or RGB for an opaque image, rows top to bottom, no padding
 * (stride = width * channels). */
struct image_pixels {
    const uint8_t *rgba;   /* width * height * channels bytes */
    unsigned width;        /* 1..16383 */
    unsigned height;       /* 1..16383 */
    int has_alpha;         /* 0: every alpha is 255, encode without an alpha channel */
    int channels;          /* 4 (RGBA) or 3 (RGB, only with has_alpha 0; the same file as the RGBA
                              image would give). images.c paints opaque images as RGB, which
                              spares the PNG writer a copy: 3 MB of a 1024x1024 image's peak. */
};

/* Where encoded bytes go. Called any number of times with consecutive pieces of the file;
 * returns 0 to go on, -1 to abort the encoding (which then returns -1). */
typedef int encode_sink(void *ctx, const void *data, size_t len);

/* A sink that collects everything in memory: start it zeroed; `data` is malloc'd (the caller
 * frees it) and always NUL-terminated after `len` bytes, so text can be read from it too. */
struct encode_buffer {
    uint8_t *data; /* the bytes so far */
    size_t len;    /* how many */
    size_t cap;    /* allocated */
};
int encode_buffer_sink(void *buffer, const void *data, size_t len);

enum image_format { IMAGE_PNG, IMAGE_JPEG, IMAGE_WEBP };

/* Encode `px` as `format` into `sink`. `quality` (0..100) matters to JPEG only, where 0 is taken
 * as 1. Returns 0, or -1 if the sink aborted, memory ran out, or `px` breaks its own rules. */
int encode_image(enum image_format format, const struct image_pixels *px, int quality, encode_sink *sink,
                 void *ctx);

/* The format named "png", "jpeg" or "webp"; -1 for anything else. */
int encode_format_from_name(const char *name);

/* "png", "jpeg", "webp": the API's name of a format. */
const char *encode_format_name(enum image_format format);

/* "image/png", "image/jpeg", "image/webp". */
const char *encode_mime_type(enum image_format format);

/* The per-format encoders encode_image() dispatches to. */
int encode_png(const struct image_pixels *px, encode_sink *sink, void *ctx);
int encode_jpeg(const struct image_pixels *px, int quality, encode_sink *sink, void *ctx);
int encode_webp(const struct image_pixels *px, encode_sink *sink, void *ctx);

/* Process-wide encoder settings (stb_image_write keeps them in globals): call once at startup,
 * before any thread encodes. */
void encode_init(void);

#endif
