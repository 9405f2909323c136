/* auth.c — Authorization header parsing and the key check. */
#include "auth.h"
#include "base64.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The header value after `scheme` and the spaces that follow it, or NULL if the value does not
 * start with that scheme (compared without regard to case, as RFC 9110 says). */
static const char *after_scheme(const char *value, const char *scheme)
{
    size_t n = strlen(scheme);
    if (strncasecmp(value, scheme, n) != 0 || (value[n] != ' ' && value[n] != '\t'))
        return NULL;
    value += n;
    while (*value == ' ' || *value == '\t')
        value++;
    return value;
}

/* The password of Basic credentials whose username is blank: base64(":KEY"). */
static char *key_from_basic(const char *credentials)
{
    size_t len = strlen(credentials);
    unsigned char *decoded = malloc(BASE64_DECODED_MAX(len) + 1);
    if (!decoded)
        return NULL;
    size_t n = base64_decode(credentials, len, decoded);
    char *key = NULL;
    if (n != (size_t)-1 && n > 1 && decoded[0] == ':' && !memchr(decoded, '\0', n)) {
        decoded[n] = '\0';
        key = strdup((char *)decoded + 1);
    }
    free(decoded);
    return key;
}

char *auth_key_from_header(const char *authorization)
{
    if (!authorization)
        return NULL;
    const char *rest;
    if ((rest = after_scheme(authorization, "Bearer")) != NULL)
        return *rest ? strdup(rest) : NULL;
    if ((rest = after_scheme(authorization, "Basic")) != NULL)
        return key_from_basic(rest);
    return NULL;
}

/* 1 if a equals b, taking time that depends only on the lengths, not on where they differ. */
static int equal_constant_time(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t n = la > lb ? la : lb;
    unsigned char diff = (unsigned char)(la != lb);
    for (size_t i = 0; i < n; i++) {
        unsigned char x = i < la ? (unsigned char)a[i] : 0;
        unsigned char y = i < lb ? (unsigned char)b[i] : 0;
        diff |= x ^ y;
    }
    return diff == 0;
}

int auth_check_key(const char *key, char *const *accepted, size_t n_accepted, const char *prefix,
                   struct apierr *err)
{
    if (!key)
        return auth_refuse(NULL, err);
    int ok = n_accepted == 0;
    for (size_t i = 0; i < n_accepted; i++) /* no early exit: every key is compared */
        ok |= equal_constant_time(key, accepted[i]);
    if (prefix && (strncmp(key, prefix, strlen(prefix)) != 0 || strlen(key) == strlen(prefix)))
        ok = 0; /* the gateway's form, and something after it */
    return ok ? 0 : auth_refuse(key, err);
}

int auth_check(const char *authorization, char *const *accepted, size_t n_accepted, const char *prefix,
               struct apierr *err)
{
    char *key = auth_key_from_header(authorization);
    int rc = auth_check_key(key, accepted, n_accepted, prefix, err);
    free(key);
    return rc;
}

int auth_refuse(const char *key, struct apierr *err)
{
    if (!key)
        return apierr_set(err, APIERR_MISSING_KEY, 0, NULL);
    char *masked = malloc(strlen(key) + 1);
    if (masked)
        auth_mask_key(key, masked);
    apierr_set(err, APIERR_BAD_KEY, 0, NULL, masked ? masked : "");
    free(masked);
    return -1;
}

void auth_mask_key(const char *key, char *out)
{
    size_t len = strlen(key);
    memcpy(out, key, len + 1);
    if (len > 12)
        memset(out + 8, '*', len - 12);
}
