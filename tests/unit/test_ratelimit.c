/* test_ratelimit.c — --rpm/--ipm sliding windows, driven by a synthetic clock.
 *
 * ratelimit_take() is given `now_ms` by its caller, so every case here states its times: what
 * is admitted and what refused, that keys do not share windows, that images count toward the
 * images window by n, the arithmetic of used/remaining/reset_ms/retry_ms, that an event leaves
 * the window exactly 60000 ms after it was admitted, and that a peek (images 0) never counts.
 * Then ratelimit_duration(), which writes the durations of the headers and the 429 message.
 */
#include "ratelimit.h"
#include "apierr.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "unit.h"

static struct ratelimit_verdict take(struct ratelimit *rl, const char *key, uint64_t images, uint64_t now)
{
    struct ratelimit_verdict v;
    memset(&v, 0xAB, sizeof v); /* everything must be filled in */
    ratelimit_take(rl, key, images, now, &v);
    return v;
}

/* A window's report in one line, for readable failures. */
static void check_window(const struct ratelimit_window *w, uint64_t limit, uint64_t used, uint64_t remaining,
                         uint64_t reset_ms, uint64_t retry_ms, const char *what, int line)
{
    if (w->limit != limit || w->used != used || w->remaining != remaining || w->reset_ms != reset_ms ||
        w->retry_ms != retry_ms) {
        fprintf(stderr,
                "%s:%d: %s window: got limit %llu used %llu remaining %llu reset %llu retry %llu\n"
                "%*s want limit %llu used %llu remaining %llu reset %llu retry %llu\n",
                __FILE__, line, what, (unsigned long long)w->limit, (unsigned long long)w->used,
                (unsigned long long)w->remaining, (unsigned long long)w->reset_ms, (unsigned long long)w->retry_ms,
                (int)strlen(what) + 7, "", (unsigned long long)limit, (unsigned long long)used,
                (unsigned long long)remaining, (unsigned long long)reset_ms, (unsigned long long)retry_ms);
        unit_failures_in_test++;
    }
}

#define REQUESTS(v, limit, used, remaining, reset, retry)                                                   \
    check_window(&(v).requests, limit, used, remaining, reset, retry, "requests", __LINE__)
#define IMAGES(v, limit, used, remaining, reset, retry)                                                     \
    check_window(&(v).images, limit, used, remaining, reset, retry, "images", __LINE__)

static void test_requests_admit_then_refuse(void)
{
    struct ratelimit *rl = ratelimit_new(3, 0);
    CHECK(rl != NULL);
    struct ratelimit_verdict v;

    v = take(rl, "a", 1, 1000);
    CHECK_INT(v.refused, 0);
    REQUESTS(v, 3, 0, 2, 60000, 0);
    CHECK_INT(v.images.limit, 0); /* no images limit: that window reports none */
    v = take(rl, "a", 1, 2000);
    CHECK_INT(v.refused, 0);
    REQUESTS(v, 3, 1, 1, 60000, 0);
    v = take(rl, "a", 1, 3000);
    CHECK_INT(v.refused, 0);
    REQUESTS(v, 3, 2, 0, 60000, 0);

    /* the fourth within the minute: refused until the first leaves the window at 61000 */
    v = take(rl, "a", 1, 4000);
    CHECK_INT(v.refused, 1);
    REQUESTS(v, 3, 3, 0, 59000, 57000);
    CHECK_INT(v.images.limit, 0);
    /* refusals are not counted: the same answer a little later, with the times moved on */
    v = take(rl, "a", 1, 5000);
    CHECK_INT(v.refused, 1);
    REQUESTS(v, 3, 3, 0, 58000, 56000);
    v = take(rl, "a", 1, 60999);
    CHECK_INT(v.refused, 1);
    REQUESTS(v, 3, 3, 0, 2001, 1);

    /* at 61000 the first request is exactly 60000 ms old: out of the window */
    v = take(rl, "a", 1, 61000);
    CHECK_INT(v.refused, 0);
    REQUESTS(v, 3, 2, 0, 60000, 0);
    /* and full again */
    v = take(rl, "a", 1, 61500);
    CHECK_INT(v.refused, 1);
    REQUESTS(v, 3, 3, 0, 59500, 500); /* the request of 2000 leaves at 62000 */
    ratelimit_free(rl);
}

static void test_keys_are_independent(void)
{
    struct ratelimit *rl = ratelimit_new(2, 0);
    struct ratelimit_verdict v;
    CHECK_INT(take(rl, "sk-a", 1, 0).refused, 0);
    CHECK_INT(take(rl, "sk-a", 1, 10).refused, 0);
    CHECK_INT(take(rl, "sk-a", 1, 20).refused, 1);
    v = take(rl, "sk-b", 1, 30);
    CHECK_INT(v.refused, 0);
    REQUESTS(v, 2, 0, 1, 60000, 0);
    v = take(rl, "sk-b", 1, 40);
    CHECK_INT(v.refused, 0);
    CHECK_INT(take(rl, "sk-b", 1, 50).refused, 1);
    /* keys are compared whole: a prefix or another case is another key */
    CHECK_INT(take(rl, "sk-", 1, 60).refused, 0);
    CHECK_INT(take(rl, "SK-A", 1, 70).refused, 0);
    CHECK_INT(take(rl, "", 1, 80).refused, 0); /* the key of requests without one */
    CHECK_INT(take(rl, "", 1, 90).refused, 0);
    CHECK_INT(take(rl, "", 1, 100).refused, 1);
    /* sk-a's window slides on its own times */
    v = take(rl, "sk-a", 1, 60000);
    CHECK_INT(v.refused, 0);
    REQUESTS(v, 2, 1, 0, 60000, 0);

    /* many keys at once: each its own window */
    struct ratelimit *many = ratelimit_new(1, 0);
    char key[16];
    for (int i = 0; i < 100; i++) {
        snprintf(key, sizeof key, "key-%d", i);
        CHECK_INT(take(many, key, 1, (uint64_t)i).refused, 0);
    }
    for (int i = 0; i < 100; i++) {
        snprintf(key, sizeof key, "key-%d", i);
        v = take(many, key, 1, 1000);
        CHECK_INT(v.refused, 1);
        REQUESTS(v, 1, 1, 0, (uint64_t)i + 59000, (uint64_t)i + 59000);
    }
    /* after the minute every key is free again (idle keys are forgotten) */
    for (int i = 0; i < 100; i++) {
        snprintf(key, sizeof key, "key-%d", i);
        v = take(many, key, 0, 200000);
        REQUESTS(v, 1, 0, 1, 0, 0);
    }
    ratelimit_free(many);
    ratelimit_free(rl);
}

static void test_images_window(void)
{
    struct ratelimit *rl = ratelimit_new(0, 5);
    struct ratelimit_verdict v;
    v = take(rl, "k", 3, 0);
    CHECK_INT(v.refused, 0);
    CHECK_INT(v.requests.limit, 0);
    IMAGES(v, 5, 0, 2, 60000, 0);
    /* 3 more would make 6: refused on images, with the room that is left reported */
    v = take(rl, "k", 3, 10);
    CHECK_INT(v.refused, 2);
    IMAGES(v, 5, 3, 2, 59990, 59990);
    /* 2 fit exactly */
    v = take(rl, "k", 2, 20);
    CHECK_INT(v.refused, 0);
    IMAGES(v, 5, 3, 0, 60000, 0);
    /* 1 more: the 3 images of time 0 must leave; they do at 60000 */
    v = take(rl, "k", 1, 30);
    CHECK_INT(v.refused, 2);
    IMAGES(v, 5, 5, 0, 59990, 59970);
    v = take(rl, "k", 1, 60000);
    CHECK_INT(v.refused, 0);
    IMAGES(v, 5, 2, 2, 60000, 0);
    ratelimit_free(rl);

    /* retry_ms waits for as many of the oldest requests as must leave */
    rl = ratelimit_new(0, 5);
    CHECK_INT(take(rl, "k", 2, 0).refused, 0);
    CHECK_INT(take(rl, "k", 2, 100).refused, 0);
    CHECK_INT(take(rl, "k", 1, 200).refused, 0);
    v = take(rl, "k", 3, 300);
    CHECK_INT(v.refused, 2);
    IMAGES(v, 5, 5, 0, 59900, 59800); /* 2 + 2 images must go: the second leaves at 60100 */
    v = take(rl, "k", 1, 300);
    IMAGES(v, 5, 5, 0, 59900, 59700); /* 1 image: the first request's leaving is enough */
    v = take(rl, "k", 5, 300);
    IMAGES(v, 5, 5, 0, 59900, 59900); /* all of them */
    ratelimit_free(rl);
}

static void test_both_windows(void)
{
    struct ratelimit *rl = ratelimit_new(2, 10);
    struct ratelimit_verdict v;
    v = take(rl, "k", 4, 0);
    CHECK_INT(v.refused, 0);
    REQUESTS(v, 2, 0, 1, 60000, 0);
    IMAGES(v, 10, 0, 6, 60000, 0);
    /* too many images: refused on images; the requests window still has room */
    v = take(rl, "k", 7, 1000);
    CHECK_INT(v.refused, 2);
    REQUESTS(v, 2, 1, 1, 59000, 0);
    IMAGES(v, 10, 4, 6, 59000, 59000);
    v = take(rl, "k", 6, 2000);
    CHECK_INT(v.refused, 0);
    REQUESTS(v, 2, 1, 0, 60000, 0);
    IMAGES(v, 10, 4, 0, 60000, 0);
    /* both windows full: the requests window is the one named */
    v = take(rl, "k", 1, 3000);
    CHECK_INT(v.refused, 1);
    REQUESTS(v, 2, 2, 0, 59000, 57000);
    IMAGES(v, 10, 10, 0, 59000, 57000);
    ratelimit_free(rl);

    /* no limit on either window: everything passes, nothing is reported */
    rl = ratelimit_new(0, 0);
    for (int i = 0; i < 1000; i++) {
        v = take(rl, "k", 10, (uint64_t)i);
        CHECK_INT(v.refused, 0);
    }
    CHECK_INT(v.requests.limit, 0);
    CHECK_INT(v.images.limit, 0);
    ratelimit_free(rl);
}

/* images 0: the headers of answers that generate nothing. Looked at, never counted or refused. */
static void test_peek_never_counts(void)
{
    struct ratelimit *rl = ratelimit_new(2, 3);
    struct ratelimit_verdict v;
    /* an unknown key: the whole limits left, nothing to reset */
    v = take(rl, "k", 0, 0);
    CHECK_INT(v.refused, 0);
    REQUESTS(v, 2, 0, 2, 0, 0);
    IMAGES(v, 3, 0, 3, 0, 0);
    for (int i = 0; i < 50; i++)
        (void)take(rl, "k", 0, (uint64_t)i);
    v = take(rl, "k", 1, 100);
    CHECK_INT(v.refused, 0);
    REQUESTS(v, 2, 0, 1, 60000, 0);
    IMAGES(v, 3, 0, 2, 60000, 0);
    /* a peek reports what is used and left, with the time until the window empties */
    v = take(rl, "k", 0, 1100);
    CHECK_INT(v.refused, 0);
    REQUESTS(v, 2, 1, 1, 59000, 0);
    IMAGES(v, 3, 1, 2, 59000, 0);
    CHECK_INT(take(rl, "k", 2, 1200).refused, 0);
    /* both windows full: a peek is still not refused */
    v = take(rl, "k", 0, 1300);
    CHECK_INT(v.refused, 0);
    REQUESTS(v, 2, 2, 0, 59900, 0);
    IMAGES(v, 3, 3, 0, 59900, 0);
    /* and after the minute the key is empty again */
    v = take(rl, "k", 0, 61200);
    REQUESTS(v, 2, 0, 2, 0, 0);
    IMAGES(v, 3, 0, 3, 0, 0);
    ratelimit_free(rl);
}

/* Many events in one key's window, some leaving while others arrive: the ring buffer keeps them
 * in order across its growth and wrap-around. */
static void test_long_sliding_window(void)
{
    struct ratelimit *rl = ratelimit_new(40, 0);
    struct ratelimit_verdict v;
    for (uint64_t i = 0; i < 40; i++) { /* one per 1500 ms: 0 .. 58500 */
        v = take(rl, "k", 1, i * 1500);
        CHECK_INT(v.refused, 0);
        CHECK_INT(v.requests.used, i);
    }
    CHECK_INT(take(rl, "k", 1, 59000).refused, 1);
    /* from 60000 on, one leaves every 1500 ms and one more can come in */
    for (uint64_t i = 0; i < 100; i++) {
        uint64_t now = 60000 + i * 1500;
        v = take(rl, "k", 1, now);
        CHECK_INT(v.refused, 0);
        CHECK_INT(v.requests.used, 39);
        v = take(rl, "k", 1, now + 1);
        CHECK_INT(v.refused, 1);
        CHECK_INT(v.requests.retry_ms, 1499); /* the next oldest leaves 1500 ms after this one did */
    }
    /* long after, the window is empty */
    v = take(rl, "k", 0, 10000000);
    REQUESTS(v, 40, 0, 40, 0, 0);
    ratelimit_free(rl);
}

static void test_free_null(void)
{
    ratelimit_free(NULL);
    CHECK(1);
}

static const char *duration(uint64_t ms)
{
    static char buf[32];
    ratelimit_duration(ms, buf, sizeof buf);
    return buf;
}

static void test_duration_format(void)
{
    CHECK_STR(duration(0), "0ms");
    CHECK_STR(duration(1), "1ms");
    CHECK_STR(duration(12), "12ms");
    CHECK_STR(duration(999), "999ms");
    CHECK_STR(duration(1000), "1s");
    CHECK_STR(duration(1001), "2s"); /* seconds are rounded up: "try again in" must not be too early */
    CHECK_STR(duration(1999), "2s");
    CHECK_STR(duration(12000), "12s");
    CHECK_STR(duration(59000), "59s");
    CHECK_STR(duration(60000), "1m0s");
    CHECK_STR(duration(61000), "1m1s");
    CHECK_STR(duration(60001), "1m1s");
    CHECK_STR(duration(360000), "6m0s");
    CHECK_STR(duration(3599000), "59m59s");
    /* seconds rounded up to a whole minute carry into the minutes: never "60s" nor "1m60s" */
    CHECK_STR(duration(59001), "1m0s");
    CHECK_STR(duration(59999), "1m0s");
    CHECK_STR(duration(119001), "2m0s");
    CHECK_STR(duration(119999), "2m0s");

    /* a short buffer is never overrun */
    char small[4] = "xyz";
    ratelimit_duration(360000, small, sizeof small);
    CHECK_INT(small[3], '\0');
    CHECK_STR(small, "6m0");
}

static void test_headers_and_refusal(void)
{
    struct ratelimit *rl = ratelimit_new(2, 0);
    struct ratelimit_verdict v;
    char headers[512], extra[256];
    ratelimit_take(rl, "k", 1, 1000, &v);
    ratelimit_headers(&v, headers, sizeof headers);
    CHECK_STR(headers, "x-ratelimit-limit-requests: 2\r\nx-ratelimit-remaining-requests: 1\r\n"
                       "x-ratelimit-reset-requests: 1m0s\r\n"); /* no images lines: that window is off */
    ratelimit_take(rl, "k", 1, 31000, &v);
    ratelimit_take(rl, "k", 1, 41000, &v); /* refused: the first slot frees at 61000, in 20 s */
    CHECK_INT(v.refused, 1);
    struct apierr e = APIERR_INIT;
    ratelimit_refusal(&v, "gpt-image-1", "org-mock", 1, &e, extra, sizeof extra);
    CHECK_STR(e.message, "Rate limit reached for gpt-image-1 in organization org-mock on requests per min: Limit 2, "
                         "Used 2, Requested 1. Please try again in 20s. Visit "
                         "https://platform.openai.com/account/rate-limits to learn more.");
    CHECK_STR(extra, "retry-after: 20\r\nretry-after-ms: 20000\r\nx-should-retry: true\r\n");
    ratelimit_free(rl);
    /* more images than the limit allows can never fit: no invitation to retry */
    rl = ratelimit_new(0, 3);
    ratelimit_take(rl, "k", 5, 1000, &v);
    CHECK_INT(v.refused, 2);
    ratelimit_refusal(&v, "gpt-image-1", "org-mock", 5, &e, extra, sizeof extra);
    CHECK(strstr(e.message, "on images per min: Limit 3, Used 0, Requested 5. Please try again in 1m0s.") != NULL);
    CHECK_STR(extra, "x-should-retry: false\r\n");
    apierr_clear(&e);
    ratelimit_free(rl);
}

UNIT_MAIN(UNIT_TEST(test_headers_and_refusal), UNIT_TEST(test_requests_admit_then_refuse), UNIT_TEST(test_keys_are_independent),
          UNIT_TEST(test_images_window), UNIT_TEST(test_both_windows), UNIT_TEST(test_peek_never_counts),
          UNIT_TEST(test_long_sliding_window), UNIT_TEST(test_free_null), UNIT_TEST(test_duration_format))
