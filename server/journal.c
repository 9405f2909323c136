/* journal.c — a mutex-guarded ring of Jansson objects. */
#include "journal.h"

#include <pthread.h>
#include <stdlib.h>

#include "jsonout.h"

struct journal {
    pthread_mutex_t lock;
    json_t **entries; /* ring of `capacity` slots */
    size_t capacity;  /* slots */
    size_t head;      /* the oldest entry */
    size_t count;     /* entries held */
};

struct journal *journal_new(size_t capacity)
{
    struct journal *j = calloc(1, sizeof *j);
    if (!j || (capacity && !(j->entries = calloc(capacity, sizeof *j->entries)))) {
        free(j);
        return NULL;
    }
    pthread_mutex_init(&j->lock, NULL);
    j->capacity = capacity;
    return j;
}

void journal_clear(struct journal *j)
{
    pthread_mutex_lock(&j->lock);
    for (size_t i = 0; i < j->count; i++)
        json_decref(j->entries[(j->head + i) % j->capacity]);
    j->head = j->count = 0;
    pthread_mutex_unlock(&j->lock);
}

void journal_free(struct journal *j)
{
    if (!j)
        return;
    journal_clear(j);
    pthread_mutex_destroy(&j->lock);
    free(j->entries);
    free(j);
}

void journal_add(struct journal *j, json_t *entry)
{
    if (!entry)
        return;
    pthread_mutex_lock(&j->lock);
    if (!j->capacity) {
        json_decref(entry);
    } else if (j->count == j->capacity) {
        json_decref(j->entries[j->head]);
        j->entries[j->head] = entry;
        j->head = (j->head + 1) % j->capacity;
    } else {
        j->entries[(j->head + j->count++) % j->capacity] = entry;
    }
    pthread_mutex_unlock(&j->lock);
}

char *journal_dump(struct journal *j, size_t *len)
{
    json_t *list = json_array();
    pthread_mutex_lock(&j->lock);
    for (size_t i = 0; i < j->count; i++)
        json_array_append(list, j->entries[(j->head + i) % j->capacity]);
    pthread_mutex_unlock(&j->lock);
    json_t *root = json_object();
    json_object_set_new(root, "requests", list);
    size_t n;
    char *text = jsonout_dump(root, 2, &n);
    json_decref(root);
    char *out = text ? realloc(text, n + 2) : NULL;
    if (!out) {
        free(text);
        return NULL;
    }
    out[n] = '\n';
    out[n + 1] = '\0';
    *len = n + 1;
    return out;
}
