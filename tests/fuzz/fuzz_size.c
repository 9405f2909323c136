/* fuzz_size.c — the size rules (spec §2 and every family's list) against a reference.
 *
 * request.c keeps its size parser static, so the target reaches it the way a client does: a
 * body {"prompt": "p", "model": M, "size": S} with S the fuzzed bytes, JSON-escaped. The first
 * byte picks the model (every catalogue row, so every family) and strict or schema mode. The
 * answer must equal the one a reference written here from the spec predicts: accepted with the
 * right width, height and size text, or refused with the rule that should have refused it, in
 * the spec's order. The reference compares edges as digit strings before it trusts a number,
 * so no integer width can wrap in it, whatever request.c does.
 */
#include <stdio.h>
#include <string.h>

#include "apierr.h"
#include "fuzz.h"
#include "models.h"
#include "request.h"
#include "utf8.h"

/* An edge's digits s[0..n): its value when it has at most 9 significant digits, else a value
 * above every limit; and its remainder modulo 16 from the last four digits (16 divides 10^4). */
static uint64_t ref_edge(const char *s, size_t n, unsigned *mod16)
{
    size_t lead = 0;
    while (lead + 1 < n && s[lead] == '0')
        lead++;
    unsigned tail = 0;
    for (size_t i = n > 4 ? n - 4 : 0; i < n; i++)
        tail = tail * 10 + (unsigned)(s[i] - '0');
    *mod16 = tail % 16;
    if (n - lead > 9)
        return UINT64_C(10000000000);
    uint64_t v = 0;
    for (size_t i = lead; i < n; i++)
        v = v * 10 + (uint64_t)(s[i] - '0');
    return v;
}

static size_t digits(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
    return i;
}

/* WIDTHxHEIGHT exactly: two non-empty runs of ASCII digits around one lowercase x. */
static int ref_syntax(const char *s, size_t n, uint64_t *w, uint64_t *h, unsigned *wm, unsigned *hm)
{
    size_t a = digits(s, n);
    if (!a || a >= n || s[a] != 'x')
        return 0;
    size_t b = digits(s + a + 1, n - a - 1);
    if (!b || a + 1 + b != n)
        return 0;
    *w = ref_edge(s, a, wm);
    *h = ref_edge(s + a + 1, b, hm);
    return 1;
}

/* The prediction: APIERR_NONE with the size text and edges, or the error kind. */
struct expect {
    enum apierr_kind kind;
    char size[24];
    unsigned width, height;
};

static void listed(struct expect *e, const char *size)
{
    snprintf(e->size, sizeof e->size, "%s", size);
    if (strcmp(size, "auto") && sscanf(size, "%ux%u", &e->width, &e->height) != 2)
        abort(); /* the catalogue lists only "auto" and WxH */
}

static void predict(const struct model_family *fam, int schema, const char *s, size_t n, struct expect *e)
{
    memset(e, 0, sizeof *e);
    if (utf8_count(s, n) == (size_t)-1) {
        e->kind = APIERR_INVALID_JSON; /* raw bytes that are not UTF-8 make the body invalid JSON */
        return;
    }
    uint64_t w = 0, h = 0;
    unsigned wm = 0, hm = 0;
    int syntax = ref_syntax(s, n, &w, &h, &wm, &hm);
    if (schema) { /* any string; the image follows a sensible WxH, else the family's default */
        if (n == 4 && !memcmp(s, "auto", 4))
            listed(e, "auto");
        else if (syntax && w >= 16 && h >= 16 && w <= 3840 && h <= 3840) {
            e->width = (unsigned)w;
            e->height = (unsigned)h;
            snprintf(e->size, sizeof e->size, "%ux%u", e->width, e->height);
        } else
            listed(e, fam->defaults[F_SIZE]);
        return;
    }
    for (const char *const *v = fam->values[F_SIZE]; *v; v++)
        if (strlen(*v) == n && !memcmp(*v, s, n)) {
            listed(e, *v);
            return;
        }
    if (!fam->custom_sizes) {
        e->kind = APIERR_INVALID_VALUE;
        return;
    }
    uint64_t lo = w < h ? w : h, hi = w < h ? h : w;
    if (!syntax)
        e->kind = APIERR_SIZE_SYNTAX;
    else if (wm || hm)
        e->kind = APIERR_SIZE_DIVISIBLE;
    else if (hi > 3840)
        e->kind = APIERR_SIZE_EDGE;
    else if (lo == 0 || hi > 3 * lo)
        e->kind = APIERR_SIZE_ASPECT;
    else if (w * h < 655360)
        e->kind = APIERR_SIZE_TOO_FEW_PIXELS;
    else if (w * h > 8294400)
        e->kind = APIERR_SIZE_TOO_MANY_PIXELS;
    else {
        e->width = (unsigned)w;
        e->height = (unsigned)h;
        snprintf(e->size, sizeof e->size, "%ux%u", e->width, e->height);
    }
}

/* {"prompt":"p","model":"NAME","size":"S"}: quote and backslash escaped, control bytes as \u00XX,
 * every other byte as it is (so non-UTF-8 input makes the body invalid, as on the wire). */
static char *build_body(const char *model, const char *s, size_t n, size_t *len)
{
    size_t cap = 64 + strlen(model) + 6 * n;
    char *body = malloc(cap);
    if (!body)
        abort();
    size_t o = (size_t)sprintf(body, "{\"prompt\":\"p\",\"model\":\"%s\",\"size\":\"", model);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            body[o++] = '\\';
            body[o++] = (char)c;
        } else if (c < 0x20)
            o += (size_t)sprintf(body + o, "\\u%04x", c);
        else
            body[o++] = (char)c;
    }
    memcpy(body + o, "\"}", 3);
    *len = o + 2;
    return body;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const struct model *model = &model_catalogue[(data[0] & 0x7f) % model_catalogue_count];
    int schema = data[0] >> 7;
    const char *s = (const char *)data + 1;
    size_t n = size - 1;

    struct expect want;
    predict(model->family, schema, s, n, &want);

    size_t len;
    char *body = build_body(model->name, s, n, &len);
    struct req_policy policy = {.mode = schema ? REQ_SCHEMA : REQ_STRICT};
    struct image_request r;
    struct apierr err = APIERR_INIT;
    int rc = req_parse(body, len, &policy, &r, &err);
    if (want.kind == APIERR_NONE) {
        if (rc != 0)
            fprintf(stderr, "size refused: %s\n", err.message ? err.message : "(no message)");
        FUZZ_CHECK(rc == 0);
        FUZZ_CHECK(r.model == model && r.family == model->family);
        FUZZ_CHECK(!strcmp(r.size, want.size) && r.width == want.width && r.height == want.height);
        req_free(&r);
    } else {
        if (rc == 0)
            fprintf(stderr, "size accepted as %s, want error kind %d\n", r.size, (int)want.kind);
        FUZZ_CHECK(rc != 0);
        if (err.kind != want.kind)
            fprintf(stderr, "got error kind %d (%s), want %d\n", (int)err.kind, err.message, (int)want.kind);
        FUZZ_CHECK(err.kind == want.kind);
        FUZZ_CHECK(err.message && (want.kind == APIERR_INVALID_JSON || (err.param && !strcmp(err.param, "size"))));
    }
    apierr_clear(&err);
    free(body);
    return 0;
}
