/* jsonout.c — Jansson's dump, with the escapes made Python's. */
#include "jsonout.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

/* Walk the escapes (so an escaped backslash followed by 'u' is left alone) and lowercase the
 * hex digits of each \uXXXX. */
static void lowercase_unicode_escapes(char *json)
{
    for (char *p = json; *p; p++) {
        if (*p != '\\')
            continue;
        p++;
        if (*p == 'u')
            for (int i = 1; i <= 4 && p[i]; i++)
                p[i] = (char)tolower((unsigned char)p[i]);
    }
}

char *jsonout_dump(const json_t *value, int indent, size_t *len)
{
    /* 15 significant digits: 25.3 prints as 25.3, not 25.300000000000001 */
    size_t flags = JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15);
    flags |= indent ? JSON_INDENT(indent) : JSON_COMPACT;
    char *text = json_dumps(value, flags);
    if (!text)
        return NULL;
    lowercase_unicode_escapes(text);
    if (len)
        *len = strlen(text);
    return text;
}

json_t *jsonout_string(const char *text, size_t len)
{
    json_t *j = json_stringn(text, len);
    if (!j) {
        char *clean = utf8_sanitize(text, len);
        j = clean ? json_string(clean) : NULL;
        free(clean);
    }
    return j;
}

size_t jsonout_quote(char *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    const unsigned char *ascii_end = p; /* ASCII is valid UTF-8: only the rest needs checking */
    while (ascii_end < end && *ascii_end < 0x80)
        ascii_end++;
    int valid = ascii_end == end || utf8_count((const char *)ascii_end, (size_t)(end - ascii_end)) != (size_t)-1;
    char *o = out;
    *o++ = '"';
    while (p < end) {
        unsigned c = *p;
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') { /* most bytes: as they are */
            *o++ = (char)c;
            p++;
            continue;
        }
        size_t n = utf8_sequence_length(p, (size_t)(end - p));
        unsigned long cp;
        if (!n || (!valid && c == 0)) { /* replaced by U+FFFD */
            cp = 0xFFFD;
            n = 1;
        } else if (n == 1) {
            cp = c;
        } else { /* a valid sequence: its payload bits */
            cp = c & (0x7F >> n);
            for (size_t i = 1; i < n; i++)
                cp = cp << 6 | (p[i] & 0x3F);
        }
        p += n;
        if (cp >= 0x20 && cp < 0x80 && cp != '"' && cp != '\\') {
            *o++ = (char)cp;
            continue;
        }
        const char *named = cp == '"' ? "\\\"" : cp == '\\' ? "\\\\" : cp == '\b' ? "\\b" : cp == '\f' ? "\\f"
                          : cp == '\n' ? "\\n" : cp == '\r' ? "\\r" : cp == '\t' ? "\\t" : NULL;
        if (named) {
            *o++ = named[0];
            *o++ = named[1];
            continue;
        }
        unsigned units[2] = {(unsigned)cp, 0};
        int count = 1;
        if (cp > 0xFFFF) { /* UTF-16 surrogate pair */
            cp -= 0x10000;
            units[0] = 0xD800 | (unsigned)(cp >> 10);
            units[1] = 0xDC00 | (unsigned)(cp & 0x3FF);
            count = 2;
        }
        for (int i = 0; i < count; i++) {
            *o++ = '\\';
            *o++ = 'u';
            for (int shift = 12; shift >= 0; shift -= 4)
                *o++ = hex[(units[i] >> shift) & 0xF];
        }
    }
    *o++ = '"';
    return (size_t)(o - out);
}
