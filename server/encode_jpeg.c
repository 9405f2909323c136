/* encode_jpeg.c — JPEG through stb_image_write (compiled in encode_png.c), quality 1..100.
 * JPEG has no alpha: stb reads the first three channels of each RGBA or RGB pixel. */
#include <stb/stb_image_write.h>

#include "encode.h"
#include "encode_stb.h"

int encode_jpeg(const struct image_pixels *px, int quality, encode_sink *sink, void *ctx)
{
    struct stb_bridge bridge = {sink, ctx, 0};
    int ok = stbi_write_jpg_to_func(encode_stb_forward, &bridge, (int)px->width, (int)px->height,
                                    (int)px->channels, px->rgba,
                                    quality);
    return ok && !bridge.failed ? 0 : -1;
}
