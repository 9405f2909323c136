/* test_framing.c — which header sections say where their request ends in exactly one way.
 *
 * Each case is a list of header lines fed through framing_header() and framing_finish() as
 * the HTTP layer feeds civetweb's, and the status expected back: 0 for a request imgmock reads,
 * 400 or 431 for one it refuses (and then closes the connection behind).
 */
#include "framing.h"

#include <stdio.h>
#include <string.h>

#include "unit.h"

struct framing_case {
    const char *lines[4][2]; /* name, value; a NULL name ends the list */
    size_t count;            /* header lines the reader kept (0: as many as listed) */
    int status;              /* 0, 400 or 431 */
};

static int judge(const struct framing_case *t)
{
    struct framing f = {0};
    struct apierr err = APIERR_INIT;
    size_t listed = 0;
    int rc = 0;
    for (; listed < 4 && t->lines[listed][0]; listed++)
        if ((rc = framing_header(&f, t->lines[listed][0], t->lines[listed][1], &err)) != 0)
            break;
    if (rc == 0)
        rc = framing_finish(&f, t->count ? t->count : listed, 64, &err);
    int status = rc ? err.status : 0;
    if (rc && (!err.message || !*err.message))
        status = -1; /* a refusal must say why */
    apierr_clear(&err);
    return status;
}

static void test_cases(void)
{
    static const struct framing_case cases[] = {
        {{{"Host", "x"}, {"Content-Length", "86"}}, 0, 0},
        {{{"Content-Length", "0"}}, 0, 0},
        {{{"Content-Length", "00086"}}, 0, 0},                       /* leading zeros are digits */
        {{{"Content-Length", "99999999999999999999999999"}}, 0, 0},  /* huge: the body cap answers 413 */
        {{{"Content-Length", "86, 86"}}, 0, 0},                      /* a list of one value */
        {{{"Content-Length", "86"}, {"Content-Length", "86"}}, 0, 0},
        {{{"Transfer-Encoding", "chunked"}}, 0, 0},
        {{{"Transfer-Encoding", "  Chunked "}}, 0, 0},
        {{{"Content-Length", "86"}, {"Content-Length", "1"}}, 0, 400},
        {{{"Content-Length", "86, 1"}}, 0, 400},
        {{{"Content-Length", "86abc"}}, 0, 400},
        {{{"Content-Length", "+86"}}, 0, 400},
        {{{"Content-Length", "-1"}}, 0, 400},
        {{{"Content-Length", "0x56"}}, 0, 400},
        {{{"Content-Length", ""}}, 0, 400},
        {{{"Content-Length", " , "}}, 0, 400},
        {{{"Transfer-Encoding", "identity"}}, 0, 400},
        {{{"Transfer-Encoding", "xchunked"}}, 0, 400},
        {{{"Transfer-Encoding", "chunked, chunked"}}, 0, 400},
        {{{"Transfer-Encoding", "gzip, chunked"}}, 0, 400},
        {{{"Transfer-Encoding", "chunked"}, {"Transfer-Encoding", "chunked"}}, 0, 400},
        {{{"Transfer-Encoding", ""}}, 0, 400},
        {{{"Transfer-Encoding", "chunked"}, {"Content-Length", "86"}}, 0, 400},
        {{{"Content-Length", "86"}, {"Transfer-Encoding", "chunked"}}, 0, 400},
        {{{"X-A ", "b"}}, 0, 400},      /* white space before the colon */
        {{{"X(A)", "b"}}, 0, 400},      /* not a token */
        {{{"", "b"}}, 0, 400},
        {{{"X-A", "b\x01"}}, 0, 400},   /* control bytes in a value */
        {{{"X-A", "b\x7f"}}, 0, 400},
        {{{"X-A", "b\tc"}}, 0, 0},      /* a tab is white space */
        {{{"X-A", "caf\xc3\xa9"}}, 0, 0}, /* obs-text is allowed */
        {{{"Host", "x"}}, 63, 0},
        {{{"Host", "x"}}, 64, 431},      /* the reader's limit reached: lines may be lost */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int got = judge(&cases[i]);
        if (got != cases[i].status) {
            fprintf(stderr, "%s: case %zu (%s: %s): got %d, want %d\n", __FILE__, i, cases[i].lines[0][0],
                    cases[i].lines[0][1], got, cases[i].status);
            unit_failures_in_test++;
        }
    }
}

/* Once a line is refused, later lines are not judged and finish still refuses. */
static void test_first_refusal_sticks(void)
{
    struct framing f = {0};
    struct apierr err = APIERR_INIT;
    CHECK_INT(framing_header(&f, "Content-Length", "x", &err), -1);
    CHECK_STR(err.message, FRAMING_BAD_LENGTH);
    CHECK_INT(framing_header(&f, "Host", "fine", &err), -1);
    CHECK_INT(framing_finish(&f, 2, 64, &err), -1);
    CHECK_STR(err.message, FRAMING_BAD_LENGTH);
    apierr_clear(&err);
}

UNIT_MAIN(UNIT_TEST(test_cases), UNIT_TEST(test_first_refusal_sticks))
