/* fuzz_request.c — req_parse() over arbitrary bodies, under every policy imgmock can run with.
 *
 * The request body is the most exposed input imgmock has: any client sends any bytes, and
 * req_parse() walks them through jscan, the catalogue tables and the message templates. The
 * first input byte picks the policy (strict or schema mode; a retired-model list or none; no
 * profile, "openai" or one of the gateway profiles), the rest is the body. Beyond "no crash, no
 * leak", every answer must be coherent: a success carries every field the layers after it rely
 * on, in range, and plans, keys and revises without trouble; a failure is a filled error that
 * serialises in both envelopes and leaves nothing to free; the same body under the same policy
 * answers the same twice (nothing read uninitialised). req_model_hint() sees the same body.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "apierr.h"
#include "fuzz.h"
#include "images.h"
#include "jscan.h"
#include "profile.h"
#include "request.h"
#include "urltoken.h"

/* NULL: no --profile (the real API); then "openai" named explicitly, then every gateway. */
static const char *const profile_names[] = {NULL, "openai", "aihubmix", "applerouter", "tokenops", "acedata"};
enum { PROFILE_CHOICES = sizeof profile_names / sizeof *profile_names };

/* What fixtures/servers.json's "retired" server retires. */
static char *const retired_models[] = {"dall-e-2", "dall-e-3"};

/* Bit 0: schema mode; bit 1: retire the DALL·E models; bits 2..: the profile. */
static void policy_from_byte(uint8_t b, struct req_policy *p)
{
    memset(p, 0, sizeof *p);
    p->mode = b & 1 ? REQ_SCHEMA : REQ_STRICT;
    if (b & 2) {
        p->retired = retired_models;
        p->retired_count = sizeof retired_models / sizeof *retired_models;
    }
    const char *name = profile_names[(b >> 2) % PROFILE_CHOICES];
    p->profile = name ? profile_find(name) : NULL;
    FUZZ_CHECK(!name || p->profile);
}

static int in_range(int v, int lo, int hi)
{
    return v >= lo && v <= hi;
}

/* A value taken from the body must be the value the body holds, byte for byte: no list entry
 * matched by a prefix, no text cut at an escaped NUL ("true\u0000x" is not "true"). */
static void check_values_as_sent(const char *body, size_t len, const struct image_request *r)
{
    struct jscan_object obj;
    FUZZ_CHECK(jscan_object(body, len, &obj) == 0);
    const struct {
        const char *field;
        const char *value;
    } taken[] = {
        {"quality", r->quality},       {"response_format", r->response_format}, {"output_format", r->output_format},
        {"moderation", r->moderation}, {"background", r->background},           {"style", r->style},
        {"callback_url", r->callback_url},
    };
    for (size_t i = 0; i < sizeof taken / sizeof *taken; i++) {
        const struct jscan_member *m = jscan_get(&obj, taken[i].field);
        if (!m || m->value.kind != JSCAN_STRING || (!taken[i].value && !strcmp(taken[i].field, "callback_url")))
            continue;
        FUZZ_CHECK(taken[i].value && strlen(taken[i].value) == m->value.len &&
                   !memcmp(taken[i].value, m->value.text, m->value.len));
    }
    const struct jscan_member *stream = jscan_get(&obj, "stream");
    if (stream && stream->value.kind == JSCAN_STRING) { /* a gateway's "true" / "false" */
        const struct jscan_value *v = &stream->value;
        int is_true = v->len == 4 && !memcmp(v->text, "true", 4), is_false = v->len == 5 && !memcmp(v->text, "false", 5);
        FUZZ_CHECK((is_true || is_false) && r->stream == is_true);
    }
    const struct jscan_member *prompt = jscan_get(&obj, "prompt");
    FUZZ_CHECK(prompt && prompt->value.len == r->prompt_len && !memcmp(prompt->value.text, r->prompt, r->prompt_len));
    jscan_free(&obj);
}

/* Everything a successful parse promises the layers after it (images.c, response.c, sse.c). */
static void check_success(const struct req_policy *policy, const struct image_request *r)
{
    int strict = policy->mode == REQ_STRICT && !(policy->profile && policy->profile->schema_rules);
    FUZZ_CHECK(r->model_name && r->prompt && r->family && r->quality);
    FUZZ_CHECK(r->prompt[r->prompt_len] == '\0');
    FUZZ_CHECK(in_range(r->n, 1, 10));
    FUZZ_CHECK(in_range(r->output_compression, 0, 100));
    FUZZ_CHECK(in_range(r->partial_images, 0, 3));
    FUZZ_CHECK(r->stream == 0 || r->stream == 1);
    FUZZ_CHECK(memchr(r->size, '\0', sizeof r->size) != NULL);
    if (!strcmp(r->size, "auto")) {
        FUZZ_CHECK(r->width == 0 && r->height == 0);
    } else {
        char again[sizeof r->size];
        snprintf(again, sizeof again, "%ux%u", r->width, r->height);
        FUZZ_CHECK(!strcmp(again, r->size));
        FUZZ_CHECK(r->width >= 1 && r->height >= 1 && r->width <= 3840 && r->height <= 3840);
    }
    if (r->callback_url)
        FUZZ_CHECK(!strncasecmp(r->callback_url, "http", 4));
    if (strict) {
        FUZZ_CHECK(r->model && r->family == r->model->family && !strcmp(r->model->name, r->model_name));
        if (r->family->gpt)
            FUZZ_CHECK(r->output_format && r->background && r->moderation && !r->response_format);
        else
            FUZZ_CHECK(r->response_format && !r->output_format && !r->background && !r->moderation);
    }

    /* the rest of the way to an answer, without painting: plan, keys, signed URLs, revision */
    struct image_plan plan;
    images_plan(r, 42, &plan);
    FUZZ_CHECK(plan.width >= 1 && plan.height >= 1 && plan.width <= 3840 && plan.height <= 3840);
    FUZZ_CHECK(plan.quality && strcmp(plan.quality, "auto"));
    FUZZ_CHECK(plan.usage.output_image_tokens >= 0 && plan.usage.input_text_tokens >= 0);
    for (int i = 0; i < r->n; i++) {
        struct cache_key key, back;
        images_key(&plan, (unsigned)i, 0, 0, &key);
        char token[URLTOKEN_LEN + 1];
        urltoken_make("fuzz", 4, &key, 2000000000u, token);
        FUZZ_CHECK(urltoken_check("fuzz", 4, token, URLTOKEN_LEN, 1000000000u, &back) == URLTOKEN_OK);
        FUZZ_CHECK(back.seed == key.seed && back.width == key.width && back.height == key.height);
        for (int p = 1; p <= r->partial_images; p++)
            images_key(&plan, (unsigned)i, (unsigned)p, (unsigned)r->partial_images, &key);
    }
    size_t revised_len = 0;
    char *revised = images_revised_prompt(r->prompt, r->prompt_len, r->style, &revised_len);
    FUZZ_CHECK(revised && revised[revised_len] == '\0');
    free(revised);
}

/* A refusal is a filled error that both envelopes can carry, and nothing left to free. */
static void check_failure(const struct image_request *r, const struct apierr *err)
{
    static const struct image_request zero;
    FUZZ_CHECK(!memcmp(r, &zero, sizeof zero));
    FUZZ_CHECK(err->kind != APIERR_NONE && err->message && in_range(err->status, 400, 599));
    for (int style = ERRORS_OPENAI; style <= ERRORS_CODE_DETAILS; style++) {
        size_t len = 0;
        char *json = apierr_to_json(err, (enum error_style)style, &len);
        FUZZ_CHECK(json && len == strlen(json));
        free(json);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct req_policy policy;
    policy_from_byte(data[0], &policy);
    const char *body = (const char *)data + 1;
    size_t len = size - 1;

    struct image_request first, second;
    struct apierr err1 = APIERR_INIT, err2 = APIERR_INIT;
    int rc1 = req_parse(body, len, &policy, &first, &err1);
    int rc2 = req_parse(body, len, &policy, &second, &err2);
    FUZZ_CHECK(rc1 == rc2);
    if (rc1 == 0) {
        check_success(&policy, &first);
        check_values_as_sent(body, len, &first);
        FUZZ_CHECK(err1.kind == APIERR_NONE);
        FUZZ_CHECK(!strcmp(first.model_name, second.model_name) && first.prompt_len == second.prompt_len &&
                   !memcmp(first.prompt, second.prompt, first.prompt_len) && !strcmp(first.size, second.size) &&
                   first.n == second.n && first.family == second.family && first.quality == second.quality);
        req_free(&first);
        req_free(&second);
    } else {
        check_failure(&first, &err1);
        FUZZ_CHECK(err1.kind == err2.kind && !strcmp(err1.message, err2.message));
    }
    apierr_clear(&err1);
    apierr_clear(&err2);

    char *hint = req_model_hint(body, len);
    FUZZ_CHECK(hint != NULL);
    free(hint);
    return 0;
}
