/* http — the HTTP face of imgmock: the only module that knows civetweb.
 *
 * It owns everything about the wire: routing (a table), methods, CORS, authentication order,
 * the body cap, request ids, the response headers every answer carries, the access log, and
 * graceful shutdown. What a route *means* is delegated downwards (request parsing, image
 * generation, error templates); results come back as return values and are written out here.
 */
#ifndef IMGMOCK_HTTP_H
#define IMGMOCK_HTTP_H

#include <stddef.h>

#include "config.h"

struct http_server; /* opaque: one running server */

/* Start listening as `cfg` says and return the server in *out. `cfg` must outlive the server.
 * Returns 0, or -1 with a one-line reason (e.g. the port is taken) in `err`. */
int http_start(const struct cfg *cfg, struct http_server **out, char *err, size_t errlen);

/* The base URL the server answers on, with the real port when --port 0 was given,
 * e.g. "http://127.0.0.1:4010" or "http://[::1]:4010". */
const char *http_base_url(const struct http_server *s);

/* Shut down gracefully: from now on every response closes its connection; wait (up to
 * `drain_ms`) for requests in progress to finish; then stop the workers and free `s`. */
void http_stop(struct http_server *s, unsigned drain_ms);

#endif
