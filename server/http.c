/* http.c — routes, the request pipeline and response framing on top of civetweb.
 *
 * One request goes: framing (framing.c) → route lookup → CORS preflight → method check → API
 * key → body (capped) → the route's handler. Each step either passes or produces a struct
 * apierr, and the first error found is the answer. Responses are framed here by hand, status
 * line, headers and body in one buffer: a small answer leaves in one write, a large one in
 * 64 KB pieces. Several small writes on a keep-alive connection are exactly where Nagle's
 * algorithm and delayed ACKs add 40 ms to every request.
 */
#include "http.h"

#include <arpa/inet.h>
#include <civetweb.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "apierr.h"
#include "auth.h"
#include "cache.h"
#include "callback.h"
#include "controls.h"
#include "encode.h"
#include "framing.h"
#include "images.h"
#include "journal.h"
#include "jsonout.h"
#include "mix.h"
#include "profile.h"
#include "ratelimit.h"
#include "reqid.h"
#include "request.h"
#include "response.h"
#include "sse.h"
#include "urltoken.h"

struct http_server {
    struct mg_context *ctx;    /* civetweb's server */
    const struct cfg *cfg;     /* settings, owned by the caller */
    struct reqid_gen ids;      /* x-request-id source */
    struct req_policy policy;  /* how request bodies are judged (--mode, --retire, --profile) */
    const struct profile *profile; /* the gateway imgmock behaves like (--profile) */
    struct cache *cache;       /* encoded images, shared by all workers */
    const uint8_t *secret;     /* key of image URL signatures: --secret's bytes, or random_secret */
    size_t secret_len;         /* bytes of `secret` (all of --secret: HMAC takes keys of any length) */
    uint8_t random_secret[32]; /* the key when no --secret was given */
    struct ratelimit *limits;  /* --rpm/--ipm windows; NULL when both are off */
    struct journal *journal;   /* recent requests for GET /__mock/requests */
    struct callback_queue *tasks; /* asynchronous generations (a profile with callbacks), or NULL */
    atomic_uint_fast64_t api_requests; /* API requests so far: k for --fault-rate's k-th draw */
    atomic_int in_flight;      /* requests inside handle_request() right now */
    atomic_bool draining;      /* set by http_stop(): close connections after answering */
    char base_url[80];         /* "http://HOST:PORT" as actually bound */
};

/* One request on its way through the pipeline. */
struct exchange {
    struct mg_connection *conn;         /* civetweb's connection */
    const struct mg_request_info *info; /* method, path, headers */
    struct http_server *server;         /* the server it arrived at */
    const char *method;                 /* the request method; "" when civetweb refused the request line */
    const char *path;                   /* decoded path without the query string */
    char request_id[REQID_LEN + 1];     /* x-request-id of the answer */
    struct timespec started;            /* when handling began (CLOCK_MONOTONIC) */
    int status;                         /* status answered with; 0 if none could be sent */
    int body_consumed;                  /* the request body has been read to its end */
    int must_close;                     /* answer with connection: close whatever the client wants */
    char *body;                         /* the request body, once read (owned; kept for the journal) */
    size_t body_len;                    /* its length */
    uint64_t latency_ms;                /* injected wait before the answer (--latency-ms, X-Mock-Latency-Ms) */
    enum mock_fault fault;              /* how the answer is to break (X-Mock-Fault, --fault-rate) */
    uint64_t stream_delay_ms;           /* pause after each stream event (--stream-delay-ms, header) */
    char limit_headers[512];            /* x-ratelimit-* lines every answer carries while limits are on */
    int journaled;                      /* its journal entry has been added */
    int head_unknown;                   /* civetweb refused the request head: its request info
                                           may be the previous request's, so none of it is used */
    char *api_key;                      /* the request's key, once exchange_key() has read it (owned) */
    int api_key_read;                   /* exchange_key() has looked */
};

/* ---- the response side --------------------------------------------------------------------- */

static double elapsed_ms(const struct timespec *since)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - since->tv_sec) * 1e3 + (double)(now.tv_nsec - since->tv_nsec) / 1e6;
}

/* The time answers speak of: --clock when it is set, else the real clock. */
static time_t server_time(const struct http_server *s)
{
    return s->cfg->clock >= 0 ? (time_t)s->cfg->clock : time(NULL);
}

/* Whether a comma-separated header value (Connection, Transfer-Encoding) lists `token`,
 * compared without regard to case. */
static int header_has_token(const char *value, const char *token)
{
    size_t n = strlen(token);
    while (value && *value) {
        while (*value == ' ' || *value == '\t' || *value == ',')
            value++;
        size_t len = strcspn(value, ",");
        size_t trimmed = len;
        while (trimmed && (value[trimmed - 1] == ' ' || value[trimmed - 1] == '\t'))
            trimmed--;
        if (trimmed == n && !strncasecmp(value, token, n))
            return 1;
        value += len;
    }
    return 0;
}

/* Whether the connection may carry another request after this answer. This mirrors civetweb's
 * own rule (HTTP/1.1 defaults to keep-alive; a Connection header decides otherwise) so that the
 * Connection header imgmock sends matches what civetweb then does with the socket. */
static int keep_alive(const struct exchange *x)
{
    if (x->must_close || atomic_load(&x->server->draining))
        return 0;
    const char *te = mg_get_header(x->conn, "Transfer-Encoding");
    int has_body = x->info->content_length > 0 || header_has_token(te, "chunked");
    if (has_body && !x->body_consumed) /* unread bytes would be taken for the next request */
        return 0;
    /* every Connection line counts: "keep-alive, close", or two lines, mean close */
    int asked_close = 0, asked_keep = 0;
    for (int i = 0; i < x->info->num_headers; i++) {
        if (strcasecmp(x->info->http_headers[i].name, "Connection"))
            continue;
        asked_close |= header_has_token(x->info->http_headers[i].value, "close");
        asked_keep |= header_has_token(x->info->http_headers[i].value, "keep-alive");
    }
    if (asked_close || asked_keep)
        return !asked_close;
    return x->info->http_version && !strcmp(x->info->http_version, "1.1");
}

static void journal_record(struct exchange *x, int status);

/* Sleep for injected latency and stream pacing. */
static void pause_ms(uint64_t ms)
{
    if (ms)
        nanosleep(&(struct timespec){(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L}, NULL);
}

/* The most bytes of request line and headers civetweb reads (its max_request_size, its default). */
#define MAX_REQUEST_HEAD "16384"


/* A response on its way out. Headers and body collect in `buf` and go to the socket in large
 * writes: a small answer leaves in a single write, a large one in WRITER_BUF pieces. The buffer
 * is sized to the answer (headers and body, up to WRITER_BUF): 64 connections each holding 64 KB
 * for a 300-byte error were 4 MB of a loaded server's memory. */
enum { WRITER_BUF = 64 * 1024, WRITER_HEAD_ROOM = 2048 };
struct writer {
    struct exchange *x; /* the exchange it answers */
    int status;         /* the status line's code, recorded in x->status once all is written */
    int head_only;      /* HEAD request: the body is counted but not sent */
    int failed;         /* a write failed (client gone): drop the rest */
    size_t body_sent;   /* body bytes accepted so far */
    size_t cut_at;      /* X-Mock-Fault truncate: after this many body bytes, hang up; 0 = never */
    size_t used;        /* bytes waiting in buf */
    size_t cap;         /* bytes `buf` holds */
    char buf[];
};

static void writer_flush(struct writer *w)
{
    if (w->used && !w->failed && mg_write(w->x->conn, w->buf, w->used) != (int)w->used)
        w->failed = 1;
    w->used = 0;
}

static int writer_put(struct writer *w, const void *data, size_t len)
{
    if (w->failed)
        return -1;
    if (w->used + len > w->cap) {
        writer_flush(w);
        if (len > w->cap) { /* large pieces go straight out */
            if (!w->failed && mg_write(w->x->conn, data, len) != (int)len)
                w->failed = 1;
            return w->failed ? -1 : 0;
        }
    }
    memcpy(w->buf + w->used, data, len);
    w->used += len;
    return 0;
}

static void put_text(struct writer *w, const char *text)
{
    writer_put(w, text, strlen(text));
}

/* `value` in decimal, written into `out` (room for 24 bytes); returns `out`. */
static const char *decimal(char out[24], long long value)
{
    char digits[24], *d = digits + sizeof digits;
    unsigned long long v = value < 0 ? 0 - (unsigned long long)value : (unsigned long long)value;
    do
        *--d = (char)('0' + v % 10);
    while (v /= 10);
    if (value < 0)
        *--d = '-';
    size_t n = (size_t)(digits + sizeof digits - d);
    memcpy(out, d, n);
    out[n] = '\0';
    return out;
}

/* The Date header's value for `now`. Formatted once per second per thread: strftime alone cost
 * as much as the rest of a small answer's headers. */
static const char *http_date(time_t now)
{
    static _Thread_local time_t formatted_for = (time_t)-1;
    static _Thread_local char text[40];
    if (now != formatted_for) {
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        formatted_for = now;
    }
    return text;
}

/* encode_sink over the body: HEAD requests drop it; a truncate fault hangs up midway. */
static int writer_body_sink(void *ctx, const void *data, size_t len)
{
    struct writer *w = ctx;
    if (w->head_only)
        return 0;
    if (w->cut_at && w->body_sent + len >= w->cut_at) {
        writer_put(w, data, w->cut_at - w->body_sent);
        writer_flush(w);
        w->failed = 1; /* the rest is never sent; response_end closes the connection */
        return -1;
    }
    w->body_sent += len;
    return writer_put(w, data, len);
}

/* Whether `fd` is civetweb's socket for this connection, judged by its two addresses (civetweb
 * does not hand the socket out). */
static int is_connection_fd(const struct exchange *x, int fd)
{
    struct sockaddr_in peer, self;
    socklen_t pl = sizeof peer, sl = sizeof self;
    char addr[INET_ADDRSTRLEN];
    return getpeername(fd, (struct sockaddr *)&peer, &pl) == 0 && peer.sin_family == AF_INET &&
           ntohs(peer.sin_port) == x->info->remote_port && getsockname(fd, (struct sockaddr *)&self, &sl) == 0 &&
           ntohs(self.sin_port) == x->info->server_port &&
           inet_ntop(AF_INET, &peer.sin_addr, addr, sizeof addr) && !strcmp(addr, x->info->remote_addr);
}

/* civetweb's socket for this connection, or -1 if it cannot be found. */
static int connection_fd(const struct exchange *x)
{
    DIR *open_fds = opendir("/proc/self/fd"); /* only the open descriptors, not every number */
    if (open_fds) {
        int found = -1;
        for (struct dirent *d; found < 0 && (d = readdir(open_fds)) != NULL;)
            if (d->d_name[0] >= '0' && d->d_name[0] <= '9' && is_connection_fd(x, atoi(d->d_name)))
                found = atoi(d->d_name);
        closedir(open_fds);
        return found;
    }
    for (int fd = 3; fd < 65536; fd++) /* no /proc: look at every number */
        if (is_connection_fd(x, fd))
            return fd;
    return -1;
}

/* Whether the client has closed its side: a peek that reads end-of-stream or an error (a request
 * pipelined behind this one, or nothing yet, means it is still there). */
static int client_gone(int fd)
{
    char byte;
    ssize_t n = recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

/* X-Mock-Fault reset: swap the connection's socket for a fresh one with dup2(), after setting a
 * zero linger time: the real socket closes at once with a TCP reset, and civetweb later closes
 * the stand-in harmlessly. */
static void reset_connection(struct exchange *x)
{
    int fd = connection_fd(x);
    if (fd >= 0) {
        struct linger abort_now = {1, 0};
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_now, sizeof abort_now);
        int stand_in = socket(AF_INET, SOCK_STREAM, 0);
        if (stand_in >= 0) {
            dup2(stand_in, fd);
            close(stand_in);
        }
    }
    x->must_close = 1;
    mg_disable_connection_keep_alive(x->conn);
}

/* Start a response: the status line, the headers every answer carries, `content_type` (NULL for
 * none), a content-length of `length` (negative: none, as for 204), and `extra_headers` (lines
 * ending in \r\n, or NULL). The body follows through writer_body_sink; response_end() sends
 * what is left. NULL when memory runs out (the connection is then closed unanswered). */
static struct writer *response_begin(struct exchange *x, int status, const char *content_type,
                                     const char *extra_headers, long long length)
{
    pause_ms(x->latency_ms); /* injected latency: before the first byte of the (one) answer */
    if (x->fault == FAULT_RESET || x->fault == FAULT_EMPTY) {
        journal_record(x, 0); /* before the client can notice the hang-up */
        if (x->fault == FAULT_RESET)
            reset_connection(x);
        x->must_close = 1;
        mg_disable_connection_keep_alive(x->conn);
        return NULL; /* nothing is answered */
    }
    size_t cap = length >= 0 && (unsigned long long)length < WRITER_BUF - WRITER_HEAD_ROOM
                     ? WRITER_HEAD_ROOM + (size_t)length
                     : WRITER_BUF;
    struct writer *w = malloc(sizeof *w + cap);
    if (!w) {
        mg_disable_connection_keep_alive(x->conn);
        return NULL;
    }
    w->x = x;
    w->cap = cap;
    w->status = status;
    w->head_only = !strcmp(x->method, "HEAD");
    w->failed = 0;
    w->body_sent = 0;
    w->cut_at = x->fault == FAULT_TRUNCATE && length > 1 ? (size_t)length / 2 : 0;
    int keep = keep_alive(x);
    if (!keep)
        mg_disable_connection_keep_alive(x->conn);

    /* a frozen clock makes answers byte-identical: then the processing time is the injected one */
    long long processing_ms = x->server->cfg->clock >= 0 ? (long long)x->latency_ms : (long long)elapsed_ms(&x->started);
    char number[24];
    w->used = 0;
    put_text(w, "HTTP/1.1 ");
    put_text(w, decimal(number, status));
    put_text(w, " ");
    put_text(w, apierr_reason_phrase(status));
    put_text(w, "\r\ndate: ");
    put_text(w, http_date(server_time(x->server)));
    if (content_type) {
        put_text(w, "\r\ncontent-type: ");
        put_text(w, content_type);
    }
    if (length >= 0) {
        put_text(w, "\r\ncontent-length: ");
        put_text(w, decimal(number, length));
    }
    put_text(w, keep ? "\r\nconnection: keep-alive\r\nx-request-id: " : "\r\nconnection: close\r\nx-request-id: ");
    put_text(w, x->request_id);
    put_text(w, "\r\nopenai-processing-ms: ");
    put_text(w, decimal(number, processing_ms));
    put_text(w, "\r\nopenai-version: 2020-10-01\r\nopenai-organization: ");
    put_text(w, x->server->cfg->organization);
    put_text(w, "\r\naccess-control-allow-origin: *\r\naccess-control-expose-headers: X-Request-ID\r\n");
    put_text(w, x->limit_headers);
    put_text(w, extra_headers ? extra_headers : "");
    put_text(w, "\r\n");
    return w;
}

/* Send what is buffered, record the status for the access log, and free the writer. */
static void response_end(struct writer *w)
{
    if (!w)
        return;
    /* journaled before the last bytes leave, so a client that has its whole answer finds it */
    journal_record(w->x, w->failed ? 0 : w->status);
    writer_flush(w);
    if (!w->failed)
        w->x->status = w->status;
    else
        mg_disable_connection_keep_alive(w->x->conn);
    free(w);
}

/* Send one complete response whose body is in memory (`body` NULL: no body, no length). */
static void send_response(struct exchange *x, int status, const char *content_type, const char *extra_headers,
                          const char *body, size_t body_len)
{
    struct writer *w = response_begin(x, status, content_type, extra_headers, body ? (long long)body_len : -1);
    if (w && body)
        writer_body_sink(w, body, body_len);
    response_end(w);
}

static void send_error(struct exchange *x, const struct apierr *e, const char *extra_headers)
{
    size_t len = 0;
    char *body = apierr_to_json(e, x->server->profile->errors, &len);
    send_response(x, body ? e->status : 500, "application/json", extra_headers, body ? body : "", len);
    free(body);
}

/* Copy `s` for the access log with control bytes made visible, so a path cannot forge lines. */
static void log_safe(char *out, size_t n, const char *s)
{
    size_t i = 0;
    for (; s && *s && i + 1 < n; s++)
        out[i++] = ((unsigned char)*s < 0x20 || *s == 0x7f) ? '?' : *s;
    out[i] = '\0';
}

static void access_log(const struct exchange *x)
{
    if (x->server->cfg->quiet)
        return;
    char stamp[32], method[16], path[256], line[512];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    log_safe(method, sizeof method, x->method);
    log_safe(path, sizeof path, x->path);
    int n = snprintf(line, sizeof line, "%s %s %s %s %d %.1fms %s\n", stamp, x->info->remote_addr, method, path,
                     x->status, elapsed_ms(&x->started), x->request_id);
    if (n > 0) /* one write(2) per line keeps lines whole when threads log at once */
        (void)!write(STDERR_FILENO, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

/* ---- the request side ---------------------------------------------------------------------- */

enum { METHOD_GET = 1, METHOD_HEAD = 2, METHOD_POST = 4, METHOD_DELETE = 8 };

/* Read the whole request body into a malloc'd, NUL-terminated buffer of at most --max-body
 * bytes. Returns 0 with *body and *len set, or -1 with `err` filled (413; 400 for a broken or
 * short body; 500 when memory runs out). A declared length is read
 * exactly; a chunked body grows its buffer until it ends or passes the cap. */
static int read_body(struct exchange *x, char **body, size_t *len, struct apierr *err)
{
    const size_t max = (size_t)x->server->cfg->max_body;
    const long long declared = x->info->content_length;
    if (declared > (long long)max)
        return apierr_set(err, APIERR_BODY_TOO_LARGE, 0, NULL, max);

    size_t cap = declared >= 0 ? (size_t)declared : (max < 16384 ? max + 1 : 16384);
    size_t used = 0;
    char *buf = malloc(cap + 1);
    if (!buf)
        return apierr_set(err, APIERR_OUT_OF_MEMORY, 0, NULL);
    for (;;) {
        if (used == cap) {
            if (declared >= 0)
                break;
            if (cap > max) { /* holds max+1 bytes: the chunked body is over the cap */
                free(buf);
                return apierr_set(err, APIERR_BODY_TOO_LARGE, 0, NULL, max);
            }
            size_t grown = cap * 2 > max + 1 ? max + 1 : cap * 2;
            char *p = realloc(buf, grown + 1);
            if (!p) {
                free(buf);
                return apierr_set(err, APIERR_OUT_OF_MEMORY, 0, NULL);
            }
            buf = p;
            cap = grown;
        }
        int n = mg_read(x->conn, buf + used, cap - used);
        if (n < 0 || (n == 0 && declared >= 0)) {
            /* A broken chunk or a body cut short: answered (if anyone is still there to read it),
             * and the connection closed, since where this request ends is unknown. */
            free(buf);
            x->must_close = 1;
            return apierr_set(err, APIERR_HTTP_PROTOCOL, 400, NULL,
                              declared >= 0 ? "The request body ended before the length its Content-Length header declared."
                                            : "The request body's chunked encoding is malformed, or it ended early.");
        }
        if (n == 0)
            break;
        used += (size_t)n;
    }
    x->body_consumed = 1;
    buf[used] = '\0';
    *body = buf;
    *len = used;
    return 0;
}

/* A route's handler: the request has passed method, key and body checks. It must answer. */
typedef void route_handler(struct exchange *x, const char *body, size_t len);

static void handle_health(struct exchange *x, const char *body, size_t len)
{
    (void)body, (void)len;
    static const char ok[] = "{\"status\":\"ok\"}";
    send_response(x, 200, "application/json", NULL, ok, sizeof ok - 1);
}

/* schemas/openapi.json, compiled in by cmake/embed.cmake */
extern const unsigned char openapi_document[];
extern const size_t openapi_document_len;

static void handle_openapi(struct exchange *x, const char *body, size_t len)
{
    (void)body, (void)len;
    send_response(x, 200, "application/json", NULL, (const char *)openapi_document, openapi_document_len);
}

/* The base of image URLs: --public-url, else http:// and the Host the client used (when it
 * looks like a host), else the address imgmock listens on. */
static void url_base(const struct exchange *x, char *out, size_t n)
{
    const struct cfg *cfg = x->server->cfg;
    const char *host = mg_get_header(x->conn, "Host");
    if (cfg->public_url[0]) {
        size_t len = strlen(cfg->public_url);
        while (len && cfg->public_url[len - 1] == '/')
            len--;
        snprintf(out, n, "%.*s", (int)len, cfg->public_url);
    } else if (host && *host && strlen(host) < 256 && strspn(host, "abcdefghijklmnopqrstuvwxyz"
                                                             "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") == strlen(host))
        snprintf(out, n, "http://%s", host);
    else
        snprintf(out, n, "%s", x->server->base_url);
}

/* Send one holed text (an SSE event), an image's base64 text in its hole, as one HTTP chunk
 * (or as plain body bytes for HTTP/1.0, which has no chunking), and push it to the client at
 * once. Returns 0, or -1 once the client has gone. */
static int send_event(struct writer *w, int chunked, const struct resp_body *event, const char *base64, size_t len)
{
    char head[32];
    size_t event_len = resp_length(event, &len);
    int n = snprintf(head, sizeof head, "%zx\r\n", event_len);
    if (w->x->fault == FAULT_TRUNCATE && !w->cut_at) /* a stream cut in the middle of its first event */
        w->cut_at = w->body_sent + event_len / 2;
    if ((chunked && writer_put(w, head, (size_t)n)) || resp_write(event, &base64, &len, writer_body_sink, w) ||
        (chunked && writer_put(w, "\r\n", 2)))
        return -1;
    writer_flush(w);
    return w->failed ? -1 : 0;
}

/* Answer stream: true (spec §8): per image, its partial images then its completed event, each
 * painted and encoded only when its turn comes, so a client that hangs up stops the work at the
 * next event. Errors found before the first byte are ordinary JSON errors (in `err`). */
static void stream_generation(struct exchange *x, const struct image_plan *plan, long long created,
                              struct apierr *err)
{
    struct http_server *s = x->server;
    const struct image_request *r = plan->req;
    struct writer *w = NULL;
    /* HTTP/1.0 has no chunked encoding (RFC 9112 §6.1): the events go as a plain body and the
     * closing of the connection marks its end */
    int chunked = !x->info->http_version || strcmp(x->info->http_version, "1.0") != 0;
    if (!chunked)
        x->must_close = 1;
    int fd = -1; /* the connection's socket, found once the first event is out, then peeked
                    before each later event */
    int fd_looked_up = 0;
    for (int i = 0; i < r->n; i++) {
        for (int k = 0; k <= r->partial_images; k++) {
            int final = k == r->partial_images;
            if (w && fd >= 0 && client_gone(fd)) { /* hung up: paint nothing more */
                w->failed = 1;
                goto done;
            }
            struct cache_key key;
            images_key(plan, (unsigned)i, final ? 0 : (unsigned)k + 1, (unsigned)r->partial_images, &key);
            struct cache_entry *image = images_get_base64(s->cache, &key, err);
            struct resp_body event;
            int built = image ? (final ? sse_completed_event(plan, created, &event)
                                       : sse_partial_event(plan, created, (unsigned)k, &event))
                              : -1;
            if (built != 0 && image)
                apierr_set(err, APIERR_OUT_OF_MEMORY, 0, NULL);
            if (built == 0 && !w) { /* the first byte: from here on errors can only end the stream */
                w = response_begin(x, 200, "text/event-stream",
                                   chunked ? "cache-control: no-cache\r\ntransfer-encoding: chunked\r\n"
                                           : "cache-control: no-cache\r\n",
                                   -1);
            }
            int sent = built == 0 && w && send_event(w, chunked, &event, (const char *)cache_data(image), cache_size(image)) == 0;
            if (built == 0)
                resp_free(&event);
            if (image)
                cache_release(s->cache, image);
            if (!sent)
                goto done;
            if (!fd_looked_up && (k < r->partial_images || i + 1 < r->n)) { /* more events to come */
                fd = connection_fd(x);
                fd_looked_up = 1;
            }
            pause_ms(x->stream_delay_ms);
        }
    }
    if (s->cfg->stream_done) {
        char done[64];
        int n = chunked ? snprintf(done, sizeof done, "%zx\r\n%s\r\n", strlen(SSE_DONE), SSE_DONE)
                        : snprintf(done, sizeof done, "%s", SSE_DONE);
        writer_put(w, done, (size_t)n);
    }
    if (chunked)
        writer_put(w, "0\r\n\r\n", 5); /* the last chunk */
done:
    if (w && (err->kind != APIERR_NONE || w->failed)) { /* too late for an envelope: cut the stream short */
        w->failed = 1; /* response_end() then closes the connection */
        apierr_clear(err);
    }
    response_end(w);
}

/* The request id as messages may name it: the id itself, or, for a gateway that keeps it out of
 * bodies (AIHubMix), a pointer to the header that carries it. */
static const char *id_in_body(const struct exchange *x)
{
    return x->server->profile->request_id_in_body ? x->request_id : "from the X-Request-Id header";
}

static const char *header_of(void *ctx, const char *name)
{
    return mg_get_header(((struct exchange *)ctx)->conn, name);
}

static uint64_t monotonic_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/* The request's API key (NULL: none), read from its Authorization header once per exchange. */
static const char *exchange_key(struct exchange *x)
{
    if (!x->api_key_read) {
        x->api_key = auth_key_from_header(mg_get_header(x->conn, "Authorization"));
        x->api_key_read = 1;
    }
    return x->api_key;
}

/* --rpm/--ipm: count the request against its key's windows (the answer's x-ratelimit headers
 * follow), or refuse it with a 429. `images` 0 only looks, for the headers of other answers. */
static int take_rate_limit(struct exchange *x, const char *model, uint64_t images, struct apierr *err, char *extra,
                           size_t extra_len)
{
    struct http_server *s = x->server;
    if (!s->limits)
        return 0;
    const char *key = exchange_key(x);
    struct ratelimit_verdict v;
    ratelimit_take(s->limits, key ? key : "", images, monotonic_ms(), &v);
    ratelimit_headers(&v, x->limit_headers, sizeof x->limit_headers);
    if (!v.refused)
        return 0;
    ratelimit_refusal(&v, model, s->cfg->organization, images, err, extra, extra_len);
    return -1;
}

/* What an answer carries per image: a signed URL, or its base64 text held from the cache. */
struct answer_parts {
    struct cache_entry *texts[IMAGES_MAX]; /* cache references (b64 answers), released by release_parts */
    const char *base64[IMAGES_MAX];        /* each image's base64 text */
    size_t lengths[IMAGES_MAX];            /* and their lengths */
    char *urls[IMAGES_MAX];                /* URLs (url answers), owned */
};

/* Fill `parts` for each image of `plan`: signed URLs under `url_base`, valid until created +
 * --url-ttl, or the images' base64 texts (one image's pixels at a time: images_get frees them once
 * encoded). Returns 0, or -1 with `err` filled; release_parts() frees what was made either way. */
static int gather_parts(struct http_server *s, const struct image_plan *plan, const char *url_base, long long created,
                        struct answer_parts *parts, struct apierr *err)
{
    for (int i = 0; i < plan->req->n; i++) {
        struct cache_key key;
        images_key(plan, (unsigned)i, 0, 0, &key);
        if (plan->as_url) {
            char token[URLTOKEN_LEN + 1];
            urltoken_make(s->secret, s->secret_len, &key, (uint64_t)created + s->cfg->url_ttl, token);
            size_t n = strlen(url_base) + URLTOKEN_LEN + 16;
            if (!(parts->urls[i] = malloc(n)))
                return apierr_set(err, APIERR_OUT_OF_MEMORY, 0, NULL);
            snprintf(parts->urls[i], n, "%s/images/%s.%s", url_base, token, encode_format_name(plan->format));
        } else {
            if (!(parts->texts[i] = images_get_base64(s->cache, &key, err)))
                return -1;
            parts->base64[i] = (const char *)cache_data(parts->texts[i]);
            parts->lengths[i] = cache_size(parts->texts[i]);
        }
    }
    return 0;
}

static void release_parts(struct http_server *s, struct answer_parts *parts)
{
    for (int i = 0; i < IMAGES_MAX; i++) {
        if (parts->texts[i])
            cache_release(s->cache, parts->texts[i]);
        free(parts->urls[i]);
    }
    memset(parts, 0, sizeof *parts);
}

/* What a background task generates: the request (owned) and what the answer depends on. */
struct task_work {
    struct image_request req; /* owned: freed with req_free() */
    uint64_t seed;            /* the image seed (--seed or X-Mock-Seed) */
    long long created;        /* the answer's "created" */
    char url_base[320];       /* base of image URLs, taken from the request that made the task */
};

static void free_task_work(void *work)
{
    struct task_work *w = work;
    req_free(&w->req);
    free(w);
}

/* callback_render_fn: the whole answer of a task, in memory (the background has no socket to
 * stream into). On failure, the error object of the envelope. */
static char *render_task(void *ctx, void *work, int *success, size_t *len)
{
    struct http_server *s = ctx;
    struct task_work *w = work;
    struct apierr err = APIERR_INIT;
    struct image_plan plan;
    struct resp_body rb = {0};
    struct answer_parts parts = {0};
    struct encode_buffer out = {0};
    images_plan(&w->req, w->seed, &plan);
    plan.always_usage = s->profile->always_usage;
    if (gather_parts(s, &plan, w->url_base, w->created, &parts, &err) == 0 &&
        (resp_build(&plan, w->created, parts.urls, &rb) != 0 ||
         resp_write(&rb, parts.base64, parts.lengths, encode_buffer_sink, &out) != 0))
        apierr_set(&err, APIERR_OUT_OF_MEMORY, 0, NULL);
    *success = err.kind == APIERR_NONE;
    if (!*success) { /* the envelope's inner object: {"error": {…}} without its outer braces' key */
        free(out.data);
        out = (struct encode_buffer){0};
        size_t n;
        char *envelope = apierr_to_json(&err, ERRORS_OPENAI, &n);
        char *inner = envelope ? strchr(envelope + 1, '{') : NULL; /* after the outer brace */
        char *outer_end = envelope ? strrchr(envelope, '}') : NULL;
        if (inner && outer_end > inner)
            encode_buffer_sink(&out, inner, (size_t)(outer_end - inner));
        free(envelope);
    }
    release_parts(s, &parts);
    resp_free(&rb);
    apierr_clear(&err);
    *len = out.len;
    return (char *)out.data;
}

/* Queue a callback_url request and answer {"task_id": …} at once; a full queue is a 429. On
 * success the request's ownership has passed to the task. */
static int submit_task(struct exchange *x, struct image_request *req, uint64_t seed, struct apierr *err, char *extra,
                       size_t extra_len)
{
    struct http_server *s = x->server;
    struct task_work *w = calloc(1, sizeof *w);
    struct callback_task t = {0};
    if (!w || !(t.url = strdup(req->callback_url))) {
        free(w);
        return apierr_set(err, APIERR_OUT_OF_MEMORY, 0, NULL);
    }
    w->req = *req;
    w->seed = seed;
    w->created = (long long)server_time(s);
    url_base(x, w->url_base, sizeof w->url_base);
    /* the task id follows the request id ("req_" + 32 hex), so --clock runs repeat it too */
    char half[17] = {0};
    memcpy(half, x->request_id + 4, 16);
    uint64_t hi = strtoull(half, NULL, 16);
    memcpy(half, x->request_id + 20, 16);
    uint64_t lo = strtoull(half, NULL, 16);
    callback_uuid(hi, lo, t.task_id);
    callback_uuid(mix64(hi), mix64(lo), t.trace_id);
    t.work = w;
    if (callback_submit(s->tasks, &t) != 0) {
        free(t.url);
        free(w); /* the request stays the handler's to free */
        snprintf(extra, extra_len, "retry-after: 1\r\nretry-after-ms: 1000\r\nx-should-retry: true\r\n");
        return apierr_set(err, APIERR_TASKS_FULL, 0, NULL, CALLBACK_QUEUE_MAX);
    }
    json_t *answer = json_object();
    json_object_set_new(answer, "task_id", json_string(t.task_id));
    size_t n;
    char *text = jsonout_dump(answer, 2, &n);
    json_decref(answer);
    if (text)
        send_response(x, 200, "application/json", NULL, text, n);
    free(text);
    return 0;
}

static void handle_generations(struct exchange *x, const char *body, size_t len)
{
    struct http_server *s = x->server;
    struct apierr err = APIERR_INIT;
    struct mock_controls controls;
    struct image_request req;
    struct image_plan plan;
    struct resp_body rb = {0};
    struct answer_parts parts = {0};
    char base[320] = "";
    char extra[256] = "";
    int parsed = 0;

    uint64_t k = atomic_fetch_add(&s->api_requests, 1);
    take_rate_limit(x, NULL, 0, &err, extra, sizeof extra); /* the headers every answer carries */
    x->latency_ms = s->cfg->latency_ms;
    x->stream_delay_ms = s->cfg->stream_delay_ms;
    if (controls_parse(header_of, x, &controls, &err) != 0)
        goto out;
    if (controls.has_latency)
        x->latency_ms = controls.latency_ms;
    if (controls.has_stream_delay)
        x->stream_delay_ms = controls.stream_delay_ms;
    x->fault = controls.fault ? controls.fault : controls_drawn_fault(k, s->cfg->fault_rate, s->cfg->fault_seed);
    if (x->fault == FAULT_STATUS_500 || x->fault == FAULT_STATUS_503) {
        if (!controls.status) /* an explicit X-Mock-Status wins over a drawn one */
            controls.status = x->fault == FAULT_STATUS_500 ? 500 : 503;
        x->fault = FAULT_NONE;
    }
    if (controls.status) {
        char *model = req_model_hint(body, len);
        controls_injected_error(controls.status, model ? model : "gpt-image-1", exchange_key(x), id_in_body(x),
                                s->cfg->organization, &err, extra, sizeof extra);
        free(model);
        goto out;
    }
    if (req_parse(body, len, &s->policy, &req, &err) != 0)
        goto out;
    parsed = 1;
    if (controls_moderate(controls.categories, req.prompt, req.prompt_len, s->cfg->blocklist.items,
                          s->cfg->blocklist.count, req.family->gpt, id_in_body(x), &err) != 0 ||
        take_rate_limit(x, req.model_name, (uint64_t)req.n, &err, extra, sizeof extra) != 0)
        goto out;
    if (x->fault == FAULT_MALFORMED) {
        char broken[160];
        send_response(x, 200, "application/json", NULL, broken,
                      controls_malformed_body((long long)server_time(s), broken, sizeof broken));
        goto out;
    }
    if (req.callback_url) { /* AceData: a task id now, the result POSTed later */
        if (submit_task(x, &req, controls.has_seed ? controls.seed : s->cfg->seed, &err, extra, sizeof extra) == 0)
            parsed = 0; /* the task owns the request now */
        goto out;
    }
    images_plan(&req, controls.has_seed ? controls.seed : s->cfg->seed, &plan);
    plan.always_usage = s->profile->always_usage;
    time_t created = server_time(s);
    if (req.stream) {
        stream_generation(x, &plan, (long long)created, &err);
        goto out;
    }
    if (plan.as_url)
        url_base(x, base, sizeof base);
    if (gather_parts(s, &plan, base, (long long)created, &parts, &err) != 0)
        goto out;
    if (resp_build(&plan, (long long)created, parts.urls, &rb) != 0) {
        apierr_set(&err, APIERR_OUT_OF_MEMORY, 0, NULL);
        goto out;
    }
    struct writer *w = response_begin(x, 200, "application/json", NULL, (long long)resp_length(&rb, parts.lengths));
    if (w)
        resp_write(&rb, parts.base64, parts.lengths, writer_body_sink, w);
    response_end(w);
out:
    if (err.kind != APIERR_NONE)
        send_error(x, &err, extra[0] ? extra : NULL);
    release_parts(s, &parts);
    resp_free(&rb);
    if (parsed)
        req_free(&req);
    apierr_clear(&err);
}

/* GET /images/<token>.<ext>: an image a URL answer pointed at. No key needed: the signature is
 * the permission. */
static void handle_image(struct exchange *x, const char *body, size_t len)
{
    (void)body, (void)len;
    struct http_server *s = x->server;
    struct apierr err = APIERR_INIT;
    const char *name = x->path + strlen("/images/");
    const char *dot = strrchr(name, '.');
    struct cache_key key;
    enum urltoken_status status = dot ? urltoken_check(s->secret, s->secret_len, name, (size_t)(dot - name),
                                                       (uint64_t)server_time(s), &key)
                                      : URLTOKEN_INVALID;
    if (status == URLTOKEN_OK && strcmp(dot + 1, encode_format_name((enum image_format)key.format)) != 0)
        status = URLTOKEN_INVALID;
    if (status == URLTOKEN_EXPIRED)
        apierr_set(&err, APIERR_URL_EXPIRED, 0, NULL, (unsigned long long)s->cfg->url_ttl);
    else if (status != URLTOKEN_OK)
        apierr_set(&err, APIERR_URL_INVALID, 0, NULL);
    struct cache_entry *image = status == URLTOKEN_OK ? images_get(s->cache, &key, &err) : NULL;
    char cache_control[64];
    snprintf(cache_control, sizeof cache_control, "cache-control: private, max-age=%llu\r\n",
             (unsigned long long)s->cfg->url_ttl);
    if (image) {
        struct writer *w = response_begin(x, 200, encode_mime_type((enum image_format)key.format),
                                          cache_control, (long long)cache_size(image));
        if (w)
            writer_body_sink(w, cache_data(image), cache_size(image));
        response_end(w);
        cache_release(s->cache, image);
    } else
        send_error(x, &err, NULL);
    apierr_clear(&err);
}

/* GET /__mock/requests: the journal; DELETE clears it. No key needed: it is the test's own view. */
static void handle_journal(struct exchange *x, const char *body, size_t len)
{
    (void)body, (void)len;
    if (!strcmp(x->method, "DELETE")) {
        journal_clear(x->server->journal);
        send_response(x, 204, NULL, NULL, NULL, 0);
        return;
    }
    size_t n = 0;
    char *text = journal_dump(x->server->journal, &n);
    if (text)
        send_response(x, 200, "application/json", NULL, text, n);
    else {
        struct apierr err = APIERR_INIT;
        apierr_set(&err, APIERR_OUT_OF_MEMORY, 0, NULL);
        send_error(x, &err, NULL);
        apierr_clear(&err);
    }
    free(text);
}

/* The routing table: a path is matched exactly, or with one trailing slash added. */
static const struct route {
    const char *path;      /* path without query string or trailing slash; NULL: the profile's endpoint paths */
    unsigned methods;      /* METHOD_* bits it answers (OPTIONS preflight is implied) */
    const char *allow;     /* value of the Allow header on 405 */
    int needs_key;         /* requires an API key */
    int reads_body;        /* handler takes the request body */
    route_handler *handle; /* what answers it */
    int prefix;            /* matches every path below `path` + "/" (exact routes win) */
} routes[] = {
    {NULL, METHOD_POST, "POST, OPTIONS", 1, 1, handle_generations, 0}, /* at the profile's paths */
    {"/health", METHOD_GET | METHOD_HEAD, "GET, HEAD, OPTIONS", 0, 0, handle_health, 0},
    {"/openapi.json", METHOD_GET | METHOD_HEAD, "GET, HEAD, OPTIONS", 0, 0, handle_openapi, 0},
    {"/images", METHOD_GET | METHOD_HEAD, "GET, HEAD, OPTIONS", 0, 0, handle_image, 1},
    {"/__mock/requests", METHOD_GET | METHOD_HEAD | METHOD_DELETE, "GET, HEAD, DELETE, OPTIONS", 0, 0,
     handle_journal, 0},
};

static int same_path(const char *route_path, const char *path, size_t len)
{
    return strlen(route_path) == len && !strncmp(route_path, path, len);
}

static const struct route *find_route(const struct http_server *s, const char *path)
{
    size_t len = strlen(path);
    if (len > 1 && path[len - 1] == '/')
        len--;
    for (size_t i = 0; i < sizeof routes / sizeof *routes; i++) {
        if (routes[i].prefix)
            continue;
        if (routes[i].path && same_path(routes[i].path, path, len))
            return &routes[i];
        for (const char *const *p = s->profile->paths; !routes[i].path && *p; p++)
            if (same_path(*p, path, len))
                return &routes[i];
    }
    for (size_t i = 0; i < sizeof routes / sizeof *routes; i++) {
        if (!routes[i].prefix)
            continue;
        size_t n = strlen(routes[i].path);
        if (!strncmp(routes[i].path, path, n) && path[n] == '/' && path[n + 1])
            return &routes[i];
    }
    return NULL;
}

/* Whether the request's header lines fail to say where it ends in exactly one way (framing.h);
 * then `err` is filled. */
static int framing_refused(const struct exchange *x, struct apierr *err)
{
    struct framing f = {0};
    for (int i = 0; i < x->info->num_headers; i++)
        if (framing_header(&f, x->info->http_headers[i].name, x->info->http_headers[i].value, err) != 0)
            return 1;
    return framing_finish(&f, (size_t)x->info->num_headers, MG_MAX_HEADERS, err) != 0;
}

static unsigned method_bit(const char *method)
{
    if (!strcmp(method, "GET"))
        return METHOD_GET;
    if (!strcmp(method, "HEAD"))
        return METHOD_HEAD;
    if (!strcmp(method, "POST"))
        return METHOD_POST;
    if (!strcmp(method, "DELETE"))
        return METHOD_DELETE;
    return 0;
}

/* CORS preflight: browsers ask before a cross-origin POST with an Authorization header. The
 * allowed headers echo what the browser asks for, since SDKs send many x-stainless-* headers. */
static void answer_preflight(struct exchange *x, const struct route *r)
{
    const char *asked = mg_get_header(x->conn, "Access-Control-Request-Headers");
    char headers[1024];
    char safe[768];
    log_safe(safe, sizeof safe, asked ? asked : "authorization, content-type");
    snprintf(headers, sizeof headers,
             "access-control-allow-methods: %s\r\n"
             "access-control-allow-headers: %s\r\n"
             "access-control-max-age: 86400\r\n",
             r->allow, safe);
    send_response(x, 204, NULL, headers, NULL, 0);
}

static void dispatch(struct exchange *x)
{
    struct apierr err = APIERR_INIT;
    char allow[64] = "";
    const char *method = x->method;
    const struct route *r = find_route(x->server, x->path);

    if (framing_refused(x, &err)) {
        x->must_close = 1; /* where this request ends is unknown: nothing after it can be read */
    } else if (!r) {
        apierr_set(&err, APIERR_INVALID_URL, 0, NULL, method, x->path);
    } else if (!strcmp(method, "OPTIONS")) {
        answer_preflight(x, r);
        return;
    } else if (!(method_bit(method) & r->methods)) {
        apierr_set(&err, APIERR_METHOD, 0, NULL, method, x->path);
        snprintf(allow, sizeof allow, "allow: %s\r\n", r->allow);
    } else if (r->needs_key &&
               auth_check_key(exchange_key(x), x->server->cfg->api_keys.items,
                              x->server->cfg->api_keys.count, x->server->profile->key_prefix, &err) != 0) {
        /* err filled */
    } else if (r->reads_body) {
        if (read_body(x, &x->body, &x->body_len, &err) == 0) {
            r->handle(x, x->body, x->body_len);
            return;
        }
    } else {
        r->handle(x, NULL, 0);
        return;
    }
    send_error(x, &err, allow[0] ? allow : NULL);
    apierr_clear(&err);
}

static void begin_exchange(struct exchange *x, struct mg_connection *conn, struct http_server *s)
{
    memset(x, 0, sizeof *x);
    clock_gettime(CLOCK_MONOTONIC, &x->started);
    x->conn = conn;
    x->info = mg_get_request_info(conn);
    x->server = s;
    x->method = x->info->request_method ? x->info->request_method : "";
    x->path = x->info->local_uri_raw ? x->info->local_uri_raw
                                     : (x->info->request_uri ? x->info->request_uri : "");
    reqid_next(&s->ids, x->request_id);
}

/* Add the exchange to the journal once, with the status it answered (0: none, or not all). The
 * journal records the API, not its own readers. */
static void journal_record(struct exchange *x, int status)
{
    if (x->journaled || !strncmp(x->path, "/__mock/", 8))
        return;
    x->journaled = 1;
    const struct mg_request_info *info = x->info;
    struct journal_header headers[MG_MAX_HEADERS];
    char *masked[MG_MAX_HEADERS] = {0}; /* the Authorization values shown instead of the key */
    size_t count = 0;
    for (int i = 0; !x->head_unknown && i < info->num_headers && i < MG_MAX_HEADERS; i++, count++) {
        const char *name = info->http_headers[i].name, *value = info->http_headers[i].value;
        if (!strcasecmp(name, "Authorization")) { /* the key as the real API echoes it: masked */
            char *key = auth_key_from_header(value);
            const char *scheme = strncasecmp(value, "Basic", 5) ? "Bearer" : "Basic";
            if (key && (masked[i] = malloc(strlen(scheme) + strlen(key) + 2))) {
                sprintf(masked[i], "%s ", scheme);
                auth_mask_key(key, masked[i] + strlen(scheme) + 1);
            }
            free(key);
            value = masked[i] ? masked[i] : value;
        }
        headers[i] = (struct journal_header){name, value};
    }
    journal_add_request(x->server->journal,
                        &(struct journal_request){.time = server_time(x->server), .request_id = x->request_id,
                                                  .method = x->method, .path = x->path,
                                                  .query = x->head_unknown ? NULL : info->query_string,
                                                  .headers = headers,
                                                  .header_count = count, .body = x->body, .body_len = x->body_len,
                                                  .status = status, .duration_ms = elapsed_ms(&x->started)});
    for (size_t i = 0; i < count; i++)
        free(masked[i]);
}

/* civetweb calls this for every request: a catch-all, so nothing ever falls through to its
 * built-in file serving or HTML error pages. */
static int handle_request(struct mg_connection *conn, void *data)
{
    struct http_server *s = data;
    atomic_fetch_add(&s->in_flight, 1);
    struct exchange x;
    begin_exchange(&x, conn, s);
    dispatch(&x);
    access_log(&x);
    journal_record(&x, x.status); /* exchanges that ended without an answer */
    free(x.body);
    free(x.api_key);
    atomic_fetch_sub(&s->in_flight, 1);
    return x.status ? x.status : 1; /* non-zero: the request was handled */
}

/* civetweb's own refusals, reworded where its text says too little. civetweb 1.15 answers 411
 * for a Content-Length it cannot parse (RFC 9112 §6.3 asks 400), and "Malformed message" for a
 * broken head, one over max_request_size and one that timed out alike (it cannot tell them
 * apart). */
static void explain_protocol_error(int *status, const char **message)
{
    if (*status == 411) {
        *status = 400;
        *message = FRAMING_BAD_LENGTH;
    } else if (*status == 400 && *message && !strcmp(*message, "Malformed message")) {
        *message = "The request line or headers are malformed, longer than imgmock reads (" MAX_REQUEST_HEAD
                   " bytes in all), or did not arrive in time.";
    }
}

/* civetweb rejected a request before any handler ran (malformed request line, headers too
 * large, …): answer with an envelope instead of its HTML page, and close the connection. */
static int handle_protocol_error(struct mg_connection *conn, int status, const char *message)
{
    struct http_server *s = mg_get_user_data(mg_get_context(conn));
    struct exchange x;
    begin_exchange(&x, conn, s);
    x.method = x.path = "";
    x.head_unknown = 1;
    explain_protocol_error(&status, &message);
    struct apierr err = APIERR_INIT;
    apierr_set(&err, APIERR_HTTP_PROTOCOL, status, NULL, message && *message ? message : apierr_reason_phrase(status));
    x.must_close = 1;
    send_error(&x, &err, NULL);
    apierr_clear(&err);
    access_log(&x);
    return 0; /* 0: handled, civetweb sends nothing more */
}

/* civetweb's own diagnostics (bind failures, socket errors) go to stderr unless --quiet. */
static int log_civetweb_message(const struct mg_connection *conn, const char *message)
{
    const struct mg_context *ctx = conn ? mg_get_context(conn) : NULL;
    const struct http_server *s = ctx ? mg_get_user_data(ctx) : NULL;
    if (!s || !s->cfg->quiet)
        fprintf(stderr, "imgmock: civetweb: %s\n", message);
    return 1; /* 1: do not log it again */
}

/* ---- lifecycle ----------------------------------------------------------------------------- */

/* The URL-signing key: every byte of --secret, or random bytes (then URLs die with the
 * process). */
static void init_secret(struct http_server *s, uint64_t fallback_seed)
{
    const char *given = s->cfg->secret;
    if (given[0]) {
        s->secret = (const uint8_t *)given;
        s->secret_len = strlen(given);
        return;
    }
    s->secret = s->random_secret;
    s->secret_len = sizeof s->random_secret;
    if (getrandom(s->random_secret, s->secret_len, 0) != (ssize_t)s->secret_len)
        for (size_t i = 0; i < s->secret_len; i++)
            s->random_secret[i] = (uint8_t)(mix64(fallback_seed + i) >> 24);
}

int http_start(const struct cfg *cfg, struct http_server **out, char *err, size_t errlen)
{
    struct http_server *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    s->cfg = cfg;
    s->policy.mode = strcmp(cfg->mode, "schema") ? REQ_STRICT : REQ_SCHEMA;
    s->policy.retired = cfg->retired.items;
    s->policy.retired_count = cfg->retired.count;
    s->profile = profile_find(cfg->profile);
    s->policy.profile = s->profile;
    uint64_t seed = 0;
    if (getrandom(&seed, sizeof seed, 0) != sizeof seed)
        seed = (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32;
    /* a frozen clock makes runs reproducible: then request ids follow --seed and a counter */
    reqid_init(&s->ids, cfg->clock >= 0 ? cfg->seed : seed);
    init_secret(s, seed);
    encode_init();
    mg_init_library(s->profile->callbacks ? MG_FEATURES_TLS : 0); /* TLS for https:// callbacks */

    const char *host = strcmp(cfg->host, "localhost") ? cfg->host : "127.0.0.1";
    int v6 = strchr(host, ':') != NULL;
    char ports[96], threads[24];
    snprintf(ports, sizeof ports, v6 ? "[%s]:%llu" : "%s:%llu", host, (unsigned long long)cfg->port);
    snprintf(threads, sizeof threads, "%llu", (unsigned long long)cfg->threads);
    if (v6 && !mg_check_feature(MG_FEATURES_IPV6)) {
        snprintf(err, errlen, "cannot listen on %s: this civetweb library was built without IPv6 "
                              "(Debian's is); use an IPv4 address such as 127.0.0.1 or 0.0.0.0", host);
        goto fail;
    }
    if (!(s->journal = journal_new((size_t)cfg->journal)) ||
        ((cfg->rpm || cfg->ipm) && !(s->limits = ratelimit_new(cfg->rpm, cfg->ipm)))) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (!(s->cache = cache_new((size_t)cfg->cache_mb << 20))) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (s->profile->callbacks && !(s->tasks = callback_start(render_task, free_task_work, s, s->journal))) {
        snprintf(err, errlen, "cannot start the task worker");
        goto fail;
    }
    const char *options[] = {
        "listening_ports", ports,
        "num_threads", threads,
        "enable_keep_alive", "yes",
        "keep_alive_timeout_ms", "5000",
        "request_timeout_ms", "30000", /* the head, and each read of a body or write of an answer */
        "max_request_size", MAX_REQUEST_HEAD,
        "tcp_nodelay", "1",
        "access_control_allow_origin", "", /* CORS is answered by answer_preflight() */
        NULL,
    };
    struct mg_callbacks callbacks = {0};
    callbacks.http_error = handle_protocol_error;
    callbacks.log_message = log_civetweb_message;
    struct mg_init_data init = {&callbacks, s, options};
    char reason[256] = "";
    unsigned code = 0;
    struct mg_error_data error = {&code, reason, sizeof reason};
    if (!(s->ctx = mg_start2(&init, &error))) {
        snprintf(err, errlen, "cannot listen on %s: %s", ports, reason[0] ? reason : "civetweb failed to start");
        goto fail;
    }
    mg_set_request_handler(s->ctx, "/", handle_request, s);

    struct mg_server_port bound[4];
    int nports = mg_get_server_ports(s->ctx, 4, bound);
    int port = nports > 0 ? bound[0].port : (int)cfg->port;
    snprintf(s->base_url, sizeof s->base_url, v6 ? "http://[%s]:%d" : "http://%s:%d", host, port);
    *out = s;
    return 0;
fail:
    callback_stop(s->tasks);
    if (s->cache)
        cache_free(s->cache);
    journal_free(s->journal);
    ratelimit_free(s->limits);
    mg_exit_library();
    free(s);
    return -1;
}

const char *http_base_url(const struct http_server *s)
{
    return s->base_url;
}

/* mg_stop() in a thread of its own, so http_stop() can wake civetweb's master thread meanwhile. */
struct stopper {
    struct mg_context *ctx; /* what to stop */
    atomic_bool done;       /* mg_stop() returned */
};

static void *run_mg_stop(void *arg)
{
    struct stopper *st = arg;
    mg_stop(st->ctx);
    atomic_store(&st->done, 1);
    return NULL;
}

/* Connect to our own listening socket and hang up: civetweb's master thread waits in poll() for
 * up to two seconds between looks at its stop flag, and a connection ends that wait at once. */
static void poke(const struct http_server *s)
{
    int port = 0;
    const char *colon = strrchr(s->base_url, ':');
    if (colon)
        port = atoi(colon + 1);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || port <= 0)
        goto out;
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    const char *host = s->cfg->host;
    if (!strcmp(host, "localhost") || !strcmp(host, "0.0.0.0") || inet_pton(AF_INET, host, &to.sin_addr) != 1)
        inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    (void)!connect(fd, (struct sockaddr *)&to, sizeof to);
out:
    if (fd >= 0)
        close(fd);
}

void http_stop(struct http_server *s, unsigned drain_ms)
{
    atomic_store(&s->draining, 1);
    for (unsigned waited = 0; atomic_load(&s->in_flight) > 0 && waited < drain_ms; waited += 5)
        nanosleep(&(struct timespec){0, 5 * 1000 * 1000}, NULL);
    callback_stop(s->tasks); /* before the cache it generates from goes */
    s->tasks = NULL;
    struct stopper st = {s->ctx, 0};
    pthread_t stopper;
    if (pthread_create(&stopper, NULL, run_mg_stop, &st) == 0) {
        for (int i = 0; i < 400 && !atomic_load(&st.done); i++) { /* at most 2 s, as without pokes */
            poke(s);
            nanosleep(&(struct timespec){0, 5 * 1000 * 1000}, NULL);
        }
        pthread_join(stopper, NULL);
    } else
        mg_stop(s->ctx);
    mg_exit_library();
    cache_free(s->cache);
    journal_free(s->journal);
    ratelimit_free(s->limits);
    free(s);
}
