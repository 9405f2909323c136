/* test_reqid.c — request ids: shape, uniqueness, reproducibility, and the mixer under them.
 *
 * Clients log and grep x-request-id, so every id must look like the real API's ("req_" + 32
 * lowercase hex digits); ids must never repeat within a run; and a fixed seed must replay the
 * same sequence (the point of seeding). mix64 is shared with other deterministic parts,
 * so it is pinned against the published splitmix64 reference outputs.
 */
#include "reqid.h"
#include "mix.h"

#include <stdlib.h>
#include <string.h>

#include "unit.h"

static int well_formed(const char *id)
{
    if (strlen(id) != REQID_LEN || strncmp(id, "req_", 4) != 0)
        return 0;
    for (const char *p = id + 4; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return 0;
    return 1;
}

static void test_format(void)
{
    CHECK_INT(REQID_LEN, 36);
    struct reqid_gen g;
    reqid_init(&g, 12345);
    for (int i = 0; i < 1000; i++) {
        char id[REQID_LEN + 1];
        memset(id, 'X', sizeof id);
        reqid_next(&g, id);
        CHECK(id[REQID_LEN] == '\0');
        if (!well_formed(id)) {
            fprintf(stderr, "%s:%d: malformed id '%s'\n", __FILE__, __LINE__, id);
            unit_failures_in_test++;
            break;
        }
    }
    /* leading zeros are kept: the seed-0 generator's ids are also full length */
    reqid_init(&g, 0);
    char id[REQID_LEN + 1];
    reqid_next(&g, id);
    CHECK(well_formed(id));
}

static int compare_ids(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

static void test_unique(void)
{
    enum { N = 10000 };
    char (*ids)[REQID_LEN + 1] = malloc(N * sizeof *ids);
    CHECK(ids != NULL);
    if (!ids)
        return;
    struct reqid_gen g;
    reqid_init(&g, 0xdeadbeef);
    for (int i = 0; i < N; i++)
        reqid_next(&g, ids[i]);
    qsort(ids, N, sizeof *ids, compare_ids);
    int dups = 0;
    for (int i = 1; i < N; i++)
        dups += strcmp(ids[i - 1], ids[i]) == 0;
    CHECK_INT(dups, 0);

    /* neither 64-bit half repeats either: each is a bijection of the counter */
    for (int i = 0; i < N; i++)
        memmove(ids[i], ids[i] + 4 + 16, 17); /* keep the low half */
    qsort(ids, N, sizeof *ids, compare_ids);
    dups = 0;
    for (int i = 1; i < N; i++)
        dups += strcmp(ids[i - 1], ids[i]) == 0;
    CHECK_INT(dups, 0);

    reqid_init(&g, 0xdeadbeef);
    for (int i = 0; i < N; i++) {
        reqid_next(&g, ids[i]);
        ids[i][4 + 16] = '\0'; /* keep the high half */
    }
    qsort(ids, N, sizeof *ids, compare_ids);
    dups = 0;
    for (int i = 1; i < N; i++)
        dups += strcmp(ids[i - 1], ids[i]) == 0;
    CHECK_INT(dups, 0);
    free(ids);
}

static void test_same_seed_same_sequence(void)
{
    struct reqid_gen a, b;
    reqid_init(&a, 42);
    reqid_init(&b, 42);
    for (int i = 0; i < 100; i++) {
        char x[REQID_LEN + 1], y[REQID_LEN + 1];
        reqid_next(&a, x);
        reqid_next(&b, y);
        CHECK_STR(x, y);
    }
    /* re-initialising restarts the sequence */
    char first[REQID_LEN + 1], again[REQID_LEN + 1];
    reqid_init(&a, 7);
    reqid_next(&a, first);
    reqid_next(&a, again);
    CHECK(strcmp(first, again) != 0);
    reqid_init(&a, 7);
    reqid_next(&a, again);
    CHECK_STR(again, first);
}

static void test_different_seeds_differ(void)
{
    struct reqid_gen a, b;
    reqid_init(&a, 1);
    reqid_init(&b, 2);
    int same = 0;
    for (int i = 0; i < 100; i++) {
        char x[REQID_LEN + 1], y[REQID_LEN + 1];
        reqid_next(&a, x);
        reqid_next(&b, y);
        same += strcmp(x, y) == 0;
    }
    CHECK_INT(same, 0);
}

static void test_mix64(void)
{
    /* the splitmix64 finaliser fixes zero */
    CHECK(mix64(0) == 0);
    /* splitmix64 reference stream for state 0: mix(k * 0x9e3779b97f4a7c15) for k = 1, 2, 3 */
    CHECK(mix64(0x9e3779b97f4a7c15ULL) == 0xe220a8397b1dcdafULL);
    CHECK(mix64(0x9e3779b97f4a7c15ULL * 2) == 0x6e789e6aa1b965f4ULL);
    CHECK(mix64(0x9e3779b97f4a7c15ULL * 3) == 0x06c45d188009454fULL);
    /* distinct inputs, distinct outputs; a one-bit change scatters */
    CHECK(mix64(1) != mix64(2));
    CHECK(mix64(1) != 1);
    CHECK(mix64(UINT64_MAX) != mix64(UINT64_MAX - 1));
    uint64_t d = mix64(1) ^ mix64(0);
    int bits = 0;
    for (; d; d &= d - 1)
        bits++;
    CHECK(bits > 16 && bits < 48);
}

UNIT_MAIN(UNIT_TEST(test_format), UNIT_TEST(test_unique), UNIT_TEST(test_same_seed_same_sequence),
          UNIT_TEST(test_different_seeds_differ), UNIT_TEST(test_mix64))
