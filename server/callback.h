/* callback — asynchronous generation with a callback, as AceData serves it.
 *
 * A request carrying `callback_url` is answered at once with a task id; a background worker
 * then generates the answer and POSTs {task_id, trace_id, success, data | error} to the URL,
 * retrying three times with backoff, each attempt recorded in the journal. The queue is
 * bounded: a full queue refuses new tasks (the caller answers 429).
 *
 * This is part of the HTTP layer: the POST goes out through civetweb's client. What a task's
 * answer is comes from the caller's render function, so this module knows no generation rules.
 * Ownership: a queued task is owned by the queue, which frees it with the caller's free function.
 */
#ifndef IMGMOCK_CALLBACK_H
#define IMGMOCK_CALLBACK_H

#include <stddef.h>
#include <stdint.h>

#include "journal.h"

#define CALLBACK_QUEUE_MAX 64   /* tasks waiting at most; more are refused */
#define CALLBACK_RETRIES 3      /* POSTs after the first one fails */
#define CALLBACK_BACKOFF_MS 250 /* wait before the first retry; doubled for each next one */
#define CALLBACK_TIMEOUT_MS 10000 /* how long one POST waits for an answer */

/* One asynchronous task. */
struct callback_task {
    char task_id[37];   /* the id answered at once (a UUID) */
    char trace_id[37];  /* another UUID, as AceData sends one */
    char *url;          /* where to POST the result (owned) */
    void *work;         /* what to generate: the caller's (freed with the queue's free function) */
};

/* Produces the JSON text of a task's result: the answer body on success (*success 1), or an
 * error envelope's inner object (*success 0). malloc'd; NULL when memory runs out. */
typedef char *callback_render_fn(void *ctx, void *work, int *success, size_t *len);
typedef void callback_free_fn(void *work);

struct callback_queue; /* opaque */

/* Start the worker. `render` and `free_work` are called from it with `ctx`; attempts are
 * recorded in `journal`. NULL when a thread or memory cannot be had. */
struct callback_queue *callback_start(callback_render_fn *render, callback_free_fn *free_work, void *ctx,
                                      struct journal *journal);

/* Queue `task` (its url and work now owned by the queue). Returns 0, or -1 when the queue is full
 * (the task is left to the caller). */
int callback_submit(struct callback_queue *q, struct callback_task *task);

/* Stop the worker after the task in hand; drop what still waits. Frees `q`. */
void callback_stop(struct callback_queue *q);

/* Write a UUID (8-4-4-4-12 lowercase hex) made from two 64-bit values into `out`. */
void callback_uuid(uint64_t hi, uint64_t lo, char out[37]);

#endif
