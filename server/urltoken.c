/* urltoken.c — a fixed 24-byte payload, big-endian, signed and base64url-encoded. */
#include "urltoken.h"

#include <string.h>

#include "base64.h"
#include "sha256.h"

enum {
    VERSION = 1,
    PAYLOAD = 24, /* version 1, expiry 8, seed 8, width 2, height 2, format 1, quality 1, alpha 1 */
    MAC = 16,     /* bytes of the HMAC kept: 128 bits */
    RAW = PAYLOAD + MAC,
    EDGE_MAX = 16383, /* no URL names a larger image than the API allows */
};

static void put_be(uint8_t *p, uint64_t v, int bytes)
{
    for (int i = bytes - 1; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

static uint64_t get_be(const uint8_t *p, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v = v << 8 | p[i];
    return v;
}

void urltoken_make(const void *secret, size_t secret_len, const struct cache_key *key, uint64_t expires,
                   char out[URLTOKEN_LEN + 1])
{
    uint8_t raw[RAW], mac[SHA256_DIGEST_SIZE];
    raw[0] = VERSION;
    put_be(raw + 1, expires, 8);
    put_be(raw + 9, key->seed, 8);
    put_be(raw + 17, key->width, 2);
    put_be(raw + 19, key->height, 2);
    raw[21] = key->format;
    raw[22] = key->quality;
    raw[23] = key->transparent;
    hmac_sha256(secret, secret_len, raw, PAYLOAD, mac);
    memcpy(raw + PAYLOAD, mac, MAC);
    char text[BASE64_ENCODED_SIZE(RAW)];
    base64_encode(raw, RAW, text);
    for (int i = 0; i < URLTOKEN_LEN; i++) /* base64url: - and _ instead of + and /, no padding */
        out[i] = text[i] == '+' ? '-' : text[i] == '/' ? '_' : text[i];
    out[URLTOKEN_LEN] = '\0';
}

enum urltoken_status urltoken_check(const void *secret, size_t secret_len, const char *token, size_t len,
                                    uint64_t now, struct cache_key *key)
{
    if (len != URLTOKEN_LEN)
        return URLTOKEN_INVALID;
    char text[URLTOKEN_LEN + 2];
    for (size_t i = 0; i < len; i++) {
        if (token[i] == '+' || token[i] == '/' || token[i] == '=')
            return URLTOKEN_INVALID; /* only the url-safe alphabet is canonical */
        text[i] = token[i] == '-' ? '+' : token[i] == '_' ? '/' : token[i];
    }
    text[URLTOKEN_LEN] = text[URLTOKEN_LEN + 1] = '=';
    uint8_t raw[BASE64_DECODED_MAX(URLTOKEN_LEN + 2)], mac[SHA256_DIGEST_SIZE];
    if (base64_decode(text, sizeof text, raw) != RAW)
        return URLTOKEN_INVALID;
    hmac_sha256(secret, secret_len, raw, PAYLOAD, mac);
    if (!sha256_equal(mac, raw + PAYLOAD, MAC) || raw[0] != VERSION)
        return URLTOKEN_INVALID;
    struct cache_key k = {
        .seed = get_be(raw + 9, 8),
        .width = (uint32_t)get_be(raw + 17, 2),
        .height = (uint32_t)get_be(raw + 19, 2),
        .format = raw[21],
        .quality = raw[22],
        .transparent = raw[23],
    };
    if (!k.width || !k.height || k.width > EDGE_MAX || k.height > EDGE_MAX || k.format > 2 || k.quality > 100 ||
        k.transparent > 1)
        return URLTOKEN_INVALID; /* signed by us, so only a bug could get here: refuse, don't trust */
    if (get_be(raw + 1, 8) < now)
        return URLTOKEN_EXPIRED;
    *key = k;
    return URLTOKEN_OK;
}
