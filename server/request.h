/* request — the JSON body of POST /v1/images/generations, parsed and judged.
 *
 * This layer turns bytes into a struct image_request, or into the exact error the real API
 * would answer with. It knows JSON (through jscan) and the API's rules (through the tables in
 * models.c), and nothing about HTTP. Checks run in the order of spec §4, and the first failure
 * is the answer:
 *
 *   JSON → unknown fields (body order) → types (schema field order) → prompt present and
 *   non-empty → model known → fields the model does not accept (body order) → numeric ranges
 *   → prompt length → value sets and size rules → cross-field rules
 *
 * Schema mode (for SDK-generated test suites) keeps only what the published schema itself
 * says: types, the union of every model's values, its ranges, a required prompt.
 *
 * Ownership: req_parse() fills a struct image_request that owns its strings; req_free()
 * releases them. Value fields (quality, size, …) point at static strings of the catalogue.
 */
#ifndef IMGMOCK_REQUEST_H
#define IMGMOCK_REQUEST_H

#include <stddef.h>

#include "apierr.h"
#include "models.h"
#include "profile.h"

/* How strictly requests are judged. */
enum req_mode {
    REQ_STRICT, /* every per-model rule of spec §1–§4 (the default) */
    REQ_SCHEMA, /* only the published schema's own constraints */
};

/* The judging rules, fixed at startup. */
struct req_policy {
    enum req_mode mode;  /* strict or schema */
    char *const *retired; /* names of catalogue models that answer as retired (--retire) */
    size_t retired_count; /* entries in `retired` */
    const struct profile *profile; /* the gateway served: its models, required fields, leniencies;
                                      NULL: the real API ("openai") */
};

/* A request that passed every check. */
struct image_request {
    const struct model *model;         /* catalogue row; NULL in schema mode for a name not in it */
    const struct model_family *family; /* the rules the answer follows */
    char *model_name;                  /* the model as sent, or the default's name (owned) */
    char *prompt;                      /* UTF-8, NUL-terminated (owned) */
    size_t prompt_len;                 /* bytes in `prompt` */
    char *user;                        /* the `user` field, or NULL (owned) */
    int n;                             /* images to generate, 1..10 */
    const char *quality;               /* as requested or defaulted; may still be "auto" */
    const char *response_format;       /* "url" or "b64_json" (DALL·E); NULL for GPT models */
    const char *output_format;         /* "png", "webp" or "jpeg" (GPT); NULL for DALL·E */
    int output_compression;            /* 0..100 (GPT; 100 when not given) */
    int stream;                        /* 1 if stream: true (or "true" where the gateway allows strings) */
    char *callback_url;                /* the gateway's callback_url (AceData), or NULL (owned) */
    int partial_images;                /* 0..3 */
    const char *moderation;            /* "auto" or "low" (GPT); NULL for DALL·E */
    const char *background;            /* "transparent", "opaque" or "auto" (GPT); NULL for DALL·E */
    const char *style;                 /* "vivid" or "natural" (dall-e-3); NULL otherwise */
    char size[24];                     /* "auto" or "WIDTHxHEIGHT" */
    unsigned width, height;            /* the size in pixels; 0 for "auto" (resolved later) */
};

/* Parse and judge `len` bytes of `body` (need not be NUL-terminated). Returns 0 with `out`
 * filled, or -1 with `err` filled and nothing in `out` to free. */
int req_parse(const char *body, size_t len, const struct req_policy *policy, struct image_request *out,
              struct apierr *err);

/* The model a body names, or the default model's name, for messages about a request that need
 * not be valid (injected errors). malloc'd; the caller frees; NULL when memory runs out. */
char *req_model_hint(const char *body, size_t len);

/* Release what req_parse() allocated. */
void req_free(struct image_request *r);

/* Format `count` values the way the API's messages list them: 'a' / 'a' and 'b' /
 * 'a', 'b', and 'c'. Returns a malloc'd string the caller frees; NULL when memory runs out. */
char *req_format_list(const char *const *values, size_t count);

#endif
