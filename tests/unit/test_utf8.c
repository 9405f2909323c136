/* test_utf8.c — strict UTF-8 (RFC 3629) counting and sanitising.
 *
 * Prompt limits are counted in code points, and error messages echo client bytes into JSON,
 * so both functions must follow RFC 3629 exactly: accept every well-formed 1–4 byte sequence
 * and reject overlongs, surrogates, code points above U+10FFFF, stray continuation bytes and
 * truncated sequences. utf8_sanitize must turn each offending byte (and NUL) into U+FFFD and
 * leave everything else untouched.
 */
#include "utf8.h"

#include <stdlib.h>
#include <string.h>

#include "unit.h"

#define INVALID ((size_t)-1)
/* utf8_count over a string literal, which may contain NULs */
#define COUNT(lit) utf8_count((lit), sizeof(lit) - 1)
#define FFFD "\xEF\xBF\xBD"

static void test_count_valid(void)
{
    CHECK_INT(COUNT(""), 0);
    CHECK_INT(COUNT("a"), 1);
    CHECK_INT(COUNT("hello world"), 11);
    CHECK_INT(COUNT("\x7F"), 1);
    CHECK_INT(COUNT("\xC2\x80"), 1);         /* U+0080, smallest 2-byte */
    CHECK_INT(COUNT("\xC3\xA9"), 1);         /* é */
    CHECK_INT(COUNT("\xDF\xBF"), 1);         /* U+07FF */
    CHECK_INT(COUNT("\xE0\xA0\x80"), 1);     /* U+0800, smallest 3-byte */
    CHECK_INT(COUNT("\xE2\x82\xAC"), 1);     /* € */
    CHECK_INT(COUNT("\xED\x9F\xBF"), 1);     /* U+D7FF, just below the surrogates */
    CHECK_INT(COUNT("\xEE\x80\x80"), 1);     /* U+E000, just above them */
    CHECK_INT(COUNT("\xEF\xBF\xBF"), 1);     /* U+FFFF */
    CHECK_INT(COUNT("\xF0\x90\x80\x80"), 1); /* U+10000, smallest 4-byte */
    CHECK_INT(COUNT("\xF0\x9F\x98\x80"), 1); /* 😀 */
    CHECK_INT(COUNT("\xF4\x8F\xBF\xBF"), 1); /* U+10FFFF, the largest */
    CHECK_INT(COUNT("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"), 8);
    CHECK_INT(COUNT("a\0b"), 3); /* NUL is a valid code point */
}

static void test_count_rejects(void)
{
    CHECK_INT(COUNT("\x80"), INVALID);             /* lone continuation byte */
    CHECK_INT(COUNT("a\xBF"), INVALID);
    CHECK_INT(COUNT("\xC0\x80"), INVALID);         /* overlong NUL */
    CHECK_INT(COUNT("\xC1\xBF"), INVALID);         /* overlong U+007F */
    CHECK_INT(COUNT("\xE0\x80\x80"), INVALID);     /* overlong 3-byte */
    CHECK_INT(COUNT("\xE0\x9F\xBF"), INVALID);     /* overlong U+07FF */
    CHECK_INT(COUNT("\xF0\x80\x80\x80"), INVALID); /* overlong 4-byte */
    CHECK_INT(COUNT("\xF0\x8F\xBF\xBF"), INVALID); /* overlong U+FFFF */
    CHECK_INT(COUNT("\xED\xA0\x80"), INVALID);     /* U+D800 */
    CHECK_INT(COUNT("\xED\xBF\xBF"), INVALID);     /* U+DFFF */
    CHECK_INT(COUNT("\xF4\x90\x80\x80"), INVALID); /* U+110000 */
    CHECK_INT(COUNT("\xF5\x80\x80\x80"), INVALID);
    CHECK_INT(COUNT("\xF8\x88\x80\x80\x80"), INVALID);
    CHECK_INT(COUNT("\xFE"), INVALID);
    CHECK_INT(COUNT("\xFF"), INVALID);
}

static void test_count_rejects_truncated(void)
{
    CHECK_INT(COUNT("\xC3"), INVALID);
    CHECK_INT(COUNT("\xE2\x82"), INVALID);
    CHECK_INT(COUNT("\xE2"), INVALID);
    CHECK_INT(COUNT("\xF0\x9F\x98"), INVALID);
    CHECK_INT(COUNT("ab\xF0\x9F"), INVALID);
    /* a sequence interrupted by a non-continuation byte */
    CHECK_INT(COUNT("\xC3" "a"), INVALID);
    CHECK_INT(COUNT("\xE2\x82" "a"), INVALID);
    CHECK_INT(COUNT("\xF0\x9F\x98" "a"), INVALID);
    CHECK_INT(COUNT("\xE2\xC3\xA9"), INVALID);
    /* len is respected: a valid sequence cut by len is truncated */
    CHECK_INT(utf8_count("\xE2\x82\xAC", 2), INVALID);
    CHECK_INT(utf8_count("\xE2\x82\xAC", 0), 0);
}

static void test_sequence_length(void)
{
    const unsigned char *u = (const unsigned char *)"\xF0\x9F\x98\x80";
    CHECK_INT(utf8_sequence_length(u, 4), 4);
    CHECK_INT(utf8_sequence_length(u, 3), 0);
    CHECK_INT(utf8_sequence_length(u, 0), 0);
    CHECK_INT(utf8_sequence_length((const unsigned char *)"ab", 2), 1);
    CHECK_INT(utf8_sequence_length((const unsigned char *)"\xC3\xA9x", 3), 2);
    CHECK_INT(utf8_sequence_length((const unsigned char *)"\xE2\x82\xACx", 4), 3);
    CHECK_INT(utf8_sequence_length((const unsigned char *)"\xED\xA0\x80", 3), 0);
}

/* utf8_sanitize(in) must equal `want` exactly. */
static void check_sanitize(const char *in, size_t len, const char *want, int line)
{
    char *got = utf8_sanitize(in, len);
    if (!got || strcmp(got, want) != 0) {
        fprintf(stderr, "%s:%d: utf8_sanitize mismatch\n  got:  ", __FILE__, line);
        for (const char *p = got; p && *p; p++)
            fprintf(stderr, "%02X ", (unsigned char)*p);
        fprintf(stderr, "\n  want: ");
        for (const char *p = want; *p; p++)
            fprintf(stderr, "%02X ", (unsigned char)*p);
        fprintf(stderr, "\n");
        unit_failures_in_test++;
    }
    free(got);
}

#define SANITIZE(lit, want) check_sanitize((lit), sizeof(lit) - 1, (want), __LINE__)

static void test_sanitize(void)
{
    SANITIZE("", "");
    SANITIZE("plain ascii", "plain ascii");
    SANITIZE("caf\xC3\xA9 \xF0\x9F\x98\x80", "caf\xC3\xA9 \xF0\x9F\x98\x80"); /* valid: unchanged */
    SANITIZE("/\xFF", "/" FFFD);
    SANITIZE("a\0b", "a" FFFD "b");                       /* NUL */
    SANITIZE("\0", FFFD);
    SANITIZE("\xC0\x80", FFFD FFFD);                      /* overlong: each byte */
    SANITIZE("\xED\xA0\x80", FFFD FFFD FFFD);             /* surrogate */
    SANITIZE("\xF4\x90\x80\x80", FFFD FFFD FFFD FFFD);    /* above U+10FFFF */
    SANITIZE("x\xE2\x82", "x" FFFD FFFD);                 /* truncated at the end */
    SANITIZE("\xE2\x82" "a\xE2\x82\xAC", FFFD FFFD "a\xE2\x82\xAC");
    SANITIZE(FFFD, FFFD);                                 /* U+FFFD itself is valid */
}

static void test_sanitize_respects_len_and_worst_case(void)
{
    /* bytes past len are not read */
    char *s = utf8_sanitize("abc\xFF", 3);
    CHECK_STR(s, "abc");
    free(s);

    /* worst case: every byte replaced, output 3x the input */
    char in[256];
    memset(in, 0xFF, sizeof in);
    s = utf8_sanitize(in, sizeof in);
    CHECK(s != NULL);
    if (s) {
        CHECK_INT(strlen(s), 3 * sizeof in);
        CHECK_INT(utf8_count(s, strlen(s)), sizeof in);
    }
    free(s);
}

UNIT_MAIN(UNIT_TEST(test_count_valid), UNIT_TEST(test_count_rejects), UNIT_TEST(test_count_rejects_truncated),
          UNIT_TEST(test_sequence_length), UNIT_TEST(test_sanitize),
          UNIT_TEST(test_sanitize_respects_len_and_worst_case))
