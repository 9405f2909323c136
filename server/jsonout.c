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
