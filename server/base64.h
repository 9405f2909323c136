/* base64 — RFC 4648 base64, the standard alphabet with padding.
 *
 * HTTP Basic credentials arrive base64-encoded; generated images leave base64-encoded in
 * `b64_json`. Both directions live here so there is one alphabet and one set of edge cases.
 */
#ifndef IMGMOCK_BASE64_H
#define IMGMOCK_BASE64_H

#include <stddef.h>

/* Characters base64_encode() writes for `len` bytes (padded, no NUL). */
#define BASE64_ENCODED_SIZE(len) (((len) + 2) / 3 * 4)

/* Encode `len` bytes into `out` (BASE64_ENCODED_SIZE(len) characters, not NUL-terminated).
 * Encoding a long input in pieces gives the same text when every piece but the last is a
 * multiple of 3 bytes long. */
void base64_encode(const void *in, size_t len, char *out);

/* Largest number of bytes base64_decode() can produce from `len` characters of input. */
#define BASE64_DECODED_MAX(len) (((len) / 4 + 1) * 3)

/* Decode `len` characters of padded base64 into `out` (at least BASE64_DECODED_MAX(len) bytes).
 * Returns the number of bytes written, or (size_t)-1 if the input is not canonical padded
 * base64 (wrong length, a character outside the alphabet, misplaced padding). */
size_t base64_decode(const char *in, size_t len, unsigned char *out);

#endif
