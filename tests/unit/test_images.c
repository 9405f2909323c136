/* test_images.c — from a judged request to encoded images (spec §1's "auto", the seeds, the cache).
 *
 * images_plan() decides everything a response says before any pixel exists: what "auto" became
 * (size from the prompt's words for the gpt-image-1 family, 1248x1248 for gpt-image-2, the
 * family's quality, an opaque background), the output format, and one seed per image. The seed
 * is what makes imgmock deterministic, so it must change with everything that defines an image
 * (model name, prompt, resolved size, quality, background, style, format, index, --seed) and
 * with nothing else (user, moderation, streaming). images_key() and images_get() then turn a
 * seed into bytes through the cache: the right format, partial images showing fewer shapes, and
 * a second request served from the cache.
 *
 * Requests come from req_parse() on real JSON bodies, so the plan sees exactly what the server's
 * would.
 */
#include "images.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "cache.h"
#include "encode.h"
#include "request.h"
#include "synth.h"
#include "unit.h"
#include "plan.h"


/* ---- resolving "auto" ---------------------------------------------------------------------- */

static void check_size(const char *body, const char *size, unsigned w, unsigned h, int line)
{
    struct planned p;
    if (plan_at(&p, body, 0, line))
        return;
    if (strcmp(p.plan.size, size) || p.plan.width != w || p.plan.height != h) {
        fprintf(stderr, "%s:%d: %s\n  got %s (%ux%u), want %s\n", __FILE__, line, body, p.plan.size, p.plan.width,
                p.plan.height, size);
        unit_failures_in_test++;
    }
    done(&p);
}

#define SIZE_IS(body, size, w, h) check_size(body, size, w, h, __LINE__)

static void test_auto_size(void)
{
    /* gpt-image-1 family: the prompt's words, case-insensitively */
    SIZE_IS("{\"model\":\"gpt-image-1\",\"prompt\":\"A WIDE shot of a beach\"}", "1536x1024", 1536, 1024);
    SIZE_IS("{\"model\":\"gpt-image-1\",\"prompt\":\"a Landscape\",\"size\":\"auto\"}", "1536x1024", 1536, 1024);
    SIZE_IS("{\"model\":\"gpt-image-1\",\"prompt\":\"mountain panorama\"}", "1536x1024", 1536, 1024);
    SIZE_IS("{\"model\":\"gpt-image-1\",\"prompt\":\"portrait of a cat\"}", "1024x1536", 1024, 1536);
    SIZE_IS("{\"model\":\"gpt-image-1\",\"prompt\":\"a TALL tower\"}", "1024x1536", 1024, 1536);
    SIZE_IS("{\"model\":\"gpt-image-1-mini\",\"prompt\":\"PoRtRaIt\"}", "1024x1536", 1024, 1536);
    SIZE_IS("{\"model\":\"chatgpt-image-latest\",\"prompt\":\"wide\"}", "1536x1024", 1536, 1024);
    SIZE_IS("{\"model\":\"gpt-image-1.5\",\"prompt\":\"a cat\"}", "1024x1024", 1024, 1024);
    /* both kinds of word: landscape is looked for first and wins, whatever the order in the prompt */
    SIZE_IS("{\"model\":\"gpt-image-1\",\"prompt\":\"a portrait, but wide\"}", "1536x1024", 1536, 1024);
    SIZE_IS("{\"model\":\"gpt-image-1\",\"prompt\":\"a tall panorama\"}", "1536x1024", 1536, 1024);
    /* the default model for a GPT-only field is gpt-image-1, which follows the words too */
    SIZE_IS("{\"prompt\":\"wide\",\"output_format\":\"png\"}", "1536x1024", 1536, 1024);
    /* an explicit size is kept whatever the prompt says */
    SIZE_IS("{\"model\":\"gpt-image-1\",\"prompt\":\"a wide shot\",\"size\":\"1024x1536\"}", "1024x1536", 1024, 1536);
    SIZE_IS("{\"model\":\"gpt-image-1\",\"prompt\":\"portrait\",\"size\":\"1024x1024\"}", "1024x1024", 1024, 1024);
    /* gpt-image-2: always the square 1248x1248 */
    SIZE_IS("{\"model\":\"gpt-image-2\",\"prompt\":\"a wide landscape\"}", "1248x1248", 1248, 1248);
    SIZE_IS("{\"model\":\"gpt-image-2-2026-04-21\",\"prompt\":\"portrait\",\"size\":\"auto\"}", "1248x1248", 1248,
            1248);
    SIZE_IS("{\"model\":\"gpt-image-2\",\"prompt\":\"x\",\"size\":\"3840x2160\"}", "3840x2160", 3840, 2160);
    /* DALL·E: its default, or what was asked */
    SIZE_IS("{\"model\":\"dall-e-2\",\"prompt\":\"a wide shot\"}", "1024x1024", 1024, 1024);
    SIZE_IS("{\"prompt\":\"a cat\",\"size\":\"256x256\"}", "256x256", 256, 256);
    SIZE_IS("{\"model\":\"dall-e-3\",\"prompt\":\"tall\",\"size\":\"1792x1024\"}", "1792x1024", 1792, 1024);
}

static void check_resolved(const char *body, const char *quality, const char *background, enum image_format format,
                           int jpeg_quality, int as_url, int line)
{
    struct planned p;
    if (plan_at(&p, body, 0, line))
        return;
    const struct image_plan *pl = &p.plan;
    int bg_ok = background ? pl->background && !strcmp(pl->background, background) : pl->background == NULL;
    if (strcmp(pl->quality, quality) || !bg_ok || pl->format != format || pl->jpeg_quality != jpeg_quality ||
        pl->as_url != as_url || pl->req != &p.req) {
        fprintf(stderr,
                "%s:%d: %s\n  got quality %s, background %s, format %d, jpeg_quality %d, as_url %d\n"
                "  want quality %s, background %s, format %d, jpeg_quality %d, as_url %d\n",
                __FILE__, line, body, pl->quality, pl->background ? pl->background : "(null)", (int)pl->format,
                pl->jpeg_quality, pl->as_url, quality, background ? background : "(null)", (int)format, jpeg_quality,
                as_url);
        unit_failures_in_test++;
    }
    done(&p);
}

#define RESOLVED(body, quality, background, format, jpeg_quality, as_url)                                  \
    check_resolved(body, quality, background, format, jpeg_quality, as_url, __LINE__)

static void test_auto_quality_background_format(void)
{
    /* gpt-image-1 family: quality auto → high; background auto → opaque */
    RESOLVED("{\"model\":\"gpt-image-1\",\"prompt\":\"a\"}", "high", "opaque", IMAGE_PNG, 100, 0);
    RESOLVED("{\"model\":\"gpt-image-1\",\"prompt\":\"a\",\"quality\":\"auto\",\"background\":\"auto\"}", "high",
             "opaque", IMAGE_PNG, 100, 0);
    RESOLVED("{\"model\":\"gpt-image-1-mini\",\"prompt\":\"a\",\"quality\":\"medium\",\"background\":\"transparent\"}",
             "medium", "transparent", IMAGE_PNG, 100, 0);
    RESOLVED("{\"model\":\"gpt-image-1\",\"prompt\":\"a\",\"quality\":\"low\",\"background\":\"opaque\"}", "low",
             "opaque", IMAGE_PNG, 100, 0);
    RESOLVED("{\"model\":\"gpt-image-1\",\"prompt\":\"a\",\"background\":null,\"quality\":null}", "high", "opaque",
             IMAGE_PNG, 100, 0);
    /* output formats, and output_compression carried as the JPEG quality */
    RESOLVED("{\"model\":\"gpt-image-1\",\"prompt\":\"a\",\"output_format\":\"jpeg\",\"output_compression\":37}",
             "high", "opaque", IMAGE_JPEG, 37, 0);
    RESOLVED("{\"model\":\"gpt-image-1\",\"prompt\":\"a\",\"output_format\":\"webp\",\"background\":\"transparent\"}",
             "high", "transparent", IMAGE_WEBP, 100, 0);
    RESOLVED("{\"model\":\"gpt-image-1\",\"prompt\":\"a\",\"output_format\":\"png\"}", "high", "opaque", IMAGE_PNG,
             100, 0);
    /* gpt-image-2: quality auto → low */
    RESOLVED("{\"model\":\"gpt-image-2\",\"prompt\":\"a\"}", "low", "opaque", IMAGE_PNG, 100, 0);
    RESOLVED("{\"model\":\"gpt-image-2\",\"prompt\":\"a\",\"quality\":\"auto\",\"background\":\"auto\"}", "low",
             "opaque", IMAGE_PNG, 100, 0);
    RESOLVED("{\"model\":\"gpt-image-2\",\"prompt\":\"a\",\"quality\":\"high\",\"output_format\":\"jpeg\","
             "\"output_compression\":0}",
             "high", "opaque", IMAGE_JPEG, 0, 0);
    /* DALL·E: PNG always, no background, URLs unless b64_json */
    RESOLVED("{\"model\":\"dall-e-2\",\"prompt\":\"a\"}", "standard", NULL, IMAGE_PNG, 0, 1);
    RESOLVED("{\"model\":\"dall-e-2\",\"prompt\":\"a\",\"quality\":\"auto\"}", "standard", NULL, IMAGE_PNG, 0, 1);
    RESOLVED("{\"model\":\"dall-e-2\",\"prompt\":\"a\",\"response_format\":\"url\"}", "standard", NULL, IMAGE_PNG, 0,
             1);
    RESOLVED("{\"model\":\"dall-e-2\",\"prompt\":\"a\",\"response_format\":\"b64_json\"}", "standard", NULL,
             IMAGE_PNG, 0, 0);
    RESOLVED("{\"prompt\":\"a\",\"response_format\":null}", "standard", NULL, IMAGE_PNG, 0, 1);
    RESOLVED("{\"model\":\"dall-e-3\",\"prompt\":\"a\"}", "standard", NULL, IMAGE_PNG, 0, 1);
    RESOLVED("{\"model\":\"dall-e-3\",\"prompt\":\"a\",\"quality\":\"hd\",\"response_format\":\"b64_json\"}", "hd",
             NULL, IMAGE_PNG, 0, 0);
}

static void test_plan_usage(void)
{
    struct planned p;
    /* "a red fox": 3 text tokens; 2 images of 1024x1024 low, streamed with 2 partials each */
    if (!PLAN(&p, "{\"model\":\"gpt-image-1\",\"prompt\":\"a red fox\",\"n\":2,\"quality\":\"low\",\"size\":"
                  "\"1024x1024\",\"stream\":true,\"partial_images\":2}")) {
        CHECK_INT(p.plan.usage.input_text_tokens, 3);
        CHECK_INT(p.plan.usage.input_image_tokens, 0);
        CHECK_INT(p.plan.usage.output_image_tokens, 2 * (272 + 200));
        CHECK_INT(p.plan.usage.output_text_tokens, 0);
        done(&p);
    }
    /* partial_images without stream: no partial images are sent, so none are counted */
    if (!PLAN(&p, "{\"model\":\"gpt-image-1\",\"prompt\":\"a red fox\",\"n\":2,\"quality\":\"low\",\"size\":"
                  "\"1024x1024\",\"partial_images\":2}")) {
        CHECK_INT(p.plan.usage.output_image_tokens, 2 * 272);
        done(&p);
    }
    /* auto resolves before counting: "wide" → 1536x1024, auto → high */
    if (!PLAN(&p, "{\"model\":\"gpt-image-1\",\"prompt\":\"wide\"}")) {
        CHECK_INT(p.plan.usage.output_image_tokens, 6208);
        done(&p);
    }
    if (!PLAN(&p, "{\"model\":\"gpt-image-2\",\"prompt\":\"x\",\"size\":\"3072x2160\"}")) {
        CHECK_INT(p.plan.usage.output_image_tokens, 380);
        done(&p);
    }
    if (!PLAN(&p, "{\"model\":\"dall-e-2\",\"prompt\":\"x\",\"n\":3}")) {
        CHECK_INT(p.plan.usage.output_image_tokens, 0);
        done(&p);
    }
}

/* ---- seeds --------------------------------------------------------------------------------- */

#define BASE_GPT "\"model\":\"gpt-image-1\",\"prompt\":\"a red fox\",\"size\":\"1024x1024\",\"quality\":\"low\""

/* seeds[0] of `body` under `server_seed` (0 on a parse failure, reported). */
static uint64_t seed_of(const char *body, uint64_t server_seed, int line)
{
    struct planned p;
    if (plan_at(&p, body, server_seed, line))
        return 0;
    uint64_t s = p.plan.seeds[0];
    done(&p);
    return s;
}

#define SEED(body) seed_of(body, 0, __LINE__)

static void expect_differ(const char *a, const char *b, int line)
{
    uint64_t sa = seed_of(a, 0, line), sb = seed_of(b, 0, line);
    if (sa == sb) {
        fprintf(stderr, "%s:%d: same seed %016llx for\n  %s\n  %s\n", __FILE__, line, (unsigned long long)sa, a, b);
        unit_failures_in_test++;
    }
}

static void expect_same(const char *a, const char *b, int line)
{
    uint64_t sa = seed_of(a, 0, line), sb = seed_of(b, 0, line);
    if (sa != sb) {
        fprintf(stderr, "%s:%d: seeds %016llx and %016llx differ for\n  %s\n  %s\n", __FILE__, line,
                (unsigned long long)sa, (unsigned long long)sb, a, b);
        unit_failures_in_test++;
    }
}

#define DIFFER(a, b) expect_differ(a, b, __LINE__)
#define SAME(a, b) expect_same(a, b, __LINE__)

/* The seed of one fixed request, pinned: the seed is FNV-1a over the request's defining fields
 * (see images.h), and changing how it is derived changes every image imgmock serves and every
 * golden fixture. Only change this on purpose. */
#define GOLDEN_SEED_RED_FOX 0x3f718be706196808ULL

static void test_seed_deterministic(void)
{
    struct planned a, b;
    if (PLAN(&a, "{" BASE_GPT ",\"n\":10}"))
        return;
    if (PLAN(&b, "{" BASE_GPT ",\"n\":10}")) {
        done(&a);
        return;
    }
    for (int i = 0; i < 10; i++) {
        CHECK(a.plan.seeds[i] == b.plan.seeds[i]);
        for (int j = i + 1; j < 10; j++)
            CHECK(a.plan.seeds[i] != a.plan.seeds[j]); /* every image of a request differs */
    }
    /* image i is the same whatever n is: n=1's image is n=10's first */
    CHECK(SEED("{" BASE_GPT "}") == a.plan.seeds[0]);
    done(&a);
    done(&b);

    /* seeds beyond n are left zero */
    struct planned c;
    if (!PLAN(&c, "{" BASE_GPT ",\"n\":3}")) {
        CHECK(c.plan.seeds[2] != 0);
        for (int i = 3; i < IMAGES_MAX; i++)
            CHECK(c.plan.seeds[i] == 0);
        done(&c);
    }

    uint64_t golden = SEED("{" BASE_GPT "}");
    if (golden != GOLDEN_SEED_RED_FOX) {
        fprintf(stderr, "%s:%d: seed of the red fox: got 0x%016llxULL, want 0x%016llxULL\n", __FILE__, __LINE__,
                (unsigned long long)golden, (unsigned long long)GOLDEN_SEED_RED_FOX);
        unit_failures_in_test++;
    }
}

/* The derivation images.h documents, written out again: FNV-1a-64 over "imgmock/1", model,
 * prompt, size, quality, background, style, output format, index and --seed (decimal), each
 * followed by 0xFF, then the splitmix64 finaliser. NULL fields are empty. */
static void ref_field(uint64_t *h, const char *text)
{
    for (const char *p = text ? text : ""; *p; p++) {
        *h ^= (uint8_t)*p;
        *h *= 0x100000001b3ULL;
    }
    *h ^= 0xFF;
    *h *= 0x100000001b3ULL;
}

static uint64_t ref_seed(const char *model, const char *prompt, const char *size, const char *quality,
                         const char *background, const char *style, const char *format, unsigned index,
                         unsigned long long server_seed)
{
    char num[24];
    uint64_t h = 0xcbf29ce484222325ULL;
    ref_field(&h, "imgmock/1");
    ref_field(&h, model);
    ref_field(&h, prompt);
    ref_field(&h, size);
    ref_field(&h, quality);
    ref_field(&h, background);
    ref_field(&h, style);
    ref_field(&h, format);
    snprintf(num, sizeof num, "%u", index);
    ref_field(&h, num);
    snprintf(num, sizeof num, "%llu", server_seed);
    ref_field(&h, num);
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    return h ^ (h >> 31);
}

static void test_seed_matches_documented_derivation(void)
{
    struct planned p;
    if (!PLAN_SEED(&p, "{\"model\":\"gpt-image-1-mini\",\"prompt\":\"A WIDE shot\",\"n\":4,\"output_format\":\"webp\"}",
                   99)) {
        for (unsigned i = 0; i < 4; i++)
            CHECK(p.plan.seeds[i] ==
                  ref_seed("gpt-image-1-mini", "A WIDE shot", "1536x1024", "high", "opaque", NULL, "webp", i, 99));
        done(&p);
    }
    if (!PLAN_SEED(&p, "{\"model\":\"dall-e-3\",\"prompt\":\"caf\\u00e9\",\"style\":\"natural\"}",
                   18446744073709551615ULL)) {
        CHECK(p.plan.seeds[0] == ref_seed("dall-e-3", "caf\xc3\xa9", "1024x1024", "standard", NULL, "natural", "png",
                                          0, 18446744073709551615ULL));
        done(&p);
    }
    if (!PLAN(&p, "{\"model\":\"gpt-image-2\",\"prompt\":\"x\",\"background\":\"opaque\",\"output_format\":\"jpeg\"}")) {
        CHECK(p.plan.seeds[0] == ref_seed("gpt-image-2", "x", "1248x1248", "low", "opaque", NULL, "jpeg", 0, 0));
        done(&p);
    }
    CHECK(SEED("{" BASE_GPT "}") == ref_seed("gpt-image-1", "a red fox", "1024x1024", "low", "opaque", NULL, "png", 0, 0));
}

static void test_seed_server_seed(void)
{
    uint64_t s0 = seed_of("{" BASE_GPT "}", 0, __LINE__), s1 = seed_of("{" BASE_GPT "}", 1, __LINE__);
    uint64_t s2 = seed_of("{" BASE_GPT "}", 2, __LINE__), smax = seed_of("{" BASE_GPT "}", UINT64_MAX, __LINE__);
    CHECK(s0 != s1 && s0 != s2 && s1 != s2 && smax != s0 && smax != s1 && smax != s2);
    CHECK(seed_of("{" BASE_GPT "}", 12345, __LINE__) == seed_of("{" BASE_GPT "}", 12345, __LINE__));
}

static void test_seed_changes_with_each_field(void)
{
    /* prompt */
    DIFFER("{" BASE_GPT "}", "{\"model\":\"gpt-image-1\",\"prompt\":\"a red fox.\",\"size\":\"1024x1024\",\"quality\":\"low\"}");
    DIFFER("{" BASE_GPT "}", "{\"model\":\"gpt-image-1\",\"prompt\":\"A red fox\",\"size\":\"1024x1024\",\"quality\":\"low\"}");
    /* model name, even within one family */
    DIFFER("{" BASE_GPT "}", "{\"model\":\"gpt-image-1-mini\",\"prompt\":\"a red fox\",\"size\":\"1024x1024\",\"quality\":\"low\"}");
    DIFFER("{\"model\":\"gpt-image-2\",\"prompt\":\"a\"}", "{\"model\":\"gpt-image-2-2026-04-21\",\"prompt\":\"a\"}");
    DIFFER("{\"model\":\"dall-e-2\",\"prompt\":\"a\"}", "{\"model\":\"dall-e-3\",\"prompt\":\"a\"}");
    /* size */
    DIFFER("{" BASE_GPT "}", "{\"model\":\"gpt-image-1\",\"prompt\":\"a red fox\",\"size\":\"1024x1536\",\"quality\":\"low\"}");
    DIFFER("{\"model\":\"gpt-image-2\",\"prompt\":\"a\",\"size\":\"1024x1024\"}",
           "{\"model\":\"gpt-image-2\",\"prompt\":\"a\",\"size\":\"1024x1040\"}");
    /* quality */
    DIFFER("{" BASE_GPT "}", "{\"model\":\"gpt-image-1\",\"prompt\":\"a red fox\",\"size\":\"1024x1024\",\"quality\":\"medium\"}");
    DIFFER("{\"model\":\"dall-e-3\",\"prompt\":\"a\"}", "{\"model\":\"dall-e-3\",\"prompt\":\"a\",\"quality\":\"hd\"}");
    /* output format */
    DIFFER("{" BASE_GPT ",\"output_format\":\"png\"}", "{" BASE_GPT ",\"output_format\":\"jpeg\"}");
    DIFFER("{" BASE_GPT ",\"output_format\":\"png\"}", "{" BASE_GPT ",\"output_format\":\"webp\"}");
    DIFFER("{" BASE_GPT ",\"output_format\":\"jpeg\"}", "{" BASE_GPT ",\"output_format\":\"webp\"}");
    /* background */
    DIFFER("{" BASE_GPT ",\"background\":\"opaque\"}", "{" BASE_GPT ",\"background\":\"transparent\"}");
    /* style */
    DIFFER("{\"model\":\"dall-e-3\",\"prompt\":\"a\",\"style\":\"vivid\"}",
           "{\"model\":\"dall-e-3\",\"prompt\":\"a\",\"style\":\"natural\"}");
}

/* What does not define the picture does not change it: the seed is over *resolved* values, so
 * "auto" and what it resolves to are one picture, and user, moderation, compression and
 * streaming leave it alone (a streamed final image is the non-streamed image). */
static void test_seed_ignores_the_rest(void)
{
    SAME("{" BASE_GPT "}", "{" BASE_GPT ",\"user\":\"someone\"}");
    SAME("{" BASE_GPT "}", "{" BASE_GPT ",\"moderation\":\"low\"}");
    SAME("{" BASE_GPT "}", "{" BASE_GPT ",\"stream\":true,\"partial_images\":3}");
    SAME("{" BASE_GPT "}", "{" BASE_GPT ",\"n\":4}");
    SAME("{" BASE_GPT "}", "{" BASE_GPT ",\"output_format\":\"png\",\"background\":\"opaque\"}");
    SAME("{" BASE_GPT "}", "{" BASE_GPT ",\"background\":\"auto\"}");
    SAME("{" BASE_GPT ",\"output_format\":\"jpeg\",\"output_compression\":50}",
         "{" BASE_GPT ",\"output_format\":\"jpeg\",\"output_compression\":90}");
    SAME("{\"model\":\"gpt-image-1\",\"prompt\":\"a red fox\",\"quality\":\"low\"}", "{" BASE_GPT "}");
    SAME("{\"model\":\"gpt-image-1\",\"prompt\":\"a red fox\",\"size\":\"1024x1024\",\"quality\":\"auto\"}",
         "{\"model\":\"gpt-image-1\",\"prompt\":\"a red fox\",\"size\":\"1024x1024\",\"quality\":\"high\"}");
    SAME("{\"model\":\"dall-e-3\",\"prompt\":\"a\"}", "{\"model\":\"dall-e-3\",\"prompt\":\"a\",\"style\":\"vivid\"}");
    SAME("{\"model\":\"dall-e-2\",\"prompt\":\"a\",\"response_format\":\"url\"}",
         "{\"model\":\"dall-e-2\",\"prompt\":\"a\",\"response_format\":\"b64_json\"}");
}

/* ---- keys ---------------------------------------------------------------------------------- */

static void test_images_key(void)
{
    struct planned p;
    if (PLAN(&p, "{\"model\":\"gpt-image-1\",\"prompt\":\"a\",\"n\":3,\"size\":\"1536x1024\",\"output_format\":"
                 "\"jpeg\",\"output_compression\":42}"))
        return;
    struct cache_key k;
    for (unsigned i = 0; i < 3; i++) {
        images_key(&p.plan, i, 0, 0, &k);
        CHECK(k.seed == p.plan.seeds[i]);
        CHECK_INT(k.width, 1536);
        CHECK_INT(k.height, 1024);
        CHECK_INT(k.format, IMAGE_JPEG);
        CHECK_INT(k.quality, 42);
        CHECK_INT(k.transparent, 0);
        CHECK_INT(k.stage, 0); /* the final image */
        images_key(&p.plan, i, 0, 3, &k); /* partial 0 of any count is the final image */
        CHECK_INT(k.stage, 0);
    }
    done(&p);

    /* PNG and WebP keys carry no quality; transparency is in the key */
    if (!PLAN(&p, "{\"model\":\"gpt-image-1\",\"prompt\":\"a\",\"background\":\"transparent\"}")) {
        images_key(&p.plan, 0, 0, 0, &k);
        CHECK_INT(k.format, IMAGE_PNG);
        CHECK_INT(k.quality, 0);
        CHECK_INT(k.transparent, 1);
        done(&p);
    }
    if (!PLAN(&p, "{\"model\":\"gpt-image-1\",\"prompt\":\"a\",\"output_format\":\"webp\",\"output_compression\":5}")) {
        images_key(&p.plan, 0, 0, 0, &k);
        CHECK_INT(k.format, IMAGE_WEBP);
        CHECK_INT(k.quality, 0);
        CHECK_INT(k.transparent, 0);
        done(&p);
    }
    if (!PLAN(&p, "{\"model\":\"dall-e-2\",\"prompt\":\"a\",\"size\":\"512x512\"}")) {
        images_key(&p.plan, 0, 0, 0, &k);
        CHECK_INT(k.format, IMAGE_PNG);
        CHECK_INT(k.quality, 0);
        CHECK_INT(k.transparent, 0);
        CHECK_INT(k.width, 512);
        done(&p);
    }
}

/* Partial image k of K shows the first k*shapes/(K+1) shapes: stage 1 + that. */
static void test_images_key_partial_stages(void)
{
    struct planned p;
    if (PLAN(&p, "{\"model\":\"gpt-image-1\",\"prompt\":\"a fox\",\"n\":10,\"stream\":true,\"partial_images\":3}"))
        return;
    for (unsigned i = 0; i < 10; i++) {
        unsigned shapes = synth_shape_count(p.plan.seeds[i]);
        for (unsigned K = 1; K <= 3; K++) {
            unsigned prev = 0;
            for (unsigned k = 1; k <= K; k++) {
                struct cache_key key;
                images_key(&p.plan, i, k, K, &key);
                CHECK_INT(key.stage, 1 + k * shapes / (K + 1));
                CHECK(key.stage >= 1 && key.stage - 1u < shapes); /* always fewer shapes than the final */
                CHECK(key.stage >= prev);                          /* and never fewer than the partial before */
                prev = key.stage;
                CHECK(key.seed == p.plan.seeds[i]);
            }
        }
    }
    done(&p);
}

/* ---- rendering through the cache ----------------------------------------------------------- */

static const uint8_t png_magic[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

static int is_png(const uint8_t *d, size_t n)
{
    return n > 33 && !memcmp(d, png_magic, 8) && !memcmp(d + 12, "IHDR", 4);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int is_jpeg(const uint8_t *d, size_t n)
{
    return n > 4 && d[0] == 0xFF && d[1] == 0xD8 && d[n - 2] == 0xFF && d[n - 1] == 0xD9;
}

static int is_webp(const uint8_t *d, size_t n)
{
    return n > 12 && !memcmp(d, "RIFF", 4) && !memcmp(d + 8, "WEBP", 4) &&
           (size_t)(d[4] | d[5] << 8 | d[6] << 16 | (uint32_t)d[7] << 24) + 8 == n;
}

/* What images_get() must produce for `key`, computed the long way round. */
static struct encode_buffer expected_bytes(const struct cache_key *key, int quality)
{
    struct encode_buffer out = {0};
    uint8_t *rgba = malloc((size_t)key->width * key->height * 4);
    if (!rgba)
        return out;
    struct synth_params sp = {.seed = key->seed, .width = key->width, .height = key->height,
                              .transparent = key->transparent,
                              .shapes_shown = key->stage ? key->stage - 1u : SYNTH_ALL_SHAPES};
    synth_render(&sp, rgba);
    struct image_pixels px = {rgba, key->width, key->height, key->transparent, 4};
    if (encode_image((enum image_format)key->format, &px, quality, encode_buffer_sink, &out) != 0) {
        free(out.data);
        out.data = NULL;
        out.len = 0;
    }
    free(rgba);
    return out;
}

static void test_images_get_formats_and_cache(void)
{
    struct cache *c = cache_new(64u << 20);
    CHECK(c != NULL);
    if (!c)
        return;
    struct apierr err = APIERR_INIT;

    /* a real plan: dall-e-2 at 256x256 */
    struct planned p;
    if (!PLAN(&p, "{\"model\":\"dall-e-2\",\"prompt\":\"a lighthouse\",\"size\":\"256x256\"}")) {
        struct cache_key k;
        images_key(&p.plan, 0, 0, 0, &k);
        struct cache_entry *e1 = images_get(c, &k, &err);
        CHECK(e1 != NULL);
        struct cache_stats st;
        cache_get_stats(c, &st);
        CHECK_INT(st.misses, 1);
        CHECK_INT(st.hits, 0);
        CHECK_INT(st.entries, 1);
        struct cache_entry *e2 = images_get(c, &k, &err);
        CHECK(e2 != NULL);
        cache_get_stats(c, &st);
        CHECK_INT(st.hits, 1);
        CHECK_INT(st.misses, 1);
        CHECK_INT(st.entries, 1);
        if (e1 && e2) {
            CHECK(e1 == e2);
            CHECK(cache_data(e1) == cache_data(e2));
            const uint8_t *d = cache_data(e1);
            size_t n = cache_size(e1);
            CHECK(is_png(d, n));
            if (is_png(d, n)) {
                CHECK_INT(be32(d + 16), 256);
                CHECK_INT(be32(d + 20), 256);
                CHECK_INT(d[25], 2); /* opaque: RGB */
            }
            struct encode_buffer want = expected_bytes(&k, 100);
            CHECK(want.len == n && want.data && !memcmp(want.data, d, n));
            free(want.data);
        }
        if (e1)
            cache_release(c, e1);
        if (e2)
            cache_release(c, e2);
        done(&p);
    }

    /* every format, from hand-made keys of a small size */
    static const struct {
        uint8_t format, quality, transparent, stage;
    } cases[] = {
        {IMAGE_PNG, 0, 0, 0},  {IMAGE_PNG, 0, 1, 0},  {IMAGE_PNG, 0, 1, 2},   {IMAGE_JPEG, 90, 0, 0},
        {IMAGE_JPEG, 5, 0, 0}, {IMAGE_JPEG, 90, 0, 1}, {IMAGE_WEBP, 0, 0, 0}, {IMAGE_WEBP, 0, 1, 0},
        {IMAGE_WEBP, 0, 1, 3},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct cache_key k = {.seed = 0xABCDEF0123456789ULL, .width = 72, .height = 40, .format = cases[i].format,
                              .quality = cases[i].quality, .transparent = cases[i].transparent,
                              .stage = cases[i].stage};
        struct cache_stats before, after;
        cache_get_stats(c, &before);
        struct cache_entry *e = images_get(c, &k, &err);
        CHECK(e != NULL);
        if (!e)
            continue;
        const uint8_t *d = cache_data(e);
        size_t n = cache_size(e);
        switch (cases[i].format) {
        case IMAGE_PNG:
            CHECK(is_png(d, n));
            if (is_png(d, n)) {
                CHECK_INT(be32(d + 16), 72);
                CHECK_INT(be32(d + 20), 40);
                CHECK_INT(d[25], cases[i].transparent ? 6 : 2);
            }
            break;
        case IMAGE_JPEG:
            CHECK(is_jpeg(d, n));
            break;
        case IMAGE_WEBP:
            CHECK(is_webp(d, n));
            break;
        }
        struct encode_buffer want = expected_bytes(&k, cases[i].quality ? cases[i].quality : 100);
        if (!(want.data && want.len == n && !memcmp(want.data, d, n))) {
            fprintf(stderr, "%s:%d: case %zu: images_get bytes differ from synth_render + encode_image\n", __FILE__,
                    __LINE__, i);
            unit_failures_in_test++;
        }
        free(want.data);
        /* the second get is a hit on the same entry */
        struct cache_entry *again = images_get(c, &k, &err);
        CHECK(again == e);
        cache_get_stats(c, &after);
        CHECK_INT(after.hits, before.hits + 1);
        CHECK_INT(after.misses, before.misses + 1);
        CHECK_INT(after.entries, before.entries + 1);
        cache_release(c, e);
        if (again)
            cache_release(c, again);
    }

    /* a partial image's bytes differ from the final image's */
    struct cache_key fin = {.seed = 77, .width = 64, .height = 64, .format = IMAGE_PNG, .transparent = 0, .stage = 0};
    struct cache_key part = fin;
    part.stage = 1; /* no shapes */
    struct cache_entry *ef = images_get(c, &fin, &err), *ep = images_get(c, &part, &err);
    CHECK(ef && ep && ef != ep);
    if (ef && ep)
        CHECK(cache_size(ef) != cache_size(ep) || memcmp(cache_data(ef), cache_data(ep), cache_size(ef)) != 0);
    if (ef)
        cache_release(c, ef);
    if (ep)
        cache_release(c, ep);

    CHECK_INT(err.kind, APIERR_NONE);
    apierr_clear(&err);
    cache_free(c);
}

/* With caching disabled (--cache-mb 0) every get renders, and renders the same bytes. */
static void test_images_get_without_cache(void)
{
    struct cache *c = cache_new(0);
    CHECK(c != NULL);
    if (!c)
        return;
    struct apierr err = APIERR_INIT;
    struct cache_key k = {.seed = 5, .width = 33, .height = 21, .format = IMAGE_PNG, .transparent = 1};
    struct cache_entry *a = images_get(c, &k, &err), *b = images_get(c, &k, &err);
    CHECK(a && b);
    if (a && b)
        CHECK(cache_size(a) == cache_size(b) && !memcmp(cache_data(a), cache_data(b), cache_size(a)));
    struct cache_stats st;
    cache_get_stats(c, &st);
    CHECK_INT(st.hits, 0);
    CHECK_INT(st.entries, 0);
    if (a)
        cache_release(c, a);
    if (b)
        cache_release(c, b);
    cache_free(c);
}

/* images_get_base64() is the base64 of images_get()'s bytes, kept in the cache beside them: a
 * second call is a hit on the text (no second encoding), key->base64 does not matter, and with
 * caching disabled it still answers, with the same text. */
static void test_images_get_base64(void)
{
    for (int budget = 0; budget < 2; budget++) {
        struct cache *c = cache_new(budget ? 16u << 20 : 0);
        CHECK(c != NULL);
        if (!c)
            return;
        struct apierr err = APIERR_INIT;
        struct cache_key k = {.seed = 9, .width = 40, .height = 24, .format = IMAGE_WEBP};
        struct cache_entry *image = images_get(c, &k, &err);
        struct cache_entry *text = images_get_base64(c, &k, &err);
        CHECK(image && text);
        if (image && text) {
            size_t want_len = BASE64_ENCODED_SIZE(cache_size(image));
            char *want = malloc(want_len);
            base64_encode(cache_data(image), cache_size(image), want);
            CHECK_INT(cache_size(text), want_len);
            CHECK(cache_size(text) == want_len && !memcmp(cache_data(text), want, want_len));
            free(want);
        }
        struct cache_stats before, after;
        cache_get_stats(c, &before);
        struct cache_key flagged = k;
        flagged.base64 = 1;
        struct cache_entry *again = images_get_base64(c, &flagged, &err);
        cache_get_stats(c, &after);
        CHECK(again != NULL);
        if (again && text)
            CHECK(cache_size(again) == cache_size(text) && !memcmp(cache_data(again), cache_data(text), cache_size(text)));
        if (budget) {
            CHECK(again == text); /* the same entry: found, not encoded again */
            CHECK_INT(after.hits - before.hits, 1);
            CHECK_INT(after.entries, 2); /* the image and its text */
        } else {
            CHECK_INT(after.entries, 0);
        }
        if (image)
            cache_release(c, image);
        if (text)
            cache_release(c, text);
        if (again)
            cache_release(c, again);
        cache_free(c);
    }
}

/* output_compression is the JPEG quality, 0..100, and encode_image() takes 0 as 1 (encode.h).
 * A request with output_format "jpeg" and output_compression 0 must therefore get the
 * lowest-quality JPEG, never the highest. */
static void test_images_get_jpeg_compression_zero(void)
{
    struct cache *c = cache_new(16u << 20);
    CHECK(c != NULL);
    if (!c)
        return;
    struct apierr err = APIERR_INIT;
    struct planned p;
    if (!PLAN(&p, "{\"model\":\"gpt-image-1\",\"prompt\":\"a\",\"output_format\":\"jpeg\",\"output_compression\":0}")) {
        struct cache_key k;
        images_key(&p.plan, 0, 0, 0, &k);
        CHECK_INT(k.quality, 0);
        /* a small image of the same key family keeps the test fast */
        struct cache_key q0 = k, q1 = k, q100 = k;
        q0.width = q1.width = q100.width = 96;
        q0.height = q1.height = q100.height = 64;
        q1.quality = 1;
        q100.quality = 100;
        struct cache_entry *e0 = images_get(c, &q0, &err), *e1 = images_get(c, &q1, &err),
                           *e100 = images_get(c, &q100, &err);
        CHECK(e0 && e1 && e100);
        if (e0 && e1 && e100) {
            int same_as_1 = cache_size(e0) == cache_size(e1) && !memcmp(cache_data(e0), cache_data(e1), cache_size(e0));
            int same_as_100 =
                cache_size(e0) == cache_size(e100) && !memcmp(cache_data(e0), cache_data(e100), cache_size(e0));
            if (!same_as_1 || same_as_100) {
                fprintf(stderr,
                        "%s:%d: JPEG key quality 0 (output_compression 0) encodes %zu bytes: %s quality 1 (%zu bytes), "
                        "%s quality 100 (%zu bytes); want the quality-1 bytes\n",
                        __FILE__, __LINE__, cache_size(e0), same_as_1 ? "same as" : "not", cache_size(e1),
                        same_as_100 ? "same as" : "not", cache_size(e100));
                unit_failures_in_test++;
            }
        }
        if (e0)
            cache_release(c, e0);
        if (e1)
            cache_release(c, e1);
        if (e100)
            cache_release(c, e100);
        done(&p);
    }
    apierr_clear(&err);
    cache_free(c);
}

/* ---- revised_prompt ------------------------------------------------------------------------ */

#define VIVID_OPEN "A vivid, richly detailed rendering of "
#define VIVID_CLOSE ", with dramatic lighting, bold saturated colors and striking depth."
#define NATURAL_OPEN "A natural, true-to-life depiction of "
#define NATURAL_CLOSE ", in soft, realistic light with gentle, balanced colors."

static void check_revised(const char *prompt, const char *style, const char *want, int line)
{
    size_t len = 0;
    char *got = images_revised_prompt(prompt, strlen(prompt), style, &len);
    if (!got || strcmp(got, want) || len != strlen(want)) {
        fprintf(stderr, "%s:%d: revised_prompt(\"%s\", %s)\n  got:  %s\n  want: %s\n", __FILE__, line, prompt,
                style ? style : "NULL", got ? got : "(null)", want);
        unit_failures_in_test++;
    }
    free(got);
}

#define REVISED(prompt, style, want) check_revised(prompt, style, want, __LINE__)

static void test_revised_prompt(void)
{
    REVISED("a cat", "vivid", VIVID_OPEN "a cat" VIVID_CLOSE);
    REVISED("a cat", NULL, VIVID_OPEN "a cat" VIVID_CLOSE); /* vivid is the default */
    REVISED("a cat", "natural", NATURAL_OPEN "a cat" NATURAL_CLOSE);
    /* the prompt's own ending (periods, spaces, newlines) gives way to the sentence's */
    REVISED("a cat.", "vivid", VIVID_OPEN "a cat" VIVID_CLOSE);
    REVISED("a cat. ", "natural", NATURAL_OPEN "a cat" NATURAL_CLOSE);
    REVISED("a cat...  \n", "vivid", VIVID_OPEN "a cat" VIVID_CLOSE);
    REVISED("a cat . . .", "vivid", VIVID_OPEN "a cat" VIVID_CLOSE);
    /* only the end: inner periods and leading spaces stay, other final punctuation stays */
    REVISED("Dr. Who. In space", "vivid", VIVID_OPEN "Dr. Who. In space" VIVID_CLOSE);
    REVISED("  a cat", "vivid", VIVID_OPEN "  a cat" VIVID_CLOSE);
    REVISED("a cat!", "natural", NATURAL_OPEN "a cat!" NATURAL_CLOSE);
    REVISED("caf\xc3\xa9.", "vivid", VIVID_OPEN "caf\xc3\xa9" VIVID_CLOSE);
    REVISED("a cat.\t\r\n", "vivid", VIVID_OPEN "a cat" VIVID_CLOSE); /* every trailing space character */
    /* a prompt with an escaped NUL is carried whole: the length, not the NUL, ends it */
    size_t nl;
    char *with_nul = images_revised_prompt("a\0b", 3, "vivid", &nl);
    CHECK(with_nul && nl == strlen(VIVID_OPEN) + 3 + strlen(VIVID_CLOSE) &&
          !memcmp(with_nul + strlen(VIVID_OPEN), "a\0b", 3));
    free(with_nul);
    /* deterministic */
    size_t la, lb;
    char *a = images_revised_prompt("a fox", 5, "natural", &la), *b = images_revised_prompt("a fox", 5, "natural", &lb);
    CHECK(a && b && !strcmp(a, b) && a != b);
    free(a);
    free(b);
    /* a long prompt is carried whole */
    size_t n = 5000;
    char *longp = malloc(n + 1);
    if (longp) {
        memset(longp, 'x', n);
        longp[n] = '\0';
        size_t rl;
        char *r = images_revised_prompt(longp, n, "vivid", &rl);
        CHECK(r && rl == strlen(VIVID_OPEN) + n + strlen(VIVID_CLOSE));
        free(r);
        free(longp);
    }
}

UNIT_MAIN(UNIT_TEST(test_images_get_base64), UNIT_TEST(test_auto_size), UNIT_TEST(test_auto_quality_background_format), UNIT_TEST(test_plan_usage),
          UNIT_TEST(test_seed_deterministic), UNIT_TEST(test_seed_matches_documented_derivation),
          UNIT_TEST(test_seed_server_seed),
          UNIT_TEST(test_seed_changes_with_each_field), UNIT_TEST(test_seed_ignores_the_rest),
          UNIT_TEST(test_images_key), UNIT_TEST(test_images_key_partial_stages),
          UNIT_TEST(test_images_get_formats_and_cache), UNIT_TEST(test_images_get_without_cache),
          UNIT_TEST(test_images_get_jpeg_compression_zero), UNIT_TEST(test_revised_prompt))
