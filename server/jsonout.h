/* jsonout — JSON text the way the real API writes it.
 *
 * The real API is a Python service: its bodies are json.dumps output, with non-ASCII escaped as
 * lowercase \u00e9. Jansson writes the same layout (": " and ", " separators, the same
 * indentation) but uppercase hex escapes; this module is the one place that fixes that, so
 * error envelopes and success bodies cannot drift apart.
 */
#ifndef IMGMOCK_JSONOUT_H
#define IMGMOCK_JSONOUT_H

#include <jansson.h>
#include <stddef.h>

/* Serialise `value` with `indent` spaces per level (0: compact, no spaces at all, as the real
 * API's stream events are), keys in insertion order, non-ASCII escaped in lowercase hex. Returns a malloc'd
 * NUL-terminated string (caller frees) and its length in *len; NULL when memory runs out. */
char *jsonout_dump(const json_t *value, int indent, size_t *len);

/* The most bytes jsonout_quote() writes for `len` bytes of text: every byte may become a
 * six-character \uXXXX escape, plus the two quotes. */
#define JSONOUT_QUOTED_MAX(len) (6 * (size_t)(len) + 2)

/* Write s[0..len) to `out` as a JSON string literal, quotes included, byte for byte as
 * jsonout_dump() writes the same text held by jsonout_string(): ASCII only, lowercase \u
 * escapes, surrogate pairs above U+FFFF, and — when the text is not valid UTF-8 — every invalid
 * byte and every NUL as \ufffd. `out` needs room for JSONOUT_QUOTED_MAX(len) bytes; nothing is
 * NUL-terminated. Returns the bytes written.
 *
 * For the few bodies whose shape is fixed and which every request may produce (the error
 * envelope): laying them out by hand costs a tenth of building and dumping a Jansson tree.
 * Everything else goes through jsonout_dump(); test_jsonout checks that the two agree. */
size_t jsonout_quote(char *out, const char *s, size_t len);

/* A JSON string value for text that may hold invalid UTF-8 (bytes echoed from a client):
 * invalid bytes become U+FFFD. A new reference; never NULL unless memory runs out. */
json_t *jsonout_string(const char *text, size_t len);

#endif
