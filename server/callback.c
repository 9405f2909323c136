/* callback.c — a queue, one worker thread, and POSTs through civetweb's client. */
#include "callback.h"

#include <civetweb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct callback_queue {
    pthread_mutex_t lock;
    pthread_cond_t ready;        /* a task arrived, or stop */
    struct callback_task tasks[CALLBACK_QUEUE_MAX]; /* ring */
    size_t head, count;
    int stopping;                /* callback_stop() was called */
    pthread_t worker;
    callback_render_fn *render;
    callback_free_fn *free_work;
    void *ctx;
    struct journal *journal;
};

void callback_uuid(uint64_t hi, uint64_t lo, char out[37])
{
    snprintf(out, 37, "%08llx-%04llx-%04llx-%04llx-%012llx", (unsigned long long)(hi >> 32),
             (unsigned long long)(hi >> 16 & 0xFFFF), (unsigned long long)(hi & 0xFFFF),
             (unsigned long long)(lo >> 48), (unsigned long long)(lo & 0xFFFFFFFFFFFFULL));
}

/* http://host[:port][/path][?query][#fragment] or https://…: what civetweb's client needs, and
 * the request target (path and query; a fragment is never sent). The request layer has already
 * refused URLs with spaces or control characters. */
static int split_url(const char *url, char *host, size_t host_len, int *port, int *tls, char *target,
                     size_t target_len, char *host_header, size_t header_len)
{
    *tls = !strncasecmp(url, "https://", 8);
    const char *h = url + (*tls ? 8 : 7);
    size_t n = strcspn(h, ":/?#");
    if (!n || n >= host_len)
        return -1;
    memcpy(host, h, n);
    host[n] = '\0';
    int default_port = *tls ? 443 : 80;
    *port = default_port;
    const char *rest = h + n;
    if (*rest == ':') {
        *port = atoi(rest + 1);
        rest += 1 + strspn(rest + 1, "0123456789");
    }
    size_t target_n = strcspn(rest, "#");
    snprintf(target, target_len, "%s%.*s", *rest == '/' ? "" : "/", (int)target_n, rest);
    if (*port == default_port)
        snprintf(host_header, header_len, "%s", host);
    else
        snprintf(host_header, header_len, "%s:%d", host, *port);
    return *port > 0 && *port < 65536 && (!*rest || strchr("/?#", *rest)) ? 0 : -1;
}

/* One POST; the HTTP status answered, or 0 with `why` filled when none came. */
static int post_once(const char *url, const char *body, size_t len, char *why, size_t why_len)
{
    char host[256], target[2048], host_header[300];
    int port, tls;
    if (split_url(url, host, sizeof host, &port, &tls, target, sizeof target, host_header, sizeof host_header) != 0) {
        snprintf(why, why_len, "not a URL imgmock can post to");
        return 0;
    }
    struct mg_connection *c = mg_connect_client(host, port, tls, why, why_len);
    if (!c)
        return 0;
    mg_printf(c, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                 "User-Agent: imgmock\r\nConnection: close\r\n\r\n", target, host_header, len);
    mg_write(c, body, len);
    int status = 0;
    if (mg_get_response(c, why, why_len, CALLBACK_TIMEOUT_MS) >= 0)
        status = mg_get_response_info(c)->status_code;
    mg_close_connection(c);
    return status;
}

static void record(struct callback_queue *q, const struct callback_task *t, int attempt, int status, const char *why)
{
    journal_add_callback(q->journal, &(struct journal_callback){.time = time(NULL), .url = t->url,
                                                                 .task_id = t->task_id, .attempt = attempt,
                                                                 .status = status, .error = why});
}

/* Wait `ms`, or less if callback_stop() comes meanwhile. Returns 1 when stopping. */
static int pause_unless_stopping(struct callback_queue *q, uint64_t ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += (time_t)(ms / 1000);
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&q->lock);
    while (!q->stopping && pthread_cond_timedwait(&q->ready, &q->lock, &until) == 0)
        ; /* woken by a new task: keep waiting out the backoff */
    int stopping = q->stopping;
    pthread_mutex_unlock(&q->lock);
    return stopping;
}

/* Generate a task's result and deliver it: the first POST and up to CALLBACK_RETRIES more, with
 * doubling waits, until one is answered 2xx. */
static void run_task(struct callback_queue *q, struct callback_task *t)
{
    int success = 0;
    size_t len = 0;
    char *result = q->render(q->ctx, t->work, &success, &len);
    if (!result)
        return;
    const char *fmt = "{\n  \"task_id\": \"%s\",\n  \"trace_id\": \"%s\",\n  \"success\": %s,\n  \"%s\": ";
    size_t head_len = strlen(fmt) + 80 + 16;
    size_t total = head_len + len + 3;
    char *body = malloc(total);
    if (body) {
        int n = snprintf(body, head_len, fmt, t->task_id, t->trace_id, success ? "true" : "false",
                         success ? "data" : "error");
        memcpy(body + n, result, len);
        memcpy(body + n + len, "\n}", 3);
        size_t body_len = (size_t)n + len + 2;
        uint64_t wait = CALLBACK_BACKOFF_MS;
        for (int attempt = 1; attempt <= 1 + CALLBACK_RETRIES; attempt++, wait *= 2) {
            char why[256] = "";
            int status = post_once(t->url, body, body_len, why, sizeof why);
            record(q, t, attempt, status, why);
            if (status >= 200 && status < 300)
                break;
            if (attempt == 1 + CALLBACK_RETRIES || pause_unless_stopping(q, wait))
                break;
        }
        free(body);
    }
    free(result);
}

static void *worker(void *arg)
{
    struct callback_queue *q = arg;
    for (;;) {
        pthread_mutex_lock(&q->lock);
        while (!q->count && !q->stopping)
            pthread_cond_wait(&q->ready, &q->lock);
        if (q->stopping) {
            pthread_mutex_unlock(&q->lock);
            return NULL;
        }
        struct callback_task t = q->tasks[q->head];
        q->head = (q->head + 1) % CALLBACK_QUEUE_MAX;
        q->count--;
        pthread_mutex_unlock(&q->lock);
        run_task(q, &t);
        free(t.url);
        q->free_work(t.work);
    }
}

struct callback_queue *callback_start(callback_render_fn *render, callback_free_fn *free_work, void *ctx,
                                      struct journal *journal)
{
    struct callback_queue *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->ready, NULL);
    q->render = render;
    q->free_work = free_work;
    q->ctx = ctx;
    q->journal = journal;
    if (pthread_create(&q->worker, NULL, worker, q) != 0) {
        pthread_cond_destroy(&q->ready);
        pthread_mutex_destroy(&q->lock);
        free(q);
        return NULL;
    }
    return q;
}

int callback_submit(struct callback_queue *q, struct callback_task *task)
{
    pthread_mutex_lock(&q->lock);
    int full = q->count == CALLBACK_QUEUE_MAX || q->stopping;
    if (!full) {
        q->tasks[(q->head + q->count) % CALLBACK_QUEUE_MAX] = *task;
        q->count++;
        pthread_cond_signal(&q->ready);
    }
    pthread_mutex_unlock(&q->lock);
    return full ? -1 : 0;
}

void callback_stop(struct callback_queue *q)
{
    if (!q)
        return;
    pthread_mutex_lock(&q->lock);
    q->stopping = 1;
    pthread_cond_broadcast(&q->ready);
    pthread_mutex_unlock(&q->lock);
    pthread_join(q->worker, NULL);
    for (size_t i = 0; i < q->count; i++) { /* tasks never started */
        struct callback_task *t = &q->tasks[(q->head + i) % CALLBACK_QUEUE_MAX];
        free(t->url);
        q->free_work(t->work);
    }
    pthread_cond_destroy(&q->ready);
    pthread_mutex_destroy(&q->lock);
    free(q);
}
