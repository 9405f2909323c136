/* cache — encoded images (and their base64 texts) kept in memory, least recently used first
 * out, bounded in bytes.
 *
 * Encoding a 1024x1024 PNG costs milliseconds; sending a cached one costs microseconds. The same
 * request always produces the same bytes, so a repeated request (a test run twice, a URL fetched
 * again) can skip synthesis and encoding. The cache is keyed by everything that determines the
 * bytes, and holds at most --cache-mb of image data.
 *
 * Thread-safe: any worker may look up and insert. Entries are reference-counted: a lookup or an
 * insert hands the caller a reference, which it must give back with cache_release(); an entry
 * evicted while referenced stays alive until its last reference is released. So a response can
 * keep writing bytes that another thread's insert has just pushed out.
 */
#ifndef IMGMOCK_CACHE_H
#define IMGMOCK_CACHE_H

#include <stddef.h>
#include <stdint.h>

/* Everything that determines an encoded image's bytes. Compared field by field (no padding
 * bytes are compared: build keys with designated initialisers, or images_key()). */
struct cache_key {
    uint64_t seed;          /* the image's seed (see images.c) */
    uint32_t width, height; /* pixels */
    uint8_t format;         /* enum image_format */
    uint8_t quality;        /* encoder quality (JPEG), 0..100 */
    uint8_t transparent;    /* alpha channel present */
    uint8_t stage;          /* 0 = the final image; else 1 + the shapes a partial image shows */
    uint8_t base64;         /* 1: the base64 text of those bytes (what b64_json answers carry) */
};

struct cache;       /* opaque: the cache */
struct cache_entry; /* opaque: one encoded image */

/* A cache holding at most `max_bytes` of image data (0 disables caching: lookups miss and
 * inserts hand back an entry that is freed on release). NULL when memory runs out. */
struct cache *cache_new(size_t max_bytes);

/* Free the cache. Every reference must have been released. */
void cache_free(struct cache *c);

/* The entry for `key` with a new reference, or NULL on a miss. Marks it most recently used. */
struct cache_entry *cache_get(struct cache *c, const struct cache_key *key);

/* Insert `len` bytes for `key`, taking ownership of `data` (malloc'd; the cache frees it), and
 * return a reference to the entry. If `key` is already present (another thread was faster),
 * `data` is freed and the existing entry is returned. Evicts least recently used entries to stay
 * within the budget; an entry larger than the whole budget is returned but not kept. NULL only
 * when memory runs out (then `data` has been freed). */
struct cache_entry *cache_put(struct cache *c, const struct cache_key *key, uint8_t *data, size_t len);

/* The bytes of an entry, valid until its reference is released. */
const uint8_t *cache_data(const struct cache_entry *e);
size_t cache_size(const struct cache_entry *e);

/* Give back a reference from cache_get() or cache_put(). */
void cache_release(struct cache *c, struct cache_entry *e);

/* Statistics, for tests and the README's numbers. */
struct cache_stats {
    size_t entries;   /* entries held */
    size_t bytes;     /* image bytes held */
    uint64_t hits;    /* cache_get() that found an entry */
    uint64_t misses;  /* cache_get() that did not */
    uint64_t evictions; /* entries pushed out by the budget */
};
void cache_get_stats(struct cache *c, struct cache_stats *out);

#endif
