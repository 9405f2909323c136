/* encode_times — how long synthesis and each encoder take, per format and size.
 *
 * Prints the Markdown table the README carries: the median of several runs of synth_render and
 * encode_image for each size and format, opaque and transparent, and the encoded size. Not a
 * test (times vary by machine); run it with `build/tests/encode_times [RUNS]`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "encode.h"
#include "synth.h"

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int compare(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int count_sink(void *ctx, const void *data, size_t len)
{
    (void)data;
    *(size_t *)ctx += len;
    return 0;
}

int main(int argc, char **argv)
{
    static const unsigned sizes[][2] = {{256, 256}, {1024, 1024}, {1536, 1024}, {2048, 1152}, {3840, 2160}};
    int runs = argc > 1 ? atoi(argv[1]) : 5;
    if (runs < 1 || runs > 101)
        runs = 5;
    encode_init();
    printf("| size | alpha | synthesis | PNG | JPEG q100 | WebP (lossless) |\n|---|---|---|---|---|---|\n");
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        for (int alpha = 0; alpha <= 1; alpha++) {
            unsigned w = sizes[s][0], h = sizes[s][1];
            uint8_t *rgba = malloc((size_t)w * h * 4);
            double t[101];
            /* as the server paints: opaque images as RGB */
            struct synth_params p = {(getenv("SEED") ? strtoull(getenv("SEED"), NULL, 0) : 0x1234abcdULL) + s, w, h,
                                     alpha, SYNTH_ALL_SHAPES, !alpha};
            for (int r = 0; r < runs; r++) {
                double t0 = now_ms();
                synth_render(&p, rgba);
                t[r] = now_ms() - t0;
            }
            qsort(t, (size_t)runs, sizeof *t, compare);
            printf("| %ux%u | %s | %.1f ms |", w, h, alpha ? "yes" : "no", t[runs / 2]);
            struct image_pixels px = {rgba, w, h, alpha, alpha ? 4 : 3};
            for (int f = 0; f < 3; f++) {
                size_t bytes = 0;
                for (int r = 0; r < runs; r++) {
                    bytes = 0;
                    double t0 = now_ms();
                    encode_image((enum image_format)f, &px, 100, count_sink, &bytes);
                    t[r] = now_ms() - t0;
                }
                qsort(t, (size_t)runs, sizeof *t, compare);
                if (f == IMAGE_JPEG && alpha)
                    printf(" n/a |");
                else
                    printf(" %.1f ms, %zu KB |", t[runs / 2], bytes / 1024);
            }
            printf("\n");
            free(rgba);
        }
    }
    return 0;
}
