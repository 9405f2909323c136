/* controls — the ways a test makes imgmock misbehave on purpose, reproducibly.
 *
 * Per request, X-Mock-* headers ask for an error status, latency, a moderation verdict, a
 * broken connection or another image seed; server-wide settings add latency, a reproducible
 * share of faults (--fault-rate/--fault-seed) and a word blocklist. This module only *decides*:
 * it parses the headers and draws the k-th request's fault; http.c carries the decisions out.
 * Headers reach it through a lookup callback, so it knows nothing of civetweb.
 */
#ifndef IMGMOCK_CONTROLS_H
#define IMGMOCK_CONTROLS_H

#include <stddef.h>
#include <stdint.h>

#include "apierr.h"

#define CONTROLS_MAX_DELAY_MS 60000 /* cap of every injected wait */
#define CONTROLS_MAX_CATEGORIES 256 /* bytes of X-Mock-Moderation's category list */

/* How an answer can break (X-Mock-Fault, --fault-rate). */
enum mock_fault {
    FAULT_NONE,
    FAULT_RESET,     /* the connection is reset (TCP RST), nothing answered */
    FAULT_EMPTY,     /* the connection is closed with nothing answered */
    FAULT_MALFORMED, /* 200 whose JSON body is cut short */
    FAULT_TRUNCATE,  /* the answer stops midway: a stream cut mid-event, a body short of its length */
    FAULT_STATUS_500, /* --fault-rate only: an ordinary 500 server error */
    FAULT_STATUS_503, /* --fault-rate only: an ordinary 503 overloaded error */
};

/* What one request asked for. */
struct mock_controls {
    int status;                 /* X-Mock-Status or Prefer: code= (400..599); 0: none */
    int has_latency;            /* X-Mock-Latency-Ms was given */
    uint64_t latency_ms;        /* its value */
    int has_stream_delay;       /* X-Mock-Stream-Delay-Ms was given */
    uint64_t stream_delay_ms;   /* its value */
    char categories[CONTROLS_MAX_CATEGORIES]; /* X-Mock-Moderation, normalised "a,b"; "" for none */
    enum mock_fault fault;      /* X-Mock-Fault; FAULT_NONE for none */
    int has_seed;               /* X-Mock-Seed was given */
    uint64_t seed;              /* its value */
};

/* Looks a request header up by name; NULL when absent. */
typedef const char *controls_header_fn(void *ctx, const char *name);

/* Read the X-Mock-* headers (and Prefer). Returns 0, or -1 with a 400 in `err` naming the
 * header whose value is not understood. */
int controls_parse(controls_header_fn *header, void *ctx, struct mock_controls *out, struct apierr *err);

/* The fault --fault-rate gives the k-th API request (k from 0) under `seed`: FAULT_NONE for a
 * share 1 - rate of requests, one of the faults for the rest. Same k, rate and seed, same
 * answer, in every run. */
enum mock_fault controls_drawn_fault(uint64_t k, double rate, uint64_t seed);

/* The first word of `blocklist` that the prompt contains (case-insensitive), or NULL. */
const char *controls_blocked_word(const char *prompt, size_t len, char *const *blocklist, size_t count);

/* Fill `err` with the realistic envelope X-Mock-Status `status` asks for (spec §5) and write the
 * headers that steer the SDKs' retries into `extra` (retry-after and retry-after-ms on 429 and
 * 5xx; x-should-retry true for 408, 409, 429 and 5xx, false otherwise). `model` names the model
 * in messages that mention one; `key` is the request's API key (NULL: none), masked in a 401;
 * `request_id` and `organization` fill the 500 and 429 messages. */
void controls_injected_error(int status, const char *model, const char *key, const char *request_id,
                             const char *organization, struct apierr *err, char *extra, size_t extra_len);

/* The moderation verdict on a request: X-Mock-Moderation's `categories` ("a,b", or "" for none),
 * else "blocklist" when the prompt holds a --blocklist word. Returns 0 to go on, or -1 with `err`
 * filled: moderation_blocked with moderation_details for GPT models (`gpt`), naming
 * `request_id`, and content_policy_violation for DALL·E. */
int controls_moderate(const char *categories, const char *prompt, size_t prompt_len, char *const *blocklist,
                      size_t blocklist_count, int gpt, const char *request_id, struct apierr *err);

/* The body of X-Mock-Fault malformed: a 200's JSON cut short after the start of its first image.
 * Writes at most `n` bytes to `out`; returns the length. */
size_t controls_malformed_body(long long created, char *out, size_t n);

#endif
