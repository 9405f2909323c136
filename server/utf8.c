/* utf8.c — strict UTF-8 decoding of sequence lengths (RFC 3629, table 3-7 of Unicode). */
#include "utf8.h"

#include <stdlib.h>
#include <string.h>

size_t utf8_sequence_length(const unsigned char *s, size_t len)
{
    if (len == 0)
        return 0;
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0; /* no overlongs */
        else if (c == 0xED)
            hi = 0x9F; /* no surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90; /* no overlongs */
        else if (c == 0xF4)
            hi = 0x8F; /* nothing above U+10FFFF */
    } else
        return 0;
    if (len < n || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return n;
}

size_t utf8_count(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t count = 0;
    while (len) {
        size_t n = utf8_sequence_length(p, len);
        if (!n)
            return (size_t)-1;
        p += n;
        len -= n;
        count++;
    }
    return count;
}

char *utf8_sanitize(const char *s, size_t len)
{
    static const char replacement[] = "\xEF\xBF\xBD";
    char *out = malloc(len * 3 + 1); /* worst case: every byte replaced */
    if (!out)
        return NULL;
    const unsigned char *p = (const unsigned char *)s;
    char *o = out;
    while (len) {
        size_t n = utf8_sequence_length(p, len);
        if (n && p[0] != 0) {
            memcpy(o, p, n);
            o += n;
        } else {
            memcpy(o, replacement, 3);
            o += 3;
            n = 1;
        }
        p += n;
        len -= n;
    }
    *o = '\0';
    return out;
}
