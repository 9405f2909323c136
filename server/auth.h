/* auth — who may call the API, and how a refused key is echoed back.
 *
 * The real API takes the key from `Authorization: Bearer KEY`, or, for browsers that prompt,
 * from HTTP Basic credentials with a blank username and the key as password. imgmock accepts
 * both. With no keys configured any non-empty key passes (SDK test suites send "My API Key");
 * with keys configured only those pass, compared in constant time.
 */
#ifndef IMGMOCK_AUTH_H
#define IMGMOCK_AUTH_H

#include <stddef.h>

#include "apierr.h"

/* The API key carried by an Authorization header value, as a malloc'd string the caller frees;
 * NULL when the header is absent (NULL), uses another scheme, or carries an empty key. */
char *auth_key_from_header(const char *authorization);

/* Decide whether a request with this key (from auth_key_from_header(); NULL when it has none)
 * may proceed. `accepted` lists the configured keys; with `n_accepted` == 0 any non-empty key is
 * accepted. `prefix`, if not NULL, is a form every key must have (a gateway's "sk-gateway-").
 * Returns 0 when it may; otherwise fills `err` as auth_refuse() does and returns -1. */
int auth_check_key(const char *key, char *const *accepted, size_t n_accepted, const char *prefix,
                   struct apierr *err);

/* auth_check_key() for the key of an Authorization header value (NULL when absent). */
int auth_check(const char *authorization, char *const *accepted, size_t n_accepted, const char *prefix,
               struct apierr *err);

/* Fill `err` with the 401 a request with `key` gets: APIERR_MISSING_KEY for NULL, else
 * APIERR_BAD_KEY naming the key masked. Returns -1. */
int auth_refuse(const char *key, struct apierr *err);

/* Mask a key the way the real API echoes it in "Incorrect API key provided: …": a key longer
 * than 12 bytes keeps its first 8 and last 4 bytes with one '*' for each byte between; a
 * shorter key is echoed whole (imgmock's choice: it hides nothing a 12-byte window would not).
 * `out` must hold strlen(key)+1 bytes; the result is exactly as long as the key. */
void auth_mask_key(const char *key, char *out);

#endif
