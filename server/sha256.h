/* sha256 — SHA-256 (FIPS 180-4) and HMAC-SHA-256 (RFC 2104), for signing image URLs.
 *
 * Image URLs carry their own generation parameters under an HMAC, so any imgmock started with
 * the same --secret can serve any URL without shared storage. This is the only cryptography
 * imgmock needs, so it is written out here rather than pulled from a library.
 */
#ifndef IMGMOCK_SHA256_H
#define IMGMOCK_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_SIZE 32
#define SHA256_BLOCK_SIZE 64

/* A hash in progress. */
struct sha256 {
    uint32_t state[8];                  /* the chaining value */
    uint64_t length;                    /* bytes hashed so far */
    uint8_t block[SHA256_BLOCK_SIZE];   /* bytes waiting for a full block */
    size_t used;                        /* how many of `block` are filled */
};

void sha256_init(struct sha256 *h);
void sha256_update(struct sha256 *h, const void *data, size_t len);
void sha256_final(struct sha256 *h, uint8_t out[SHA256_DIGEST_SIZE]);

/* One-shot SHA-256 of data[0..len). */
void sha256(const void *data, size_t len, uint8_t out[SHA256_DIGEST_SIZE]);

/* HMAC-SHA-256 of msg under key (any key length). */
void hmac_sha256(const void *key, size_t key_len, const void *msg, size_t msg_len,
                 uint8_t out[SHA256_DIGEST_SIZE]);

/* 1 if a[0..len) equals b[0..len), in time that does not depend on where they differ. */
int sha256_equal(const void *a, const void *b, size_t len);

#endif
