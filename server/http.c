/* http.c — routes, the request pipeline and response framing on top of civetweb.
 *
 * One request goes: route lookup → CORS preflight → method check → API key → body (capped)
 * → the route's handler. Each step either passes or produces a struct apierr, and the first
 * error found is the answer. Responses are framed here by hand, status line, headers and body
 * in one buffer and one write: several small writes on a keep-alive connection are exactly
 * where Nagle's algorithm and delayed ACKs add 40 ms to every request.
 */
#include "http.h"

#include <civetweb.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "apierr.h"
#include "auth.h"
#include "reqid.h"
#include "request.h"

struct http_server {
    struct mg_context *ctx;    /* civetweb's server */
    const struct cfg *cfg;     /* settings, owned by the caller */
    struct reqid_gen ids;      /* x-request-id source */
    struct req_policy policy;  /* how request bodies are judged (--mode, --retire) */
    atomic_int in_flight;      /* requests inside handle_request() right now */
    atomic_bool draining;      /* set by http_stop(): close connections after answering */
    char base_url[80];         /* "http://HOST:PORT" as actually bound */
};

/* One request on its way through the pipeline. */
struct exchange {
    struct mg_connection *conn;         /* civetweb's connection */
    const struct mg_request_info *info; /* method, path, headers */
    struct http_server *server;         /* the server it arrived at */
    const char *path;                   /* decoded path without the query string */
    char request_id[REQID_LEN + 1];     /* x-request-id of the answer */
    struct timespec started;            /* when handling began (CLOCK_MONOTONIC) */
    int status;                         /* status answered with; 0 if none could be sent */
    int body_consumed;                  /* the request body has been read to its end */
    int must_close;                     /* answer with connection: close whatever the client wants */
};

/* ---- the response side --------------------------------------------------------------------- */

static const char *reason_phrase(int status)
{
    static const struct {
        int status;
        const char *text;
    } phrases[] = {
        {200, "OK"},
        {204, "No Content"},
        {400, "Bad Request"},
        {401, "Unauthorized"},
        {403, "Forbidden"},
        {404, "Not Found"},
        {405, "Method Not Allowed"},
        {408, "Request Timeout"},
        {411, "Length Required"},
        {413, "Payload Too Large"},
        {414, "URI Too Long"},
        {431, "Request Header Fields Too Large"},
        {500, "Internal Server Error"},
        {501, "Not Implemented"},
        {503, "Service Unavailable"},
        {505, "HTTP Version Not Supported"},
    };
    for (size_t i = 0; i < sizeof phrases / sizeof *phrases; i++)
        if (phrases[i].status == status)
            return phrases[i].text;
    return status < 500 ? "Client Error" : "Server Error";
}

static double elapsed_ms(const struct timespec *since)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - since->tv_sec) * 1e3 + (double)(now.tv_nsec - since->tv_nsec) / 1e6;
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
    const char *connection = mg_get_header(x->conn, "Connection");
    if (connection)
        return header_has_token(connection, "keep-alive");
    return x->info->http_version && !strcmp(x->info->http_version, "1.1");
}

/* Send one complete response: status line, the headers every answer carries, the caller's
 * `extra_headers` (each line ending in \r\n, or NULL), and `body` (NULL for none), in a single
 * write. HEAD requests get the headers only. */
static void send_response(struct exchange *x, int status, const char *content_type, const char *extra_headers,
                          const char *body, size_t body_len)
{
    const struct cfg *cfg = x->server->cfg;
    int keep = keep_alive(x);
    if (!keep)
        mg_disable_connection_keep_alive(x->conn);

    char date[64];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);

    char length[48] = "";
    if (status != 204)
        snprintf(length, sizeof length, "content-length: %zu\r\n", body_len);

    char head[2048];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\n"
                     "date: %s\r\n"
                     "%s%s%s"
                     "%s"
                     "connection: %s\r\n"
                     "x-request-id: %s\r\n"
                     "openai-processing-ms: %ld\r\n"
                     "openai-version: 2020-10-01\r\n"
                     "openai-organization: %s\r\n"
                     "access-control-allow-origin: *\r\n"
                     "access-control-expose-headers: X-Request-ID\r\n"
                     "%s"
                     "\r\n",
                     status, reason_phrase(status), date, content_type ? "content-type: " : "",
                     content_type ? content_type : "", content_type ? "\r\n" : "", length,
                     keep ? "keep-alive" : "close", x->request_id, (long)elapsed_ms(&x->started),
                     cfg->organization, extra_headers ? extra_headers : "");
    if (n < 0 || (size_t)n >= sizeof head) { /* only a bug could make headers this long */
        mg_disable_connection_keep_alive(x->conn);
        return;
    }
    int head_only = !strcmp(x->info->request_method, "HEAD") || !body;
    size_t total = (size_t)n + (head_only ? 0 : body_len);
    char *out = head;
    if (!head_only) {
        if (!(out = malloc(total))) {
            mg_disable_connection_keep_alive(x->conn);
            return;
        }
        memcpy(out, head, (size_t)n);
        memcpy(out + n, body, body_len);
    }
    if (mg_write(x->conn, out, total) == (int)total)
        x->status = status;
    if (out != head)
        free(out);
}

static void send_error(struct exchange *x, const struct apierr *e, const char *extra_headers)
{
    size_t len = 0;
    char *body = apierr_to_json(e, &len);
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
    log_safe(method, sizeof method, x->info->request_method);
    log_safe(path, sizeof path, x->path);
    int n = snprintf(line, sizeof line, "%s %s %s %s %d %.1fms %s\n", stamp, x->info->remote_addr, method, path,
                     x->status, elapsed_ms(&x->started), x->request_id);
    if (n > 0) /* one write(2) per line keeps lines whole when threads log at once */
        (void)!write(STDERR_FILENO, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

/* ---- the request side ---------------------------------------------------------------------- */

enum { METHOD_GET = 1, METHOD_HEAD = 2, METHOD_POST = 4 };

/* Read the whole request body into a malloc'd, NUL-terminated buffer of at most --max-body
 * bytes. Returns 0 with *body and *len set; -1 with `err` filled (413); or -2 when the client
 * went away or sent a broken body, where no answer can be delivered. A declared length is read
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
        return -2;
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
                return -2;
            }
            buf = p;
            cap = grown;
        }
        int n = mg_read(x->conn, buf + used, cap - used);
        if (n < 0 || (n == 0 && declared >= 0)) { /* broken chunking, or a short body */
            free(buf);
            return -2;
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

static void handle_generations(struct exchange *x, const char *body, size_t len)
{
    struct apierr err = APIERR_INIT;
    struct image_request req;
    if (req_parse(body, len, &x->server->policy, &req, &err) == 0) {
        apierr_set(&err, APIERR_NOT_IMPLEMENTED, 0, NULL);
        req_free(&req);
    }
    send_error(x, &err, NULL);
    apierr_clear(&err);
}

/* The routing table: a path is matched exactly, or with one trailing slash added. */
static const struct route {
    const char *path;      /* path without query string or trailing slash */
    unsigned methods;      /* METHOD_* bits it answers (OPTIONS preflight is implied) */
    const char *allow;     /* value of the Allow header on 405 */
    int needs_key;         /* requires an API key */
    int reads_body;        /* handler takes the request body */
    route_handler *handle; /* what answers it */
} routes[] = {
    {"/v1/images/generations", METHOD_POST, "POST, OPTIONS", 1, 1, handle_generations},
    {"/images/generations", METHOD_POST, "POST, OPTIONS", 1, 1, handle_generations},
    {"/health", METHOD_GET | METHOD_HEAD, "GET, HEAD, OPTIONS", 0, 0, handle_health},
    {"/openapi.json", METHOD_GET | METHOD_HEAD, "GET, HEAD, OPTIONS", 0, 0, handle_openapi},
};

static const struct route *find_route(const char *path)
{
    size_t len = strlen(path);
    if (len > 1 && path[len - 1] == '/')
        len--;
    for (size_t i = 0; i < sizeof routes / sizeof *routes; i++)
        if (strlen(routes[i].path) == len && !strncmp(routes[i].path, path, len))
            return &routes[i];
    return NULL;
}

static unsigned method_bit(const char *method)
{
    if (!strcmp(method, "GET"))
        return METHOD_GET;
    if (!strcmp(method, "HEAD"))
        return METHOD_HEAD;
    if (!strcmp(method, "POST"))
        return METHOD_POST;
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
    const char *method = x->info->request_method;
    const struct route *r = find_route(x->path);
    char *body = NULL;
    size_t len = 0;

    if (!r) {
        apierr_set(&err, APIERR_INVALID_URL, 0, NULL, method, x->path);
    } else if (!strcmp(method, "OPTIONS")) {
        answer_preflight(x, r);
        return;
    } else if (!(method_bit(method) & r->methods)) {
        apierr_set(&err, APIERR_METHOD, 0, NULL, method, x->path);
        snprintf(allow, sizeof allow, "allow: %s\r\n", r->allow);
    } else if (r->needs_key &&
               auth_check(mg_get_header(x->conn, "Authorization"), x->server->cfg->api_keys.items,
                          x->server->cfg->api_keys.count, &err) != 0) {
        /* err filled */
    } else if (r->reads_body) {
        int rc = read_body(x, &body, &len, &err);
        if (rc == -2)
            return; /* nobody to answer */
        if (rc == 0) {
            r->handle(x, body, len);
            free(body);
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
    x->path = x->info->local_uri_raw ? x->info->local_uri_raw
                                     : (x->info->request_uri ? x->info->request_uri : "");
    reqid_next(&s->ids, x->request_id);
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
    atomic_fetch_sub(&s->in_flight, 1);
    return x.status ? x.status : 1; /* non-zero: the request was handled */
}

/* civetweb rejected a request before any handler ran (malformed request line, headers too
 * large, …): answer with an envelope instead of its HTML page, and close the connection. */
static int handle_protocol_error(struct mg_connection *conn, int status, const char *message)
{
    struct http_server *s = mg_get_user_data(mg_get_context(conn));
    struct exchange x;
    begin_exchange(&x, conn, s);
    struct apierr err = APIERR_INIT;
    apierr_set(&err, APIERR_HTTP_PROTOCOL, status, NULL, message && *message ? message : reason_phrase(status));
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
    uint64_t seed = 0;
    if (getrandom(&seed, sizeof seed, 0) != sizeof seed)
        seed = (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32;
    reqid_init(&s->ids, seed);

    const char *host = strcmp(cfg->host, "localhost") ? cfg->host : "127.0.0.1";
    int v6 = strchr(host, ':') != NULL;
    mg_init_library(0);
    if (v6 && !mg_check_feature(MG_FEATURES_IPV6)) {
        snprintf(err, errlen, "cannot listen on %s: this civetweb library was built without IPv6 "
                              "(Debian's is); use an IPv4 address such as 127.0.0.1 or 0.0.0.0", host);
        mg_exit_library();
        free(s);
        return -1;
    }
    char ports[96], threads[24];
    snprintf(ports, sizeof ports, v6 ? "[%s]:%llu" : "%s:%llu", host, (unsigned long long)cfg->port);
    snprintf(threads, sizeof threads, "%llu", (unsigned long long)cfg->threads);
    const char *options[] = {
        "listening_ports", ports,
        "num_threads", threads,
        "enable_keep_alive", "yes",
        "keep_alive_timeout_ms", "5000",
        "request_timeout_ms", "30000",
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

    s->ctx = mg_start2(&init, &error);
    if (!s->ctx) {
        snprintf(err, errlen, "cannot listen on %s: %s", ports, reason[0] ? reason : "civetweb failed to start");
        mg_exit_library();
        free(s);
        return -1;
    }
    mg_set_request_handler(s->ctx, "/", handle_request, s);

    struct mg_server_port bound[4];
    int nports = mg_get_server_ports(s->ctx, 4, bound);
    int port = nports > 0 ? bound[0].port : (int)cfg->port;
    snprintf(s->base_url, sizeof s->base_url, v6 ? "http://[%s]:%d" : "http://%s:%d", host, port);
    *out = s;
    return 0;
}

const char *http_base_url(const struct http_server *s)
{
    return s->base_url;
}

void http_stop(struct http_server *s, unsigned drain_ms)
{
    atomic_store(&s->draining, 1);
    for (unsigned waited = 0; atomic_load(&s->in_flight) > 0 && waited < drain_ms; waited += 5)
        nanosleep(&(struct timespec){0, 5 * 1000 * 1000}, NULL);
    mg_stop(s->ctx);
    mg_exit_library();
    free(s);
}
