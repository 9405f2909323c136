/* reqid — request ids in the real API's shape: "req_" followed by 32 lowercase hex digits.
 *
 * Each id is a bijective mix of a per-generator key and a request counter, so ids never repeat
 * within a run (2^64 requests) and need no lock. Seeded with a fixed value instead of random
 * bytes (as http.c does under --clock, with --seed), a run repeats its ids.
 */
#ifndef IMGMOCK_REQID_H
#define IMGMOCK_REQID_H

#include <stdatomic.h>
#include <stdint.h>

#define REQID_LEN 36 /* strlen("req_") + 32 */

/* A source of request ids; shared by all worker threads. */
struct reqid_gen {
    uint64_t key_hi, key_lo;  /* derived from the seed; fixed for the generator's life */
    atomic_uint_fast64_t next; /* counter of ids handed out */
};

/* Prepare `g` from a 64-bit seed (random at startup, fixed for reproducible runs). */
void reqid_init(struct reqid_gen *g, uint64_t seed);

/* Write the next id, NUL-terminated, into `out`. Thread-safe. */
void reqid_next(struct reqid_gen *g, char out[REQID_LEN + 1]);

#endif
