/* framing.c — the header rules of RFC 9112 §5–§6 that decide where a request ends. */
#include "framing.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* RFC 9110 §5.6.2: tchar */
static int is_token_char(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int refuse(struct framing *f, struct apierr *err, int status, const char *why)
{
    f->failed = 1;
    apierr_set(err, APIERR_HTTP_PROTOCOL, status, NULL, why);
    return -1;
}

/* The next comma-separated element of a list value, trimmed of spaces and tabs: its start in
 * *item and length in *len. Returns the rest of the list, or NULL when it is used up. */
static const char *next_item(const char *list, const char **item, size_t *len)
{
    list += strspn(list, " \t");
    if (!*list)
        return NULL;
    size_t n = strcspn(list, ",");
    *item = list;
    *len = n;
    while (*len && (list[*len - 1] == ' ' || list[*len - 1] == '\t'))
        (*len)--;
    return list[n] ? list + n + 1 : list + n;
}

static int content_length(struct framing *f, const char *value, struct apierr *err)
{
    const char *item;
    size_t len;
    int any = 0;
    for (const char *rest = value; (rest = next_item(rest, &item, &len));) {
        /* 1*DIGIT: anything else (a sign, hex, a suffix) is not a length. A huge one is a length
         * all the same (the body cap answers it, 413); it saturates rather than wraps. */
        if (!len || strspn(item, "0123456789") < len)
            return refuse(f, err, 400, FRAMING_BAD_LENGTH);
        unsigned long long n = 0;
        for (size_t i = 0; i < len; i++)
            n = n > (ULLONG_MAX - 9) / 10 ? ULLONG_MAX : n * 10 + (unsigned)(item[i] - '0');
        if (f->has_length && n != f->length)
            return refuse(f, err, 400, "Conflicting Content-Length headers.");
        f->has_length = 1;
        f->length = n;
        any = 1;
    }
    return any ? 0 : refuse(f, err, 400, FRAMING_BAD_LENGTH);
}

static int transfer_encoding(struct framing *f, const char *value, struct apierr *err)
{
    const char *item;
    size_t len;
    int any = 0;
    for (const char *rest = value; (rest = next_item(rest, &item, &len));) {
        if (len == 0)
            continue;
        /* chunked is the only coding imgmock reads, and it may appear once, last (§6.1) */
        if (len != 7 || strncasecmp(item, "chunked", 7) || f->chunked)
            return refuse(f, err, 400, "Unsupported Transfer-Encoding: only a single 'chunked' is accepted.");
        f->chunked = 1;
        any = 1;
    }
    return any ? 0 : refuse(f, err, 400, "Unsupported Transfer-Encoding: only a single 'chunked' is accepted.");
}

int framing_header(struct framing *f, const char *name, const char *value, struct apierr *err)
{
    if (f->failed)
        return -1;
    if (!*name)
        return refuse(f, err, 400, "Invalid header line: it has no name.");
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        if (!is_token_char(*p))
            return refuse(f, err, 400, "Invalid header name: names are tokens, with no white space before the colon.");
    for (const unsigned char *p = (const unsigned char *)value; *p; p++)
        if ((*p < 0x20 && *p != '\t') || *p == 0x7F)
            return refuse(f, err, 400, "Invalid header value: control characters are not allowed.");
    if (!strcasecmp(name, "Content-Length"))
        return content_length(f, value, err);
    if (!strcasecmp(name, "Transfer-Encoding"))
        return transfer_encoding(f, value, err);
    return 0;
}

int framing_finish(const struct framing *f, size_t count, size_t max_count, struct apierr *err)
{
    if (f->failed)
        return -1;
    struct framing copy = *f; /* refuse() marks failure; the caller's struct stays as judged */
    if (count >= max_count) {
        char why[80];
        snprintf(why, sizeof why, "Too many header lines: imgmock reads at most %zu.", max_count - 1);
        return refuse(&copy, err, 431, why);
    }
    if (f->chunked && f->has_length)
        return refuse(&copy, err, 400, "A request may not carry both Content-Length and Transfer-Encoding.");
    return 0;
}
