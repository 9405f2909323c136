/* apierr — the one module that knows what an OpenAI error looks like.
 *
 * Every error imgmock answers with, whatever layer found it, is a `struct apierr` filled from
 * a row of the template table in apierr.c (status, type, code, message format). Layers below
 * the HTTP layer only *fill* an apierr; http.c alone turns it into bytes on the wire with
 * apierr_to_json(). Keeping the templates in one table is what keeps the envelopes
 * byte-identical to the real API's: one spelling of each message, one JSON layout.
 *
 * Ownership: a struct apierr owns its `param` and `message` strings. Start it zeroed
 * (APIERR_INIT), fill it with apierr_set(), release it with apierr_clear(). Filling an apierr
 * that is already set replaces the old contents (the first error found is the one reported,
 * so callers normally stop at the first apierr_set()).
 */
#ifndef IMGMOCK_APIERR_H
#define IMGMOCK_APIERR_H

#include <stddef.h>

#include "profile.h"

/* The kinds of error imgmock can answer with: one row each in apierr.c's template table. */
enum apierr_kind {
    APIERR_NONE = 0,        /* no error: the zero value of a struct apierr */
    APIERR_INVALID_URL,     /* 404: no such route; args: method, path */
    APIERR_METHOD,          /* 405: route exists, method does not; args: method, path */
    APIERR_MISSING_KEY,     /* 401: no usable Authorization header; no args */
    APIERR_BAD_KEY,         /* 401: key not accepted; args: the masked key */
    APIERR_BODY_TOO_LARGE,  /* 413: body over --max-body; args: the limit in bytes (size_t) */
    APIERR_INVALID_JSON,    /* 400: body is not a JSON document; no args */
    APIERR_URL_INVALID,     /* 403: an image URL whose token is malformed or not signed by us */
    APIERR_URL_EXPIRED,     /* 403: an image URL past its expiry */
    APIERR_HTTP_PROTOCOL,   /* 4xx/5xx: civetweb rejected the request itself; args: its text */
    APIERR_OUT_OF_MEMORY,   /* 500: an allocation failed; no args */

    /* request validation (spec §2, §4); param is the field unless noted */
    APIERR_UNKNOWN_PARAMETER,  /* args: field name */
    APIERR_INVALID_TYPE,       /* args: field, expected kind phrase, received kind phrase */
    APIERR_MISSING_PARAMETER,  /* args: field */
    APIERR_EMPTY_STRING,       /* args: field */
    APIERR_STRING_TOO_LONG,    /* args: field, limit (size_t), length (size_t) */
    APIERR_INVALID_VALUE,      /* args: the value, the formatted list of supported values */
    APIERR_MODEL_RETIRED,      /* args: model name */
    APIERR_INTEGER_ABOVE_MAX,  /* args: field, maximum (long long), the value as text */
    APIERR_INTEGER_BELOW_MIN,  /* args: field, minimum (long long), the value as text */
    APIERR_SINGLE_IMAGE,       /* param NULL; no args */
    APIERR_TRANSPARENT_MODEL,  /* no args */
    APIERR_TRANSPARENT_JPEG,   /* no args */
    APIERR_COMPRESSION_PNG,    /* no args */
    APIERR_SIZE_SYNTAX,        /* args: the size as sent */
    APIERR_SIZE_DIVISIBLE,     /* args: the size */
    APIERR_SIZE_EDGE,          /* args: the size */
    APIERR_SIZE_ASPECT,        /* args: the size */
    APIERR_SIZE_TOO_FEW_PIXELS,  /* args: the size */
    APIERR_SIZE_TOO_MANY_PIXELS, /* args: the size */

    /* test controls and the errors of spec §5 */
    APIERR_BAD_CONTROL,        /* 400: an X-Mock-* header not understood; args: header, value, expected */
    APIERR_RATE_LIMITED,       /* 429: args: model, organization, "requests"|"images", limit, used,
                                  requested (unsigned long long each), retry text ("12s") */
    APIERR_MODERATION_BLOCKED, /* 400 (GPT models): args: request id, categories "a, b"; set categories */
    APIERR_CONTENT_POLICY,     /* 400 (DALL·E): no args */
    APIERR_SERVER_ERROR,       /* 500: args: request id */
    APIERR_OVERLOADED,         /* 503: no args */
    APIERR_INJECTED_400,       /* 400: no args */
    APIERR_MODEL_ACCESS,       /* 403: args: model */
    APIERR_MODEL_NOT_FOUND,    /* 404: args: model */
    APIERR_CONFLICT,           /* 409: no args */
    APIERR_BAD_GATEWAY,        /* 502: no args; code is the integer 502, as Cloudflare's are */
    APIERR_GATEWAY_TIMEOUT,    /* 504: no args; code 504 */
    APIERR_INJECTED_OTHER,     /* any other 4xx/5xx from status_override: args: reason phrase */
    APIERR_CALLBACK_URL,       /* 400: callback_url not http(s); args: the value */
    APIERR_TASKS_FULL,         /* 429: the asynchronous task queue is full; args: its size (int) */
    APIERR_KIND_COUNT
};

/* An error on its way to the client. Zero-initialise (APIERR_INIT) before first use. */
struct apierr {
    enum apierr_kind kind; /* which template filled it; APIERR_NONE when unset */
    int status;            /* HTTP status code to answer with */
    const char *type;      /* error.type: static string from the template table */
    const char *code;      /* error.code: static string, or NULL for JSON null */
    char *param;           /* error.param: owned copy, or NULL for JSON null */
    char *message;         /* error.message: owned, formatted from the template */
    int code_number;       /* error.code as a JSON integer when `code` is NULL and this is not 0 */
    char *categories;      /* moderation_details.categories as "a,b" (owned), or NULL for none */
};

#define APIERR_INIT {APIERR_NONE, 0, NULL, NULL, NULL, NULL, 0, NULL}

/* Fill `e` from the template of `kind`, formatting its message with the arguments that the
 * enum's comment lists. `param` is copied (NULL means JSON null). For APIERR_HTTP_PROTOCOL the
 * status is taken from `status_override`; for every other kind pass 0 and the template's
 * status is used. Returns -1 always, so callers can write `return apierr_set(...)`. */
int apierr_set(struct apierr *e, enum apierr_kind kind, int status_override, const char *param, ...);

/* Attach moderation_details ({"moderation_stage": "input", "categories": [...]}) to `e`, from a
 * comma-separated list of categories (copied). */
void apierr_set_categories(struct apierr *e, const char *categories);

/* The reason phrase of an HTTP status ("Not Found"); a generic one for statuses without one. */
const char *apierr_reason_phrase(int status);

/* Release what `e` owns and reset it to APIERR_INIT. Safe on an unset apierr. */
void apierr_clear(struct apierr *e);

/* Serialise `e` in the envelope of `style` (profile.h): the OpenAI envelope
 * {"error":{"message","type","param","code"}} with all four keys always present, or TokenOps'
 * {"error":{"code": <status>,"message","details":[]}}; in the real API's layout (4-space indent,
 * trailing newline). Returns a malloc'd NUL-terminated string the caller frees, and its length
 * in *len; NULL only when memory runs out. */
char *apierr_to_json(const struct apierr *e, enum error_style style, size_t *len);

#endif
