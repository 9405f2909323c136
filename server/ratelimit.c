/* ratelimit.c — a table of keys, each with a time-ordered list of admitted requests. */
#include "ratelimit.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One admitted request. */
struct event {
    uint64_t at_ms;  /* when it was admitted */
    uint64_t images; /* how many images it asked for */
};

/* One API key's window: its events, oldest first, in a growable ring. */
struct key_window {
    char *key;            /* the API key (owned) */
    struct event *events; /* ring buffer */
    size_t cap, head, count;
};

struct ratelimit {
    pthread_mutex_t lock;
    uint64_t rpm, ipm;        /* the limits */
    struct key_window *keys;  /* every key seen with events in the window */
    size_t nkeys, capkeys;
};

struct ratelimit *ratelimit_new(uint64_t rpm, uint64_t ipm)
{
    struct ratelimit *rl = calloc(1, sizeof *rl);
    if (!rl)
        return NULL;
    pthread_mutex_init(&rl->lock, NULL);
    rl->rpm = rpm;
    rl->ipm = ipm;
    return rl;
}

void ratelimit_free(struct ratelimit *rl)
{
    if (!rl)
        return;
    for (size_t i = 0; i < rl->nkeys; i++) {
        free(rl->keys[i].key);
        free(rl->keys[i].events);
    }
    free(rl->keys);
    pthread_mutex_destroy(&rl->lock);
    free(rl);
}

static struct event *at(struct key_window *w, size_t i)
{
    return &w->events[(w->head + i) % w->cap];
}

/* Drop events older than the window; keys left empty are removed (so idle keys cost nothing). */
static void expire(struct ratelimit *rl, uint64_t now_ms)
{
    for (size_t i = 0; i < rl->nkeys;) {
        struct key_window *w = &rl->keys[i];
        while (w->count && at(w, 0)->at_ms + RATELIMIT_WINDOW_MS <= now_ms) {
            w->head = (w->head + 1) % w->cap;
            w->count--;
        }
        if (!w->count) {
            free(w->key);
            free(w->events);
            rl->keys[i] = rl->keys[--rl->nkeys];
        } else
            i++;
    }
}

static struct key_window *find(struct ratelimit *rl, const char *key, int create)
{
    for (size_t i = 0; i < rl->nkeys; i++)
        if (!strcmp(rl->keys[i].key, key))
            return &rl->keys[i];
    if (!create)
        return NULL;
    if (rl->nkeys == rl->capkeys) {
        size_t cap = rl->capkeys ? rl->capkeys * 2 : 8;
        struct key_window *grown = realloc(rl->keys, cap * sizeof *grown);
        if (!grown)
            return NULL;
        rl->keys = grown;
        rl->capkeys = cap;
    }
    struct key_window *w = &rl->keys[rl->nkeys];
    memset(w, 0, sizeof *w);
    if (!(w->key = strdup(key)))
        return NULL;
    rl->nkeys++;
    return w;
}

static int append(struct key_window *w, uint64_t now_ms, uint64_t images)
{
    if (w->count == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 16;
        struct event *grown = malloc(cap * sizeof *grown);
        if (!grown)
            return -1;
        for (size_t i = 0; i < w->count; i++)
            grown[i] = *at(w, i);
        free(w->events);
        w->events = grown;
        w->cap = cap;
        w->head = 0;
    }
    *at(w, w->count++) = (struct event){now_ms, images};
    return 0;
}

/* Fill one window's report; `by_images`: an event counts for its images, else for 1. */
static void report(struct key_window *w, uint64_t limit, uint64_t wanted, int by_images, uint64_t now_ms,
                   struct ratelimit_window *out)
{
    memset(out, 0, sizeof *out);
    out->limit = limit;
    if (!limit)
        return;
    uint64_t used = 0;
    for (size_t i = 0; w && i < w->count; i++)
        used += by_images ? at(w, i)->images : 1;
    out->used = used;
    out->remaining = used + wanted <= limit ? limit - used - wanted : 0;
    out->reset_ms = w && w->count ? at(w, w->count - 1)->at_ms + RATELIMIT_WINDOW_MS - now_ms : 0;
    /* until enough of the oldest events leave the window for this request to fit */
    uint64_t freed = 0;
    for (size_t i = 0; w && used + wanted > limit + freed && i < w->count; i++) {
        freed += by_images ? at(w, i)->images : 1;
        out->retry_ms = at(w, i)->at_ms + RATELIMIT_WINDOW_MS - now_ms;
    }
}

void ratelimit_take(struct ratelimit *rl, const char *key, uint64_t images, uint64_t now_ms,
                    struct ratelimit_verdict *out)
{
    pthread_mutex_lock(&rl->lock);
    expire(rl, now_ms);
    struct key_window *w = find(rl, key, images > 0);
    uint64_t asked = images > 0;
    report(w, rl->rpm, asked, 0, now_ms, &out->requests);
    report(w, rl->ipm, images, 1, now_ms, &out->images);
    out->refused = 0;
    if (images > 0) {
        if (rl->rpm && out->requests.used + 1 > rl->rpm)
            out->refused = 1;
        else if (rl->ipm && out->images.used + images > rl->ipm)
            out->refused = 2;
        if (!out->refused && w && append(w, now_ms, images) == 0) {
            out->requests.reset_ms = out->images.reset_ms = RATELIMIT_WINDOW_MS;
        } else {
            out->requests.remaining = rl->rpm && out->requests.used < rl->rpm ? rl->rpm - out->requests.used : 0;
            out->images.remaining = rl->ipm && out->images.used < rl->ipm ? rl->ipm - out->images.used : 0;
        }
    }
    pthread_mutex_unlock(&rl->lock);
}

void ratelimit_headers(const struct ratelimit_verdict *v, char *out, size_t n)
{
    const struct ratelimit_window *windows[2] = {&v->requests, &v->images};
    static const char *const names[2] = {"requests", "images"};
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < 2 && used < n; i++) {
        if (!windows[i]->limit)
            continue;
        char reset[32];
        ratelimit_duration(windows[i]->reset_ms, reset, sizeof reset);
        used += (size_t)snprintf(out + used, n - used,
                                 "x-ratelimit-limit-%s: %llu\r\nx-ratelimit-remaining-%s: %llu\r\n"
                                 "x-ratelimit-reset-%s: %s\r\n",
                                 names[i], (unsigned long long)windows[i]->limit, names[i],
                                 (unsigned long long)windows[i]->remaining, names[i], reset);
    }
}

void ratelimit_refusal(const struct ratelimit_verdict *v, const char *model, const char *organization,
                       uint64_t images, struct apierr *err, char *extra, size_t extra_len)
{
    const struct ratelimit_window *w = v->refused == 1 ? &v->requests : &v->images;
    uint64_t requested = v->refused == 1 ? 1 : images;
    int hopeless = requested > w->limit;
    char retry[32];
    ratelimit_duration(hopeless ? RATELIMIT_WINDOW_MS : w->retry_ms, retry, sizeof retry);
    apierr_set(err, APIERR_RATE_LIMITED, 0, NULL, model, organization, v->refused == 1 ? "requests" : "images",
               (unsigned long long)w->limit, (unsigned long long)w->used, (unsigned long long)requested, retry);
    if (hopeless)
        snprintf(extra, extra_len, "x-should-retry: false\r\n");
    else
        snprintf(extra, extra_len, "retry-after: %llu\r\nretry-after-ms: %llu\r\nx-should-retry: true\r\n",
                 (unsigned long long)(w->retry_ms + 999) / 1000, (unsigned long long)w->retry_ms);
}

void ratelimit_duration(uint64_t ms, char *out, size_t n)
{
    unsigned long long seconds = (ms + 999) / 1000; /* whole seconds, rounded up */
    if (ms < 1000)
        snprintf(out, n, "%llums", (unsigned long long)ms);
    else if (seconds < 60)
        snprintf(out, n, "%llus", seconds);
    else
        snprintf(out, n, "%llum%llus", seconds / 60, seconds % 60);
}
