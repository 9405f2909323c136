/* reqid.c — counter-mode ids over the splitmix64 finaliser. */
#include "reqid.h"
#include "mix.h"

#include <stdio.h>

void reqid_init(struct reqid_gen *g, uint64_t seed)
{
    g->key_hi = mix64(seed + 0x9e3779b97f4a7c15ULL);
    g->key_lo = mix64(seed + 2 * 0x9e3779b97f4a7c15ULL);
    atomic_init(&g->next, 0);
}

void reqid_next(struct reqid_gen *g, char out[REQID_LEN + 1])
{
    uint64_t n = atomic_fetch_add_explicit(&g->next, 1, memory_order_relaxed);
    /* mix(key + n) is distinct for distinct n because mix is a bijection */
    uint64_t hi = mix64(g->key_hi + n);
    uint64_t lo = mix64(g->key_lo ^ hi);
    snprintf(out, REQID_LEN + 1, "req_%016llx%016llx", (unsigned long long)hi, (unsigned long long)lo);
}
