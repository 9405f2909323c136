/* cache.c — a byte-bounded LRU of encoded images: a hash table for lookup, a list for recency.
 *
 * Every entry sits in two structures at once. A chained hash table, keyed by a hash over each
 * field of struct cache_key, finds an entry in expected O(1) and doubles its bucket array when
 * the load passes 3/4. A doubly linked list orders entries from most to least recently used, so
 * refreshing an entry and finding the next victim are both O(1). Chains are doubly linked too
 * (through a pointer to the link that points at the entry), so eviction unlinks without walking.
 *
 * One mutex guards the table, the list, the counters and every reference count. Critical
 * sections do pointer work only (bar the rare doubling of the table): entries are allocated
 * before taking the lock, and evicted ones are freed after dropping it. Entries are reference-counted because a response may still be
 * writing an image when another thread's insert evicts it: eviction only unlinks the entry and
 * stops counting its bytes; whoever drops the last reference frees it. An entry that is not in
 * the cache (evicted, too big to keep, or made while caching is disabled) is "detached".
 */
#include "cache.h"
#include "mix.h"

#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

/* Buckets in a new table; a power of two, so a hash is reduced with a mask. */
#define INITIAL_BUCKETS 64

struct cache_entry {
    struct cache_key key;           /* what the bytes are for */
    uint64_t hash;                  /* key_hash(&key), kept so growing the table need not rehash */
    uint8_t *data;                  /* the encoded image, owned by the entry */
    size_t len;                     /* bytes at data */
    size_t refs;                    /* references handed out and not yet released */
    int attached;                   /* 1 while in the table and list; 0 once detached */
    struct cache_entry *chain_next; /* next entry in the same bucket */
    struct cache_entry **chain_pp;  /* the link that points at this entry (bucket head or a
                                     * chain_next), so unlinking needs no walk */
    struct cache_entry *newer;      /* towards the most recently used end; NULL at that end */
    struct cache_entry *older;      /* towards the least recently used end; NULL at that end */
};

struct cache {
    pthread_mutex_t lock;         /* guards all below, and every entry's refs, attached and links */
    size_t max_bytes;             /* budget for the data of attached entries; 0 = caching off */
    struct cache_entry **buckets; /* hash table heads */
    size_t n_buckets;             /* a power of two */
    struct cache_entry *newest;   /* most recently used end of the recency list */
    struct cache_entry *oldest;   /* least recently used end: the next to be evicted */
    struct cache_stats stats;     /* entries and bytes count attached entries only */
    atomic_size_t freed;          /* data bytes freed since memory was last handed back (trim) */
};

/* A hash of the key's fields, each named explicitly: the struct's padding bytes are
 * indeterminate, so hashing its raw memory would make equal keys hash differently. */
static uint64_t key_hash(const struct cache_key *k)
{
    uint64_t h = mix64(k->seed);
    h = mix64(h ^ ((uint64_t)k->width << 32 | k->height));
    h = mix64(h ^ ((uint64_t)k->format | (uint64_t)k->quality << 8 | (uint64_t)k->transparent << 16 |
                   (uint64_t)k->stage << 24 | (uint64_t)k->base64 << 32));
    return h;
}

/* Field by field, for the same reason as key_hash(). */
static int key_equal(const struct cache_key *a, const struct cache_key *b)
{
    return a->seed == b->seed && a->width == b->width && a->height == b->height && a->format == b->format &&
           a->quality == b->quality && a->transparent == b->transparent && a->stage == b->stage &&
           a->base64 == b->base64;
}

/* Hand freed memory back to the system once this much image data has been freed. Entries are
 * freed in whatever order they age, so the heap fills with holes that free() alone never
 * returns: under a 60 s mixed load RSS settled 40 MB above the cache's budget without this. */
enum { TRIM_EVERY = 4u << 20 };

static void entry_free(struct cache *c, struct cache_entry *e)
{
    size_t len = e->len;
    free(e->data);
    free(e);
    if (atomic_fetch_add(&c->freed, len) + len >= TRIM_EVERY) {
        atomic_store(&c->freed, 0);
        malloc_trim(0);
    }
}

/* Free a list of dead entries strung through chain_next; called after unlocking, so other
 * threads are not held up by free(). */
static void free_dead(struct cache *c, struct cache_entry *dead)
{
    while (dead) {
        struct cache_entry *next = dead->chain_next;
        entry_free(c, dead);
        dead = next;
    }
}

static struct cache_entry *table_find(const struct cache *c, const struct cache_key *key, uint64_t hash)
{
    for (struct cache_entry *e = c->buckets[hash & (c->n_buckets - 1)]; e; e = e->chain_next)
        if (e->hash == hash && key_equal(&e->key, key))
            return e;
    return NULL;
}

static void chain_push(struct cache_entry **head, struct cache_entry *e)
{
    e->chain_next = *head;
    if (*head)
        (*head)->chain_pp = &e->chain_next;
    e->chain_pp = head;
    *head = e;
}

static void chain_unlink(struct cache_entry *e)
{
    *e->chain_pp = e->chain_next;
    if (e->chain_next)
        e->chain_next->chain_pp = e->chain_pp;
    e->chain_next = NULL;
    e->chain_pp = NULL;
}

/* Double the bucket array. On allocation failure the table stays as it is: lookups still work,
 * only the chains get longer, which is better than failing an insert over it. */
static void table_grow(struct cache *c)
{
    size_t n = c->n_buckets * 2;
    struct cache_entry **b = calloc(n, sizeof *b);
    if (!b)
        return;
    for (size_t i = 0; i < c->n_buckets; i++) {
        struct cache_entry *e = c->buckets[i];
        while (e) {
            struct cache_entry *next = e->chain_next;
            chain_push(&b[e->hash & (n - 1)], e);
            e = next;
        }
    }
    free(c->buckets);
    c->buckets = b;
    c->n_buckets = n;
}

static void list_unlink(struct cache *c, struct cache_entry *e)
{
    if (e->newer)
        e->newer->older = e->older;
    else
        c->newest = e->older;
    if (e->older)
        e->older->newer = e->newer;
    else
        c->oldest = e->newer;
    e->newer = e->older = NULL;
}

static void list_push_newest(struct cache *c, struct cache_entry *e)
{
    e->older = c->newest;
    e->newer = NULL;
    if (c->newest)
        c->newest->newer = e;
    else
        c->oldest = e;
    c->newest = e;
}

static void touch(struct cache *c, struct cache_entry *e)
{
    if (c->newest != e) {
        list_unlink(c, e);
        list_push_newest(c, e);
    }
}

/* Take e out of the table and the list and stop counting its bytes. If nobody holds it, it goes
 * onto *dead for freeing after the lock is dropped; otherwise its last cache_release() frees it. */
static void detach(struct cache *c, struct cache_entry *e, struct cache_entry **dead)
{
    chain_unlink(e);
    list_unlink(c, e);
    e->attached = 0;
    c->stats.entries--;
    c->stats.bytes -= e->len;
    if (e->refs == 0) {
        e->chain_next = *dead;
        *dead = e;
    }
}

struct cache *cache_new(size_t max_bytes)
{
    struct cache *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->max_bytes = max_bytes;
    c->n_buckets = INITIAL_BUCKETS;
    c->buckets = calloc(c->n_buckets, sizeof *c->buckets);
    if (!c->buckets || pthread_mutex_init(&c->lock, NULL) != 0) {
        free(c->buckets);
        free(c);
        return NULL;
    }
    return c;
}

void cache_free(struct cache *c)
{
    if (!c)
        return;
    /* the list holds exactly the attached entries; detached ones belong to their holders, of
     * which the contract says there are none left */
    struct cache_entry *e = c->oldest;
    while (e) {
        struct cache_entry *next = e->newer;
        entry_free(c, e);
        e = next;
    }
    free(c->buckets);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

struct cache_entry *cache_get(struct cache *c, const struct cache_key *key)
{
    uint64_t hash = key_hash(key);
    pthread_mutex_lock(&c->lock);
    struct cache_entry *e = table_find(c, key, hash);
    if (e) {
        e->refs++;
        touch(c, e);
        c->stats.hits++;
    } else {
        c->stats.misses++;
    }
    pthread_mutex_unlock(&c->lock);
    return e;
}

struct cache_entry *cache_put(struct cache *c, const struct cache_key *key, uint8_t *data, size_t len)
{
    struct cache_entry *e = malloc(sizeof *e);
    if (!e) {
        free(data);
        return NULL;
    }
    *e = (struct cache_entry){.key = *key, .hash = key_hash(key), .data = data, .len = len, .refs = 1};

    /* caching off: the table is always empty, so the entry is detached from the start */
    if (c->max_bytes == 0)
        return e;

    struct cache_entry *dead = NULL;
    pthread_mutex_lock(&c->lock);
    struct cache_entry *old = table_find(c, key, e->hash);
    if (old) {
        /* another thread inserted the same bytes first: share its entry, drop ours */
        old->refs++;
        touch(c, old);
        pthread_mutex_unlock(&c->lock);
        entry_free(c, e);
        return old;
    }
    if (len > c->max_bytes) {
        /* keeping it would mean evicting everything and still being over budget */
        pthread_mutex_unlock(&c->lock);
        return e;
    }
    while (c->stats.bytes > c->max_bytes - len) { /* bytes + len > max, without overflow */
        detach(c, c->oldest, &dead);
        c->stats.evictions++;
    }
    chain_push(&c->buckets[e->hash & (c->n_buckets - 1)], e);
    list_push_newest(c, e);
    e->attached = 1;
    c->stats.entries++;
    c->stats.bytes += len;
    if (c->stats.entries > c->n_buckets / 4 * 3)
        table_grow(c);
    pthread_mutex_unlock(&c->lock);
    free_dead(c, dead);
    return e;
}

const uint8_t *cache_data(const struct cache_entry *e)
{
    return e->data; /* fixed at insertion, so readable without the lock */
}

size_t cache_size(const struct cache_entry *e)
{
    return e->len;
}

void cache_release(struct cache *c, struct cache_entry *e)
{
    if (!e)
        return;
    pthread_mutex_lock(&c->lock);
    int last = --e->refs == 0 && !e->attached;
    pthread_mutex_unlock(&c->lock);
    if (last)
        entry_free(c, e);
}

void cache_get_stats(struct cache *c, struct cache_stats *out)
{
    pthread_mutex_lock(&c->lock);
    *out = c->stats;
    pthread_mutex_unlock(&c->lock);
}
