/* test_usage.c — the token accounting of spec §7.
 *
 * Clients that track spend (and tests that snapshot responses) read the usage block, so its
 * numbers are part of the contract: the gpt-image-1 family's published table, the gpt-image-2
 * formula checked against every count OpenAI has published, 100 tokens per partial image, n
 * images summed, and imgmock's documented stand-in for the o200k text tokenizer.
 */
#include "usage.h"

#include <string.h>

#include "unit.h"

static void test_gpt_image_1_table(void)
{
    static const struct {
        const char *quality;
        unsigned w, h;
        int64_t tokens;
    } table[] = {
        {"low", 1024, 1024, 272},     {"low", 1024, 1536, 408},     {"low", 1536, 1024, 400},
        {"medium", 1024, 1024, 1056}, {"medium", 1024, 1536, 1584}, {"medium", 1536, 1024, 1568},
        {"high", 1024, 1024, 4160},   {"high", 1024, 1536, 6240},   {"high", 1536, 1024, 6208},
    };
    for (size_t i = 0; i < sizeof table / sizeof *table; i++) {
        int64_t got = usage_image_tokens(USAGE_TABLE, table[i].quality, table[i].w, table[i].h);
        if (got != table[i].tokens) {
            fprintf(stderr, "%s:%d: table %s %ux%u: got %lld, want %lld\n", __FILE__, __LINE__, table[i].quality,
                    table[i].w, table[i].h, (long long)got, (long long)table[i].tokens);
            unit_failures_in_test++;
        }
    }
}

/* Sizes outside the table (schema mode lets any through) take their orientation's column. */
static void test_table_orientation_fallback(void)
{
    CHECK_INT(usage_image_tokens(USAGE_TABLE, "low", 256, 256), 272);
    CHECK_INT(usage_image_tokens(USAGE_TABLE, "low", 512, 512), 272);
    CHECK_INT(usage_image_tokens(USAGE_TABLE, "medium", 1792, 1792), 1056);
    CHECK_INT(usage_image_tokens(USAGE_TABLE, "high", 1248, 1248), 4160);
    /* portrait: taller than wide */
    CHECK_INT(usage_image_tokens(USAGE_TABLE, "low", 1024, 1792), 408);
    CHECK_INT(usage_image_tokens(USAGE_TABLE, "medium", 1023, 1024), 1584);
    CHECK_INT(usage_image_tokens(USAGE_TABLE, "high", 16, 3840), 6240);
    /* landscape: wider than tall */
    CHECK_INT(usage_image_tokens(USAGE_TABLE, "low", 1792, 1024), 400);
    CHECK_INT(usage_image_tokens(USAGE_TABLE, "medium", 1025, 1024), 1568);
    CHECK_INT(usage_image_tokens(USAGE_TABLE, "high", 3840, 16), 6208);
}

/* Every count OpenAI has published for gpt-image-2 (spec §7, and §6's real example). */
static void test_gpt_image_2_published(void)
{
    CHECK_INT(usage_image_tokens(USAGE_FORMULA, "low", 1024, 1024), 196);
    CHECK_INT(usage_image_tokens(USAGE_FORMULA, "medium", 1024, 1024), 1756);
    CHECK_INT(usage_image_tokens(USAGE_FORMULA, "high", 1024, 1024), 7024);
    CHECK_INT(usage_image_tokens(USAGE_FORMULA, "high", 1536, 1024), 5488);
    CHECK_INT(usage_image_tokens(USAGE_FORMULA, "low", 3072, 2160), 380);
    CHECK_INT(usage_image_tokens(USAGE_FORMULA, "medium", 2048, 1152), 1413);
}

/* The spec's formula, written out again independently, in 64-bit integers. */
static int64_t reference_formula(int64_t f, int64_t w, int64_t h)
{
    int64_t L = w > h ? w : h, S = w > h ? h : w;
    int64_t saf = (2 * f * S + L) / (2 * L);
    int64_t num = f * saf * (2000000 + w * h);
    return num / 4000000 + (num % 4000000 != 0);
}

/* Every size gpt-image-2 accepts (spec §2: edges multiples of 16, longest edge <= 3840, aspect
 * ratio within 3:1, 655,360..8,294,400 pixels): the formula is positive, symmetric in
 * orientation, equal to the spec's formula, and grows with quality. */
static void test_gpt_image_2_every_valid_size(void)
{
    long checked = 0, failures = 0;
    for (unsigned w = 16; w <= 3840; w += 16) {
        for (unsigned h = 16; h <= 3840; h += 16) {
            unsigned long long px = (unsigned long long)w * h;
            unsigned L = w > h ? w : h, S = w > h ? h : w;
            if (L > 3 * S || px < 655360 || px > 8294400)
                continue;
            checked++;
            int64_t lo = usage_image_tokens(USAGE_FORMULA, "low", w, h);
            int64_t me = usage_image_tokens(USAGE_FORMULA, "medium", w, h);
            int64_t hi = usage_image_tokens(USAGE_FORMULA, "high", w, h);
            int ok = lo > 0 && lo < me && me < hi && lo == usage_image_tokens(USAGE_FORMULA, "low", h, w) &&
                     me == usage_image_tokens(USAGE_FORMULA, "medium", h, w) &&
                     hi == usage_image_tokens(USAGE_FORMULA, "high", h, w) && lo == reference_formula(16, w, h) &&
                     me == reference_formula(48, w, h) && hi == reference_formula(96, w, h);
            if (!ok && failures++ < 10) {
                fprintf(stderr, "%s:%d: %ux%u: low %lld, medium %lld, high %lld\n", __FILE__, __LINE__, w, h,
                        (long long)lo, (long long)me, (long long)hi);
            }
        }
    }
    CHECK(checked > 10000); /* the grid really covered the valid sizes */
    CHECK_INT(failures, 0);
}

static void test_usage_none(void)
{
    CHECK_INT(usage_image_tokens(USAGE_NONE, "standard", 1024, 1024), 0);
    CHECK_INT(usage_image_tokens(USAGE_NONE, "hd", 1792, 1024), 0);
    CHECK_INT(usage_image_tokens(USAGE_NONE, "high", 256, 256), 0);
    struct usage u;
    memset(&u, 0xAB, sizeof u);
    usage_compute(USAGE_NONE, "a cat", 5, "standard", 1024, 1024, 3, 0, &u);
    CHECK_INT(u.output_image_tokens, 0);
    CHECK_INT(u.input_text_tokens, 2);
    CHECK_INT(u.input_image_tokens, 0);
    CHECK_INT(u.output_text_tokens, 0);
}

static int64_t tokens_of(const char *s)
{
    return usage_text_tokens(s, strlen(s));
}

static void test_text_tokens(void)
{
    CHECK_INT(tokens_of("A cute baby sea otter"), 5);
    CHECK_INT(tokens_of(""), 0);
    CHECK_INT(tokens_of("   "), 0);
    CHECK_INT(tokens_of(" \t\r\n "), 0);
    CHECK_INT(tokens_of("abcdefghij"), 1);
    CHECK_INT(tokens_of("abcdefghijk"), 2);
    CHECK_INT(tokens_of("abcdefghijklmnopqrst"), 2);
    CHECK_INT(tokens_of("abcdefghijklmnopqrstu"), 3);
    CHECK_INT(tokens_of("ABCdefGHIJ"), 1); /* case does not split a run */
    CHECK_INT(tokens_of("12345"), 2);
    CHECK_INT(tokens_of("123"), 1);
    CHECK_INT(tokens_of("1234"), 2);
    CHECK_INT(tokens_of("123456"), 2);
    CHECK_INT(tokens_of("1234567"), 3);
    CHECK_INT(tokens_of("a,b"), 3);
    CHECK_INT(tokens_of("abc123"), 2); /* a letter run, then a digit run */
    CHECK_INT(tokens_of("a1b2"), 4);
    CHECK_INT(tokens_of("!?."), 3);
    CHECK_INT(tokens_of("\xc3\xa9"), 1);                       /* é: one code point, one token */
    CHECK_INT(tokens_of("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"), 3); /* 日本語 */
    CHECK_INT(tokens_of("\xf0\x9f\xa6\xa6"), 1);               /* 🦦 */
    CHECK_INT(tokens_of("caf\xc3\xa9"), 2);                    /* "caf" then é */
    CHECK_INT(tokens_of("\xf0\x9f\xa6\xa6 \xf0\x9f\xa6\xa6"), 2);
    /* `len` is what counts, not the NUL */
    CHECK_INT(usage_text_tokens("abc def", 3), 1);
    CHECK_INT(usage_text_tokens("a\0b", 3), 3); /* NUL is a non-space character */
    CHECK_INT(usage_text_tokens(NULL, 0), 0);
    /* a lone continuation byte or a truncated sequence is still one token, and not over-read */
    CHECK_INT(usage_text_tokens("\x80\x80x", 3), 2);
    CHECK_INT(usage_text_tokens("\xe6\x97", 2), 1);
}

static void test_usage_compute(void)
{
    struct usage u;
    const char *prompt = "A cute baby sea otter";
    usage_compute(USAGE_TABLE, prompt, strlen(prompt), "low", 1024, 1024, 1, 0, &u);
    CHECK_INT(u.input_text_tokens, 5);
    CHECK_INT(u.input_image_tokens, 0);
    CHECK_INT(u.output_image_tokens, 272);
    CHECK_INT(u.output_text_tokens, 0);
    CHECK_INT(usage_input_total(&u), 5);
    CHECK_INT(usage_output_total(&u), 272);

    usage_compute(USAGE_TABLE, prompt, strlen(prompt), "high", 1536, 1024, 4, 0, &u);
    CHECK_INT(u.output_image_tokens, 4 * 6208);

    /* 100 per partial per image */
    usage_compute(USAGE_TABLE, prompt, strlen(prompt), "medium", 1024, 1536, 1, 3, &u);
    CHECK_INT(u.output_image_tokens, 1584 + 300);
    usage_compute(USAGE_TABLE, prompt, strlen(prompt), "medium", 1024, 1536, 3, 2, &u);
    CHECK_INT(u.output_image_tokens, 3 * (1584 + 200));
    CHECK_INT(usage_output_total(&u), 3 * (1584 + 200));
    CHECK_INT(usage_input_total(&u), 5);

    usage_compute(USAGE_FORMULA, "x", 1, "low", 3072, 2160, 10, 1, &u);
    CHECK_INT(u.input_text_tokens, 1);
    CHECK_INT(u.output_image_tokens, 10 * (380 + USAGE_PARTIAL_IMAGE_TOKENS));

    /* §6's real example: 14 text tokens, 380 output, total 394 */
    const char *p14 = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen";
    usage_compute(USAGE_FORMULA, p14, strlen(p14), "low", 3072, 2160, 1, 0, &u);
    CHECK_INT(u.input_text_tokens, 14);
    CHECK_INT(usage_input_total(&u) + usage_output_total(&u), 394);
}

UNIT_MAIN(UNIT_TEST(test_gpt_image_1_table), UNIT_TEST(test_table_orientation_fallback),
          UNIT_TEST(test_gpt_image_2_published), UNIT_TEST(test_gpt_image_2_every_valid_size),
          UNIT_TEST(test_usage_none), UNIT_TEST(test_text_tokens), UNIT_TEST(test_usage_compute))
