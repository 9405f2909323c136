/* jscan — a strict, small JSON reader for request bodies.
 *
 * Why not Jansson, which imgmock uses to write JSON? Validation must echo what the client
 * sent the way the real API (a Python service) does: an integer literal of any size
 * ("got 100000000000000000000 instead"), the exact JSON kind of a value (1 is an integer,
 * 1.0 a decimal number), the body's key order, and duplicate keys where the last value wins
 * in the first key's place. Jansson refuses integers beyond 64 bits and keeps none of the
 * rest. This reader keeps exactly that, for the top-level object, and checks everything
 * nested for well-formedness only.
 *
 * Strict means RFC 8259 and nothing else: UTF-8 input, no BOM, no NaN/Infinity, no control
 * characters or lone surrogates in strings, nothing after the top-level value but whitespace,
 * nesting at most JSCAN_MAX_DEPTH deep.
 *
 * Ownership: jscan_object() fills a struct jscan_object whose keys and values it allocates;
 * jscan_free() releases them, whatever jscan_object() returned.
 */
#ifndef IMGMOCK_JSCAN_H
#define IMGMOCK_JSCAN_H

#include <stddef.h>
#include <stdint.h>

#define JSCAN_MAX_DEPTH 512 /* deeper nesting is refused rather than risk the stack */

/* The kind of a JSON value, as the API's "got a … instead" messages distinguish them. */
enum jscan_kind {
    JSCAN_STRING,
    JSCAN_INTEGER, /* a number without fraction or exponent */
    JSCAN_DECIMAL, /* a number with a fraction or an exponent */
    JSCAN_BOOLEAN,
    JSCAN_OBJECT,
    JSCAN_ARRAY,
    JSCAN_NULL,
};

/* One top-level value. Nested objects and arrays are checked but not kept. */
struct jscan_value {
    enum jscan_kind kind;
    char *text;      /* STRING: the decoded UTF-8 (NUL-terminated; may hold \u0000 escapes,
                        so use `len`); INTEGER, DECIMAL: the literal as written; else NULL */
    size_t len;      /* bytes in `text` */
    int boolean;     /* BOOLEAN: 0 or 1 */
    int64_t integer; /* INTEGER: the value, saturated to INT64_MIN/INT64_MAX when it does not fit */
};

/* One member of the top-level object, in the order the body first named its key. */
struct jscan_member {
    char *key;      /* decoded, NUL-terminated */
    size_t key_len; /* bytes in `key` */
    struct jscan_value value;
};

struct jscan_object {
    struct jscan_member *members; /* in body order; a repeated key keeps its first place */
    size_t count;
};

/* Read `len` bytes of `text` as a JSON document whose top level is an object.
 * Returns 0 with `out` filled, or -1 if the text is not exactly one well-formed JSON object. */
int jscan_object(const char *text, size_t len, struct jscan_object *out);

/* The member named `key`, or NULL. */
const struct jscan_member *jscan_get(const struct jscan_object *obj, const char *key);

/* Whether `len` bytes of decoded JSON text (a key or a string value) are exactly `word`.
 * Compared by length, never with strcmp(): the text may hold an escaped NUL, and
 * "true\u0000x" is not "true". */
int jscan_text_is(const char *text, size_t len, const char *word);

/* Release what jscan_object() allocated and zero `obj`. */
void jscan_free(struct jscan_object *obj);

/* "a string", "an integer", "a decimal number", "a boolean", "an object", "an array", "null":
 * the words the API's type errors use for each kind. */
const char *jscan_kind_phrase(enum jscan_kind kind);

#endif
