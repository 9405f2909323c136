/* unit.h — the smallest test harness that does the job: CHECK macros that record failures
 * with file and line, and a closing "N passed, N failed" line that CI reads.
 *
 * A test file defines its tests as `static void test_x(void)`, lists them in UNIT_MAIN(...),
 * and gets a main() that runs each and exits non-zero if any check failed.
 */
#ifndef IMGMOCK_UNIT_H
#define IMGMOCK_UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_failures_in_test; /* failed checks in the running test */

#define CHECK(cond)                                                                                          \
    do {                                                                                                     \
        if (!(cond)) {                                                                                       \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);                        \
            unit_failures_in_test++;                                                                         \
        }                                                                                                    \
    } while (0)

#define CHECK_STR(got, want)                                                                                 \
    do {                                                                                                     \
        const char *g_ = (got), *w_ = (want);                                                                \
        if (!g_ || !w_ || strcmp(g_, w_) != 0) {                                                             \
            fprintf(stderr, "%s:%d: %s\n  got:  %s\n  want: %s\n", __FILE__, __LINE__, #got,                \
                    g_ ? g_ : "(null)", w_ ? w_ : "(null)");                                                \
            unit_failures_in_test++;                                                                         \
        }                                                                                                    \
    } while (0)

#define CHECK_INT(got, want)                                                                                 \
    do {                                                                                                     \
        long long g_ = (long long)(got), w_ = (long long)(want);                                             \
        if (g_ != w_) {                                                                                      \
            fprintf(stderr, "%s:%d: %s: got %lld, want %lld\n", __FILE__, __LINE__, #got, g_, w_);          \
            unit_failures_in_test++;                                                                         \
        }                                                                                                    \
    } while (0)

/* 1 if the n bytes at p are all zero: for checking that a *_free() left its struct zeroed. */
static inline int unit_all_zero(const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return 0;
    return 1;
}

struct unit_test {
    const char *name;
    void (*run)(void);
};

#define UNIT_TEST(fn) {#fn, fn}

#define UNIT_MAIN(...)                                                                                       \
    int main(void)                                                                                           \
    {                                                                                                        \
        static const struct unit_test tests[] = {__VA_ARGS__};                                               \
        int passed = 0, failed = 0;                                                                          \
        for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {                                        \
            unit_failures_in_test = 0;                                                                       \
            tests[i].run();                                                                                  \
            printf("%s %s\n", unit_failures_in_test ? "FAIL" : "ok  ", tests[i].name);                       \
            if (unit_failures_in_test)                                                                       \
                failed++;                                                                                    \
            else                                                                                             \
                passed++;                                                                                    \
        }                                                                                                    \
        printf("%d passed, %d failed\n", passed, failed);                                                    \
        return failed ? 1 : 0;                                                                               \
    }

#endif
