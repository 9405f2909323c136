/* test_base64.c — RFC 4648 decoding.
 *
 * base64_decode() reads HTTP Basic credentials, i.e. attacker-controlled text, so it must both
 * decode the RFC 4648 §10 test vectors exactly and refuse everything that is not canonical
 * padded base64: wrong lengths, bytes outside the alphabet, padding anywhere but the end, and
 * (RFC 4648 §3.5) padding bits that are not zero.
 */
#include "base64.h"

#include <string.h>

#include "unit.h"

#define FAILED ((size_t)-1)

/* Decode the NUL-terminated `in` and check it yields exactly `want` (wantlen bytes). */
static void check_decodes(const char *in, const char *want, size_t wantlen, int line)
{
    unsigned char out[BASE64_DECODED_MAX(64) + 8];
    memset(out, 0xAA, sizeof out);
    size_t n = base64_decode(in, strlen(in), out);
    if (n != wantlen || memcmp(out, want, wantlen) != 0) {
        fprintf(stderr, "%s:%d: base64_decode(\"%s\") returned %zu, want %zu bytes\n", __FILE__, line, in,
                n, wantlen);
        unit_failures_in_test++;
    }
}

static void check_rejects(const char *in, size_t len, int line)
{
    unsigned char out[BASE64_DECODED_MAX(64) + 8];
    size_t n = base64_decode(in, len, out);
    if (n != FAILED) {
        fprintf(stderr, "%s:%d: base64_decode(\"%.*s\") accepted (%zu bytes), want rejection\n", __FILE__,
                line, (int)len, in, n);
        unit_failures_in_test++;
    }
}

#define DECODES(in, want) check_decodes(in, want, sizeof(want) - 1, __LINE__)
#define REJECTS(in) check_rejects(in, strlen(in), __LINE__)

static void test_rfc4648_vectors(void)
{
    DECODES("", "");
    DECODES("Zg==", "f");
    DECODES("Zm8=", "fo");
    DECODES("Zm9v", "foo");
    DECODES("Zm9vYg==", "foob");
    DECODES("Zm9vYmE=", "fooba");
    DECODES("Zm9vYmFy", "foobar");
}

static void test_full_alphabet_and_binary(void)
{
    DECODES("+/+/", "\xfb\xff\xbf");
    DECODES("AAAA", "\0\0\0");
    DECODES("////", "\xff\xff\xff");
    DECODES("OmEAYg==", ":a\0b");
    DECODES("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
            "\x00\x10\x83\x10\x51\x87\x20\x92\x8b\x30\xd3\x8f\x41\x14\x93\x51\x55\x97"
            "\x61\x96\x9b\x71\xd7\x9f\x82\x18\xa3\x92\x59\xa7\xa2\x9a\xab\xb2\xdb\xaf"
            "\xc3\x1c\xb3\xd3\x5d\xb7\xe3\x9e\xbb\xf3\xdf\xbf");
}

static void test_decode_respects_len(void)
{
    /* only the first 4 characters are read */
    unsigned char out[16];
    CHECK_INT(base64_decode("Zm9vYmFy", 4, out), 3);
    CHECK(memcmp(out, "foo", 3) == 0);
    CHECK_INT(base64_decode("Zm9v!!!!", 4, out), 3);
}

static void test_rejects_wrong_length(void)
{
    REJECTS("Z");
    REJECTS("Zg");
    REJECTS("Zg=");
    REJECTS("Zm9");
    REJECTS("Zm9vY");
    REJECTS("Zm9vYmFy=");
    /* the length is checked, not inferred: a cut inside a valid buffer is rejected */
    check_rejects("Zm9vYmFy", 5, __LINE__);
    check_rejects("Zm9vYmFy", 6, __LINE__);
    check_rejects("Zm9vYmFy", 7, __LINE__);
}

static void test_rejects_bad_characters(void)
{
    REJECTS("Zm9!");
    REJECTS("Zm 9");
    REJECTS("Zm9\n");
    REJECTS("Zm-_"); /* base64url alphabet is not accepted */
    REJECTS("Zm9\x80");
    REJECTS("\xffZm9");
    check_rejects("Zm\0v", 4, __LINE__); /* NUL inside the input */
}

static void test_rejects_misplaced_padding(void)
{
    REJECTS("====");
    REJECTS("Z===");
    REJECTS("=Zm9");
    REJECTS("Z=m9");
    REJECTS("Zm=v");
    REJECTS("Zg==Zm9v"); /* padding in a group that is not the last */
    REJECTS("Zm8=Zm9v");
    REJECTS("Zm9vZ=g=");
}

/* base64.h promises -1 for input that is "not canonical padded base64". RFC 4648 §3.5: in the
 * canonical encoding the pad bits are zero; "Zh==" and "Zm9=" decode to "f" and "fo" only if
 * those bits are ignored (canonical forms: "Zg==" and "Zm8="). */
static void test_rejects_nonzero_pad_bits(void)
{
    REJECTS("Zh==");
    REJECTS("Zm9=");
    REJECTS("OnNlY3JldB=="); /* ":secret" with a pad bit set */
}

UNIT_MAIN(UNIT_TEST(test_rfc4648_vectors), UNIT_TEST(test_full_alphabet_and_binary),
          UNIT_TEST(test_decode_respects_len), UNIT_TEST(test_rejects_wrong_length),
          UNIT_TEST(test_rejects_bad_characters), UNIT_TEST(test_rejects_misplaced_padding),
          UNIT_TEST(test_rejects_nonzero_pad_bits))
