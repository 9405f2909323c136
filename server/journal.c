/* journal.c — a mutex-guarded ring of flat records, turned into JSON only when read. */
#include "journal.h"

#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "jsonout.h"

/* A record is one allocation: this header, then (for an exchange) its header list, then every
 * string it points at. */
struct record {
    int is_request; /* which member of `as` is filled */
    union {
        struct journal_request request;
        struct journal_callback callback;
    } as;
};

struct journal {
    pthread_mutex_t lock;
    struct record **records; /* ring of `capacity` slots */
    size_t capacity;         /* slots */
    size_t head;             /* the oldest record */
    size_t count;            /* records held */
};

struct journal *journal_new(size_t capacity)
{
    struct journal *j = calloc(1, sizeof *j);
    if (!j || (capacity && !(j->records = calloc(capacity, sizeof *j->records)))) {
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
        free(j->records[(j->head + i) % j->capacity]);
    j->head = j->count = 0;
    pthread_mutex_unlock(&j->lock);
}

void journal_free(struct journal *j)
{
    if (!j)
        return;
    journal_clear(j);
    pthread_mutex_destroy(&j->lock);
    free(j->records);
    free(j);
}

static void add(struct journal *j, struct record *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&j->lock);
    if (!j->capacity) {
        free(r);
    } else if (j->count == j->capacity) {
        free(j->records[j->head]);
        j->records[j->head] = r;
        j->head = (j->head + 1) % j->capacity;
    } else {
        j->records[(j->head + j->count++) % j->capacity] = r;
    }
    pthread_mutex_unlock(&j->lock);
}

/* Room a string takes in a record: its bytes and a NUL (none for NULL). */
static size_t room(const char *s)
{
    return s ? strlen(s) + 1 : 0;
}

/* Copy s[0..len) (NUL-terminated) to *at and move *at past it; NULL stays NULL. */
static const char *copy_bytes(char **at, const char *s, size_t len)
{
    if (!s)
        return NULL;
    char *dst = *at;
    memcpy(dst, s, len);
    dst[len] = '\0';
    *at += len + 1;
    return dst;
}

static const char *copy_text(char **at, const char *s)
{
    return s ? copy_bytes(at, s, strlen(s)) : NULL;
}

void journal_add_request(struct journal *j, const struct journal_request *r)
{
    size_t body_len = r->body_len < JOURNAL_BODY_MAX ? r->body_len : JOURNAL_BODY_MAX;
    size_t size = sizeof(struct record) + r->header_count * sizeof(struct journal_header) + room(r->request_id) +
                  room(r->method) + room(r->path) + room(r->query) + (r->body ? body_len + 1 : 0);
    for (size_t i = 0; i < r->header_count; i++)
        size += room(r->headers[i].name) + room(r->headers[i].value);
    struct record *rec = malloc(size);
    if (!rec)
        return;
    struct journal_header *headers = (struct journal_header *)(rec + 1);
    char *at = (char *)(headers + r->header_count);
    rec->is_request = 1;
    struct journal_request *copy = &rec->as.request;
    *copy = *r;
    copy->request_id = copy_text(&at, r->request_id);
    copy->method = copy_text(&at, r->method);
    copy->path = copy_text(&at, r->path);
    copy->query = copy_text(&at, r->query);
    copy->body = copy_bytes(&at, r->body, body_len);
    copy->body_len = r->body_len;
    for (size_t i = 0; i < r->header_count; i++) {
        headers[i].name = copy_text(&at, r->headers[i].name);
        headers[i].value = copy_text(&at, r->headers[i].value);
    }
    copy->headers = headers;
    add(j, rec);
}

void journal_add_callback(struct journal *j, const struct journal_callback *c)
{
    struct record *rec = malloc(sizeof *rec + room(c->url) + room(c->task_id) + room(c->error));
    if (!rec)
        return;
    char *at = (char *)(rec + 1);
    rec->is_request = 0;
    rec->as.callback = *c;
    rec->as.callback.url = copy_text(&at, c->url);
    rec->as.callback.task_id = copy_text(&at, c->task_id);
    rec->as.callback.error = copy_text(&at, c->error);
    add(j, rec);
}

/* ---- reading --------------------------------------------------------------------------------- */

static json_t *text_or_null(const char *s, size_t len)
{
    return s ? jsonout_string(s, len) : json_null();
}

static json_t *text(const char *s)
{
    return text_or_null(s, s ? strlen(s) : 0);
}

static json_t *timestamp(time_t t)
{
    char stamp[40];
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return json_string(stamp);
}

static json_t *request_json(const struct journal_request *r)
{
    json_t *headers = json_object();
    for (size_t i = 0; i < r->header_count; i++)
        json_object_set_new(headers, r->headers[i].name, text(r->headers[i].value));
    size_t kept = r->body_len < JOURNAL_BODY_MAX ? r->body_len : JOURNAL_BODY_MAX;
    json_t *e = json_object();
    json_object_set_new(e, "time", timestamp(r->time));
    json_object_set_new(e, "request_id", text(r->request_id));
    json_object_set_new(e, "method", text(r->method));
    json_object_set_new(e, "path", text(r->path));
    json_object_set_new(e, "query", text(r->query));
    json_object_set_new(e, "headers", headers);
    json_object_set_new(e, "body", text_or_null(r->body, kept));
    json_object_set_new(e, "body_bytes", json_integer((json_int_t)r->body_len));
    json_object_set_new(e, "status", json_integer(r->status));
    json_object_set_new(e, "duration_ms", json_real((double)(long long)(r->duration_ms * 10) / 10));
    return e;
}

static json_t *callback_json(const struct journal_callback *c)
{
    json_t *e = json_object();
    json_object_set_new(e, "time", timestamp(c->time));
    json_object_set_new(e, "direction", json_string("outbound"));
    json_object_set_new(e, "method", json_string("POST"));
    json_object_set_new(e, "url", text(c->url));
    json_object_set_new(e, "task_id", text(c->task_id));
    json_object_set_new(e, "attempt", json_integer(c->attempt));
    json_object_set_new(e, "status", json_integer(c->status));
    json_object_set_new(e, "error", c->status ? json_null() : text(c->error ? c->error : ""));
    return e;
}

char *journal_dump(struct journal *j, size_t *len)
{
    json_t *list = json_array();
    pthread_mutex_lock(&j->lock);
    for (size_t i = 0; i < j->count; i++) {
        const struct record *r = j->records[(j->head + i) % j->capacity];
        json_array_append_new(list, r->is_request ? request_json(&r->as.request) : callback_json(&r->as.callback));
    }
    pthread_mutex_unlock(&j->lock);
    json_t *root = json_object();
    json_object_set_new(root, "requests", list);
    size_t n;
    char *dumped = jsonout_dump(root, 2, &n);
    json_decref(root);
    char *out = dumped ? realloc(dumped, n + 2) : NULL;
    if (!out) {
        free(dumped);
        return NULL;
    }
    out[n] = '\n';
    out[n + 1] = '\0';
    *len = n + 1;
    return out;
}
