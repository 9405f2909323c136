/* fuzz_base64.c — base64 both ways, against a reference written bit by bit.
 *
 * base64_decode() reads HTTP Basic credentials (attacker-controlled text) and base64_encode()
 * writes every b64_json image, so both must be exact on every input, not just the RFC vectors.
 * Each input is used three ways:
 *   - encoded: the text must equal the reference's, have BASE64_ENCODED_SIZE characters, give
 *     the same text when encoded in pieces (every piece but the last a multiple of 3 bytes, as
 *     the streaming writer does), and decode back to the input;
 *   - decoded as text: the answer must equal the reference decoder's (which accepts canonical
 *     padded base64 only), fit in BASE64_DECODED_MAX, and re-encode to exactly the input;
 *   - its first byte picks the piece length.
 * Output buffers are exactly as large as the header promises, so AddressSanitizer sees any byte
 * written past them.
 */
#include <string.h>

#include "base64.h"
#include "fuzz.h"

#define FAILED ((size_t)-1)

static const char ref_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* The reference encoder: one output character per six bits, taken from a bit counter. */
static void ref_encode(const uint8_t *in, size_t len, char *out)
{
    size_t bits = len * 8, o = 0;
    for (size_t bit = 0; bit < bits; bit += 6) {
        unsigned v = 0;
        for (size_t k = 0; k < 6; k++) {
            size_t b = bit + k;
            unsigned one = b < bits ? (in[b / 8] >> (7 - b % 8)) & 1 : 0;
            v = v << 1 | one;
        }
        out[o++] = ref_alphabet[v];
    }
    while (o % 4)
        out[o++] = '=';
}

static int ref_value(unsigned char c)
{
    const char *hit = c ? memchr(ref_alphabet, c, 64) : NULL;
    return hit ? (int)(hit - ref_alphabet) : -1;
}

/* The reference decoder: canonical padded base64 only (RFC 4648 §3.5: padding bits zero). */
static size_t ref_decode(const char *in, size_t len, uint8_t *out)
{
    if (len % 4)
        return FAILED;
    size_t pad = 0;
    if (len >= 4 && in[len - 1] == '=')
        pad = in[len - 2] == '=' ? 2 : 1;
    size_t chars = len - pad, bits = 0, n = 0;
    uint32_t acc = 0;
    for (size_t i = 0; i < chars; i++) {
        int v = ref_value((unsigned char)in[i]);
        if (v < 0)
            return FAILED;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (acc != 0) /* leftover bits must be zero */
        return FAILED;
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* encode */
    size_t elen = BASE64_ENCODED_SIZE(size);
    char *text = malloc(elen + 1), *ref = malloc(elen + 1), *pieces = malloc(elen + 1);
    uint8_t *back = malloc(BASE64_DECODED_MAX(elen));
    FUZZ_CHECK(text && ref && pieces && back);
    base64_encode(data, size, text);
    ref_encode(data, size, ref);
    FUZZ_CHECK(!memcmp(text, ref, elen));
    size_t piece = size ? 3 * (1 + data[0] % 8) : 3, o = 0;
    for (size_t i = 0; i < size; i += piece) {
        size_t n = size - i < piece ? size - i : piece;
        base64_encode(data + i, n, pieces + o);
        o += BASE64_ENCODED_SIZE(n);
    }
    FUZZ_CHECK(o == elen && !memcmp(pieces, text, elen));
    FUZZ_CHECK(base64_decode(text, elen, back) == size && !memcmp(back, data, size));
    free(text);
    free(ref);
    free(pieces);
    free(back);

    /* decode */
    uint8_t *got = malloc(BASE64_DECODED_MAX(size)), *want = malloc(BASE64_DECODED_MAX(size) + 1);
    FUZZ_CHECK(got && want);
    size_t n = base64_decode((const char *)data, size, got);
    size_t w = ref_decode((const char *)data, size, want);
    FUZZ_CHECK(n == w);
    if (n != FAILED) {
        FUZZ_CHECK(n <= BASE64_DECODED_MAX(size) && !memcmp(got, want, n));
        char *again = malloc(BASE64_ENCODED_SIZE(n) + 1);
        FUZZ_CHECK(again);
        base64_encode(got, n, again);
        FUZZ_CHECK(BASE64_ENCODED_SIZE(n) == size && !memcmp(again, data, size));
        free(again);
    }
    free(got);
    free(want);
    return 0;
}
