/* test_sha256.c — SHA-256 against FIPS 180-4 / NIST vectors, HMAC-SHA-256 against RFC 4231.
 *
 * A signature check is only as good as the hash under it, and a hash bug usually hides in the
 * bookkeeping rather than the rounds: the padding when the message ends near a block boundary,
 * and the buffering when updates do not line up with blocks. So besides the published vectors
 * this checks every message length around the padding boundary and every split point of a
 * multi-block message. The extra digests (marked "hashlib") were computed with Python's
 * hashlib/hmac, an independent implementation.
 */
#include "sha256.h"

#include <stdlib.h>
#include <string.h>

#include "unit.h"

/* Lowercase hex of a digest, for readable failure messages and comparison with vectors. */
static void to_hex(const uint8_t *d, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[d[i] >> 4];
        out[2 * i + 1] = digits[d[i] & 15];
    }
    out[2 * n] = '\0';
}

/* Check SHA-256 of data[0..len) is the hex digest `want`. */
static void check_sha(const void *data, size_t len, const char *want)
{
    uint8_t d[SHA256_DIGEST_SIZE];
    char hex[2 * SHA256_DIGEST_SIZE + 1];
    sha256(data, len, d);
    to_hex(d, sizeof d, hex);
    CHECK_STR(hex, want);
}

/* Check HMAC-SHA-256 of msg under key starts with the hex `want` (shorter for truncated MACs). */
static void check_hmac(const void *key, size_t key_len, const void *msg, size_t msg_len, const char *want)
{
    uint8_t d[SHA256_DIGEST_SIZE];
    char hex[2 * SHA256_DIGEST_SIZE + 1];
    hmac_sha256(key, key_len, msg, msg_len, d);
    to_hex(d, sizeof d, hex);
    hex[strlen(want)] = '\0';
    CHECK_STR(hex, want);
}

static void test_nist_short_vectors(void)
{
    check_sha("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    check_sha(NULL, 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    check_sha("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    check_sha(m448, strlen(m448), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

/* One million 'a', fed in pieces of 1, 2, ..., 97 bytes (then again), so updates land at every
 * position within a block, some filling the pending block, some spanning several blocks. */
static void test_nist_million_a_uneven(void)
{
    enum { TOTAL = 1000000 };
    static uint8_t buf[97];
    memset(buf, 'a', sizeof buf);
    struct sha256 h;
    sha256_init(&h);
    size_t fed = 0, piece = 1;
    while (fed < TOTAL) {
        size_t n = piece < TOTAL - fed ? piece : TOTAL - fed;
        sha256_update(&h, buf, n);
        fed += n;
        piece = piece % sizeof buf + 1;
    }
    sha256_update(&h, NULL, 0); /* an empty update anywhere changes nothing */
    uint8_t d[SHA256_DIGEST_SIZE];
    char hex[2 * SHA256_DIGEST_SIZE + 1];
    sha256_final(&h, d);
    to_hex(d, sizeof d, hex);
    CHECK_STR(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* Lengths where the padding does (56, 120) and does not (55, 119) spill into an extra block, and
 * exact block multiples (64). Digests from hashlib. */
static void test_padding_boundaries(void)
{
    static const struct {
        size_t len;
        const char *hex;
    } cases[] = {
        {55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
        {56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
        {63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"},
        {64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
        {119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"},
        {120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c"},
    };
    char a[128];
    memset(a, 'a', sizeof a);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_sha(a, cases[i].len, cases[i].hex);
}

/* A 200-byte message (three blocks and a tail) hashed in two and in three updates split at every
 * offset must give the one-shot digest, which must be hashlib's. */
static void test_incremental_every_split(void)
{
    enum { LEN = 200 };
    uint8_t m[LEN];
    for (int i = 0; i < LEN; i++)
        m[i] = (uint8_t)(i * 7 + 3);
    uint8_t want[SHA256_DIGEST_SIZE], got[SHA256_DIGEST_SIZE];
    char hex[2 * SHA256_DIGEST_SIZE + 1];
    sha256(m, LEN, want);
    to_hex(want, sizeof want, hex);
    CHECK_STR(hex, "2c7e18c942ef065b526a2d4e5546283749cd3ddfb51d8fc71f42717363685f46");

    int bad_two = 0, bad_three = 0;
    for (size_t i = 0; i <= LEN; i++) {
        struct sha256 h;
        sha256_init(&h);
        sha256_update(&h, m, i);
        sha256_update(&h, m + i, LEN - i);
        sha256_final(&h, got);
        bad_two += memcmp(got, want, sizeof want) != 0;
        for (size_t j = i; j <= LEN; j++) {
            sha256_init(&h);
            sha256_update(&h, m, i);
            sha256_update(&h, m + i, j - i);
            sha256_update(&h, m + j, LEN - j);
            sha256_final(&h, got);
            bad_three += memcmp(got, want, sizeof want) != 0;
        }
    }
    CHECK_INT(bad_two, 0);
    CHECK_INT(bad_three, 0);
}

/* RFC 4231 §4.2–4.8. */
static void test_hmac_rfc4231(void)
{
    uint8_t key[131], data[50];

    /* 1: 20-byte key */
    memset(key, 0x0b, 20);
    check_hmac(key, 20, "Hi There", 8, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");

    /* 2: a key shorter than the output */
    check_hmac("Jefe", 4, "what do ya want for nothing?", 28,
               "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");

    /* 3: 50 bytes of data, every byte 0xdd */
    memset(key, 0xaa, 20);
    memset(data, 0xdd, 50);
    check_hmac(key, 20, data, 50, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");

    /* 4: key 0x01..0x19 */
    for (int i = 0; i < 25; i++)
        key[i] = (uint8_t)(i + 1);
    memset(data, 0xcd, 50);
    check_hmac(key, 25, data, 50, "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");

    /* 5: output truncated to 128 bits; the first 16 bytes must match */
    memset(key, 0x0c, 20);
    check_hmac(key, 20, "Test With Truncation", 20, "a3b6167473100ee06e0c796c2955552b");

    /* 6: a 131-byte key, longer than a block, so hashed first */
    memset(key, 0xaa, 131);
    const char *m6 = "Test Using Larger Than Block-Size Key - Hash Key First";
    check_hmac(key, 131, m6, strlen(m6), "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");

    /* 7: a long key and data longer than a block */
    const char *m7 = "This is a test using a larger than block-size key and a larger than block-size data. "
                     "The key needs to be hashed before being used by the HMAC algorithm.";
    check_hmac(key, 131, m7, strlen(m7), "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

/* Keys right at the block size: 64 bytes are used as they are, 65 are hashed first (so HMAC under
 * the 65-byte key equals HMAC under its digest). Empty key and message. Digests from hmac. */
static void test_hmac_key_lengths(void)
{
    uint8_t key[65];
    for (int i = 0; i < 65; i++)
        key[i] = (uint8_t)(i + 1);
    check_hmac(key, 64, "imgmock", 7, "9094f77986befa01fd11e1a5844a32c3a54a6abcfde0ee4c5c3664482451b6e2");
    check_hmac(key, 65, "imgmock", 7, "c35fb2afb7de06d60d30c945841bae001b7837e92a1c256b81e78a5833e4f12e");

    uint8_t hashed[SHA256_DIGEST_SIZE], a[SHA256_DIGEST_SIZE], b[SHA256_DIGEST_SIZE];
    sha256(key, 65, hashed);
    hmac_sha256(key, 65, "imgmock", 7, a);
    hmac_sha256(hashed, sizeof hashed, "imgmock", 7, b);
    CHECK(memcmp(a, b, sizeof a) == 0);

    check_hmac(NULL, 0, NULL, 0, "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

static void test_equal(void)
{
    uint8_t a[40], b[40];
    for (int i = 0; i < 40; i++)
        a[i] = b[i] = (uint8_t)(i * 37);
    CHECK_INT(sha256_equal(a, b, 40), 1);
    CHECK_INT(sha256_equal(a, b, 0), 1);
    CHECK_INT(sha256_equal(NULL, NULL, 0), 1);
    /* a difference in any position, and in any single bit, is seen */
    int missed = 0;
    for (int i = 0; i < 40; i++)
        for (int bit = 0; bit < 8; bit++) {
            b[i] ^= (uint8_t)(1u << bit);
            missed += sha256_equal(a, b, 40) != 0;
            missed += sha256_equal(b, a, 40) != 0;
            b[i] ^= (uint8_t)(1u << bit);
        }
    CHECK_INT(missed, 0);
    /* every possible byte difference, not just single bits */
    for (int x = 1; x < 256; x++) {
        b[39] = (uint8_t)(a[39] ^ x);
        missed += sha256_equal(a, b, 40) != 0;
    }
    CHECK_INT(missed, 0);
    /* a difference past len does not count */
    CHECK_INT(sha256_equal(a, b, 39), 1);
}

UNIT_MAIN(UNIT_TEST(test_nist_short_vectors), UNIT_TEST(test_nist_million_a_uneven),
          UNIT_TEST(test_padding_boundaries), UNIT_TEST(test_incremental_every_split),
          UNIT_TEST(test_hmac_rfc4231), UNIT_TEST(test_hmac_key_lengths), UNIT_TEST(test_equal))
