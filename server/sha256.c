/* sha256.c — SHA-256 as FIPS 180-4 §6.2 specifies it, HMAC as RFC 2104 builds it on top.
 *
 * Image URLs are signed so that any imgmock sharing the --secret can verify them; that needs one
 * hash and one MAC, not a crypto library. Speed hardly matters (a signature covers a few hundred
 * bytes), so the compression function is the specification's loop, written for clarity rather
 * than unrolled. Words are read and written big-endian byte by byte, so the code does not depend
 * on the host's byte order or on alignment. Buffers that held key material are wiped through a
 * volatile pointer before they go out of scope, so a stack left behind does not leak the secret.
 */
#include "sha256.h"

#include <string.h>

/* FIPS 180-4 §4.2.2: the first 32 bits of the fractional parts of the cube roots of the first
 * 64 primes. */
static const uint32_t round_constants[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/* FIPS 180-4 §5.3.3: the first 32 bits of the fractional parts of the square roots of the first
 * 8 primes. */
static const uint32_t initial_state[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

/* Overwrite n bytes at p with zeros in a way the compiler may not drop as a dead store: plain
 * memset() on a buffer that is about to die is exactly what optimisers remove. */
static void wipe(void *p, size_t n)
{
    volatile unsigned char *b = p;
    while (n--)
        *b++ = 0;
}

static uint32_t rotr(uint32_t x, unsigned n)
{
    return (x >> n) | (x << (32 - n));
}

static uint32_t load_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void store_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* FIPS 180-4 §6.2.2: fold one 64-byte block into the chaining value. */
static void compress(uint32_t state[8], const uint8_t block[SHA256_BLOCK_SIZE])
{
    uint32_t w[64]; /* the message schedule */
    for (int t = 0; t < 16; t++)
        w[t] = load_be32(block + 4 * t);
    for (int t = 16; t < 64; t++) {
        uint32_t s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
        uint32_t s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
        w[t] = s1 + w[t - 7] + s0 + w[t - 16];
    }

    uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
    uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
    for (int t = 0; t < 64; t++) {
        uint32_t sum1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
        uint32_t ch = (e & f) ^ (~e & g);
        uint32_t t1 = h + sum1 + ch + round_constants[t] + w[t];
        uint32_t sum0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
        uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
        uint32_t t2 = sum0 + maj;
        h = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    state[0] += a;
    state[1] += b;
    state[2] += c;
    state[3] += d;
    state[4] += e;
    state[5] += f;
    state[6] += g;
    state[7] += h;
    /* the schedule is a function of the message, which under HMAC is the padded key */
    wipe(w, sizeof w);
}

void sha256_init(struct sha256 *h)
{
    memcpy(h->state, initial_state, sizeof h->state);
    h->length = 0;
    h->used = 0;
}

void sha256_update(struct sha256 *h, const void *data, size_t len)
{
    /* data may be NULL when len is 0; even NULL + 0 is undefined, so leave before touching it */
    if (!len)
        return;
    const uint8_t *p = data;
    h->length += len;
    if (h->used) {
        size_t take = SHA256_BLOCK_SIZE - h->used;
        if (take > len)
            take = len;
        memcpy(h->block + h->used, p, take);
        h->used += take;
        p += take;
        len -= take;
        if (h->used < SHA256_BLOCK_SIZE)
            return;
        compress(h->state, h->block);
        h->used = 0;
    }
    /* whole blocks straight from the caller's buffer, without copying them through h->block */
    for (; len >= SHA256_BLOCK_SIZE; p += SHA256_BLOCK_SIZE, len -= SHA256_BLOCK_SIZE)
        compress(h->state, p);
    if (len) {
        memcpy(h->block, p, len);
        h->used = len;
    }
}

void sha256_final(struct sha256 *h, uint8_t out[SHA256_DIGEST_SIZE])
{
    /* FIPS 180-4 §5.1.1: a 1 bit, zeros up to 56 mod 64 bytes, then the length in bits as a
     * 64-bit big-endian number (mod 2^64, which no real input reaches). */
    uint64_t bits = h->length * 8;
    h->block[h->used++] = 0x80;
    if (h->used > SHA256_BLOCK_SIZE - 8) {
        memset(h->block + h->used, 0, SHA256_BLOCK_SIZE - h->used);
        compress(h->state, h->block);
        h->used = 0;
    }
    memset(h->block + h->used, 0, SHA256_BLOCK_SIZE - 8 - h->used);
    store_be32(h->block + 56, (uint32_t)(bits >> 32));
    store_be32(h->block + 60, (uint32_t)bits);
    compress(h->state, h->block);
    for (int i = 0; i < 8; i++)
        store_be32(out + 4 * i, h->state[i]);
    /* the context may have hashed a key; leave nothing of it behind (re-init before reuse) */
    wipe(h, sizeof *h);
}

void sha256(const void *data, size_t len, uint8_t out[SHA256_DIGEST_SIZE])
{
    struct sha256 h;
    sha256_init(&h);
    sha256_update(&h, data, len);
    sha256_final(&h, out);
}

void hmac_sha256(const void *key, size_t key_len, const void *msg, size_t msg_len,
                 uint8_t out[SHA256_DIGEST_SIZE])
{
    /* RFC 2104 §2: K0 is the key zero-padded to the block size, or, for a key longer than a
     * block, its hash zero-padded. HMAC = H((K0 ^ opad) || H((K0 ^ ipad) || msg)). */
    uint8_t k0[SHA256_BLOCK_SIZE] = {0};
    if (key_len > SHA256_BLOCK_SIZE)
        sha256(key, key_len, k0);
    else if (key_len)
        memcpy(k0, key, key_len);

    uint8_t pad[SHA256_BLOCK_SIZE]; /* K0 ^ ipad, then K0 ^ opad */
    uint8_t inner[SHA256_DIGEST_SIZE];
    struct sha256 h;

    for (int i = 0; i < SHA256_BLOCK_SIZE; i++)
        pad[i] = k0[i] ^ 0x36;
    sha256_init(&h);
    sha256_update(&h, pad, sizeof pad);
    sha256_update(&h, msg, msg_len);
    sha256_final(&h, inner);

    for (int i = 0; i < SHA256_BLOCK_SIZE; i++)
        pad[i] = k0[i] ^ 0x5c;
    sha256_init(&h);
    sha256_update(&h, pad, sizeof pad);
    sha256_update(&h, inner, sizeof inner);
    sha256_final(&h, out);

    wipe(k0, sizeof k0);
    wipe(pad, sizeof pad);
    wipe(inner, sizeof inner);
}

int sha256_equal(const void *a, const void *b, size_t len)
{
    const uint8_t *x = a, *y = b;
    /* OR every difference together and decide only at the end: no branch or early exit depends
     * on the data. volatile stops the compiler from turning the loop back into one that stops at
     * the first difference. */
    volatile uint8_t diff = 0;
    for (size_t i = 0; i < len; i++)
        diff |= x[i] ^ y[i];
    /* (diff - 1) >> 8 is all ones exactly when diff is 0, computed without a comparison */
    return (int)(1 & (((unsigned)diff - 1) >> 8));
}
