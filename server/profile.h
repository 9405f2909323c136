/* profile — how each gateway of the seed documents serves the endpoint, as data.
 *
 * `--profile NAME` picks one row of the table in profile.c; every layer that behaves
 * differently per gateway reads its field from that row (the routes, the key check, the
 * request rules, the answer's shape, the error envelope). No layer tests a profile's name.
 * Static, read-only data: nothing to free.
 */
#ifndef IMGMOCK_PROFILE_H
#define IMGMOCK_PROFILE_H

/* How error bodies are shaped. */
enum error_style {
    ERRORS_OPENAI,       /* {"error": {"message", "type", "param", "code"}} */
    ERRORS_CODE_DETAILS, /* {"error": {"code": <int status>, "message", "details": []}} (TokenOps) */
};

/* One gateway. */
struct profile {
    const char *name;                  /* --profile NAME */
    const char *const *paths;          /* where the endpoint lives (a trailing slash is always accepted) */
    const char *key_prefix;            /* accepted keys start with this; NULL: any key */
    const char *const *models;         /* the models it serves, in its documents' order; NULL: the catalogue */
    int model_required;                /* `model` must be given */
    int stream_as_string;              /* `stream` may also be the strings "true" and "false" */
    int always_usage;                  /* every answer carries `usage`, DALL·E's too */
    int request_id_in_body;            /* messages may name the request id (else only the header does) */
    enum error_style errors;           /* the error envelope's shape */
    int callbacks;                     /* accepts `callback_url` (AceData's asynchronous tasks) */
    int schema_rules;                  /* judges requests by its published schema (types, the union of
                                          values, ranges), as schema mode does, not per model; its
                                          served models and required fields still apply */
    const char *document;              /* the seed document it follows, for the README */
};

/* The profile named `name`, or NULL. */
const struct profile *profile_find(const char *name);

/* Whether `profile` serves the model `name` (every catalogue model when it lists none). */
int profile_serves(const struct profile *profile, const char *name);

#endif
