/* test_cache.c — the image cache: LRU order, the byte budget, reference counts, threads.
 *
 * The cache can fail in two ways that a server would not notice for a long time: serving the
 * wrong bytes for a key (a hashing or locking bug), and freeing bytes a response is still
 * sending (a reference-count bug). So every entry's bytes here are generated from its key, and
 * every test checks them; the single-threaded tests pin down the eviction order and the contract
 * cases one by one; and the stress test runs threads that get, insert, hold and release at
 * random against a budget small enough that entries are evicted constantly while referenced.
 * Leaks and use-after-free show up under valgrind or a sanitiser, which CI is expected to use;
 * IMGMOCK_STRESS_ITERS shrinks the stress test for slow tools such as helgrind.
 */
#include "cache.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

/* The i-th test key. Four consecutive keys share a seed and differ only in stage, so the other
 * fields must take part in hashing and comparison. */
static struct cache_key key_n(unsigned i)
{
    return (struct cache_key){.seed = 0x1234567890ULL * (i / 4),
                              .width = 256 + i % 3,
                              .height = 512,
                              .format = (uint8_t)(i % 3),
                              .quality = (uint8_t)(i % 101),
                              .transparent = (uint8_t)(i & 1),
                              .stage = (uint8_t)(i % 4)};
}

/* splitmix64 step, for deriving deterministic bytes from a key. */
static uint64_t next_rand(uint64_t *s)
{
    uint64_t x = (*s += 0x9e3779b97f4a7c15ULL);
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* The bytes "encoded" for key k: a pure function of every field and of the length. */
static void fill(const struct cache_key *k, uint8_t *buf, size_t len)
{
    uint64_t s = k->seed ^ ((uint64_t)k->width << 40) ^ ((uint64_t)k->height << 20) ^
                 ((uint64_t)k->format << 8) ^ ((uint64_t)k->quality << 16) ^ ((uint64_t)k->transparent << 4) ^
                 k->stage ^ len;
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)next_rand(&s);
}

/* A malloc'd buffer of len bytes for k, as cache_put() wants it. */
static uint8_t *make_data(const struct cache_key *k, size_t len)
{
    uint8_t *p = malloc(len ? len : 1);
    if (p)
        fill(k, p, len);
    return p;
}

/* 1 if e holds exactly len bytes and they are k's. */
static int entry_ok(const struct cache_entry *e, const struct cache_key *k, size_t len)
{
    if (!e || cache_size(e) != len)
        return 0;
    uint8_t *want = make_data(k, len);
    int ok = want && memcmp(cache_data(e), want, len) == 0;
    free(want);
    return ok;
}

/* Insert len bytes for k and give the reference straight back. */
static void put_release(struct cache *c, const struct cache_key *k, size_t len)
{
    struct cache_entry *e = cache_put(c, k, make_data(k, len), len);
    CHECK(entry_ok(e, k, len));
    cache_release(c, e);
}

/* 1 if k is cached (and its bytes are right). Note that this refreshes k. */
static int present(struct cache *c, const struct cache_key *k, size_t len)
{
    struct cache_entry *e = cache_get(c, k);
    if (!e)
        return 0;
    CHECK(entry_ok(e, k, len));
    cache_release(c, e);
    return 1;
}

static void test_hits_misses_stats(void)
{
    struct cache *c = cache_new(1 << 20);
    CHECK(c != NULL);
    struct cache_key a = key_n(0), b = key_n(1);

    CHECK(cache_get(c, &a) == NULL);
    put_release(c, &a, 1000);
    struct cache_entry *e = cache_get(c, &a);
    CHECK(entry_ok(e, &a, 1000));
    struct cache_entry *e2 = cache_get(c, &a); /* two references to one entry */
    CHECK(e2 == e);
    cache_release(c, e);
    cache_release(c, e2);
    CHECK(cache_get(c, &b) == NULL);

    struct cache_stats s;
    cache_get_stats(c, &s);
    CHECK_INT(s.entries, 1);
    CHECK_INT(s.bytes, 1000);
    CHECK_INT(s.hits, 2);
    CHECK_INT(s.misses, 2);
    CHECK_INT(s.evictions, 0);
    cache_release(c, NULL); /* a no-op, so error paths can release unconditionally */
    cache_free(c);
    cache_free(NULL);
}

/* Budget for three 100-byte entries; a get refreshes, so the victim is the least recently used,
 * not the least recently inserted. */
static void test_lru_order(void)
{
    struct cache *c = cache_new(300);
    struct cache_key k[6];
    for (unsigned i = 0; i < 6; i++)
        k[i] = key_n(i);

    put_release(c, &k[0], 100);
    put_release(c, &k[1], 100);
    put_release(c, &k[2], 100); /* oldest..newest: 0 1 2 */
    CHECK(present(c, &k[0], 100)); /* 1 2 0 */
    put_release(c, &k[3], 100); /* evicts 1: 2 0 3 */
    CHECK(!present(c, &k[1], 100));

    struct cache_stats s;
    cache_get_stats(c, &s);
    CHECK_INT(s.entries, 3);
    CHECK_INT(s.bytes, 300);
    CHECK_INT(s.evictions, 1);

    CHECK(present(c, &k[2], 100)); /* 0 3 2 */
    put_release(c, &k[4], 100);     /* evicts 0: 3 2 4 */
    CHECK(!present(c, &k[0], 100));
    /* a duplicate put refreshes too: 2 4 3 */
    struct cache_entry *e = cache_put(c, &k[3], make_data(&k[3], 100), 100);
    cache_release(c, e);
    put_release(c, &k[5], 200); /* needs two slots: evicts 2 and 4, leaving 3 5 */
    CHECK(!present(c, &k[2], 100));
    CHECK(!present(c, &k[4], 100));
    CHECK(present(c, &k[3], 100));
    CHECK(present(c, &k[5], 200));

    cache_get_stats(c, &s);
    CHECK_INT(s.entries, 2);
    CHECK_INT(s.bytes, 300);
    CHECK_INT(s.evictions, 4);
    cache_free(c);
}

/* Many inserts of varying sizes: the bytes held never exceed the budget, and the stats agree with
 * what a full scan finds. */
static void test_byte_budget(void)
{
    enum { BUDGET = 10000, KEYS = 400 };
    struct cache *c = cache_new(BUDGET);
    uint64_t rng = 42;
    size_t len[KEYS];
    for (unsigned i = 0; i < KEYS; i++)
        len[i] = 1 + next_rand(&rng) % 3000;

    int over = 0;
    for (unsigned n = 0; n < 3000; n++) {
        unsigned i = (unsigned)(next_rand(&rng) % KEYS);
        struct cache_key k = key_n(i);
        struct cache_entry *e = cache_get(c, &k);
        if (!e)
            e = cache_put(c, &k, make_data(&k, len[i]), len[i]);
        CHECK(entry_ok(e, &k, len[i]));
        cache_release(c, e);
        struct cache_stats s;
        cache_get_stats(c, &s);
        over += s.bytes > BUDGET;
    }
    CHECK_INT(over, 0);

    struct cache_stats s;
    cache_get_stats(c, &s);
    CHECK(s.evictions > 0);
    size_t found = 0, bytes = 0;
    for (unsigned i = 0; i < KEYS; i++) {
        struct cache_key k = key_n(i);
        if (present(c, &k, len[i])) {
            found++;
            bytes += len[i];
        }
    }
    CHECK_INT(found, s.entries);
    CHECK_INT(bytes, s.bytes);
    cache_free(c);
}

/* A second insert of a present key hands back the first entry and frees its own data (valgrind
 * reports the leak if it does not). */
static void test_duplicate_put(void)
{
    struct cache *c = cache_new(1 << 20);
    struct cache_key k = key_n(7);
    struct cache_entry *first = cache_put(c, &k, make_data(&k, 500), 500);
    uint8_t *other = malloc(500);
    memset(other, 0xEE, 500);
    struct cache_entry *second = cache_put(c, &k, other, 500);
    CHECK(second == first);
    CHECK(entry_ok(second, &k, 500));
    cache_release(c, first);
    cache_release(c, second);

    struct cache_stats s;
    cache_get_stats(c, &s);
    CHECK_INT(s.entries, 1);
    CHECK_INT(s.bytes, 500);
    cache_free(c);
}

/* An entry larger than the budget is usable but not kept, and does not evict anything; one that
 * exactly fills the budget is kept and evicts everything else. */
static void test_oversize_entry(void)
{
    struct cache *c = cache_new(1000);
    struct cache_key small = key_n(0), big = key_n(1), exact = key_n(2);
    put_release(c, &small, 10);

    struct cache_entry *e = cache_put(c, &big, make_data(&big, 1001), 1001);
    CHECK(entry_ok(e, &big, 1001));
    CHECK(cache_get(c, &big) == NULL);
    struct cache_stats s;
    cache_get_stats(c, &s);
    CHECK_INT(s.entries, 1);
    CHECK_INT(s.bytes, 10);
    CHECK_INT(s.evictions, 0);
    CHECK(entry_ok(e, &big, 1001)); /* still readable until released */
    cache_release(c, e);            /* frees it */

    put_release(c, &exact, 1000);
    cache_get_stats(c, &s);
    CHECK_INT(s.entries, 1);
    CHECK_INT(s.bytes, 1000);
    CHECK_INT(s.evictions, 1);
    CHECK(present(c, &exact, 1000));
    CHECK(!present(c, &small, 10));
    cache_free(c);
}

/* max_bytes 0: every lookup misses, every insert hands back a private entry freed on release. */
static void test_zero_budget(void)
{
    struct cache *c = cache_new(0);
    CHECK(c != NULL);
    struct cache_key k = key_n(3);
    struct cache_entry *a = cache_put(c, &k, make_data(&k, 64), 64);
    struct cache_entry *b = cache_put(c, &k, make_data(&k, 64), 64);
    CHECK(entry_ok(a, &k, 64));
    CHECK(entry_ok(b, &k, 64));
    CHECK(a != b);
    CHECK(cache_get(c, &k) == NULL);
    cache_release(c, a);
    cache_release(c, b);
    put_release(c, &k, 0); /* even an empty image */

    struct cache_stats s;
    cache_get_stats(c, &s);
    CHECK_INT(s.entries, 0);
    CHECK_INT(s.bytes, 0);
    CHECK_INT(s.hits, 0);
    CHECK_INT(s.misses, 1);
    CHECK_INT(s.evictions, 0);
    cache_free(c);
}

/* An entry evicted while a reference is out stays readable, its bytes stop counting at once, and
 * the last release frees it (valgrind reports a leak or invalid read otherwise). A new insert of
 * the same key meanwhile is a separate entry. */
static void test_evicted_while_referenced(void)
{
    struct cache *c = cache_new(200);
    struct cache_key a = key_n(10), b = key_n(11), d = key_n(12);
    struct cache_entry *held = cache_put(c, &a, make_data(&a, 100), 100);
    struct cache_entry *held2 = cache_get(c, &a); /* two references to the doomed entry */
    put_release(c, &b, 100);
    put_release(c, &d, 100); /* evicts a */
    CHECK(cache_get(c, &a) == NULL);

    struct cache_stats s;
    cache_get_stats(c, &s);
    CHECK_INT(s.entries, 2);
    CHECK_INT(s.bytes, 200);
    CHECK_INT(s.evictions, 1);

    CHECK(entry_ok(held, &a, 100));
    struct cache_entry *fresh = cache_put(c, &a, make_data(&a, 100), 100);
    CHECK(fresh != held);
    CHECK(entry_ok(fresh, &a, 100));
    cache_release(c, fresh);
    cache_release(c, held);
    CHECK(entry_ok(held2, &a, 100)); /* one reference left: still alive */
    cache_release(c, held2);        /* now freed */
    cache_free(c);
}

/* Keys are compared by field, so padding does not matter, and every field matters. */
static void test_key_fields(void)
{
    struct cache *c = cache_new(1 << 20);
    struct cache_key dirty, clean = key_n(5);
    memset(&dirty, 0xA5, sizeof dirty); /* garbage in the padding */
    dirty.seed = clean.seed;
    dirty.width = clean.width;
    dirty.height = clean.height;
    dirty.format = clean.format;
    dirty.quality = clean.quality;
    dirty.transparent = clean.transparent;
    dirty.stage = clean.stage;
    dirty.base64 = clean.base64;
    put_release(c, &clean, 50);
    CHECK(present(c, &dirty, 50));

    struct cache_key v[8];
    for (int i = 0; i < 8; i++)
        v[i] = clean;
    v[0].seed ^= 1ULL << 63;
    v[1].width++;
    v[2].height++;
    v[3].format++;
    v[4].quality++;
    v[5].transparent ^= 1;
    v[6].stage++;
    v[7].base64 ^= 1;
    for (int i = 0; i < 8; i++)
        CHECK(!present(c, &v[i], 50));
    for (int i = 0; i < 8; i++)
        put_release(c, &v[i], 50);
    struct cache_stats s;
    cache_get_stats(c, &s);
    CHECK_INT(s.entries, 9);
    for (int i = 0; i < 8; i++)
        CHECK(present(c, &v[i], 50));
    cache_free(c);
}

/* Far more entries than the initial table has buckets: all stay findable as it grows. */
static void test_table_grows(void)
{
    enum { N = 20000 };
    struct cache *c = cache_new((size_t)1 << 30);
    for (unsigned i = 0; i < N; i++) {
        struct cache_key k = key_n(i);
        put_release(c, &k, 8);
    }
    int missing = 0;
    for (unsigned i = 0; i < N; i++) {
        struct cache_key k = key_n(i);
        missing += !present(c, &k, 8);
    }
    CHECK_INT(missing, 0);
    struct cache_stats s;
    cache_get_stats(c, &s);
    CHECK_INT(s.entries, N);
    CHECK_INT(s.bytes, 8 * N);
    CHECK_INT(s.evictions, 0);
    cache_free(c);
}

/* --- the stress test ---------------------------------------------------------------------- */

enum {
    STRESS_THREADS = 4,
    STRESS_KEYS = 300,
    STRESS_BUDGET = 16 * 1024, /* about 30 of the 300 keys' images: constant eviction */
    STRESS_HELD = 8,           /* references a thread holds at once */
};

/* Image size for stress key i: 64..1087 bytes, and a few larger than the whole budget. */
static size_t stress_len(unsigned i)
{
    return i % 97 == 13 ? STRESS_BUDGET + 1 + i : 64 + (i * 2654435761u) % 1024;
}

/* One thread's view of the stress test. */
struct stress_arg {
    struct cache *cache; /* shared by all threads */
    unsigned id;         /* seeds this thread's choices */
    long iterations;     /* get-or-put operations to do */
    long gets;           /* cache_get() calls made, to reconcile with hits + misses */
    long bad;            /* entries with the wrong bytes, NULL returns, budget overruns */
};

static void *stress_thread(void *p)
{
    struct stress_arg *a = p;
    uint64_t rng = 0x5eed0000u + a->id;
    struct cache_entry *held[STRESS_HELD] = {0};
    unsigned held_key[STRESS_HELD] = {0};

    for (long n = 0; n < a->iterations; n++) {
        unsigned i = (unsigned)(next_rand(&rng) % STRESS_KEYS);
        struct cache_key k = key_n(i);
        struct cache_entry *e = cache_get(a->cache, &k);
        a->gets++;
        if (!e)
            e = cache_put(a->cache, &k, make_data(&k, stress_len(i)), stress_len(i));
        a->bad += !entry_ok(e, &k, stress_len(i));

        /* hold it in a random slot; whatever was there has probably been evicted by now and
         * must still have its bytes */
        unsigned slot = (unsigned)(next_rand(&rng) % STRESS_HELD);
        if (held[slot]) {
            struct cache_key hk = key_n(held_key[slot]);
            a->bad += !entry_ok(held[slot], &hk, stress_len(held_key[slot]));
            cache_release(a->cache, held[slot]);
        }
        held[slot] = e;
        held_key[slot] = i;

        if (n % 64 == 0) {
            struct cache_stats s;
            cache_get_stats(a->cache, &s);
            a->bad += s.bytes > STRESS_BUDGET;
        }
    }
    for (int s = 0; s < STRESS_HELD; s++)
        cache_release(a->cache, held[s]);
    return NULL;
}

static void test_threads_stress(void)
{
    long iterations = 20000;
    const char *env = getenv("IMGMOCK_STRESS_ITERS");
    if (env && atol(env) > 0)
        iterations = atol(env);

    struct cache *c = cache_new(STRESS_BUDGET);
    struct stress_arg args[STRESS_THREADS];
    pthread_t threads[STRESS_THREADS];
    int started = 0;
    for (unsigned t = 0; t < STRESS_THREADS; t++) {
        args[t] = (struct stress_arg){.cache = c, .id = t, .iterations = iterations};
        if (pthread_create(&threads[t], NULL, stress_thread, &args[t]) == 0)
            started++;
        else
            break;
    }
    CHECK_INT(started, STRESS_THREADS);
    long gets = 0, bad = 0;
    for (int t = 0; t < started; t++) {
        pthread_join(threads[t], NULL);
        gets += args[t].gets;
        bad += args[t].bad;
    }
    CHECK_INT(bad, 0);

    struct cache_stats s;
    cache_get_stats(c, &s);
    CHECK_INT(s.hits + s.misses, gets);
    CHECK(s.hits > 0);
    CHECK(s.evictions > 0);
    CHECK(s.bytes <= STRESS_BUDGET);
    /* what is left is consistent with the stats */
    size_t found = 0, bytes = 0;
    for (unsigned i = 0; i < STRESS_KEYS; i++) {
        struct cache_key k = key_n(i);
        if (present(c, &k, stress_len(i))) {
            found++;
            bytes += stress_len(i);
        }
    }
    CHECK_INT(found, s.entries);
    CHECK_INT(bytes, s.bytes);
    cache_free(c);
}

UNIT_MAIN(UNIT_TEST(test_hits_misses_stats), UNIT_TEST(test_lru_order), UNIT_TEST(test_byte_budget),
          UNIT_TEST(test_duplicate_put), UNIT_TEST(test_oversize_entry), UNIT_TEST(test_zero_budget),
          UNIT_TEST(test_evicted_while_referenced), UNIT_TEST(test_key_fields), UNIT_TEST(test_table_grows),
          UNIT_TEST(test_threads_stress))
