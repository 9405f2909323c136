/* mix — the splitmix64 finaliser, the one way imgmock scatters 64-bit values.
 *
 * A bijection on 64-bit integers that spreads every input bit over the whole output. Request
 * ids, image seeds, synthesis' random numbers and the cache's hash all derive from it, so it
 * lives in one place: changing it changes every image and every id.
 */
#ifndef IMGMOCK_MIX_H
#define IMGMOCK_MIX_H

#include <stdint.h>

static inline uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

#endif
