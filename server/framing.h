/* framing — whether a request says where it ends in exactly one way, before its body is read.
 *
 * HTTP/1.1 gives a body's length two ways (Content-Length, Transfer-Encoding: chunked), and a
 * proxy in front of imgmock may read an ambiguous request differently from civetweb: the gap
 * request smuggling goes through. civetweb 1.15 takes the leading number of any Content-Length
 * ("86abc", "86, 1"), prefers chunked when both are sent, and keeps 64 header lines, dropping
 * the rest without a word. This module refuses, as RFC 9112 §6 allows, what cannot be read one
 * way only: malformed or conflicting lengths, codings other than chunked, a length together
 * with chunked, header names that are not tokens (a space before the colon), control bytes in
 * values, and header sections civetweb cut short. The caller answers the error and closes the
 * connection, since where the request ends is unknown.
 *
 * The HTTP layer feeds every header line it was given through framing_header(), then asks
 * framing_finish(). Nothing here knows civetweb.
 */
#ifndef IMGMOCK_FRAMING_H
#define IMGMOCK_FRAMING_H

#include <stddef.h>

#include "apierr.h"

/* The message for a Content-Length that is not a number (also civetweb's 411, reworded). */
#define FRAMING_BAD_LENGTH "Invalid Content-Length header: not a decimal number of bytes."

/* What the header lines seen so far say about the body. Start it zeroed. */
struct framing {
    int has_length;           /* a Content-Length line was seen */
    unsigned long long length; /* its value (all lines agreed) */
    int chunked;              /* Transfer-Encoding named chunked */
    int failed;               /* an error has been reported: later lines are not judged */
};

/* Judge one header line. Returns 0, or -1 with `err` filled (400). */
int framing_header(struct framing *f, const char *name, const char *value, struct apierr *err);

/* Judge the whole header section: `count` lines were kept by a reader that keeps at most
 * `max_count` (a full house means lines may have been dropped). Returns 0, or -1 with `err`
 * filled (400 or 431). */
int framing_finish(const struct framing *f, size_t count, size_t max_count, struct apierr *err);

#endif
