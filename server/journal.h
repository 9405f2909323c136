/* journal — the most recent requests, kept so tests can verify calls (GET /__mock/requests).
 *
 * A ring of the last N records: exchanges with clients, which http.c hands over as each one
 * ends, and the outbound callback attempts of callback.c. Recording is on every request's path,
 * so it only copies: a record is one allocation holding its strings, and the JSON is built when
 * someone reads the journal, which is rare. Thread-safe.
 *
 * Ownership: journal_add_*() copy what they are given; the caller keeps its strings.
 */
#ifndef IMGMOCK_JOURNAL_H
#define IMGMOCK_JOURNAL_H

#include <stddef.h>
#include <time.h>

struct journal; /* opaque */

/* Bytes of a request body the journal keeps; body_bytes still says how many arrived. */
enum { JOURNAL_BODY_MAX = 64 * 1024 };

/* One request header as the journal shows it (the API key already masked by the caller). */
struct journal_header {
    const char *name;
    const char *value;
};

/* An exchange with a client, as it ended. */
struct journal_request {
    time_t time;                          /* when it ended (the server's clock, frozen or not) */
    const char *request_id;               /* the x-request-id answered */
    const char *method;                   /* as sent; may be any bytes */
    const char *path;                     /* as sent, without the query */
    const char *query;                    /* the query string, or NULL when there was none */
    const struct journal_header *headers; /* in the order sent; a repeated name keeps the last value */
    size_t header_count;                  /* entries in `headers` */
    const char *body;                     /* the body, or NULL when none was read */
    size_t body_len;                      /* bytes in `body` (only JOURNAL_BODY_MAX are kept) */
    int status;                           /* the status answered; 0: none, or not all of it */
    double duration_ms;                   /* from the handler's start (civetweb has read the head) to the
                                             answer's last write */
};

/* An outbound callback attempt (AceData's callback_url). */
struct journal_callback {
    time_t time;        /* when the attempt ended */
    const char *url;    /* where it was POSTed */
    const char *task_id; /* the task it reported */
    int attempt;        /* 1, 2, … */
    int status;         /* the status the receiver answered; 0 when none came */
    const char *error;  /* why no status came (ignored when status is not 0) */
};

/* A journal keeping the last `capacity` records (0: keeps none). NULL when memory runs out. */
struct journal *journal_new(size_t capacity);
void journal_free(struct journal *j);

/* Record an exchange or a callback attempt; the oldest record goes when full. A record that
 * cannot be had for memory is dropped. */
void journal_add_request(struct journal *j, const struct journal_request *r);
void journal_add_callback(struct journal *j, const struct journal_callback *c);

/* {"requests": [oldest, ..., newest]} as JSON text (2-space indent, newline-terminated), malloc'd,
 * its length in *len; the caller frees. NULL when memory runs out. An exchange shows as {time,
 * request_id, method, path, query, headers, body, body_bytes, status, duration_ms}; a callback
 * attempt as {time, direction: "outbound", method: "POST", url, task_id, attempt, status, error}.
 * Text that is not UTF-8 shows with U+FFFD in place of the bad bytes. */
char *journal_dump(struct journal *j, size_t *len);

/* Forget every record. */
void journal_clear(struct journal *j);

#endif
