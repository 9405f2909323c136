/* usage.c — the gpt-image-1 table, the gpt-image-2 formula, the text-token approximation. */
#include "usage.h"

#include <string.h>

static int quality_index(const char *quality)
{
    static const char *const names[] = {"low", "medium", "high"};
    for (int i = 0; i < 3; i++)
        if (!strcmp(quality, names[i]))
            return i;
    return 2;
}

/* gpt-image-1, -1-mini, -1.5, chatgpt-image-latest: [quality][square, portrait, landscape] */
static const int64_t table[3][3] = {
    {272, 408, 400},
    {1056, 1584, 1568},
    {4160, 6240, 6208},
};

int64_t usage_image_tokens(enum usage_rule rule, const char *quality, unsigned width, unsigned height)
{
    int q = quality_index(quality);
    switch (rule) {
    case USAGE_NONE:
        return 0;
    case USAGE_TABLE: /* sizes outside the table (schema mode) take the column of their orientation */
        return table[q][width == height ? 0 : width < height ? 1 : 2];
    case USAGE_FORMULA: {
        static const int64_t factor[3] = {16, 48, 96};
        int64_t f = factor[q];
        int64_t L = width > height ? width : height, S = width > height ? height : width;
        if (!L)
            return 0;
        int64_t saf = (2 * f * S + L) / (2 * L);
        int64_t num = f * saf * (2000000 + (int64_t)width * height);
        return (num + 3999999) / 4000000;
    }
    }
    return 0;
}

int64_t usage_text_tokens(const char *prompt, size_t len)
{
    const unsigned char *p = (const unsigned char *)prompt;
    int64_t tokens = 0;
    size_t i = 0;
    while (i < len) {
        unsigned char c = p[i];
        size_t run = 0;
        if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') {
            while (i + run < len && (p[i + run] | 0x20) >= 'a' && (p[i + run] | 0x20) <= 'z')
                run++;
            tokens += (int64_t)(run + 9) / 10;
        } else if (c >= '0' && c <= '9') {
            while (i + run < len && p[i + run] >= '0' && p[i + run] <= '9')
                run++;
            tokens += (int64_t)(run + 2) / 3;
        } else {
            run = 1;
            if (c >= 0x80) /* one token per non-ASCII code point: skip its continuation bytes */
                while (i + run < len && (p[i + run] & 0xC0) == 0x80)
                    run++;
            if (!(c == ' ' || c == '\t' || c == '\n' || c == '\r'))
                tokens++;
        }
        i += run;
    }
    return tokens;
}

void usage_compute(enum usage_rule rule, const char *prompt, size_t prompt_len, const char *quality, unsigned width,
                   unsigned height, int n, int partials, struct usage *out)
{
    out->input_text_tokens = usage_text_tokens(prompt, prompt_len);
    out->input_image_tokens = 0;
    out->output_image_tokens =
        (int64_t)n * (usage_image_tokens(rule, quality, width, height) + (int64_t)partials * USAGE_PARTIAL_IMAGE_TOKENS);
    out->output_text_tokens = 0;
}
