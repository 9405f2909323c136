/* encode.c — the format table and dispatch shared by the per-format encoders. */
#include "encode.h"

#include <stdlib.h>
#include <string.h>

/* One row per format: its API name and MIME type. */
static const struct {
    const char *name;
    const char *mime;
} formats[] = {
    [IMAGE_PNG] = {"png", "image/png"},
    [IMAGE_JPEG] = {"jpeg", "image/jpeg"},
    [IMAGE_WEBP] = {"webp", "image/webp"},
};

int encode_buffer_sink(void *buffer, const void *data, size_t len)
{
    struct encode_buffer *b = buffer;
    if (b->len + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 65536;
        while (cap < b->len + len + 1)
            cap *= 2;
        uint8_t *p = realloc(b->data, cap);
        if (!p)
            return -1;
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

int encode_format_from_name(const char *name)
{
    for (size_t i = 0; i < sizeof formats / sizeof *formats; i++)
        if (!strcmp(formats[i].name, name))
            return (int)i;
    return -1;
}

const char *encode_format_name(enum image_format format)
{
    return formats[format].name;
}

const char *encode_mime_type(enum image_format format)
{
    return formats[format].mime;
}

int encode_image(enum image_format format, const struct image_pixels *px, int quality, encode_sink *sink, void *ctx)
{
    if (px->channels != 4 && (px->channels != 3 || px->has_alpha))
        return -1;
    switch (format) {
    case IMAGE_PNG:
        return encode_png(px, sink, ctx);
    case IMAGE_JPEG:
        return encode_jpeg(px, quality < 1 ? 1 : quality, sink, ctx);
    case IMAGE_WEBP:
        return encode_webp(px, sink, ctx);
    }
    return -1;
}
