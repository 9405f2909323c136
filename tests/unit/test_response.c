/* test_response.c — a generation's JSON body, built as a skeleton and streamed with its images.
 *
 * Clients parse this body, and snapshot tests compare it as text, so both its meaning and its
 * layout are contract (spec §6): 2-space indent, keys in the real API's order (created, data,
 * background, output_format, size, quality, usage; usage's own keys in their order), revised_prompt
 * before url on dall-e-3, DALL·E bodies with only created and data. The streaming design adds
 * its own promises: resp_length() is exactly what resp_write() sends (it becomes
 * Content-Length), each b64_json is the image's exact base64, no client text can open an extra
 * hole, and a sink's refusal stops the write.
 *
 * Requests come from req_parse() and images_plan() on real bodies; the "images" are arbitrary
 * bytes, since the body does not care what it carries.
 */
#include "response.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "images.h"
#include "request.h"
#include "unit.h"
#include "plan.h"


/* A sink that keeps everything, counts its calls, and can refuse call number `fail_at` (1-based;
 * 0 never). */
struct sink {
    char *data;
    size_t len;
    size_t calls;
    size_t fail_at;
    size_t max_piece;
};

static int sink_write(void *ctx, const void *data, size_t len)
{
    struct sink *s = ctx;
    s->calls++;
    if (s->fail_at && s->calls == s->fail_at)
        return -1;
    char *p = realloc(s->data, s->len + len + 1);
    if (!p)
        return -1;
    memcpy(p + s->len, data, len);
    s->data = p;
    s->len += len;
    s->data[s->len] = '\0';
    if (len > s->max_piece)
        s->max_piece = len;
    return 0;
}

static void sink_free(struct sink *s)
{
    free(s->data);
    memset(s, 0, sizeof *s);
}

/* Image i's stand-in bytes: `len` bytes that depend on i and position. */
static uint8_t *fake_image(unsigned i, size_t len)
{
    uint8_t *p = malloc(len ? len : 1);
    if (p)
        for (size_t k = 0; k < len; k++)
            p[k] = (uint8_t)(k * 131 + i * 71 + (k >> 8));
    return p;
}

/* The keys of `obj` in order, joined by commas. */
static void key_order(json_t *obj, char *out, size_t cap)
{
    out[0] = '\0';
    if (!json_is_object(obj))
        return;
    size_t used = 0;
    for (void *it = json_object_iter(obj); it; it = json_object_iter_next(obj, it)) {
        int n = snprintf(out + used, cap - used, "%s%s", used ? "," : "", json_object_iter_key(it));
        if (n < 0 || (size_t)n >= cap - used)
            return;
        used += (size_t)n;
    }
}

#define CHECK_KEYS(obj, want)                                                                              \
    do {                                                                                                    \
        char keys_[256];                                                                                    \
        key_order(obj, keys_, sizeof keys_);                                                                \
        CHECK_STR(keys_, want);                                                                             \
    } while (0)

/* The base64 texts of `count` images, as the cache would hold them. */
struct texts {
    char *text[IMAGES_MAX];
    size_t len[IMAGES_MAX];
};

static void base64_texts(struct texts *t, const uint8_t *const *images, const size_t *lens, size_t count)
{
    memset(t, 0, sizeof *t);
    for (size_t i = 0; i < count; i++) {
        t->len[i] = BASE64_ENCODED_SIZE(lens[i]);
        t->text[i] = malloc(t->len[i] + 1);
        base64_encode(images[i], lens[i], t->text[i]);
    }
}

static void texts_free(struct texts *t)
{
    for (size_t i = 0; i < IMAGES_MAX; i++)
        free(t->text[i]);
}

/* Write `b` with these images through a fresh sink and check everything the body promises
 * about its images: the length, valid JSON, and each b64_json decoding to its image. Returns
 * the parsed body (caller decrefs) or NULL. */
static json_t *write_and_check(const struct resp_body *b, const uint8_t *const *images, const size_t *lens,
                               struct sink *s, int line)
{
    memset(s, 0, sizeof *s);
    struct texts t;
    base64_texts(&t, images, lens, b->hole_count);
    int rc = resp_write(b, (const char *const *)t.text, t.len, sink_write, s);
    if (rc != 0) {
        fprintf(stderr, "%s:%d: resp_write returned %d\n", __FILE__, line, rc);
        unit_failures_in_test++;
        texts_free(&t);
        return NULL;
    }
    size_t want = resp_length(b, t.len);
    texts_free(&t);
    if (s->len != want) {
        fprintf(stderr, "%s:%d: resp_length says %zu, resp_write wrote %zu\n", __FILE__, line, want, s->len);
        unit_failures_in_test++;
    }
    json_error_t jerr;
    json_t *root = json_loadb(s->data ? s->data : "", s->len, 0, &jerr);
    if (!root) {
        fprintf(stderr, "%s:%d: body does not parse: %s (line %d)\n", __FILE__, line, jerr.text, jerr.line);
        unit_failures_in_test++;
        return NULL;
    }
    json_t *data = json_object_get(root, "data");
    for (size_t i = 0; i < b->hole_count; i++) {
        const char *text = json_string_value(json_object_get(json_array_get(data, i), "b64_json"));
        size_t tlen = text ? strlen(text) : 0;
        unsigned char *dec = malloc(BASE64_DECODED_MAX(tlen) + 1);
        size_t n = text && dec ? base64_decode(text, tlen, dec) : (size_t)-1;
        if (n != lens[i] || (n && memcmp(dec, images[i], n))) {
            fprintf(stderr, "%s:%d: data[%zu].b64_json does not decode to image %zu (%zu bytes)\n", __FILE__, line,
                    i, i, lens[i]);
            unit_failures_in_test++;
        }
        free(dec);
    }
    return root;
}

static const char gpt_skeleton[] = "{\n"
                                   "  \"created\": 1700000000,\n"
                                   "  \"data\": [\n"
                                   "    {\n"
                                   "      \"b64_json\": \"\"\n"
                                   "    },\n"
                                   "    {\n"
                                   "      \"b64_json\": \"\"\n"
                                   "    }\n"
                                   "  ],\n"
                                   "  \"background\": \"opaque\",\n"
                                   "  \"output_format\": \"png\",\n"
                                   "  \"size\": \"1024x1024\",\n"
                                   "  \"quality\": \"low\",\n"
                                   "  \"usage\": {\n"
                                   "    \"input_tokens\": 3,\n"
                                   "    \"input_tokens_details\": {\n"
                                   "      \"image_tokens\": 0,\n"
                                   "      \"text_tokens\": 3\n"
                                   "    },\n"
                                   "    \"output_tokens\": 544,\n"
                                   "    \"output_tokens_details\": {\n"
                                   "      \"image_tokens\": 544,\n"
                                   "      \"text_tokens\": 0\n"
                                   "    },\n"
                                   "    \"total_tokens\": 547\n"
                                   "  }\n"
                                   "}";

static void test_gpt_body(void)
{
    struct planned p;
    if (PLAN(&p, "{\"model\":\"gpt-image-1\",\"prompt\":\"a red fox\",\"n\":2,\"quality\":\"low\",\"size\":\"1024x1024\"}"))
        return;
    struct resp_body b;
    CHECK_INT(resp_build(&p.plan, 1700000000, NULL, &b), 0);
    CHECK_STR(b.skeleton, gpt_skeleton);
    CHECK_INT(b.skeleton_len, strlen(gpt_skeleton));
    CHECK_INT(b.hole_count, 2);
    for (size_t i = 0; i < b.hole_count; i++) /* each hole is between the two quotes of an empty value */
        CHECK(b.holes[i] >= 13 && !strncmp(b.skeleton + b.holes[i] - 13, "\"b64_json\": \"\"", 14));

    /* one large image, one tiny */
    size_t lens[2] = {3 * 16384 + 1, 7};
    uint8_t *img[2] = {fake_image(0, lens[0]), fake_image(1, lens[1])};
    struct sink s;
    json_t *root = write_and_check(&b, (const uint8_t *const *)img, lens, &s, __LINE__);
    CHECK(root != NULL);
    if (root) {
        CHECK_KEYS(root, "created,data,background,output_format,size,quality,usage");
        json_t *usage = json_object_get(root, "usage");
        CHECK_KEYS(usage, "input_tokens,input_tokens_details,output_tokens,output_tokens_details,total_tokens");
        CHECK_KEYS(json_object_get(usage, "input_tokens_details"), "image_tokens,text_tokens");
        CHECK_KEYS(json_object_get(usage, "output_tokens_details"), "image_tokens,text_tokens");
        CHECK_KEYS(json_array_get(json_object_get(root, "data"), 0), "b64_json");
        CHECK_INT(json_array_size(json_object_get(root, "data")), 2);
        CHECK_INT(json_integer_value(json_object_get(root, "created")), 1700000000);
        /* the written body is the skeleton with the base64 spliced in: same layout */
        static const char prefix[] = "{\n  \"created\": 1700000000,\n  \"data\": [\n    {\n      \"b64_json\": \"";
        CHECK(s.len > sizeof prefix && !strncmp(s.data, prefix, sizeof prefix - 1));
        json_decref(root);
    }
    sink_free(&s);
    free(img[0]);
    free(img[1]);
    resp_free(&b);
    CHECK(unit_all_zero(&b, sizeof b));
    done(&p);
}

static void test_gpt_resolved_fields(void)
{
    struct planned p;
    if (!PLAN(&p, "{\"model\":\"gpt-image-2\",\"prompt\":\"x\",\"output_format\":\"jpeg\",\"output_compression\":50}")) {
        struct resp_body b;
        CHECK_INT(resp_build(&p.plan, 5, NULL, &b), 0);
        size_t lens[1] = {0}; /* an empty image: an empty b64_json */
        const uint8_t *img[1] = {(const uint8_t *)""};
        struct sink s;
        json_t *root = write_and_check(&b, img, lens, &s, __LINE__);
        if (root) {
            CHECK_STR(json_string_value(json_object_get(root, "background")), "opaque");
            CHECK_STR(json_string_value(json_object_get(root, "output_format")), "jpeg");
            CHECK_STR(json_string_value(json_object_get(root, "size")), "1248x1248");
            CHECK_STR(json_string_value(json_object_get(root, "quality")), "low");
            json_t *u = json_object_get(root, "usage");
            long long in = json_integer_value(json_object_get(u, "input_tokens"));
            long long out = json_integer_value(json_object_get(u, "output_tokens"));
            CHECK_INT(in, 1);
            CHECK_INT(out, p.plan.usage.output_image_tokens);
            CHECK_INT(json_integer_value(json_object_get(u, "total_tokens")), in + out);
            json_decref(root);
        }
        sink_free(&s);
        resp_free(&b);
        done(&p);
    }
    if (!PLAN(&p, "{\"model\":\"gpt-image-1\",\"prompt\":\"wide\",\"background\":\"transparent\",\"output_format\":"
                  "\"webp\",\"n\":10,\"stream\":true,\"partial_images\":1}")) {
        struct resp_body b;
        CHECK_INT(resp_build(&p.plan, 5, NULL, &b), 0);
        CHECK_INT(b.hole_count, 10);
        size_t lens[10];
        uint8_t *img[10];
        for (unsigned i = 0; i < 10; i++)
            img[i] = fake_image(i, lens[i] = 1 + i * 37);
        struct sink s;
        json_t *root = write_and_check(&b, (const uint8_t *const *)img, lens, &s, __LINE__);
        if (root) {
            CHECK_STR(json_string_value(json_object_get(root, "background")), "transparent");
            CHECK_STR(json_string_value(json_object_get(root, "output_format")), "webp");
            CHECK_STR(json_string_value(json_object_get(root, "size")), "1536x1024");
            CHECK_STR(json_string_value(json_object_get(root, "quality")), "high");
            CHECK_INT(json_integer_value(json_object_get(json_object_get(root, "usage"), "output_tokens")),
                      10 * (6208 + 100));
            json_decref(root);
        }
        sink_free(&s);
        for (unsigned i = 0; i < 10; i++)
            free(img[i]);
        resp_free(&b);
        done(&p);
    }
}

static void test_dalle3_url_body(void)
{
    struct planned p;
    if (PLAN(&p, "{\"model\":\"dall-e-3\",\"prompt\":\"a lighthouse.\"}"))
        return;
    CHECK_INT(p.plan.as_url, 1);
    char url[] = "http://127.0.0.1:8080/v1/images/files/abc.png";
    char *const urls[] = {url};
    struct resp_body b;
    CHECK_INT(resp_build(&p.plan, 42, urls, &b), 0);
    CHECK_INT(b.hole_count, 0);
    CHECK_STR(b.skeleton, "{\n"
                          "  \"created\": 42,\n"
                          "  \"data\": [\n"
                          "    {\n"
                          "      \"revised_prompt\": \"A vivid, richly detailed rendering of a lighthouse, with "
                          "dramatic lighting, bold saturated colors and striking depth.\",\n"
                          "      \"url\": \"http://127.0.0.1:8080/v1/images/files/abc.png\"\n"
                          "    }\n"
                          "  ]\n"
                          "}");
    struct sink s;
    json_t *root = write_and_check(&b, NULL, NULL, &s, __LINE__);
    CHECK_INT(s.len, b.skeleton_len);
    if (root) {
        CHECK_KEYS(root, "created,data"); /* DALL·E: nothing else */
        CHECK_KEYS(json_array_get(json_object_get(root, "data"), 0), "revised_prompt,url");
        json_decref(root);
    }
    sink_free(&s);
    resp_free(&b);
    done(&p);
}

static void test_dalle_b64_bodies(void)
{
    struct planned p;
    /* dall-e-3 b64_json: revised_prompt first, then the hole */
    if (!PLAN(&p, "{\"model\":\"dall-e-3\",\"prompt\":\"caf\\u00e9\",\"style\":\"natural\",\"response_format\":"
                  "\"b64_json\"}")) {
        struct resp_body b;
        CHECK_INT(resp_build(&p.plan, 1, NULL, &b), 0);
        CHECK_INT(b.hole_count, 1);
        /* non-ASCII escaped as Python does, lowercase hex */
        CHECK(strstr(b.skeleton, "\"revised_prompt\": \"A natural, true-to-life depiction of caf\\u00e9, in soft") !=
              NULL);
        size_t lens[1] = {1000};
        uint8_t *img[1] = {fake_image(3, 1000)};
        struct sink s;
        json_t *root = write_and_check(&b, (const uint8_t *const *)img, lens, &s, __LINE__);
        if (root) {
            CHECK_KEYS(root, "created,data");
            CHECK_KEYS(json_array_get(json_object_get(root, "data"), 0), "revised_prompt,b64_json");
            json_decref(root);
        }
        sink_free(&s);
        free(img[0]);
        resp_free(&b);
        done(&p);
    }
    /* dall-e-2, n=3: b64_json only */
    if (!PLAN(&p, "{\"model\":\"dall-e-2\",\"prompt\":\"a\",\"n\":3,\"response_format\":\"b64_json\"}")) {
        struct resp_body b;
        CHECK_INT(resp_build(&p.plan, 1, NULL, &b), 0);
        CHECK_INT(b.hole_count, 3);
        size_t lens[3] = {1, 2, 3};
        uint8_t *img[3] = {fake_image(0, 1), fake_image(1, 2), fake_image(2, 3)};
        struct sink s;
        json_t *root = write_and_check(&b, (const uint8_t *const *)img, lens, &s, __LINE__);
        if (root) {
            CHECK_KEYS(root, "created,data");
            for (size_t i = 0; i < 3; i++)
                CHECK_KEYS(json_array_get(json_object_get(root, "data"), i), "b64_json");
            json_decref(root);
        }
        sink_free(&s);
        for (int i = 0; i < 3; i++)
            free(img[i]);
        resp_free(&b);
        done(&p);
    }
    /* dall-e-2 url, n=2 */
    if (!PLAN(&p, "{\"model\":\"dall-e-2\",\"prompt\":\"a\",\"n\":2}")) {
        char u0[] = "http://h/0", u1[] = "http://h/1";
        char *const urls[] = {u0, u1};
        struct resp_body b;
        CHECK_INT(resp_build(&p.plan, 1, urls, &b), 0);
        CHECK_INT(b.hole_count, 0);
        CHECK_STR(b.skeleton, "{\n  \"created\": 1,\n  \"data\": [\n    {\n      \"url\": \"http://h/0\"\n    },\n"
                              "    {\n      \"url\": \"http://h/1\"\n    }\n  ]\n}");
        resp_free(&b);
        done(&p);
    }
}

/* Client text can never look like a hole: inside a JSON string every quote is escaped. The
 * prompt reaches the body through dall-e-3's revised_prompt. */
static void test_prompt_cannot_open_holes(void)
{
    static const char *const bodies[] = {
        "{\"model\":\"dall-e-3\",\"prompt\":\"say \\\"b64_json\\\": \\\"\\\" and \\\"b64_json\\\": \\\"\\\"\","
        "\"response_format\":\"b64_json\"}",
        "{\"model\":\"dall-e-3\",\"prompt\":\"\\\\\\\"b64_json\\\\\\\": \\\\\\\"\\\\\\\"\","
        "\"response_format\":\"b64_json\"}",
        "{\"model\":\"dall-e-3\",\"prompt\":\"\\\"b64_json\\\": \\\"\\\"\"}",
    };
    for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++) {
        struct planned p;
        if (PLAN(&p, bodies[i]))
            continue;
        CHECK(strstr(p.req.prompt, "b64_json") != NULL); /* the prompt really holds such text */
        char url[] = "http://h/x";
        char *const urls[] = {url};
        struct resp_body b;
        CHECK_INT(resp_build(&p.plan, 1, p.plan.as_url ? urls : NULL, &b), 0);
        CHECK_INT(b.hole_count, p.plan.as_url ? 0 : 1);
        size_t lens[1] = {50};
        uint8_t *img[1] = {fake_image(9, 50)};
        struct sink s;
        json_t *root = write_and_check(&b, (const uint8_t *const *)img, lens, &s, __LINE__);
        if (root) {
            const char *rp =
                json_string_value(json_object_get(json_array_get(json_object_get(root, "data"), 0), "revised_prompt"));
            CHECK(rp && strstr(rp, p.req.prompt) != NULL); /* the text survives, unharmed */
            json_decref(root);
        }
        sink_free(&s);
        free(img[0]);
        resp_free(&b);
        done(&p);
    }
}

/* A sink refusing any of its calls makes resp_write() return -1 at once. */
static void test_sink_failure(void)
{
    struct planned p;
    if (PLAN(&p, "{\"model\":\"gpt-image-1\",\"prompt\":\"a\",\"n\":3}"))
        return;
    struct resp_body b;
    CHECK_INT(resp_build(&p.plan, 1, NULL, &b), 0);
    size_t lens[3] = {3 * 16384 * 2 + 5, 10, 0};
    uint8_t *img[3] = {fake_image(0, lens[0]), fake_image(1, lens[1]), fake_image(2, 1)};
    struct texts t;
    base64_texts(&t, (const uint8_t *const *)img, lens, 3);
    struct sink all;
    memset(&all, 0, sizeof all);
    CHECK_INT(resp_write(&b, (const char *const *)t.text, t.len, sink_write, &all), 0);
    size_t total_calls = all.calls;
    CHECK_INT(total_calls, 7); /* four skeleton parts around three texts */
    for (size_t k = 1; k <= total_calls; k++) {
        struct sink s;
        memset(&s, 0, sizeof s);
        s.fail_at = k;
        int rc = resp_write(&b, (const char *const *)t.text, t.len, sink_write, &s);
        if (rc != -1 || s.calls != k) {
            fprintf(stderr, "%s:%d: sink failing at call %zu: resp_write returned %d after %zu calls\n", __FILE__,
                    __LINE__, k, rc, s.calls);
            unit_failures_in_test++;
        }
        sink_free(&s);
    }
    /* a URL body (skeleton only) too */
    struct planned d;
    if (!PLAN(&d, "{\"model\":\"dall-e-2\",\"prompt\":\"a\"}")) {
        char url[] = "http://h/x";
        char *const urls[] = {url};
        struct resp_body ub;
        CHECK_INT(resp_build(&d.plan, 1, urls, &ub), 0);
        struct sink s;
        memset(&s, 0, sizeof s);
        s.fail_at = 1;
        CHECK_INT(resp_write(&ub, NULL, NULL, sink_write, &s), -1);
        sink_free(&s);
        resp_free(&ub);
        done(&d);
    }
    texts_free(&t);
    sink_free(&all);
    for (int i = 0; i < 3; i++)
        free(img[i]);
    resp_free(&b);
    done(&p);
}

UNIT_MAIN(UNIT_TEST(test_gpt_body), UNIT_TEST(test_gpt_resolved_fields), UNIT_TEST(test_dalle3_url_body),
          UNIT_TEST(test_dalle_b64_bodies), UNIT_TEST(test_prompt_cannot_open_holes), UNIT_TEST(test_sink_failure))
