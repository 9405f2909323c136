/* encode_webp.c — a small built-in lossless WebP (VP8L) encoder, written from RFC 9649.
 *
 * imgmock must answer output_format "webp" without linking libwebp, and the images it serves are
 * synthesized (smooth gradients with shapes), so a lossless encoder that models gradients well is
 * both exact and small enough. It writes the simple file format: a RIFF 'WEBP' header and one
 * 'VP8L' chunk (alpha, if any, lives in the VP8L bitstream itself). The VP8L subset written:
 *
 *   - transforms: subtract-green, then a predictor transform over 32x32 blocks, each block
 *     taking whichever of L, T, Select and ClampAddSubtractFull (modes 1, 2, 11, 12) leaves the
 *     cheapest residuals by a log-magnitude estimate; the predictor sub-image is stored as
 *     literals under its own five prefix codes;
 *   - no color cache and a single prefix code group (no meta prefix codes / entropy image);
 *   - greedy LZ77: at each pixel the longest match among the pixel above, the pixel to the left,
 *     the two upper diagonals and a 32-deep hash chain (keyed on four pixels) over a window of
 *     up to 2^18 pixels; distances take the 2-D neighbourhood codes 1..120 where one fits, else
 *     distance + 120;
 *   - five canonical prefix codes built from the real histograms, limited to 15 bits; codes with
 *     at most two symbols, all below 256, use the "simple" form (a one-symbol code costs zero
 *     bits per symbol), all others the normal form, whose lengths are run-length coded with
 *     symbols 0..18 under a code-length code limited to 7 bits.
 *
 * The whole bitstream is built in one growing buffer (the RIFF header needs its size), then
 * handed to the sink in 64 KiB pieces. Working memory is about 8 bytes per pixel plus the
 * output. There is no global state and no floating point, so the same pixels give the same
 * bytes everywhere.
 */
#include "encode.h"

#include <stdlib.h>
#include <string.h>

enum {
    NUM_LITERALS = 256,
    NUM_LENGTH_CODES = 24,
    GREEN_ALPHABET = NUM_LITERALS + NUM_LENGTH_CODES, /* no color cache */
    DIST_ALPHABET = 40,
    MAX_ALPHABET = GREEN_ALPHABET,
    MAX_CODE_LENGTH = 15,
    CODE_LENGTH_CODES = 19,
    MAX_CODE_LENGTH_CODE_LENGTH = 7,

    PRED_BITS = 5, /* predictor blocks of 32x32 pixels */

    MIN_MATCH = 3,
    MAX_MATCH = 4096,
    MIN_HASH_BITS = 8,    /* the hash table has as many entries as the window, at least 2^8 */
    HASH_PIXELS = 4,      /* chains link positions whose next four pixels hash alike */
    MAX_WINDOW_BITS = 18, /* distances < 2^18, so distance codes fit a token's 19 bits */
    CHAIN_DEPTH = 32,

    HEADER_SIZE = 20,     /* "RIFF" size "WEBP" "VP8L" size */
    SINK_PIECE = 1 << 16,
    VP8L_SIGNATURE = 0x2f,
};

/* A token is either a literal (bit 31 clear; the pixel itself is read from the image) or a
 * backward reference: bit 31 set, length - 1 in bits 19..30, distance code in bits 0..18. */
#define TOKEN_COPY 0x80000000u
#define TOKEN_LEN_SHIFT 19
#define TOKEN_DIST_MASK 0x7ffffu

/* The 120 neighbourhood offsets (xi, yi) of RFC 9649's "Distance Mapping", in code order: code i + 1 means the pixel xi columns to the left and yi rows up. */
static const signed char distance_map[120][2] = {
    {0, 1},  {1, 0},  {1, 1},  {-1, 1}, {0, 2},  {2, 0},  {1, 2},  {-1, 2}, {2, 1},  {-2, 1}, {2, 2},  {-2, 2},
    {0, 3},  {3, 0},  {1, 3},  {-1, 3}, {3, 1},  {-3, 1}, {2, 3},  {-2, 3}, {3, 2},  {-3, 2}, {0, 4},  {4, 0},
    {1, 4},  {-1, 4}, {4, 1},  {-4, 1}, {3, 3},  {-3, 3}, {2, 4},  {-2, 4}, {4, 2},  {-4, 2}, {0, 5},  {3, 4},
    {-3, 4}, {4, 3},  {-4, 3}, {5, 0},  {1, 5},  {-1, 5}, {5, 1},  {-5, 1}, {2, 5},  {-2, 5}, {5, 2},  {-5, 2},
    {4, 4},  {-4, 4}, {3, 5},  {-3, 5}, {5, 3},  {-5, 3}, {0, 6},  {6, 0},  {1, 6},  {-1, 6}, {6, 1},  {-6, 1},
    {2, 6},  {-2, 6}, {6, 2},  {-6, 2}, {4, 5},  {-4, 5}, {5, 4},  {-5, 4}, {3, 6},  {-3, 6}, {6, 3},  {-6, 3},
    {0, 7},  {7, 0},  {1, 7},  {-1, 7}, {5, 5},  {-5, 5}, {7, 1},  {-7, 1}, {4, 6},  {-4, 6}, {6, 4},  {-6, 4},
    {2, 7},  {-2, 7}, {7, 2},  {-7, 2}, {3, 7},  {-3, 7}, {7, 3},  {-7, 3}, {5, 6},  {-5, 6}, {6, 5},  {-6, 5},
    {8, 0},  {4, 7},  {-4, 7}, {7, 4},  {-7, 4}, {8, 1},  {8, 2},  {6, 6},  {-6, 6}, {8, 3},  {5, 7},  {-5, 7},
    {7, 5},  {-7, 5}, {8, 4},  {6, 7},  {-6, 7}, {7, 6},  {-7, 6}, {8, 5},  {7, 7},  {-7, 7}, {8, 6},  {8, 7},
};

/* The order in which the code-length code's own lengths are stored. */
static const unsigned char code_length_order[CODE_LENGTH_CODES] = {17, 18, 0, 1,  2,  3,  4,  5,  16, 6,
                                                                   7,  8,  9, 10, 11, 12, 13, 14, 15};

/* ---- bit writer ------------------------------------------------------------------------------ */

/* Bits go out least significant first, as VP8L reads them. The buffer grows by doubling; on a
 * failed realloc `failed` is set and further writes are dropped, so callers check once at the end. */
struct bitwriter {
    uint8_t *buf;
    size_t len, cap;
    uint64_t acc; /* pending bits, the oldest in bit 0 */
    int nbits;
    int failed;
};

static int bw_reserve(struct bitwriter *bw, size_t extra)
{
    if (bw->failed)
        return -1;
    if (bw->cap - bw->len >= extra)
        return 0;
    size_t cap = bw->cap ? bw->cap : 4096;
    while (cap - bw->len < extra) {
        if (cap > (size_t)-1 / 2) {
            bw->failed = 1;
            return -1;
        }
        cap *= 2;
    }
    uint8_t *p = realloc(bw->buf, cap);
    if (!p) {
        bw->failed = 1;
        return -1;
    }
    bw->buf = p;
    bw->cap = cap;
    return 0;
}

/* Append the low n bits of v (n <= 32, v < 2^n). */
static inline void bw_put(struct bitwriter *bw, uint32_t v, int n)
{
    bw->acc |= (uint64_t)v << bw->nbits;
    bw->nbits += n;
    if (bw->nbits >= 32) {
        if (bw->cap - bw->len < 4 && bw_reserve(bw, 4) != 0) {
            bw->nbits -= 32;
            bw->acc >>= 32;
            return;
        }
        uint8_t *p = bw->buf + bw->len;
        p[0] = (uint8_t)bw->acc;
        p[1] = (uint8_t)(bw->acc >> 8);
        p[2] = (uint8_t)(bw->acc >> 16);
        p[3] = (uint8_t)(bw->acc >> 24);
        bw->len += 4;
        bw->acc >>= 32;
        bw->nbits -= 32;
    }
}

/* Write out the last partial bytes, zero-padded. */
static void bw_finish(struct bitwriter *bw)
{
    if (bw_reserve(bw, 8) != 0)
        return;
    while (bw->nbits > 0) {
        bw->buf[bw->len++] = (uint8_t)bw->acc;
        bw->acc >>= 8;
        bw->nbits -= 8;
    }
    bw->acc = 0;
    bw->nbits = 0;
}

/* ---- pixel arithmetic (per 8-bit channel, modulo 256, on packed ARGB) ------------------------- */

static inline uint32_t sub_pixels(uint32_t a, uint32_t b)
{
    /* alpha/green and red/blue lanes separately; the spare byte between lanes absorbs borrows */
    uint32_t ag = 0x00ff00ffu + (a & 0xff00ff00u) - (b & 0xff00ff00u);
    uint32_t rb = 0xff00ff00u + (a & 0x00ff00ffu) - (b & 0x00ff00ffu);
    return (ag & 0xff00ff00u) | (rb & 0x00ff00ffu);
}

static inline int clamp255(int v)
{
    return v < 0 ? 0 : v > 255 ? 255 : v;
}

/* One 8-bit channel of a pixel, as an int; the channel helpers below are unrolled by hand. */
#define CHANNEL(p, shift) ((int)((p) >> (shift) & 255))

static inline uint32_t clamp_add_subtract_full(uint32_t a, uint32_t b, uint32_t c)
{
#define FULL(s) ((uint32_t)clamp255(CHANNEL(a, s) + CHANNEL(b, s) - CHANNEL(c, s)) << (s))
    return FULL(0) | FULL(8) | FULL(16) | FULL(24);
#undef FULL
}

/* The Select predictor: L or T, whichever is nearer (Manhattan, over ARGB) to the estimate
 * L + T - TL; the distance to L is the sum of |T - TL|, the distance to T that of |L - TL|. */
static inline uint32_t select_pred(uint32_t l, uint32_t t, uint32_t tl)
{
#define AD(p, s) abs(CHANNEL(p, s) - CHANNEL(tl, s))
    int dist_l = AD(t, 0) + AD(t, 8) + AD(t, 16) + AD(t, 24);
    int dist_t = AD(l, 0) + AD(l, 8) + AD(l, 16) + AD(l, 24);
#undef AD
    return dist_l < dist_t ? l : t;
}

/* Residuals (pixel - prediction) of cur[x0..x1) under predictor `mode` (1 L, 2 T, 11 Select,
 * 12 ClampAddSubtractFull: the ones pred_candidates lists), into out[x0..x1). For interior
 * pixels only: x0 >= 1 and a row above exists. */
static void predict_row(int mode, const uint32_t *cur, const uint32_t *top, size_t x0, size_t x1,
                        uint32_t *out)
{
    size_t x;
    switch (mode) {
    case 1:
        for (x = x0; x < x1; x++)
            out[x] = sub_pixels(cur[x], cur[x - 1]);
        break;
    case 2:
        for (x = x0; x < x1; x++)
            out[x] = sub_pixels(cur[x], top[x]);
        break;
    case 11:
        for (x = x0; x < x1; x++)
            out[x] = sub_pixels(cur[x], select_pred(cur[x - 1], top[x], top[x - 1]));
        break;
    default: /* 12 */
        for (x = x0; x < x1; x++)
            out[x] = sub_pixels(cur[x], clamp_add_subtract_full(cur[x - 1], top[x], top[x - 1]));
        break;
    }
}

/* ---- transforms ------------------------------------------------------------------------------ */

/* RGBA or RGB bytes to packed ARGB with green subtracted from red and blue (the subtract-green
 * transform). Without alpha, alpha is taken as 255 whatever the bytes say. */
static void to_argb_subtract_green(const struct image_pixels *px, uint32_t *argb, size_t n)
{
    const uint8_t *p = px->rgba;
    unsigned step = (unsigned)px->channels;
    int alpha_byte = px->has_alpha && step == 4;
    for (size_t i = 0; i < n; i++, p += step) {
        uint32_t g = p[1];
        uint32_t r = (uint32_t)(p[0] - g) & 255, b = (uint32_t)(p[2] - g) & 255;
        argb[i] = (alpha_byte ? (uint32_t)p[3] << 24 : 0xff000000u) | r << 16 | g << 8 | b;
    }
}

/* An estimate, in 1/16 bits, of what coding one residual byte costs: about log2 of its
 * magnitude as a signed value. Only the ordering matters; it steers the predictor choice. */
static void residual_cost_table(uint16_t cost[256])
{
    for (int v = 0; v < 256; v++) {
        int m = v < 128 ? v : 256 - v;
        if (m == 0) {
            cost[v] = 0;
            continue;
        }
        int b = 0;
        while ((m >> (b + 1)) != 0)
            b++;
        int frac = ((m << 4) >> b) & 15; /* the next four bits below the leading one */
        cost[v] = (uint16_t)(16 * (b + 1) + frac);
    }
}

/* The predictors tried per block: L, T, Select and ClampAddSubtractFull. Together they follow
 * horizontal, vertical and diagonal gradients and keep edges; the other ten rarely win on
 * synthesized images and each would cost another pass. */
static const uint8_t pred_candidates[] = {1, 2, 11, 12};
enum { NUM_PRED_CANDIDATES = sizeof pred_candidates };

/* Choose a predictor per block: the candidate whose residuals cost least by
 * residual_cost_table(), ties to the earlier candidate. The cost is sampled on odd rows only,
 * which halves the time for little loss; pixels of the top row and left column are never
 * counted, their prediction being fixed by the format. tmp holds w entries, block_cost
 * bw_ * NUM_PRED_CANDIDATES. */
static void choose_predictors(const uint32_t *argb, size_t w, size_t h, uint8_t *modes, size_t bw_,
                              uint32_t *tmp, uint32_t *block_cost, int has_alpha)
{
    uint16_t cost[256];
    residual_cost_table(cost);
    size_t bs = (size_t)1 << PRED_BITS;
    for (size_t by = 0; by * bs < h; by++) {
        memset(block_cost, 0, bw_ * NUM_PRED_CANDIDATES * sizeof *block_cost);
        size_t y1 = by * bs + bs < h ? by * bs + bs : h;
        for (size_t y = by * bs + 1; y < y1; y += 2) {
            const uint32_t *cur = argb + y * w, *top = cur - w;
            for (size_t m = 0; m < NUM_PRED_CANDIDATES; m++) {
                predict_row(pred_candidates[m], cur, top, 1, w, tmp);
                for (size_t bx = 0; bx < bw_; bx++) {
                    size_t x0 = bx * bs > 0 ? bx * bs : 1, x1 = bx * bs + bs < w ? bx * bs + bs : w;
                    uint32_t c = 0;
                    if (has_alpha) {
                        for (size_t x = x0; x < x1; x++) {
                            uint32_t r = tmp[x];
                            c += (uint32_t)cost[r & 255] + cost[r >> 8 & 255] + cost[r >> 16 & 255] + cost[r >> 24];
                        }
                    } else {
                        for (size_t x = x0; x < x1; x++) {
                            uint32_t r = tmp[x];
                            c += (uint32_t)cost[r & 255] + cost[r >> 8 & 255] + cost[r >> 16 & 255];
                        }
                    }
                    block_cost[bx * NUM_PRED_CANDIDATES + m] += c;
                }
            }
        }
        for (size_t bx = 0; bx < bw_; bx++) {
            const uint32_t *c = block_cost + bx * NUM_PRED_CANDIDATES;
            int best = 0;
            for (int m = 1; m < NUM_PRED_CANDIDATES; m++)
                if (c[m] < c[best])
                    best = m;
            modes[by * bw_ + bx] = pred_candidates[best];
        }
    }
}

/* Replace every pixel by its residual under the chosen predictors, including the format's fixed
 * rules for the first row and column. Rows go bottom-up, each through tmp (w entries), so every
 * prediction still sees original neighbours. */
static void apply_predictors(uint32_t *argb, size_t w, size_t h, const uint8_t *modes, size_t bw_, uint32_t *tmp)
{
    size_t bs = (size_t)1 << PRED_BITS;
    for (size_t y = h; y-- > 0;) {
        uint32_t *cur = argb + y * w;
        if (y == 0) {
            tmp[0] = sub_pixels(cur[0], 0xff000000u);
            for (size_t x = 1; x < w; x++)
                tmp[x] = sub_pixels(cur[x], cur[x - 1]);
        } else {
            const uint32_t *top = cur - w;
            tmp[0] = sub_pixels(cur[0], top[0]);
            for (size_t bx = 0; bx < bw_; bx++) {
                size_t x0 = bx * bs > 0 ? bx * bs : 1, x1 = bx * bs + bs < w ? bx * bs + bs : w;
                predict_row(modes[(y >> PRED_BITS) * bw_ + bx], cur, top, x0, x1, tmp);
            }
        }
        memcpy(cur, tmp, w * sizeof *cur);
    }
}

/* ---- LZ77 ------------------------------------------------------------------------------------ */

/* The VP8L value prefix coding shared by lengths and distance codes: value v >= 1 becomes a
 * prefix symbol plus `*nextra` raw bits holding `*extra`. */
static inline int prefix_encode(uint32_t v, int *nextra, uint32_t *extra)
{
    v -= 1;
    if (v < 4) {
        *nextra = 0;
        *extra = 0;
        return (int)v;
    }
    int h = 31;
    while (!(v >> h))
        h--;
    *nextra = h - 1;
    *extra = v & ((1u << (h - 1)) - 1);
    return 2 * h + (int)(v >> (h - 1) & 1);
}

static inline size_t match_length(const uint32_t *a, const uint32_t *b, size_t max)
{
    size_t n = 0;
    while (n < max && a[n] == b[n])
        n++;
    return n;
}

/* Hash of the HASH_PIXELS pixels starting at p, 32 - shift bits wide. */
static inline uint32_t hash_at(const uint32_t *p, int shift)
{
    uint32_t h = p[0] * 0x1e35a7bdu;
    h = (h ^ (h >> 15)) + p[1] * 0x9e3779b1u;
    h = (h ^ (h >> 13)) * 0x85ebca6bu + p[2];
    h = (h ^ (h >> 16)) * 0xc2b2ae35u + p[3];
    h ^= h >> 16;
    h *= 0x7feb352du;
    return h >> shift;
}

/* Working memory of the LZ77 pass. */
struct lz77 {
    int32_t *head;  /* per hash value the most recent position, -1 for none */
    int hash_bits;
    int32_t *chain; /* window-sized ring: the previous position with the same hash */
    size_t window;  /* a power of two: 2^hash_bits pixels */
    uint8_t *dcode; /* scan-line distance d in 1..7w+8 -> neighbourhood code, 0 for none */
    size_t dcode_len;
};

static int lz77_init(struct lz77 *z, size_t n, size_t w)
{
    memset(z, 0, sizeof *z);
    z->window = (size_t)1 << MIN_HASH_BITS;
    z->hash_bits = MIN_HASH_BITS;
    while (z->window < n && z->window < ((size_t)1 << MAX_WINDOW_BITS)) {
        z->window *= 2;
        z->hash_bits++;
    }
    z->dcode_len = 7 * w + 9;
    z->head = malloc(((size_t)1 << z->hash_bits) * sizeof *z->head);
    z->chain = malloc(z->window * sizeof *z->chain);
    z->dcode = calloc(z->dcode_len, 1);
    if (!z->head || !z->chain || !z->dcode)
        return -1;
    memset(z->head, 0xff, ((size_t)1 << z->hash_bits) * sizeof *z->head);
    memset(z->chain, 0xff, z->window * sizeof *z->chain);
    /* lower codes first, so where the map folds (narrow images) the cheapest code wins */
    for (int i = 0; i < 120; i++) {
        long d = (long)distance_map[i][0] + (long)distance_map[i][1] * (long)w;
        if (d >= 1 && (size_t)d < z->dcode_len && !z->dcode[d])
            z->dcode[d] = (uint8_t)(i + 1);
    }
    return 0;
}

static void lz77_free(struct lz77 *z)
{
    free(z->head);
    free(z->chain);
    free(z->dcode);
}

static inline void lz77_insert(struct lz77 *z, const uint32_t *a, size_t n, size_t i)
{
    if (i + HASH_PIXELS > n)
        return;
    uint32_t h = hash_at(a + i, 32 - z->hash_bits);
    z->chain[i & (z->window - 1)] = z->head[h];
    z->head[h] = (int32_t)i;
}

static inline uint32_t distance_code(const struct lz77 *z, size_t d)
{
    if (d < z->dcode_len && z->dcode[d])
        return z->dcode[d];
    return (uint32_t)d + 120;
}

/* The longest match for position i (0 if none reaches MIN_MATCH), its distance in *dist. Tried
 * in order of cost, keeping the first of equal lengths: the pixel above, the pixel to the left,
 * above-right and above-left (gradients at an angle repeat diagonally), then up to CHAIN_DEPTH
 * earlier positions from the hash chain. */
static size_t find_match(const struct lz77 *z, const uint32_t *a, size_t n, size_t w, size_t i, size_t *dist)
{
    size_t max = n - i < MAX_MATCH ? n - i : MAX_MATCH;
    size_t best = 0, best_d = 0;
    if (max < MIN_MATCH)
        return 0;
    const size_t fixed[4] = {w, 1, w - 1, w + 1};
    for (int k = 0; k < 4 && best < max; k++) {
        size_t d = fixed[k];
        if (d == 0 || d > i)
            continue; /* before the image (narrow images may also repeat a candidate: harmless) */
        if (a[i - d + best] != a[i + best])
            continue;
        size_t l = match_length(a + i, a + i - d, max);
        if (l > best) {
            best = l;
            best_d = d;
        }
    }
    if (best < max && i + HASH_PIXELS <= n) {
        int32_t cand = z->head[hash_at(a + i, 32 - z->hash_bits)];
        for (int depth = CHAIN_DEPTH; cand >= 0 && depth > 0; depth--) {
            size_t d = i - (size_t)cand;
            if (d >= z->window)
                break;
            if (a[(size_t)cand + best] == a[i + best]) {
                size_t l = match_length(a + i, a + cand, max);
                if (l > best) {
                    best = l;
                    best_d = d;
                    if (l == max)
                        break;
                }
            }
            int32_t next = z->chain[(size_t)cand & (z->window - 1)];
            if (next >= cand)
                break;
            cand = next;
        }
    }
    *dist = best_d;
    return best >= MIN_MATCH ? best : 0;
}

/* Greedy LZ77 over the residual image: a copy wherever find_match() finds one, else a literal.
 * Writes one token per literal or copy; returns the token count. */
static size_t lz77_tokens(struct lz77 *z, const uint32_t *a, size_t n, size_t w, uint32_t *tokens)
{
    size_t nt = 0, i = 0;
    while (i < n) {
        size_t d = 0, len = find_match(z, a, n, w, i, &d);
        if (len) {
            tokens[nt++] = TOKEN_COPY | (uint32_t)(len - 1) << TOKEN_LEN_SHIFT | distance_code(z, d);
            for (size_t k = 0; k < len; k++)
                lz77_insert(z, a, n, i + k);
            i += len;
        } else {
            tokens[nt++] = 0;
            lz77_insert(z, a, n, i);
            i++;
        }
    }
    return nt;
}

/* ---- prefix codes ---------------------------------------------------------------------------- */

struct prefix_code {
    uint8_t len[MAX_ALPHABET];   /* bits per symbol; 0 for unused symbols and for a lone symbol */
    uint16_t code[MAX_ALPHABET]; /* the canonical code, bit-reversed for LSB-first writing */
};

struct huff_leaf {
    uint64_t weight;
    int symbol;
};

static int leaf_cmp(const void *pa, const void *pb)
{
    const struct huff_leaf *a = pa, *b = pb;
    if (a->weight != b->weight)
        return a->weight < b->weight ? -1 : 1;
    return a->symbol - b->symbol;
}

/* Huffman code lengths for hist[0..n), at most `limit` bits, for a histogram with at least two
 * non-zero counts (unused symbols get 0). Builds the tree with the two-queue method from leaves
 * sorted by (count, symbol), so it is deterministic; if the tree is too deep, small counts are
 * raised to a doubling floor and it is built again, which flattens it. */
static void huffman_lengths(const uint32_t *hist, int n, int limit, uint8_t *len)
{
    struct huff_leaf leaves[MAX_ALPHABET];
    uint64_t weight[2 * MAX_ALPHABET];
    int parent[2 * MAX_ALPHABET];
    int depth[2 * MAX_ALPHABET];
    int m = 0;
    memset(len, 0, (size_t)n);
    for (uint64_t floor = 1;; floor *= 2) {
        m = 0;
        for (int s = 0; s < n; s++)
            if (hist[s]) {
                leaves[m].weight = hist[s] > floor ? hist[s] : floor;
                leaves[m].symbol = s;
                m++;
            }
        qsort(leaves, (size_t)m, sizeof leaves[0], leaf_cmp);
        for (int i = 0; i < m; i++)
            weight[i] = leaves[i].weight;
        /* nodes 0..m-1 are the sorted leaves, m..2m-2 the internal nodes in creation order
         * (which is also non-decreasing weight order) */
        int li = 0, ii = m, next = m;
        for (; next < 2 * m - 1; next++) {
            int pick[2];
            for (int k = 0; k < 2; k++) {
                if (li < m && (ii >= next || weight[li] <= weight[ii]))
                    pick[k] = li++;
                else
                    pick[k] = ii++;
            }
            weight[next] = weight[pick[0]] + weight[pick[1]];
            parent[pick[0]] = parent[pick[1]] = next;
        }
        int root = 2 * m - 2, max_depth = 0;
        depth[root] = 0;
        for (int i = root - 1; i >= 0; i--) {
            depth[i] = depth[parent[i]] + 1;
            if (depth[i] > max_depth)
                max_depth = depth[i];
        }
        if (max_depth <= limit) {
            for (int i = 0; i < m; i++)
                len[leaves[i].symbol] = (uint8_t)depth[i];
            return;
        }
    }
}

/* Canonical codes from lengths (shortest first, then by symbol), stored bit-reversed. */
static void canonical_codes(struct prefix_code *pc, int n)
{
    int count[MAX_CODE_LENGTH + 1] = {0};
    uint32_t next[MAX_CODE_LENGTH + 1];
    for (int s = 0; s < n; s++)
        count[pc->len[s]]++;
    count[0] = 0;
    uint32_t code = 0;
    for (int b = 1; b <= MAX_CODE_LENGTH; b++) {
        code = (code + (uint32_t)count[b - 1]) << 1;
        next[b] = code;
    }
    for (int s = 0; s < n; s++) {
        int l = pc->len[s];
        if (!l)
            continue;
        uint32_t c = next[l]++, r = 0;
        for (int k = 0; k < l; k++)
            r |= (c >> k & 1) << (l - 1 - k);
        pc->code[s] = (uint16_t)r;
    }
}

/* Lengths for a normal (non-simple) code: a Huffman code, or, with a single used symbol, that
 * symbol and a never-used partner at one bit each, so that every decoder sees a complete code. */
static void normal_code_lengths(const uint32_t *hist, int n, int limit, uint8_t *len)
{
    int used = 0, first = -1;
    for (int s = 0; s < n; s++)
        if (hist[s]) {
            used++;
            if (first < 0)
                first = s;
        }
    if (used >= 2) {
        huffman_lengths(hist, n, limit, len);
        return;
    }
    memset(len, 0, (size_t)n);
    if (first < 0)
        first = 0;
    len[first] = 1;
    len[first == 0 ? 1 : 0] = 1;
}

/* Store code lengths len[0..n) in the normal form: run-length symbols (0..15 literal, 16 repeat
 * the previous non-zero length 3..6 times, 17 and 18 runs of zeros of 3..10 and 11..138), their
 * own prefix code (lengths in code_length_order), and the symbols. */
static void write_code_lengths(struct bitwriter *bw, const uint8_t *len, int n)
{
    uint8_t sym[MAX_ALPHABET], extra[MAX_ALPHABET];
    int ns = 0, prev = 8; /* 16 before any non-zero length repeats 8 */
    for (int i = 0; i < n;) {
        int v = len[i], run = 1;
        while (i + run < n && len[i + run] == v)
            run++;
        i += run;
        if (v == 0) {
            while (run >= 11) {
                int r = run < 138 ? run : 138;
                sym[ns] = 18;
                extra[ns++] = (uint8_t)(r - 11);
                run -= r;
            }
            if (run >= 3) {
                sym[ns] = 17;
                extra[ns++] = (uint8_t)(run - 3);
                run = 0;
            }
            for (; run > 0; run--)
                sym[ns++] = 0;
        } else {
            if (v != prev) {
                sym[ns++] = (uint8_t)v;
                run--;
                prev = v;
            }
            while (run >= 3) {
                int r = run < 6 ? run : 6;
                if (run > 6 && run - 6 < 3)
                    r = run - 3; /* 7 = 4 + 3, 8 = 5 + 3: no literal left over */
                sym[ns] = 16;
                extra[ns++] = (uint8_t)(r - 3);
                run -= r;
            }
            for (; run > 0; run--)
                sym[ns++] = (uint8_t)v;
        }
    }

    uint32_t hist[CODE_LENGTH_CODES] = {0};
    for (int i = 0; i < ns; i++)
        hist[sym[i]]++;
    struct prefix_code clc;
    normal_code_lengths(hist, CODE_LENGTH_CODES, MAX_CODE_LENGTH_CODE_LENGTH, clc.len);
    canonical_codes(&clc, CODE_LENGTH_CODES);

    int count = CODE_LENGTH_CODES;
    while (count > 4 && clc.len[code_length_order[count - 1]] == 0)
        count--;
    bw_put(bw, (uint32_t)(count - 4), 4);
    for (int i = 0; i < count; i++)
        bw_put(bw, clc.len[code_length_order[i]], 3);
    bw_put(bw, 0, 1); /* max_symbol: the whole alphabet */
    for (int i = 0; i < ns; i++) {
        int s = sym[i];
        bw_put(bw, clc.code[s], clc.len[s]);
        if (s == 16)
            bw_put(bw, extra[i], 2);
        else if (s == 17)
            bw_put(bw, extra[i], 3);
        else if (s == 18)
            bw_put(bw, extra[i], 7);
    }
}

/* Build the prefix code for hist[0..n) into pc and store it: the simple form when at most two
 * symbols are used and all are below 256 (none used is stored as the lone symbol 0), else the
 * normal form. */
static void write_prefix_code(struct bitwriter *bw, const uint32_t *hist, int n, struct prefix_code *pc)
{
    int used = 0, s0 = 0, s1 = 0;
    for (int s = 0; s < n; s++)
        if (hist[s]) {
            if (used == 0)
                s0 = s;
            else if (used == 1)
                s1 = s;
            used++;
        }
    memset(pc, 0, sizeof *pc); /* a zero-bit symbol must also have code 0: bw_put ORs it in */
    if (used <= 2 && s0 < 256 && s1 < 256) {
        bw_put(bw, 1, 1); /* simple */
        bw_put(bw, used == 2 ? 1 : 0, 1);
        if (s0 < 2) {
            bw_put(bw, 0, 1);
            bw_put(bw, (uint32_t)s0, 1);
        } else {
            bw_put(bw, 1, 1);
            bw_put(bw, (uint32_t)s0, 8);
        }
        if (used == 2) {
            bw_put(bw, (uint32_t)s1, 8);
            pc->len[s0] = pc->len[s1] = 1; /* s0 < s1: codes 0 and 1 */
            pc->code[s0] = 0;
            pc->code[s1] = 1;
        }
        /* one symbol (or none): len stays 0, it is written with zero bits */
        return;
    }
    bw_put(bw, 0, 1); /* normal */
    normal_code_lengths(hist, n, MAX_CODE_LENGTH, pc->len);
    canonical_codes(pc, n);
    write_code_lengths(bw, pc->len, n);
}

/* ---- entropy-coded image data ---------------------------------------------------------------- */

struct histograms {
    uint32_t green[GREEN_ALPHABET], red[NUM_LITERALS], blue[NUM_LITERALS], alpha[NUM_LITERALS],
        dist[DIST_ALPHABET];
};

/* Write the five prefix codes and the pixels of an image: argb[0..n), and tokens[0..ntok) from
 * lz77_tokens(), or every pixel a literal if tokens is NULL. The caller writes what precedes
 * (color cache and meta prefix bits). */
static int write_image_data(struct bitwriter *bw, const uint32_t *argb, size_t n, const uint32_t *tokens,
                            size_t ntok)
{
    struct histograms *hg = calloc(1, sizeof *hg);
    struct prefix_code *pc = malloc(5 * sizeof *pc);
    if (!hg || !pc) {
        free(hg);
        free(pc);
        return -1;
    }
    int nextra;
    uint32_t extra;
    if (!tokens)
        ntok = n;
    for (size_t t = 0, p = 0; t < ntok; t++) {
        uint32_t tok = tokens ? tokens[t] : 0;
        if (!(tok & TOKEN_COPY)) {
            uint32_t v = argb[p++];
            hg->green[v >> 8 & 255]++;
            hg->red[v >> 16 & 255]++;
            hg->blue[v & 255]++;
            hg->alpha[v >> 24]++;
        } else {
            uint32_t len = (tok >> TOKEN_LEN_SHIFT & 0xfff) + 1;
            hg->green[NUM_LITERALS + prefix_encode(len, &nextra, &extra)]++;
            hg->dist[prefix_encode(tok & TOKEN_DIST_MASK, &nextra, &extra)]++;
            p += len;
        }
    }
    struct prefix_code *g = &pc[0], *r = &pc[1], *b = &pc[2], *a = &pc[3], *d = &pc[4];
    write_prefix_code(bw, hg->green, GREEN_ALPHABET, g);
    write_prefix_code(bw, hg->red, NUM_LITERALS, r);
    write_prefix_code(bw, hg->blue, NUM_LITERALS, b);
    write_prefix_code(bw, hg->alpha, NUM_LITERALS, a);
    write_prefix_code(bw, hg->dist, DIST_ALPHABET, d);

    for (size_t t = 0, p = 0; t < ntok && !bw->failed; t++) {
        uint32_t tok = tokens ? tokens[t] : 0;
        if (!(tok & TOKEN_COPY)) {
            uint32_t v = argb[p++];
            unsigned gv = v >> 8 & 255, rv = v >> 16 & 255, bv = v & 255, av = v >> 24;
            bw_put(bw, g->code[gv], g->len[gv]);
            bw_put(bw, r->code[rv], r->len[rv]);
            bw_put(bw, b->code[bv], b->len[bv]);
            bw_put(bw, a->code[av], a->len[av]);
        } else {
            uint32_t len = (tok >> TOKEN_LEN_SHIFT & 0xfff) + 1;
            int sym = NUM_LITERALS + prefix_encode(len, &nextra, &extra);
            bw_put(bw, g->code[sym], g->len[sym]);
            bw_put(bw, extra, nextra);
            sym = prefix_encode(tok & TOKEN_DIST_MASK, &nextra, &extra);
            bw_put(bw, d->code[sym], d->len[sym]);
            bw_put(bw, extra, nextra);
            p += len;
        }
    }
    free(hg);
    free(pc);
    return bw->failed ? -1 : 0;
}

/* ---- the file -------------------------------------------------------------------------------- */

static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* The VP8L bitstream after the RIFF header, appended to bw. */
static int write_vp8l(struct bitwriter *bw, const struct image_pixels *px)
{
    size_t w = px->width, h = px->height, n = w * h;
    size_t bw_ = (w + (1u << PRED_BITS) - 1) >> PRED_BITS, bh = (h + (1u << PRED_BITS) - 1) >> PRED_BITS;
    int rc = -1;
    struct lz77 z;
    uint32_t *argb = malloc(n * sizeof *argb);
    uint32_t *tokens = malloc(n * sizeof *tokens);
    uint32_t *tmp = malloc(w * sizeof *tmp);
    uint32_t *block_cost = malloc(bw_ * NUM_PRED_CANDIDATES * sizeof *block_cost);
    uint8_t *modes = malloc(bw_ * bh);
    uint32_t *sub = malloc(bw_ * bh * sizeof *sub);
    int zok = lz77_init(&z, n, w) == 0;
    if (!argb || !tokens || !tmp || !block_cost || !modes || !sub || !zok)
        goto out;

    bw_put(bw, VP8L_SIGNATURE, 8);
    bw_put(bw, (uint32_t)(w - 1), 14);
    bw_put(bw, (uint32_t)(h - 1), 14);
    bw_put(bw, px->has_alpha ? 1 : 0, 1);
    bw_put(bw, 0, 3); /* version */

    to_argb_subtract_green(px, argb, n);
    bw_put(bw, 1, 1); /* a transform: */
    bw_put(bw, 2, 2); /* subtract green */

    choose_predictors(argb, w, h, modes, bw_, tmp, block_cost, px->has_alpha);
    apply_predictors(argb, w, h, modes, bw_, tmp);
    for (size_t i = 0; i < bw_ * bh; i++)
        sub[i] = 0xff000000u | (uint32_t)modes[i] << 8;
    bw_put(bw, 1, 1); /* a transform: */
    bw_put(bw, 0, 2); /* predictor */
    bw_put(bw, PRED_BITS - 2, 3);
    bw_put(bw, 0, 1); /* sub-image: no color cache */
    if (write_image_data(bw, sub, bw_ * bh, NULL, 0) != 0)
        goto out;
    bw_put(bw, 0, 1); /* no more transforms */

    size_t ntok = lz77_tokens(&z, argb, n, w, tokens);
    bw_put(bw, 0, 1); /* no color cache */
    bw_put(bw, 0, 1); /* no meta prefix codes */
    if (write_image_data(bw, argb, n, tokens, ntok) != 0)
        goto out;
    bw_finish(bw);
    rc = bw->failed ? -1 : 0;
out:
    lz77_free(&z);
    free(argb);
    free(tokens);
    free(tmp);
    free(block_cost);
    free(modes);
    free(sub);
    return rc;
}

int encode_webp(const struct image_pixels *px, encode_sink *sink, void *ctx)
{
    if (!px || !px->rgba || px->width < 1 || px->width > 16384 || px->height < 1 || px->height > 16384)
        return -1;
    struct bitwriter bw = {0};
    if (bw_reserve(&bw, HEADER_SIZE + (size_t)px->width * px->height / 8 + 4096) != 0)
        return -1;
    bw.len = HEADER_SIZE; /* filled in once the size is known */
    int rc = write_vp8l(&bw, px);
    if (rc == 0 && bw_reserve(&bw, 1) != 0)
        rc = -1;
    size_t chunk = bw.len - HEADER_SIZE;
    if (rc == 0 && chunk > 0xffffffffu - HEADER_SIZE - 1)
        rc = -1;
    if (rc == 0) {
        if (chunk & 1)
            bw.buf[bw.len++] = 0; /* RIFF chunks are padded to even sizes */
        memcpy(bw.buf, "RIFF", 4);
        put_le32(bw.buf + 4, (uint32_t)(bw.len - 8));
        memcpy(bw.buf + 8, "WEBPVP8L", 8);
        put_le32(bw.buf + 16, (uint32_t)chunk);
        for (size_t off = 0; off < bw.len && rc == 0; off += SINK_PIECE) {
            size_t piece = bw.len - off < SINK_PIECE ? bw.len - off : SINK_PIECE;
            if (sink(ctx, bw.buf + off, piece) != 0)
                rc = -1;
        }
    }
    free(bw.buf);
    return rc;
}
