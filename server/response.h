/* response — the JSON body of a successful generation, written around its images.
 *
 * The body is built as a skeleton by Jansson (so its layout is exactly the rest of imgmock's
 * JSON: 2-space indent, key order, Python-style escapes) with every "b64_json" value left
 * empty; the images' base64 is then streamed into those holes. The skeleton is small, so a
 * 10-image answer never exists twice in memory: its exact length is known before the first
 * byte is sent, and each image is base64-encoded piece by piece straight into the sink.
 *
 * Ownership: resp_build() fills a struct resp_body that resp_free() releases.
 */
#ifndef IMGMOCK_RESPONSE_H
#define IMGMOCK_RESPONSE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "encode.h"
#include "images.h"

/* A body with holes for its images. */
struct resp_body {
    char *skeleton;               /* the JSON text with every b64_json value empty (owned) */
    size_t skeleton_len;          /* its length */
    size_t holes[IMAGES_MAX];     /* offset in `skeleton` of each empty b64_json value's content */
    size_t hole_count;            /* images to stream: 0 when the answer carries URLs */
};

/* Build the body of `plan`'s answer, created at `created` (Unix seconds). `urls` holds one URL
 * per image when plan->as_url, else NULL. Returns 0, or -1 when memory runs out. */
int resp_build(const struct image_plan *plan, long long created, char *const *urls, struct resp_body *out);

/* The exact length of the body once images of these encoded lengths are streamed into it. */
size_t resp_length(const struct resp_body *b, const size_t *image_lens);

/* Write the body: skeleton text, each image's base64 in its hole. Returns 0, or -1 if the sink
 * refused. */
int resp_write(const struct resp_body *b, const uint8_t *const *images, const size_t *image_lens, encode_sink *sink,
               void *ctx);

/* Stream `len` bytes as base64 into `sink`, in pieces. Returns 0 or -1 as the sink does. */
int resp_write_base64(const uint8_t *data, size_t len, encode_sink *sink, void *ctx);

void resp_free(struct resp_body *b);

/* The usage block as the API writes it (a new Jansson reference). */
json_t *resp_usage_json(const struct usage *u);

#endif
