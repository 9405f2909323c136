/* journal — the most recent requests, kept so tests can verify calls (GET /__mock/requests).
 *
 * A ring of the last N entries, each a JSON object http.c builds when an exchange ends (time,
 * method, path, headers with the key masked, body, status, request id, duration). The journal
 * owns the entries it is given. Thread-safe.
 */
#ifndef IMGMOCK_JOURNAL_H
#define IMGMOCK_JOURNAL_H

#include <jansson.h>
#include <stddef.h>

struct journal; /* opaque */

/* A journal keeping the last `capacity` entries (0: keeps none). NULL when memory runs out. */
struct journal *journal_new(size_t capacity);
void journal_free(struct journal *j);

/* Add an entry, taking the caller's reference to it; the oldest entry goes when full. */
void journal_add(struct journal *j, json_t *entry);

/* {"requests": [oldest, ..., newest]} as JSON text (2-space indent, newline-terminated), malloc'd, its length in
 * *len; the caller frees. NULL when memory runs out. */
char *journal_dump(struct journal *j, size_t *len);

/* Forget every entry. */
void journal_clear(struct journal *j);

#endif
