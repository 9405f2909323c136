/* fuzz.h — what every libFuzzer target of tests/fuzz shares.
 *
 * A fuzz target finds more than crashes when it states what must hold for *every* input (a
 * round trip, agreement with a reference written in the target, an invariant of the result).
 * FUZZ_CHECK turns a broken property into an abort, which libFuzzer reports like a crash, with
 * the input saved as an artifact, so property failures and memory errors are found, kept and
 * replayed the same way.
 */
#ifndef IMGMOCK_FUZZ_H
#define IMGMOCK_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* libFuzzer's entry point, declared here so -Wmissing-prototypes style warnings stay quiet. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                                                     \
    do {                                                                                                     \
        if (!(cond)) {                                                                                       \
            fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond);                    \
            abort();                                                                                         \
        }                                                                                                    \
    } while (0)

/* The input as a byte stream that never runs dry: past its end every byte reads as 0, so a
 * target can take a fixed set of parameters from inputs of any length (libFuzzer tries short
 * ones first) and stays deterministic. */
struct fuzz_bytes {
    const uint8_t *p;
    size_t left;
};

static inline uint8_t fuzz_u8(struct fuzz_bytes *b)
{
    if (!b->left)
        return 0;
    b->left--;
    return *b->p++;
}

static inline uint64_t fuzz_u64(struct fuzz_bytes *b, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v = v << 8 | fuzz_u8(b);
    return v;
}

#endif
