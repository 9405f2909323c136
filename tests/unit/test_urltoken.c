/* test_urltoken.c — signed, stateless image URLs.
 *
 * A DALL·E image URL carries its image's cache key and an expiry under an HMAC, so the server
 * renders whatever a valid token names, for anyone holding the URL. The token is therefore an
 * attack surface: changing any character must be refused, a token made with another secret must
 * be refused, only the canonical url-safe form is accepted, expiry is enforced at an exact
 * boundary, and even a correctly signed payload naming an impossible image (which only a bug
 * could produce) is refused rather than rendered. The last is tested by forging payloads with
 * the real secret through hmac_sha256 and base64, the way urltoken.c builds them.
 */
#include "urltoken.h"

#include <stdint.h>
#include <string.h>

#include "base64.h"
#include "sha256.h"
#include "unit.h"

static const char secret[] = "correct horse battery staple";
#define SECRET secret, sizeof secret - 1

static const char url_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int keys_equal(const struct cache_key *a, const struct cache_key *b)
{
    return a->seed == b->seed && a->width == b->width && a->height == b->height && a->format == b->format &&
           a->quality == b->quality && a->transparent == b->transparent && a->stage == b->stage;
}

static const struct cache_key sample = {.seed = 0x0123456789ABCDEFULL, .width = 1024, .height = 1792,
                                        .format = 0, .quality = 0, .transparent = 0, .stage = 0};

static void test_round_trip(void)
{
    static const struct cache_key keys[] = {
        {.seed = 0x0123456789ABCDEFULL, .width = 1024, .height = 1792},
        {.seed = 0, .width = 1, .height = 1},
        {.seed = UINT64_MAX, .width = 16383, .height = 16383, .format = 2, .quality = 100, .transparent = 1},
        {.seed = 42, .width = 256, .height = 256, .format = 1, .quality = 37},
        {.seed = 1ULL << 63, .width = 3840, .height = 2160, .format = 2, .quality = 0, .transparent = 1},
    };
    static const uint64_t expiries[] = {0, 1, 1700003600, UINT64_MAX};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        for (size_t e = 0; e < sizeof expiries / sizeof *expiries; e++) {
            char tok[URLTOKEN_LEN + 1];
            memset(tok, '#', sizeof tok);
            urltoken_make(SECRET, &keys[i], expiries[e], tok);
            CHECK_INT(strlen(tok), URLTOKEN_LEN);
            for (size_t k = 0; k < URLTOKEN_LEN; k++)
                CHECK(tok[k] && strchr(url_alphabet, tok[k]) != NULL);
            struct cache_key got;
            memset(&got, 0xEE, sizeof got);
            CHECK_INT(urltoken_check(SECRET, tok, URLTOKEN_LEN, expiries[e], &got), URLTOKEN_OK);
            CHECK(keys_equal(&got, &keys[i]));
            /* deterministic */
            char again[URLTOKEN_LEN + 1];
            urltoken_make(SECRET, &keys[i], expiries[e], again);
            CHECK_STR(again, tok);
        }
    }
    /* a key's stage is not carried: the token names the final image */
    struct cache_key staged = sample, got;
    staged.stage = 3;
    char tok[URLTOKEN_LEN + 1];
    urltoken_make(SECRET, &staged, 100, tok);
    CHECK_INT(urltoken_check(SECRET, tok, URLTOKEN_LEN, 100, &got), URLTOKEN_OK);
    CHECK_INT(got.stage, 0);
    /* different keys and expiries make different tokens */
    char t1[URLTOKEN_LEN + 1], t2[URLTOKEN_LEN + 1], t3[URLTOKEN_LEN + 1];
    struct cache_key other = sample;
    other.seed ^= 1;
    urltoken_make(SECRET, &sample, 100, t1);
    urltoken_make(SECRET, &other, 100, t2);
    urltoken_make(SECRET, &sample, 101, t3);
    CHECK(strcmp(t1, t2) && strcmp(t1, t3) && strcmp(t2, t3));
}

/* Every single-character change to a token, to every other url-safe character, is refused. */
static void test_every_change_refused(void)
{
    char tok[URLTOKEN_LEN + 1];
    urltoken_make(SECRET, &sample, 1000, tok);
    long accepted = 0, tried = 0;
    for (size_t pos = 0; pos < URLTOKEN_LEN; pos++) {
        for (const char *c = url_alphabet; *c; c++) {
            if (*c == tok[pos])
                continue;
            char bad[URLTOKEN_LEN + 1];
            memcpy(bad, tok, sizeof bad);
            bad[pos] = *c;
            struct cache_key got = sample;
            got.seed = 0x5A5A;
            enum urltoken_status st = urltoken_check(SECRET, bad, URLTOKEN_LEN, 500, &got);
            tried++;
            if (st != URLTOKEN_INVALID) {
                if (accepted++ < 5)
                    fprintf(stderr, "%s:%d: token changed at %zu to '%c' gives status %d\n", __FILE__, __LINE__, pos,
                            *c, (int)st);
            } else {
                CHECK(got.seed == 0x5A5A); /* a refused token leaves the key alone */
            }
        }
    }
    CHECK_INT(tried, URLTOKEN_LEN * 63);
    CHECK_INT(accepted, 0);
    /* non-alphabet characters too */
    static const char junk[] = {'.', '~', ' ', '%', '\0', '\xff', '!', '*'};
    for (size_t pos = 0; pos < URLTOKEN_LEN; pos += 7)
        for (size_t j = 0; j < sizeof junk; j++) {
            char bad[URLTOKEN_LEN + 1];
            memcpy(bad, tok, sizeof bad);
            bad[pos] = junk[j];
            struct cache_key got;
            CHECK_INT(urltoken_check(SECRET, bad, URLTOKEN_LEN, 500, &got), URLTOKEN_INVALID);
        }
}

static void test_wrong_secret(void)
{
    char tok[URLTOKEN_LEN + 1];
    struct cache_key got;
    urltoken_make(SECRET, &sample, 1000, tok);
    CHECK_INT(urltoken_check("correct horse battery stapl", 27, tok, URLTOKEN_LEN, 0, &got), URLTOKEN_INVALID);
    CHECK_INT(urltoken_check("Correct horse battery staple", 28, tok, URLTOKEN_LEN, 0, &got), URLTOKEN_INVALID);
    CHECK_INT(urltoken_check("", 0, tok, URLTOKEN_LEN, 0, &got), URLTOKEN_INVALID);
    /* an empty secret works too, but only with itself */
    urltoken_make("", 0, &sample, 1000, tok);
    CHECK_INT(urltoken_check("", 0, tok, URLTOKEN_LEN, 0, &got), URLTOKEN_OK);
    CHECK_INT(urltoken_check(SECRET, tok, URLTOKEN_LEN, 0, &got), URLTOKEN_INVALID);
    /* a secret longer than a SHA-256 block */
    char big[200];
    memset(big, 'k', sizeof big);
    urltoken_make(big, sizeof big, &sample, 1000, tok);
    CHECK_INT(urltoken_check(big, sizeof big, tok, URLTOKEN_LEN, 0, &got), URLTOKEN_OK);
    big[199] = 'K';
    CHECK_INT(urltoken_check(big, sizeof big, tok, URLTOKEN_LEN, 0, &got), URLTOKEN_INVALID);
}

/* Valid through the second `expires` names; expired from the next one. */
static void test_expiry_boundary(void)
{
    char tok[URLTOKEN_LEN + 1];
    struct cache_key got;
    urltoken_make(SECRET, &sample, 1700003600, tok);
    CHECK_INT(urltoken_check(SECRET, tok, URLTOKEN_LEN, 0, &got), URLTOKEN_OK);
    CHECK_INT(urltoken_check(SECRET, tok, URLTOKEN_LEN, 1700000000, &got), URLTOKEN_OK);
    CHECK_INT(urltoken_check(SECRET, tok, URLTOKEN_LEN, 1700003599, &got), URLTOKEN_OK);
    CHECK_INT(urltoken_check(SECRET, tok, URLTOKEN_LEN, 1700003600, &got), URLTOKEN_OK); /* at expiry: still OK */
    got.seed = 7;
    CHECK_INT(urltoken_check(SECRET, tok, URLTOKEN_LEN, 1700003601, &got), URLTOKEN_EXPIRED);
    CHECK(got.seed == 7); /* an expired token does not hand out its key */
    CHECK_INT(urltoken_check(SECRET, tok, URLTOKEN_LEN, UINT64_MAX, &got), URLTOKEN_EXPIRED);
    /* the extremes */
    urltoken_make(SECRET, &sample, 0, tok);
    CHECK_INT(urltoken_check(SECRET, tok, URLTOKEN_LEN, 0, &got), URLTOKEN_OK);
    CHECK_INT(urltoken_check(SECRET, tok, URLTOKEN_LEN, 1, &got), URLTOKEN_EXPIRED);
    urltoken_make(SECRET, &sample, UINT64_MAX, tok);
    CHECK_INT(urltoken_check(SECRET, tok, URLTOKEN_LEN, UINT64_MAX, &got), URLTOKEN_OK);
    /* expired and tampered: the signature is judged first */
    urltoken_make(SECRET, &sample, 10, tok);
    tok[5] = tok[5] == 'A' ? 'B' : 'A';
    CHECK_INT(urltoken_check(SECRET, tok, URLTOKEN_LEN, 11, &got), URLTOKEN_INVALID);
    /* expired under the wrong secret: invalid, not expired (no oracle for other secrets) */
    urltoken_make(SECRET, &sample, 10, tok);
    CHECK_INT(urltoken_check("x", 1, tok, URLTOKEN_LEN, 11, &got), URLTOKEN_INVALID);
}

static void test_wrong_length(void)
{
    char tok[URLTOKEN_LEN + 8];
    struct cache_key got;
    urltoken_make(SECRET, &sample, 1000, tok);
    CHECK_INT(urltoken_check(SECRET, tok, 0, 0, &got), URLTOKEN_INVALID);
    CHECK_INT(urltoken_check(SECRET, tok, 1, 0, &got), URLTOKEN_INVALID);
    CHECK_INT(urltoken_check(SECRET, tok, URLTOKEN_LEN - 1, 0, &got), URLTOKEN_INVALID);
    CHECK_INT(urltoken_check(SECRET, tok, URLTOKEN_LEN - 4, 0, &got), URLTOKEN_INVALID);
    memcpy(tok + URLTOKEN_LEN, "AAAA", 5);
    CHECK_INT(urltoken_check(SECRET, tok, URLTOKEN_LEN + 1, 0, &got), URLTOKEN_INVALID);
    CHECK_INT(urltoken_check(SECRET, tok, URLTOKEN_LEN + 2, 0, &got), URLTOKEN_INVALID);
    CHECK_INT(urltoken_check(SECRET, tok, URLTOKEN_LEN + 4, 0, &got), URLTOKEN_INVALID);
    CHECK_INT(urltoken_check(SECRET, tok, URLTOKEN_LEN, 0, &got), URLTOKEN_OK);
    /* with padding appended, as standard base64 would have it */
    memcpy(tok + URLTOKEN_LEN, "==", 3);
    CHECK_INT(urltoken_check(SECRET, tok, URLTOKEN_LEN + 2, 0, &got), URLTOKEN_INVALID);
}

/* '+', '/' and '=' are refused even where they mean the same bits as '-' and '_': only the
 * url-safe form is canonical. */
static void test_standard_alphabet_refused(void)
{
    int saw_dash = 0, saw_underscore = 0;
    for (uint64_t seed = 1; seed < 2000 && !(saw_dash && saw_underscore); seed++) {
        struct cache_key k = sample;
        k.seed = seed;
        char tok[URLTOKEN_LEN + 1];
        urltoken_make(SECRET, &k, 1000, tok);
        struct cache_key got;
        for (size_t i = 0; i < URLTOKEN_LEN; i++) {
            if (tok[i] != '-' && tok[i] != '_')
                continue;
            char std[URLTOKEN_LEN + 1];
            memcpy(std, tok, sizeof std);
            std[i] = tok[i] == '-' ? '+' : '/';
            saw_dash |= tok[i] == '-';
            saw_underscore |= tok[i] == '_';
            CHECK_INT(urltoken_check(SECRET, std, URLTOKEN_LEN, 0, &got), URLTOKEN_INVALID);
        }
        CHECK_INT(urltoken_check(SECRET, tok, URLTOKEN_LEN, 0, &got), URLTOKEN_OK);
    }
    CHECK(saw_dash && saw_underscore);
    /* '=' anywhere, including where base64 padding would go */
    char tok[URLTOKEN_LEN + 1];
    struct cache_key got;
    urltoken_make(SECRET, &sample, 1000, tok);
    for (size_t i = 0; i < URLTOKEN_LEN; i += 13) {
        char bad[URLTOKEN_LEN + 1];
        memcpy(bad, tok, sizeof bad);
        bad[i] = '=';
        CHECK_INT(urltoken_check(SECRET, bad, URLTOKEN_LEN, 0, &got), URLTOKEN_INVALID);
    }
    char bad[URLTOKEN_LEN + 1];
    memcpy(bad, tok, sizeof bad);
    bad[URLTOKEN_LEN - 1] = '=';
    CHECK_INT(urltoken_check(SECRET, bad, URLTOKEN_LEN, 0, &got), URLTOKEN_INVALID);
}

/* ---- forged payloads, signed with the right secret ----------------------------------------- */

struct raw_payload {
    uint8_t version;
    uint64_t expires, seed;
    uint32_t width, height; /* 16 bits on the wire */
    uint8_t format, quality, transparent;
};

static void put_be(uint8_t *p, uint64_t v, int bytes)
{
    for (int i = bytes - 1; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

/* A token for `r`, built the way urltoken.c documents: 24 bytes of big-endian payload, the first
 * 16 bytes of its HMAC-SHA-256, base64url without padding. */
static void forge(const struct raw_payload *r, char out[URLTOKEN_LEN + 1])
{
    uint8_t raw[40], mac[SHA256_DIGEST_SIZE];
    raw[0] = r->version;
    put_be(raw + 1, r->expires, 8);
    put_be(raw + 9, r->seed, 8);
    put_be(raw + 17, r->width, 2);
    put_be(raw + 19, r->height, 2);
    raw[21] = r->format;
    raw[22] = r->quality;
    raw[23] = r->transparent;
    hmac_sha256(SECRET, raw, 24, mac);
    memcpy(raw + 24, mac, 16);
    char text[BASE64_ENCODED_SIZE(40)];
    base64_encode(raw, 40, text);
    for (int i = 0; i < URLTOKEN_LEN; i++)
        out[i] = text[i] == '+' ? '-' : text[i] == '/' ? '_' : text[i];
    out[URLTOKEN_LEN] = '\0';
}

static const struct raw_payload good = {.version = 1, .expires = 5000, .seed = 99, .width = 512, .height = 768,
                                        .format = 1, .quality = 80, .transparent = 0};

static void check_forged(struct raw_payload r, enum urltoken_status want, int line)
{
    char tok[URLTOKEN_LEN + 1];
    forge(&r, tok);
    struct cache_key got;
    memset(&got, 0, sizeof got);
    enum urltoken_status st = urltoken_check(SECRET, tok, URLTOKEN_LEN, 1000, &got);
    if (st != want) {
        fprintf(stderr,
                "%s:%d: forged v%u %ux%u format %u quality %u alpha %u expires %llu: status %d, want %d\n",
                __FILE__, line, r.version, r.width, r.height, r.format, r.quality, r.transparent,
                (unsigned long long)r.expires, (int)st, (int)want);
        unit_failures_in_test++;
    }
}

#define FORGED(field, value, want)                                                                           \
    do {                                                                                                    \
        struct raw_payload r_ = good;                                                                       \
        r_.field = value;                                                                                   \
        check_forged(r_, want, __LINE__);                                                                   \
    } while (0)

static void test_forged_payloads(void)
{
    /* the forging is right: the good payload is accepted, and equals urltoken_make's token */
    char tok[URLTOKEN_LEN + 1], made[URLTOKEN_LEN + 1];
    forge(&good, tok);
    struct cache_key k = {.seed = 99, .width = 512, .height = 768, .format = 1, .quality = 80, .transparent = 0};
    urltoken_make(SECRET, &k, 5000, made);
    CHECK_STR(tok, made);
    check_forged(good, URLTOKEN_OK, __LINE__);

    /* keys urltoken_make could never be asked for, each correctly signed */
    FORGED(width, 0, URLTOKEN_INVALID);
    FORGED(height, 0, URLTOKEN_INVALID);
    FORGED(width, 16384, URLTOKEN_INVALID);
    FORGED(height, 16384, URLTOKEN_INVALID);
    FORGED(width, 65535, URLTOKEN_INVALID);
    FORGED(format, 3, URLTOKEN_INVALID);
    FORGED(format, 255, URLTOKEN_INVALID);
    FORGED(quality, 101, URLTOKEN_INVALID);
    FORGED(quality, 255, URLTOKEN_INVALID);
    FORGED(transparent, 2, URLTOKEN_INVALID);
    FORGED(version, 0, URLTOKEN_INVALID);
    FORGED(version, 2, URLTOKEN_INVALID);
    /* the edges of what is allowed */
    FORGED(width, 16383, URLTOKEN_OK);
    FORGED(height, 1, URLTOKEN_OK);
    FORGED(format, 2, URLTOKEN_OK);
    FORGED(quality, 100, URLTOKEN_OK);
    FORGED(quality, 0, URLTOKEN_OK);
    FORGED(transparent, 1, URLTOKEN_OK);
    /* an impossible key is refused as invalid even when it has also expired */
    struct raw_payload r = good;
    r.width = 0;
    r.expires = 1;
    check_forged(r, URLTOKEN_INVALID, __LINE__);
    r = good;
    r.expires = 999;
    check_forged(r, URLTOKEN_EXPIRED, __LINE__);
}

UNIT_MAIN(UNIT_TEST(test_round_trip), UNIT_TEST(test_every_change_refused), UNIT_TEST(test_wrong_secret),
          UNIT_TEST(test_expiry_boundary), UNIT_TEST(test_wrong_length), UNIT_TEST(test_standard_alphabet_refused),
          UNIT_TEST(test_forged_payloads))
