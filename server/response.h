/* response — the JSON body of a successful generation, written around its images.
 *
 * The body is built as a skeleton by Jansson (so its layout is exactly the rest of imgmock's
 * JSON: 2-space indent, key order, Python-style escapes) with every "b64_json" value left
 * empty; the images' base64 texts, which the cache keeps (images_get_base64), are then written
 * into those holes. The skeleton is small, so a 10-image answer is never copied into one
 * buffer: its exact length is known before the first byte is sent, and each text goes from the
 * cache straight into the sink.
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

/* The exact length of the body once base64 texts of these lengths fill its holes. */
size_t resp_length(const struct resp_body *b, const size_t *text_lens);

/* Write the body: skeleton text, each image's base64 text in its hole (hole_count of them;
 * none for a URL answer). Returns 0, or -1 if the sink refused. */
int resp_write(const struct resp_body *b, const char *const *texts, const size_t *text_lens, encode_sink *sink,
               void *ctx);

void resp_free(struct resp_body *b);

/* The usage block as the API writes it (a new Jansson reference). */
json_t *resp_usage_json(const struct usage *u);

#endif
