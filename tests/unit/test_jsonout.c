/* test_jsonout.c — the two ways JSON text leaves imgmock agree byte for byte.
 *
 * Trees go through jsonout_dump() (Jansson); the error envelope, laid out by hand for speed,
 * quotes its strings with jsonout_quote(). Both must escape exactly as the real API does
 * (Python's json.dumps with ensure_ascii: lowercase \u escapes, surrogate pairs) and must turn
 * invalid UTF-8 into U+FFFD the same way, so every string here is written both ways and
 * compared: hand-picked edge cases first, then 20000 deterministic pseudo-random byte strings
 * biased towards the bytes that matter (controls, quotes, backslashes, UTF-8 lead and
 * continuation bytes, NUL).
 */
#include "jsonout.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

/* Both ways for s[0..len); 1 when they agree (prints both when not). */
static int agree(const char *s, size_t len)
{
    json_t *value = jsonout_string(s, len);
    size_t dumped_len = 0;
    char *dumped = value ? jsonout_dump(value, 0, &dumped_len) : NULL;
    json_decref(value);
    char *quoted = malloc(JSONOUT_QUOTED_MAX(len) + 1);
    size_t quoted_len = quoted ? jsonout_quote(quoted, s, len) : 0;
    int same = dumped && quoted && quoted_len <= JSONOUT_QUOTED_MAX(len) && quoted_len == dumped_len &&
               !memcmp(quoted, dumped, dumped_len);
    if (!same && quoted) {
        quoted[quoted_len] = '\0';
        fprintf(stderr, "  input (%zu bytes):", len);
        for (size_t i = 0; i < len; i++)
            fprintf(stderr, " %02x", (unsigned char)s[i]);
        fprintf(stderr, "\n  dump:  %s\n  quote: %s\n", dumped ? dumped : "(null)", quoted);
    }
    free(dumped);
    free(quoted);
    return same;
}

#define AGREE(literal) CHECK(agree(literal, sizeof(literal) - 1))

static void test_edge_cases_agree(void)
{
    AGREE("");
    AGREE("plain ascii: a cat, 1024x1024");
    AGREE("quote \" backslash \\ slash / del \x7f");
    AGREE("\b\f\n\r\t\x01\x1f");
    AGREE("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");   /* 2-, 3- and 4-byte sequences */
    AGREE("\xef\xbf\xbf \xf4\x8f\xbf\xbf \xc2\x80");      /* U+FFFF, U+10FFFF, U+0080 */
    AGREE("nul \0 in valid text");                         /* valid UTF-8: NUL is \u0000 */
    AGREE("nul \0 and \xff invalid");                       /* invalid: NUL becomes U+FFFD too */
    AGREE("\xc0\xaf overlong \xe0\x80\xaf \xf0\x80\x80\xaf");
    AGREE("\xed\xa0\x80 surrogate \xed\xbf\xbf");
    AGREE("\xf4\x90\x80\x80 above U+10FFFF \xf5\xf8\xfc\xfe\xff");
    AGREE("\x80 lone continuation \xbf");
    AGREE("truncated \xe2\x82");
    AGREE("\xf0\x9f\x98");
}

static void test_quote_exact_text(void)
{
    char out[64];
    size_t n = jsonout_quote(out, "caf\xc3\xa9 \xf0\x9f\x98\x80 \"\n", 13);
    out[n] = '\0';
    CHECK_STR(out, "\"caf\\u00e9 \\ud83d\\ude00 \\\"\\n\"");
    n = jsonout_quote(out, "a\xff", 2);
    out[n] = '\0';
    CHECK_STR(out, "\"a\\ufffd\"");
}

static void test_random_strings_agree(void)
{
    static const unsigned char interesting[] = {0x00, 0x01, 0x1f, '"', '\\', '/', 0x7f, 0x80, 0xbf, 0xc0, 0xc2,
                                                0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff, 0xa0, 0x9f, 0x8f};
    uint64_t state = 0x9e3779b97f4a7c15u;
    unsigned disagreements = 0;
    char s[48];
    for (int round = 0; round < 20000; round++) {
        state = state * 6364136223846793005u + 1442695040888963407u;
        size_t len = (size_t)(state >> 59) + (size_t)(state >> 62); /* 0..34 */
        for (size_t i = 0; i < len; i++) {
            state = state * 6364136223846793005u + 1442695040888963407u;
            unsigned r = (unsigned)(state >> 33);
            s[i] = (char)(r % 3 ? interesting[r / 3 % sizeof interesting] : 0x20 + r / 3 % 95);
        }
        if (!agree(s, len) && ++disagreements >= 5)
            break;
    }
    CHECK_INT(disagreements, 0);
}

UNIT_MAIN(UNIT_TEST(test_edge_cases_agree), UNIT_TEST(test_quote_exact_text), UNIT_TEST(test_random_strings_agree))
