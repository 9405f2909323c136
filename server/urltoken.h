/* urltoken — stateless, signed image URLs.
 *
 * A DALL·E answer with response_format "url" points at imgmock itself. The URL's token carries
 * everything needed to reproduce the image (its cache key: seed, size, format, quality, alpha)
 * and an expiry time, under an HMAC-SHA-256 keyed by --secret. So any imgmock started with the
 * same secret serves any URL, replicas need no shared storage, and a token cannot be edited to
 * ask for other work: changing a byte breaks the signature.
 *
 * Token: base64url (no padding) of 24 bytes of payload and the first 16 bytes of its HMAC.
 */
#ifndef IMGMOCK_URLTOKEN_H
#define IMGMOCK_URLTOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "cache.h"

#define URLTOKEN_LEN 54 /* characters of a token */

/* Why a token was refused, or not. */
enum urltoken_status {
    URLTOKEN_OK,
    URLTOKEN_INVALID, /* malformed, or the signature does not match */
    URLTOKEN_EXPIRED, /* well signed, but past its expiry */
};

/* Write the token for `key` (a final image: stage 0), valid until `expires` (Unix seconds),
 * NUL-terminated, into `out`. */
void urltoken_make(const void *secret, size_t secret_len, const struct cache_key *key, uint64_t expires,
                   char out[URLTOKEN_LEN + 1]);

/* Check `len` characters of `token` at time `now`; on URLTOKEN_OK, `key` holds the image's key. */
enum urltoken_status urltoken_check(const void *secret, size_t secret_len, const char *token, size_t len,
                                    uint64_t now, struct cache_key *key);

#endif
