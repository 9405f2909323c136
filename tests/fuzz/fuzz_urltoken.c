/* fuzz_urltoken.c — signed image URLs: forged tokens refused, real ones round-trip.
 *
 * GET /images/{token} hands urltoken_check() whatever path a client asks for, so it must refuse
 * every token it did not sign without reading past the text, and accept every token it did.
 * Each input is used twice, deterministically:
 *   - as a token (all of it) checked under a fixed secret: no crash, no read past the text, and
 *     nothing accepted but a whole token in the url-safe alphabet naming a key a real image has
 *     (a forgery would need the HMAC, so in practice everything is refused);
 *   - as the fields of a key, an expiry and a clock, for a round trip: make, then check must
 *     answer OK with the same key (or EXPIRED past the expiry, or INVALID for fields no real
 *     image has); the same token with any one character changed, cut short, or checked under
 *     another secret must be refused.
 */
#include <string.h>

#include "fuzz.h"
#include "urltoken.h"

static const char secret[] = "imgmock-fuzz-secret";
#define SECRET_LEN (sizeof secret - 1)

static const char url_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* The key's fields as urltoken.c promises to accept them: a final image no larger than the API
 * allows, a known format, a JPEG quality, an alpha flag. */
static int key_is_valid(const struct cache_key *k)
{
    return k->width >= 1 && k->width <= 16383 && k->height >= 1 && k->height <= 16383 && k->format <= 2 &&
           k->quality <= 100 && k->transparent <= 1;
}

static void check_forgery(const uint8_t *data, size_t size)
{
    struct cache_key key;
    memset(&key, 0xA5, sizeof key);
    enum urltoken_status st = urltoken_check(secret, SECRET_LEN, (const char *)data, size, 0, &key);
    FUZZ_CHECK(st == URLTOKEN_OK || st == URLTOKEN_INVALID || st == URLTOKEN_EXPIRED);
    if (st != URLTOKEN_INVALID)
        FUZZ_CHECK(size == URLTOKEN_LEN); /* only a whole, well-signed token gets this far */
    if (st == URLTOKEN_OK) {
        FUZZ_CHECK(key_is_valid(&key));
        for (size_t i = 0; i < size; i++)
            FUZZ_CHECK(memchr(url_alphabet, data[i], sizeof url_alphabet - 1) != NULL);
    }
}

static void check_round_trip(const uint8_t *data, size_t size)
{
    struct fuzz_bytes in = {data, size};
    struct cache_key key;
    memset(&key, 0, sizeof key); /* padding too: the key is compared whole below */
    key.seed = fuzz_u64(&in, 8);
    uint8_t shape = fuzz_u8(&in); /* bit 0: raw fields (mostly out of range), else clamped */
    key.width = (uint32_t)fuzz_u64(&in, 2);
    key.height = (uint32_t)fuzz_u64(&in, 2);
    key.format = fuzz_u8(&in);
    key.quality = fuzz_u8(&in);
    key.transparent = fuzz_u8(&in);
    if (!(shape & 1)) {
        key.width = key.width % 16383 + 1;
        key.height = key.height % 16383 + 1;
        key.format %= 3;
        key.quality %= 101;
        key.transparent &= 1;
    }
    uint64_t expires = fuzz_u64(&in, 8), now = fuzz_u64(&in, 8);
    uint8_t where = fuzz_u8(&in), with = fuzz_u8(&in);

    char token[URLTOKEN_LEN + 1];
    urltoken_make(secret, SECRET_LEN, &key, expires, token);
    FUZZ_CHECK(strlen(token) == URLTOKEN_LEN && strspn(token, url_alphabet) == URLTOKEN_LEN);

    struct cache_key back;
    memset(&back, 0, sizeof back);
    enum urltoken_status st = urltoken_check(secret, SECRET_LEN, token, URLTOKEN_LEN, now, &back);
    if (!key_is_valid(&key))
        FUZZ_CHECK(st == URLTOKEN_INVALID);
    else if (expires < now)
        FUZZ_CHECK(st == URLTOKEN_EXPIRED);
    else {
        FUZZ_CHECK(st == URLTOKEN_OK);
        FUZZ_CHECK(!memcmp(&back, &key, sizeof key));
    }

    /* one character changed, to anything else at all: refused */
    char forged[URLTOKEN_LEN + 1];
    memcpy(forged, token, sizeof forged);
    size_t at = where % URLTOKEN_LEN;
    forged[at] = (char)(with == (uint8_t)token[at] ? with ^ 1 : with);
    FUZZ_CHECK(urltoken_check(secret, SECRET_LEN, forged, URLTOKEN_LEN, 0, &back) == URLTOKEN_INVALID);

    /* cut short, or under another secret: refused */
    FUZZ_CHECK(urltoken_check(secret, SECRET_LEN, token, URLTOKEN_LEN - 1 - where % 8, 0, &back) ==
               URLTOKEN_INVALID);
    FUZZ_CHECK(urltoken_check(secret, SECRET_LEN - 1, token, URLTOKEN_LEN, 0, &back) == URLTOKEN_INVALID);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_forgery(data, size);
    check_round_trip(data, size);
    return 0;
}
