/* controls.c — header parsing and the reproducible fault draw. */
#include "controls.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "mix.h"

static int parse_number(const char *text, uint64_t max, uint64_t *out)
{
    if (!isdigit((unsigned char)*text))
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(text, &end, 10);
    while (*end == ' ' || *end == '\t')
        end++;
    if (errno || *end || v > max)
        return -1;
    *out = v;
    return 0;
}

static int bad_header(struct apierr *err, const char *name, const char *value, const char *expected)
{
    return apierr_set(err, APIERR_BAD_CONTROL, 0, NULL, name, value, expected);
}

/* An HTTP status to inject: 200 (meaning none) or 400..599. */
static int parse_status(const char *text, int *out)
{
    uint64_t v;
    if (parse_number(text, 599, &v) || (v != 200 && v < 400))
        return -1;
    *out = v == 200 ? 0 : (int)v;
    return 0;
}

/* Prism's convention: Prefer: code=404 (among other preferences, comma or semicolon separated). */
static int prefer_code(const char *prefer, int *out)
{
    for (const char *p = prefer; (p = strstr(p, "code=")) != NULL; p += 5) {
        if (p != prefer && p[-1] != ' ' && p[-1] != ',' && p[-1] != ';')
            continue;
        char digits[8] = "";
        size_t n = strspn(p + 5, "0123456789");
        if (n && n < sizeof digits)
            memcpy(digits, p + 5, n);
        return parse_status(digits, out);
    }
    return 1; /* no code= preference */
}

static const struct {
    const char *name;
    enum mock_fault fault;
} fault_names[] = {
    {"reset", FAULT_RESET},
    {"empty", FAULT_EMPTY},
    {"malformed", FAULT_MALFORMED},
    {"truncate", FAULT_TRUNCATE},
};

/* "Sexual, violence" -> "sexual,violence": lower case, no spaces, no empty items. */
static int normalise_categories(const char *text, char *out, size_t cap)
{
    size_t o = 0;
    for (const char *p = text; *p;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        size_t n = strcspn(p, ",");
        while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
            n--;
        if (!n)
            break;
        if (o + n + 2 > cap)
            return -1;
        if (o)
            out[o++] = ',';
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)p[i];
            if (!(isalnum(c) || c == '-' || c == '_' || c == '/'))
                return -1;
            out[o++] = (char)tolower(c);
        }
        p += strcspn(p, ",");
    }
    out[o] = '\0';
    return o ? 0 : -1;
}

int controls_parse(controls_header_fn *header, void *ctx, struct mock_controls *out, struct apierr *err)
{
    memset(out, 0, sizeof *out);
    const char *v, *status = header(ctx, "X-Mock-Status");
    if (status && parse_status(status, &out->status))
        return bad_header(err, "X-Mock-Status", status, "an HTTP status from 400 to 599 (or 200)");
    if (!status && (v = header(ctx, "Prefer")) && prefer_code(v, &out->status) < 0)
        return bad_header(err, "Prefer", v, "code=NNN with an HTTP status from 400 to 599 (or 200)");
    if ((v = header(ctx, "X-Mock-Latency-Ms"))) {
        if (parse_number(v, CONTROLS_MAX_DELAY_MS, &out->latency_ms))
            return bad_header(err, "X-Mock-Latency-Ms", v, "milliseconds from 0 to 60000");
        out->has_latency = 1;
    }
    if ((v = header(ctx, "X-Mock-Stream-Delay-Ms"))) {
        if (parse_number(v, CONTROLS_MAX_DELAY_MS, &out->stream_delay_ms))
            return bad_header(err, "X-Mock-Stream-Delay-Ms", v, "milliseconds from 0 to 60000");
        out->has_stream_delay = 1;
    }
    if ((v = header(ctx, "X-Mock-Moderation")) &&
        normalise_categories(v, out->categories, sizeof out->categories))
        return bad_header(err, "X-Mock-Moderation", v, "categories such as sexual,violence");
    if ((v = header(ctx, "X-Mock-Fault"))) {
        for (size_t i = 0; i < sizeof fault_names / sizeof *fault_names; i++)
            if (!strcasecmp(v, fault_names[i].name))
                out->fault = fault_names[i].fault;
        if (out->fault == FAULT_NONE)
            return bad_header(err, "X-Mock-Fault", v, "reset, empty, malformed or truncate");
    }
    if ((v = header(ctx, "X-Mock-Seed"))) {
        if (parse_number(v, UINT64_MAX, &out->seed))
            return bad_header(err, "X-Mock-Seed", v, "an integer from 0 to 18446744073709551615");
        out->has_seed = 1;
    }
    return 0;
}

enum mock_fault controls_drawn_fault(uint64_t k, double rate, uint64_t seed)
{
    static const enum mock_fault mix[] = {FAULT_RESET,     FAULT_EMPTY,      FAULT_MALFORMED,
                                          FAULT_TRUNCATE,  FAULT_STATUS_500, FAULT_STATUS_503};
    uint64_t draw = mix64(mix64(seed) ^ (k + 1));
    /* the top 53 bits as a number in [0, 1) */
    double x = (double)(draw >> 11) / 9007199254740992.0;
    if (!(x < rate))
        return FAULT_NONE;
    return mix[mix64(draw) % (sizeof mix / sizeof *mix)];
}

void controls_injected_error(int status, const char *model, const char *key, const char *request_id,
                             const char *organization, struct apierr *err, char *extra, size_t extra_len)
{
    switch (status) {
    case 400: apierr_set(err, APIERR_INJECTED_400, 0, NULL); break;
    case 401: auth_refuse(key, err); break;
    case 403: apierr_set(err, APIERR_MODEL_ACCESS, 0, NULL, model); break;
    case 404: apierr_set(err, APIERR_MODEL_NOT_FOUND, 0, "model", model); break;
    case 409: apierr_set(err, APIERR_CONFLICT, 0, NULL); break;
    case 429:
        apierr_set(err, APIERR_RATE_LIMITED, 0, NULL, model, organization, "requests", 1ULL, 1ULL, 1ULL, "1s");
        break;
    case 500: apierr_set(err, APIERR_SERVER_ERROR, 0, NULL, request_id); break;
    case 502: apierr_set(err, APIERR_BAD_GATEWAY, 0, NULL); break;
    case 503: apierr_set(err, APIERR_OVERLOADED, 0, NULL); break;
    case 504: apierr_set(err, APIERR_GATEWAY_TIMEOUT, 0, NULL); break;
    default: apierr_set(err, APIERR_INJECTED_OTHER, status, NULL, apierr_reason_phrase(status)); break;
    }
    int retry = status == 408 || status == 409 || status == 429 || status >= 500;
    snprintf(extra, extra_len, "%sx-should-retry: %s\r\n",
             status == 429 || status >= 500 ? "retry-after: 1\r\nretry-after-ms: 1000\r\n" : "",
             retry ? "true" : "false");
}

int controls_moderate(const char *categories, const char *prompt, size_t prompt_len, char *const *blocklist,
                      size_t blocklist_count, int gpt, const char *request_id, struct apierr *err)
{
    if (!categories[0])
        categories = controls_blocked_word(prompt, prompt_len, blocklist, blocklist_count) ? "blocklist" : NULL;
    if (!categories)
        return 0;
    if (!gpt)
        return apierr_set(err, APIERR_CONTENT_POLICY, 0, NULL);
    char listed[CONTROLS_MAX_CATEGORIES * 2]; /* "a,b" -> "a, b", as the message lists them */
    size_t o = 0;
    for (const char *p = categories; *p && o + 3 < sizeof listed; p++) {
        if (*p == ',') {
            listed[o++] = ',';
            listed[o++] = ' ';
        } else
            listed[o++] = *p;
    }
    listed[o] = '\0';
    apierr_set(err, APIERR_MODERATION_BLOCKED, 0, NULL, request_id, listed);
    apierr_set_categories(err, categories);
    return -1;
}

size_t controls_malformed_body(long long created, char *out, size_t n)
{
    int len = snprintf(out, n, "{\n  \"created\": %lld,\n  \"data\": [\n    {\n      \"b64_json\": \"iVBORw0KGgo", created);
    return len < 0 ? 0 : (size_t)len < n ? (size_t)len : n - 1;
}

const char *controls_blocked_word(const char *prompt, size_t len, char *const *blocklist, size_t count)
{
    for (size_t w = 0; w < count; w++) {
        size_t n = strlen(blocklist[w]);
        for (size_t i = 0; n && i + n <= len; i++)
            if (!strncasecmp(prompt + i, blocklist[w], n))
                return blocklist[w];
    }
    return NULL;
}
