/* utf8 — the few UTF-8 facts imgmock needs, without a library.
 *
 * The API measures prompts in Unicode code points, not bytes, and error messages echo bytes
 * that clients sent (a URL path, a key), which need not be valid UTF-8. This module answers
 * "how many code points" and "make this safe to put in a JSON string", strictly by RFC 3629
 * (no overlongs, no surrogates, nothing above U+10FFFF).
 */
#ifndef IMGMOCK_UTF8_H
#define IMGMOCK_UTF8_H

#include <stddef.h>

/* Length in bytes of the valid UTF-8 sequence starting at s[0] (1..4), or 0 if s[0..len)
 * does not start with one. */
size_t utf8_sequence_length(const unsigned char *s, size_t len);

/* Number of code points in s[0..len), or (size_t)-1 if it is not valid UTF-8. */
size_t utf8_count(const char *s, size_t len);

/* A malloc'd, NUL-terminated copy of s[0..len) in which every byte that does not belong to a
 * valid sequence, and every NUL, is replaced by U+FFFD. The caller frees it; NULL only when
 * memory runs out. */
char *utf8_sanitize(const char *s, size_t len);

#endif
