/* request.c — the checks of spec §4, in its order, driven by the tables of models.c. */
#include "request.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "jscan.h"
#include "utf8.h"

/* gpt-image-2 custom sizes (spec §2) */
enum {
    SIZE_MULTIPLE = 16,
    SIZE_MAX_EDGE = 3840,
    SIZE_MAX_RATIO = 3,
    SIZE_MIN_PIXELS = 655360,
    SIZE_MAX_PIXELS = 8294400,
    SIZE_SATURATE = 1000000000, /* larger edges are all simply "too long"; no wrap-around */
};

/* Everything one run of the checks needs. */
struct judge {
    const struct req_policy *policy;
    struct jscan_object body;                    /* the parsed body */
    const struct jscan_value *given[FIELD_COUNT]; /* each field's value, NULL when absent */
    unsigned present;                            /* FIELD_BIT of each field the body names */
    const struct jscan_value *callback;          /* callback_url, where the gateway takes one */
    struct image_request *out;
    struct apierr *err;
};

char *req_format_list(const char *const *values, size_t count)
{
    size_t cap = 1;
    for (size_t i = 0; i < count; i++)
        cap += strlen(values[i]) + 8;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    char *o = out;
    for (size_t i = 0; i < count; i++) {
        const char *sep = i == 0 ? "" : (count == 2 ? " and " : (i + 1 == count ? ", and " : ", "));
        o += sprintf(o, "%s'%s'", sep, values[i]);
    }
    *o = '\0';
    return out;
}

static size_t list_length(const char *const *values)
{
    size_t n = 0;
    while (values[n])
        n++;
    return n;
}

/* The entry of a NULL-terminated list equal to `text`, or NULL. */
static const char *list_find(const char *const *values, const char *text, size_t len)
{
    for (; *values; values++)
        if (jscan_text_is(text, len, *values))
            return *values;
    return NULL;
}

static int invalid_value(struct judge *j, int field, const char *value, const char *const *values, size_t count)
{
    char *list = req_format_list(values, count);
    apierr_set(j->err, APIERR_INVALID_VALUE, 0, model_fields[field].name, value, list ? list : "");
    free(list);
    return -1;
}

static int is_retired(const struct req_policy *p, const char *name)
{
    for (size_t i = 0; i < p->retired_count; i++)
        if (!strcmp(p->retired[i], name))
            return 1;
    return 0;
}

/* ---- the steps, each returning 0 to go on or -1 with the error filled -------------------- */

static int check_unknown_fields(struct judge *j)
{
    for (size_t i = 0; i < j->body.count; i++) {
        const struct jscan_member *m = &j->body.members[i];
        int f = model_field_lookup(m->key, m->key_len);
        if (f >= 0) {
            j->given[f] = &m->value;
            j->present |= FIELD_BIT(f);
        } else if (j->policy->profile->callbacks && jscan_text_is(m->key, m->key_len, "callback_url")) {
            j->callback = &m->value;
        } else if (j->policy->mode == REQ_STRICT) {
            return apierr_set(j->err, APIERR_UNKNOWN_PARAMETER, 0, m->key, m->key);
        }
    }
    return 0;
}

static int check_types(struct judge *j)
{
    static const enum jscan_kind wanted[] = {
        [TYPE_STRING] = JSCAN_STRING, [TYPE_INTEGER] = JSCAN_INTEGER, [TYPE_BOOLEAN] = JSCAN_BOOLEAN};
    for (int f = 0; f < FIELD_COUNT; f++) {
        const struct jscan_value *v = j->given[f];
        const struct field_spec *spec = &model_fields[f];
        if (!v || v->kind == wanted[spec->type] || (v->kind == JSCAN_NULL && spec->nullable))
            continue;
        if (f == F_STREAM && j->policy->profile->stream_as_string && v->kind == JSCAN_STRING &&
            (jscan_text_is(v->text, v->len, "true") || jscan_text_is(v->text, v->len, "false")))
            continue; /* a gateway that types stream as a string */
        return apierr_set(j->err, APIERR_INVALID_TYPE, 0, spec->name, spec->name,
                          jscan_kind_phrase(wanted[spec->type]), jscan_kind_phrase(v->kind));
    }
    return 0;
}

static int check_prompt(struct judge *j)
{
    const struct jscan_value *v = j->given[F_PROMPT];
    if (j->callback && j->callback->kind != JSCAN_STRING)
        return apierr_set(j->err, APIERR_INVALID_TYPE, 0, "callback_url", "callback_url", "a string",
                          jscan_kind_phrase(j->callback->kind));
    if (!v)
        return apierr_set(j->err, APIERR_MISSING_PARAMETER, 0, "prompt", "prompt");
    const struct jscan_value *model = j->given[F_MODEL];
    if (j->policy->profile->model_required && (!model || model->kind == JSCAN_NULL))
        return apierr_set(j->err, APIERR_MISSING_PARAMETER, 0, "model", "model");
    if (v->len == 0 && j->policy->mode == REQ_STRICT)
        return apierr_set(j->err, APIERR_EMPTY_STRING, 0, "prompt", "prompt");
    return 0;
}

static int check_model(struct judge *j)
{
    const struct jscan_value *v = j->given[F_MODEL];
    const char *name;
    int whole_name = 1; /* 0: an escaped NUL cuts `name` short; then it names no model, whatever
                           precedes the NUL */
    if (v && v->kind == JSCAN_STRING) {
        name = v->text;
        whole_name = strlen(name) == v->len;
        j->out->model = whole_name ? model_find(name) : NULL;
        if (j->out->model && j->policy->mode == REQ_STRICT && !profile_serves(j->policy->profile, name))
            j->out->model = NULL; /* the gateway does not serve it: unknown there */
    } else {
        j->out->model = model_default(j->present);
        name = j->out->model->name;
    }
    if (!(j->out->model_name = strdup(name)))
        return apierr_set(j->err, APIERR_OUT_OF_MEMORY, 0, NULL);
    const struct profile *p = j->policy->profile;
    if (j->policy->mode == REQ_SCHEMA && p->models && v && v->kind == JSCAN_STRING &&
        !(whole_name && profile_serves(p, name)))
        return invalid_value(j, F_MODEL, name, (const char *const *)p->models, list_length(p->models));
    if (j->policy->mode == REQ_SCHEMA) { /* any name; the answer takes a known family's shape */
        const struct model *shape = j->out->model ? j->out->model : model_default(j->present);
        const struct jscan_value *stream = j->given[F_STREAM];
        if (stream && stream->kind == JSCAN_BOOLEAN && stream->boolean && !shape->family->gpt)
            shape = model_find("gpt-image-1"); /* only GPT models stream: the events take that shape */
        j->out->family = shape->family;
        return 0;
    }
    if (j->out->model && is_retired(j->policy, name))
        return apierr_set(j->err, APIERR_MODEL_RETIRED, 0, "model", name);
    if (!j->out->model) { /* the served models, in the gateway's order, less the retired */
        const char *names[MODEL_CATALOGUE_MAX];
        size_t count = 0;
        for (size_t i = 0; p->models ? p->models[i] != NULL : i < model_catalogue_count; i++) {
            const char *candidate = p->models ? p->models[i] : model_catalogue[i].name;
            if (!is_retired(j->policy, candidate) && count < MODEL_CATALOGUE_MAX)
                names[count++] = candidate;
        }
        return invalid_value(j, F_MODEL, name, names, count);
    }
    j->out->family = j->out->model->family;
    return 0;
}

static int check_accepted_fields(struct judge *j)
{
    if (j->policy->mode == REQ_SCHEMA)
        return 0;
    for (size_t i = 0; i < j->body.count; i++) {
        const struct jscan_member *m = &j->body.members[i];
        int f = model_field_lookup(m->key, m->key_len);
        if (f >= 0 && !(j->out->family->accepted & FIELD_BIT(f)))
            return apierr_set(j->err, APIERR_UNKNOWN_PARAMETER, 0, m->key, m->key);
    }
    return 0;
}

static int check_ranges(struct judge *j)
{
    for (int f = 0; f < FIELD_COUNT; f++) {
        const struct field_spec *spec = &model_fields[f];
        const struct jscan_value *v = j->given[f];
        if (!v || v->kind != JSCAN_INTEGER || !spec->ranged)
            continue;
        if (j->policy->mode == REQ_SCHEMA && !spec->schema_ranged)
            continue;
        /* echo the value as Python prints the integer: the literal, but -0 is 0 */
        const char *shown = strcmp(v->text, "-0") ? v->text : "0";
        if (v->integer > spec->max)
            return apierr_set(j->err, APIERR_INTEGER_ABOVE_MAX, 0, spec->name, spec->name, (long long)spec->max,
                              shown);
        if (v->integer < spec->min)
            return apierr_set(j->err, APIERR_INTEGER_BELOW_MIN, 0, spec->name, spec->name, (long long)spec->min,
                              shown);
    }
    return 0;
}

static int check_prompt_length(struct judge *j)
{
    const struct jscan_value *v = j->given[F_PROMPT];
    if (j->policy->mode == REQ_SCHEMA)
        return 0;
    size_t length = utf8_count(v->text, v->len);
    size_t limit = j->out->family->prompt_max;
    if (length > limit)
        return apierr_set(j->err, APIERR_STRING_TOO_LONG, 0, "prompt", "prompt", limit, length);
    return 0;
}

/* A decimal edge length: saturated so that absurd input cannot wrap, with its remainder
 * modulo 16 kept exactly (10^4 is a multiple of 16, so digits beyond the last four don't
 * change it). Returns the number of digits read. */
static size_t parse_edge(const char *s, size_t len, uint64_t *value, unsigned *mod16)
{
    size_t i = 0;
    uint64_t v = 0;
    unsigned m = 0;
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
        unsigned d = (unsigned)(s[i] - '0');
        v = v >= SIZE_SATURATE ? v : v * 10 + d;
        m = (m * 10 + d) % SIZE_MULTIPLE;
    }
    *value = v;
    *mod16 = m;
    return i;
}

/* spec §2: WIDTHxHEIGHT, each rule in order */
static int check_custom_size(struct judge *j, const char *text, size_t len)
{
    uint64_t w = 0, h = 0;
    unsigned wm = 0, hm = 0;
    size_t a = parse_edge(text, len, &w, &wm);
    size_t b = a < len && text[a] == 'x' ? parse_edge(text + a + 1, len - a - 1, &h, &hm) : 0;
    enum apierr_kind fail = APIERR_NONE;
    uint64_t longest = w > h ? w : h, shortest = w > h ? h : w;
    if (!a || !b || a + 1 + b != len)
        fail = APIERR_SIZE_SYNTAX;
    else if (wm || hm)
        fail = APIERR_SIZE_DIVISIBLE;
    else if (longest > SIZE_MAX_EDGE)
        fail = APIERR_SIZE_EDGE;
    else if (shortest == 0 || longest > SIZE_MAX_RATIO * shortest) /* a zero edge has no ratio */
        fail = APIERR_SIZE_ASPECT;
    else if (w * h < SIZE_MIN_PIXELS)
        fail = APIERR_SIZE_TOO_FEW_PIXELS;
    else if (w * h > SIZE_MAX_PIXELS)
        fail = APIERR_SIZE_TOO_MANY_PIXELS;
    if (fail != APIERR_NONE)
        return apierr_set(j->err, fail, 0, "size", text);
    j->out->width = (unsigned)w;
    j->out->height = (unsigned)h;
    snprintf(j->out->size, sizeof j->out->size, "%ux%u", j->out->width, j->out->height);
    return 0;
}

/* Schema mode accepts any size string; the image follows it when it reads as a sensible
 * WIDTHxHEIGHT (edges 16..3840) and the model's default otherwise. */
static void lenient_size(struct image_request *r, const char *text, size_t len)
{
    uint64_t w = 0, h = 0;
    unsigned ignored;
    size_t a = parse_edge(text, len, &w, &ignored);
    size_t b = a < len && text[a] == 'x' ? parse_edge(text + a + 1, len - a - 1, &h, &ignored) : 0;
    if (a && b && a + 1 + b == len && w >= 16 && h >= 16 && w <= SIZE_MAX_EDGE && h <= SIZE_MAX_EDGE) {
        r->width = (unsigned)w;
        r->height = (unsigned)h;
        snprintf(r->size, sizeof r->size, "%ux%u", r->width, r->height);
    }
}

/* Parse a catalogue size text ("1024x1536") into width and height. */
static void set_listed_size(struct image_request *r, const char *size)
{
    snprintf(r->size, sizeof r->size, "%s", size);
    unsigned w = 0, h = 0;
    if (strcmp(size, "auto") && sscanf(size, "%ux%u", &w, &h) != 2)
        w = h = 0;
    r->width = w;
    r->height = h;
}

/* The value a string field takes: checked against its list, or its default. Returns the
 * static catalogue string, or NULL with the error filled. */
static const char *resolve_choice(struct judge *j, int f, int *failed)
{
    const struct model_family *fam = j->out->family;
    const struct jscan_value *v = j->given[f];
    const int schema = j->policy->mode == REQ_SCHEMA;
    const char *const *values = schema ? model_fields[f].schema_values : fam->values[f];
    *failed = 0;
    if (!v || v->kind == JSCAN_NULL || !values)
        return fam->defaults[f];
    const char *hit = list_find(values, v->text, v->len);
    if (hit)
        return hit;
    *failed = 1;
    invalid_value(j, f, v->text, values, list_length(values));
    return NULL;
}

static int check_values(struct judge *j)
{
    struct image_request *r = j->out;
    const struct model_family *fam = r->family;
    const int schema = j->policy->mode == REQ_SCHEMA;
    int failed;
    const char **slots[FIELD_COUNT] = {
        [F_QUALITY] = &r->quality,       [F_RESPONSE_FORMAT] = &r->response_format,
        [F_OUTPUT_FORMAT] = &r->output_format, [F_MODERATION] = &r->moderation,
        [F_BACKGROUND] = &r->background, [F_STYLE] = &r->style,
    };
    for (int f = 0; f < FIELD_COUNT; f++) {
        if (f == F_SIZE) {
            const struct jscan_value *v = j->given[F_SIZE];
            set_listed_size(r, fam->defaults[F_SIZE]);
            if (!v || v->kind == JSCAN_NULL)
                continue;
            if (schema) {
                if (jscan_text_is(v->text, v->len, "auto"))
                    set_listed_size(r, "auto");
                else
                    lenient_size(r, v->text, v->len);
                continue;
            }
            const char *hit = list_find(fam->values[F_SIZE], v->text, v->len);
            if (hit)
                set_listed_size(r, hit);
            else if (fam->custom_sizes) {
                if (check_custom_size(j, v->text, v->len))
                    return -1;
            } else
                return invalid_value(j, F_SIZE, v->text, fam->values[F_SIZE], list_length(fam->values[F_SIZE]));
            continue;
        }
        if (!slots[f])
            continue;
        const struct jscan_value *v = j->given[f];
        if (f == F_BACKGROUND && !schema && fam->transparency_unsupported && v && v->kind == JSCAN_STRING &&
            jscan_text_is(v->text, v->len, "transparent"))
            return apierr_set(j->err, APIERR_TRANSPARENT_MODEL, 0, "background");
        *slots[f] = resolve_choice(j, f, &failed);
        if (failed)
            return -1;
    }
    return 0;
}

/* An integer field's value, or its default when it is absent, null, or (in schema mode, which
 * checks fewer ranges) outside the field's range. */
static int integer_or_default(struct judge *j, int f)
{
    const struct jscan_value *v = j->given[f];
    const char *d = j->out->family->defaults[f];
    int fallback = d ? atoi(d) : 0;
    if (!v || v->kind != JSCAN_INTEGER)
        return fallback;
    const struct field_spec *spec = &model_fields[f];
    if (spec->ranged && (v->integer < spec->min || v->integer > spec->max))
        return fallback;
    return (int)v->integer;
}

static int check_cross_fields(struct judge *j)
{
    struct image_request *r = j->out;
    r->n = integer_or_default(j, F_N);
    r->output_compression = integer_or_default(j, F_OUTPUT_COMPRESSION);
    r->partial_images = integer_or_default(j, F_PARTIAL_IMAGES);
    const struct jscan_value *stream = j->given[F_STREAM];
    r->stream = stream && ((stream->kind == JSCAN_BOOLEAN && stream->boolean) ||
                           (stream->kind == JSCAN_STRING && jscan_text_is(stream->text, stream->len, "true")));
    if (j->callback) {
        const char *url = j->callback->text;
        int plain = strlen(url) == j->callback->len; /* no escaped NUL */
        for (const char *c = url; plain && *c; c++)
            plain = (unsigned char)*c > 0x20 && *c != 0x7f; /* nothing that could break a request line */
        if (!plain || (strncasecmp(url, "http://", 7) && strncasecmp(url, "https://", 8)) ||
            !url[strncasecmp(url, "http://", 7) ? 8 : 7])
            return apierr_set(j->err, APIERR_CALLBACK_URL, 0, "callback_url", url);
        if (!(r->callback_url = strdup(url)))
            return apierr_set(j->err, APIERR_OUT_OF_MEMORY, 0, NULL);
    }
    if (j->policy->mode == REQ_SCHEMA)
        return 0;
    if (r->family->single_image && r->n > 1)
        return apierr_set(j->err, APIERR_SINGLE_IMAGE, 0, NULL);
    if (r->background && r->output_format && !strcmp(r->background, "transparent") &&
        !strcmp(r->output_format, "jpeg"))
        return apierr_set(j->err, APIERR_TRANSPARENT_JPEG, 0, "background");
    if (r->output_format && !strcmp(r->output_format, "png") && r->output_compression < 100)
        return apierr_set(j->err, APIERR_COMPRESSION_PNG, 0, "output_compression");
    return 0;
}

/* ---- the entry point ---------------------------------------------------------------------- */

int req_parse(const char *body, size_t len, const struct req_policy *policy, struct image_request *out,
              struct apierr *err)
{
    static int (*const steps[])(struct judge *) = {
        check_unknown_fields, check_types, check_prompt,        check_model,  check_accepted_fields,
        check_ranges,         check_prompt_length, check_values, check_cross_fields,
    };
    memset(out, 0, sizeof *out);
    struct req_policy with_profile = *policy;
    if (!with_profile.profile) /* no gateway named: the real API */
        with_profile.profile = profile_find("openai");
    if (with_profile.profile->schema_rules) /* a gateway that judges by its own published schema */
        with_profile.mode = REQ_SCHEMA;
    struct judge j = {.policy = &with_profile, .out = out, .err = err};
    int rc = -1;
    if (jscan_object(body, len, &j.body) != 0) {
        apierr_set(err, APIERR_INVALID_JSON, 0, NULL);
        goto out;
    }
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
        if (steps[i](&j) != 0)
            goto out;
    const struct jscan_value *prompt = j.given[F_PROMPT];
    const struct jscan_value *user = j.given[F_USER];
    out->prompt_len = prompt->len;
    out->prompt = malloc(prompt->len + 1);
    out->user = user ? malloc(user->len + 1) : NULL;
    if (out->user)
        memcpy(out->user, user->text, user->len + 1);
    if (!out->prompt || (user && !out->user)) {
        apierr_set(err, APIERR_OUT_OF_MEMORY, 0, NULL);
        goto out;
    }
    memcpy(out->prompt, prompt->text, prompt->len + 1);
    rc = 0;
out:
    if (rc != 0)
        req_free(out);
    jscan_free(&j.body);
    return rc;
}

char *req_model_hint(const char *body, size_t len)
{
    struct jscan_object obj;
    const char *name = "dall-e-2";
    unsigned present = 0;
    if (jscan_object(body, len, &obj) == 0) {
        for (size_t i = 0; i < obj.count; i++) {
            int f = model_field_lookup(obj.members[i].key, obj.members[i].key_len);
            if (f >= 0)
                present |= FIELD_BIT(f);
        }
        const struct jscan_member *m = jscan_get(&obj, "model");
        name = m && m->value.kind == JSCAN_STRING ? m->value.text : model_default(present)->name;
    }
    char *hint = strdup(name);
    jscan_free(&obj);
    return hint;
}

void req_free(struct image_request *r)
{
    free(r->model_name);
    free(r->prompt);
    free(r->user);
    free(r->callback_url);
    memset(r, 0, sizeof *r);
}
