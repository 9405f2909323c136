/* ratelimit — per-API-key sliding windows: requests and images per minute (--rpm, --ipm).
 *
 * Each key keeps the times of its admitted requests over the last 60 seconds, with how many
 * images each asked for. A request is admitted when both windows have room; then it is counted.
 * The verdict carries what the x-ratelimit-* headers and the 429 message need. Thread-safe.
 */
#ifndef IMGMOCK_RATELIMIT_H
#define IMGMOCK_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "apierr.h"

#define RATELIMIT_WINDOW_MS 60000

/* One window's state as the headers report it. */
struct ratelimit_window {
    uint64_t limit;     /* the configured limit; 0 = no limit on this window */
    uint64_t used;      /* counted in the last 60 s, before this request */
    uint64_t remaining; /* room left after this request (if admitted) */
    uint64_t reset_ms;  /* until the window is empty again */
    uint64_t retry_ms;  /* until this request would fit (when refused) */
};

/* The answer for one request. */
struct ratelimit_verdict {
    int refused;                      /* 0 admitted and counted; 1 refused on requests; 2 on images */
    struct ratelimit_window requests; /* requests per minute */
    struct ratelimit_window images;   /* images per minute */
};

struct ratelimit; /* opaque */

/* Limits of `rpm` requests and `ipm` images per minute (0: that window is unlimited).
 * NULL when memory runs out. */
struct ratelimit *ratelimit_new(uint64_t rpm, uint64_t ipm);
void ratelimit_free(struct ratelimit *rl);

/* Admit and count, or refuse, a request for `images` images by `key` at `now_ms` (a monotonic
 * clock in milliseconds). With `images` 0 the request is only looked at, never counted or
 * refused: for the headers of answers that generate nothing. */
void ratelimit_take(struct ratelimit *rl, const char *key, uint64_t images, uint64_t now_ms,
                    struct ratelimit_verdict *out);

/* Write the x-ratelimit-{limit,remaining,reset}-{requests,images} header lines of `v` into
 * `out` (each ending in \r\n), for each window that has a limit. */
void ratelimit_headers(const struct ratelimit_verdict *v, char *out, size_t n);

/* For a refused verdict: fill `err` with the 429 of spec §5 (for `model`, `organization` and a
 * request for `images` images) and write its retry headers into `extra`. A request that can
 * never fit (more images than the limit) gets x-should-retry: false and no retry headers. */
void ratelimit_refusal(const struct ratelimit_verdict *v, const char *model, const char *organization,
                       uint64_t images, struct apierr *err, char *extra, size_t extra_len);

/* "12ms", "12s", "1m0s": a duration the way the real API's headers and messages write it. */
void ratelimit_duration(uint64_t ms, char *out, size_t n);

#endif
