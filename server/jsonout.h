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

/* A JSON string value for text that may hold invalid UTF-8 (bytes echoed from a client):
 * invalid bytes become U+FFFD. A new reference; never NULL unless memory runs out. */
json_t *jsonout_string(const char *text, size_t len);

#endif
