/* usage — the token accounting of spec §7, as pure functions.
 *
 * Output image tokens follow the published table (gpt-image-1 family) or formula (gpt-image-2);
 * each partial image adds 100. Input text tokens are the real tokenizer's count, which imgmock
 * approximates deterministically (see usage_text_tokens).
 */
#ifndef IMGMOCK_USAGE_H
#define IMGMOCK_USAGE_H

#include <stddef.h>
#include <stdint.h>

#include "models.h"

#define USAGE_PARTIAL_IMAGE_TOKENS 100

/* A usage block, as the response carries it. */
struct usage {
    int64_t input_text_tokens;   /* input_tokens_details.text_tokens */
    int64_t input_image_tokens;  /* input_tokens_details.image_tokens: 0 for generations */
    int64_t output_image_tokens; /* output_tokens_details.image_tokens */
    int64_t output_text_tokens;  /* output_tokens_details.text_tokens: 0 */
};

/* Output tokens of one final image of `width` x `height` at `quality` ("low", "medium",
 * "high") under `rule`. 0 for USAGE_NONE. */
int64_t usage_image_tokens(enum usage_rule rule, const char *quality, unsigned width, unsigned height);

/* imgmock's stand-in for the o200k tokenizer's count of `prompt` (len bytes of UTF-8): each run
 * of ASCII letters is one token per 10 letters or part thereof, each run of digits one per 3
 * digits or part thereof (o200k groups digits in threes), every other non-space character one
 * token, whitespace none. "A cute baby sea otter" is 5, as in o200k. */
int64_t usage_text_tokens(const char *prompt, size_t len);

/* The usage of a whole request: `n` images of the given size and quality, each streamed with
 * `partials` partial images. */
void usage_compute(enum usage_rule rule, const char *prompt, size_t prompt_len, const char *quality, unsigned width,
                   unsigned height, int n, int partials, struct usage *out);

static inline int64_t usage_input_total(const struct usage *u)
{
    return u->input_text_tokens + u->input_image_tokens;
}

static inline int64_t usage_output_total(const struct usage *u)
{
    return u->output_image_tokens + u->output_text_tokens;
}

#endif
