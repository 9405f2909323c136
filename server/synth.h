/* synth — deterministic pictures from a 64-bit seed.
 *
 * Every image imgmock returns is painted here: a two-colour gradient and a handful of soft-edged
 * discs, rings and rounded rectangles, all chosen from the seed. Different prompts give visibly
 * different pictures, so a person reading a test report can tell them apart; the same seed gives
 * the same pixels on every machine, because the painting uses integer arithmetic only.
 *
 * No I/O, no allocation: the caller owns the pixel buffer.
 */
#ifndef IMGMOCK_SYNTH_H
#define IMGMOCK_SYNTH_H

#include <stdint.h>

/* What to paint. */
struct synth_params {
    uint64_t seed;          /* decides colours, gradient and shapes */
    unsigned width, height; /* pixels, 1..16383 each */
    int transparent;        /* 1: the background is fully transparent (alpha 0), shapes opaque */
    unsigned shapes_shown;  /* paint only the first N shapes (partial images); SYNTH_ALL_SHAPES for all */
    int rgb;                /* 1: paint 3-byte RGB pixels, no alpha (opaque images only: every alpha
                               would be 255); 0: RGBA */
};

#define SYNTH_ALL_SHAPES 0xFFFFu

/* Paint into `pixels`: width * height * 4 bytes of RGBA (3 of RGB with `rgb`), rows top to
 * bottom. An RGB picture is the RGBA one without its alpha bytes. */
void synth_render(const struct synth_params *p, uint8_t *pixels);

/* How many shapes the seed's picture has (3..7). */
unsigned synth_shape_count(uint64_t seed);

#endif
