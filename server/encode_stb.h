/* encode_stb.h — private to encode_png.c and encode_jpeg.c: the bridge from stb_image_write's
 * callback to an encode_sink. stb_image_write itself is compiled once, in encode_png.c. */
#ifndef IMGMOCK_ENCODE_STB_H
#define IMGMOCK_ENCODE_STB_H

#include "encode.h"

/* What stb's write callback needs to reach a sink. */
struct stb_bridge {
    encode_sink *sink; /* where the bytes go */
    void *ctx;         /* the sink's context */
    int failed;        /* the sink aborted: drop the rest */
};

/* stbi_write_func that forwards to bridge->sink. */
void encode_stb_forward(void *bridge, void *data, int size);

#endif
