/* images — from a judged request to encoded images.
 *
 * images_plan() settles everything about a request's answer before a pixel is painted: "auto"
 * resolved to concrete values (spec §1), the output format, the usage block, and one 64-bit seed
 * per image. images_get() then turns one image's key into encoded bytes: from the cache, or
 * synthesized, encoded and cached. Keys are all that is needed to reproduce an image, which is
 * what lets signed URLs (urltoken.c) carry an image without the request behind it.
 *
 * The seed of image i is derived from everything that defines it:
 *   FNV-1a-64 over "imgmock/1", model, prompt, size, quality, background, style, output format,
 *   image index and --seed, each followed by a 0xFF byte (which UTF-8 never contains), then the
 *   splitmix64 finaliser. Same request, same seed, same bytes, on every machine.
 */
#ifndef IMGMOCK_IMAGES_H
#define IMGMOCK_IMAGES_H

#include <stdint.h>

#include "apierr.h"
#include "cache.h"
#include "encode.h"
#include "request.h"
#include "usage.h"

#define IMAGES_MAX 10 /* the largest n */

/* A request's answer, decided. */
struct image_plan {
    const struct image_request *req; /* the request it answers (borrowed) */
    unsigned width, height;          /* the resolved size */
    char size[24];                   /* the resolved size as "WxH" */
    const char *quality;             /* resolved: never "auto" */
    const char *background;          /* "transparent" or "opaque" (GPT models); NULL for DALL·E */
    enum image_format format;        /* PNG for DALL·E; the requested output_format for GPT models */
    int jpeg_quality;                /* output_compression, for JPEG */
    int as_url;                      /* answer with URLs (DALL·E, response_format url) */
    uint64_t seeds[IMAGES_MAX];      /* one per image */
    struct usage usage;              /* the usage block (GPT models) */
    int always_usage;                /* carry usage whatever the model (set by the caller: a gateway's rule) */
};

/* Decide the answer to `r` under the server's --seed. */
void images_plan(const struct image_request *r, uint64_t server_seed, struct image_plan *out);

/* The cache key of image `index` of a plan: the final image when `partial` is 0, else partial
 * image `partial` (1-based) of `partials`. A partial image shows the first partial/(partials+1)
 * of the final picture's shapes, so a stream's images approach the final one. */
void images_key(const struct image_plan *p, unsigned index, unsigned partial, unsigned partials,
                struct cache_key *key);

/* The encoded bytes for `key`, as a cache reference the caller releases with cache_release().
 * NULL with `err` filled when memory runs out. */
struct cache_entry *images_get(struct cache *c, const struct cache_key *key, struct apierr *err);

/* The base64 text of the image for `key` (key->base64 is ignored), as a cache reference the
 * caller releases with cache_release(). Kept in the cache beside the encoded bytes, so a
 * repeated b64_json answer copies its text instead of encoding it again: base64 was two thirds
 * of the work of answering a cached 256x256 image. NULL with `err` filled when memory runs out. */
struct cache_entry *images_get_base64(struct cache *c, const struct cache_key *key, struct apierr *err);

/* dall-e-3's revised_prompt for `len` bytes of `prompt` (which may hold NULs) in `style`,
 * derived deterministically from both. malloc'd, NUL-terminated, its length in *out_len; the
 * caller frees. */
char *images_revised_prompt(const char *prompt, size_t len, const char *style, size_t *out_len);

#endif
