/* sse — the Server-Sent Events of a streaming generation (spec §8).
 *
 * Each event is "event: TYPE\ndata: {JSON}\n\n" with compact JSON whose b64_json value is left
 * empty: the same holed text as a response body (struct resp_body), so the image's base64 is
 * streamed into it the same way and an event's length is known before it is sent (each event
 * goes out as one HTTP chunk).
 *
 * Fields, in order: type, b64_json, created_at, size, quality, background, output_format, then
 * partial_image_index (partial images) or usage (completed). Ownership as for resp_body.
 */
#ifndef IMGMOCK_SSE_H
#define IMGMOCK_SSE_H

#include "images.h"
#include "response.h"

/* The line some gateways send after the last event (--stream-done). */
#define SSE_DONE "data: [DONE]\n\n"

/* The image_generation.partial_image event with index `partial_index` (0-based), created at
 * `created`. Returns 0, or -1 when memory runs out. */
int sse_partial_event(const struct image_plan *plan, long long created, unsigned partial_index,
                      struct resp_body *out);

/* The image_generation.completed event of one image: its usage covers that image (with its
 * partial images) and the request's input tokens. Returns 0, or -1 when memory runs out. */
int sse_completed_event(const struct image_plan *plan, long long created, struct resp_body *out);

#endif
