/* request — the JSON body of POST /v1/images/generations, parsed and checked.
 *
 * This layer turns bytes into a struct image_request or into the exact error the real API
 * would answer with; it knows JSON and the API's rules, and nothing about HTTP.
 */
#ifndef IMGMOCK_REQUEST_H
#define IMGMOCK_REQUEST_H

#include <stddef.h>

#include "apierr.h"

/* A request that passed parsing. */
struct image_request {
    size_t field_count; /* number of top-level fields the body carried */
};

/* Parse `len` bytes of `body` (need not be NUL-terminated). Returns 0 and fills `out`, or -1
 * with `err` filled: a body that is empty, not JSON, not UTF-8, or not a JSON object gets the
 * real API's parse-error envelope. */
int req_parse(const char *body, size_t len, struct image_request *out, struct apierr *err);

#endif
