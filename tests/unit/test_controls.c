/* test_controls.c — the X-Mock-* headers, Prism's Prefer: code=, the --fault-rate draw and the
 * blocklist, without a server.
 *
 * controls_parse() reads headers through a callback, so a fake one (a table of name/value
 * pairs, looked up without regard to case as civetweb's mg_get_header does) drives every case:
 * each header's good and bad values, the exact 400 (invalid_mock_control, naming the header and
 * the value), which header is reported when several are bad, Prefer's forms, and the moderation
 * categories' normalisation. controls_drawn_fault() must give a share `rate` of faults spread
 * over the six kinds, and the same answer for the same (k, rate, seed) every time.
 */
#include "controls.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "apierr.h"

#include "unit.h"

/* ---- a fake request: name/value pairs ------------------------------------------------------- */

struct fake_headers {
    const char *pairs[16][2]; /* {name, value}; a NULL name ends the list */
};

static const char *fake_header(void *ctx, const char *name)
{
    struct fake_headers *h = ctx;
    for (int i = 0; i < 16 && h->pairs[i][0]; i++)
        if (!strcasecmp(h->pairs[i][0], name))
            return h->pairs[i][1];
    return NULL;
}

/* Parse one header; returns controls_parse()'s result. */
static int parse1(const char *name, const char *value, struct mock_controls *out, struct apierr *err)
{
    struct fake_headers h = {{{name, value}}};
    return controls_parse(fake_header, &h, out, err);
}

/* The value is refused with the exact 400 envelope naming the header. */
static void expect_bad(const char *name, const char *value, const char *expected, int line)
{
    struct mock_controls c;
    struct apierr err = APIERR_INIT;
    char want[2048];
    snprintf(want, sizeof want, "Invalid %s header: '%s'. Expected %s.", name, value, expected);
    int rc = parse1(name, value, &c, &err);
    if (rc != -1 || err.kind != APIERR_BAD_CONTROL || err.status != 400 || !err.code ||
        strcmp(err.code, "invalid_mock_control") || !err.type || strcmp(err.type, "invalid_request_error") ||
        err.param != NULL || !err.message || strcmp(err.message, want)) {
        fprintf(stderr, "%s:%d: %s: '%s' not refused as expected\n  rc %d status %d code %s param %s\n"
                        "  got:  %s\n  want: %s\n",
                __FILE__, line, name, value, rc, err.status, err.code ? err.code : "(null)",
                err.param ? err.param : "(null)", err.message ? err.message : "(null)", want);
        unit_failures_in_test++;
    }
    apierr_clear(&err);
}

#define EXPECT_BAD(name, value, expected) expect_bad((name), (value), (expected), __LINE__)

static const char STATUS_EXPECTED[] = "an HTTP status from 400 to 599 (or 200)";
static const char PREFER_EXPECTED[] = "code=NNN with an HTTP status from 400 to 599 (or 200)";
static const char DELAY_EXPECTED[] = "milliseconds from 0 to 60000";
static const char MODERATION_EXPECTED[] = "categories such as sexual,violence";
static const char FAULT_EXPECTED[] = "reset, empty, malformed or truncate";
static const char SEED_EXPECTED[] = "an integer from 0 to 18446744073709551615";

/* ---- controls_parse ------------------------------------------------------------------------- */

static void test_no_headers_no_controls(void)
{
    struct fake_headers h = {{{NULL, NULL}}};
    struct mock_controls c;
    memset(&c, 0xAB, sizeof c); /* whatever was there is overwritten */
    struct apierr err = APIERR_INIT;
    CHECK_INT(controls_parse(fake_header, &h, &c, &err), 0);
    CHECK_INT(err.kind, APIERR_NONE);
    CHECK_INT(c.status, 0);
    CHECK_INT(c.has_latency, 0);
    CHECK_INT(c.has_stream_delay, 0);
    CHECK_STR(c.categories, "");
    CHECK_INT(c.fault, FAULT_NONE);
    CHECK_INT(c.has_seed, 0);

    /* unrelated headers change nothing */
    struct fake_headers other = {{{"Authorization", "Bearer x"}, {"X-Mock-Other", "1"}, {"Content-Type", "a/b"}}};
    CHECK_INT(controls_parse(fake_header, &other, &c, &err), 0);
    CHECK_INT(c.status, 0);
    CHECK_INT(c.fault, FAULT_NONE);
}

static void test_every_header_at_once(void)
{
    struct fake_headers h = {{{"X-Mock-Status", "503"},
                              {"X-Mock-Latency-Ms", "250"},
                              {"X-Mock-Stream-Delay-Ms", "40"},
                              {"X-Mock-Moderation", "Sexual, Violence"},
                              {"X-Mock-Fault", "truncate"},
                              {"X-Mock-Seed", "42"}}};
    struct mock_controls c;
    struct apierr err = APIERR_INIT;
    CHECK_INT(controls_parse(fake_header, &h, &c, &err), 0);
    CHECK_INT(c.status, 503);
    CHECK_INT(c.has_latency, 1);
    CHECK_INT(c.latency_ms, 250);
    CHECK_INT(c.has_stream_delay, 1);
    CHECK_INT(c.stream_delay_ms, 40);
    CHECK_STR(c.categories, "sexual,violence");
    CHECK_INT(c.fault, FAULT_TRUNCATE);
    CHECK_INT(c.has_seed, 1);
    CHECK_INT(c.seed, 42);
    CHECK_INT(err.kind, APIERR_NONE);

    /* header names are matched without regard to case (the callback's business, as civetweb's) */
    struct fake_headers lower = {{{"x-mock-status", "404"}, {"x-mock-seed", "7"}}};
    CHECK_INT(controls_parse(fake_header, &lower, &c, &err), 0);
    CHECK_INT(c.status, 404);
    CHECK_INT(c.seed, 7);
}

static void test_status(void)
{
    static const struct {
        const char *text;
        int status;
    } good[] = {{"400", 400}, {"401", 401}, {"418", 418}, {"429", 429}, {"500", 500}, {"599", 599},
                {"200", 0},   {"503 ", 503}, {"404\t", 404}, {"0500", 500}};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        struct mock_controls c;
        struct apierr err = APIERR_INIT;
        CHECK_INT(parse1("X-Mock-Status", good[i].text, &c, &err), 0);
        CHECK_INT(c.status, good[i].status);
        apierr_clear(&err);
    }
    static const char *const bad[] = {"abc", "", " 500", "+500", "-500", "399", "201", "302", "0", "600",
                                      "1000", "50x", "5e2", "500.0", "99999999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        EXPECT_BAD("X-Mock-Status", bad[i], STATUS_EXPECTED);
}

static void test_prefer(void)
{
    static const struct {
        const char *text;
        int status;
    } good[] = {
        {"code=404", 404},
        {"respond-async, code=404", 404},
        {"respond-async,code=503", 503},
        {"respond-async; code=429", 429},
        {"dynamic=true;code=500", 500},
        {"code=200", 0},
        {"respond-async", 0},       /* no code= preference: nothing injected, no error */
        {"dynamic=true", 0},
        {"", 0},
        {"xcode=404", 0},           /* not the code preference */
        {"example=code", 0},
    };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        struct mock_controls c;
        struct apierr err = APIERR_INIT;
        int rc = parse1("Prefer", good[i].text, &c, &err);
        if (rc != 0 || c.status != good[i].status) {
            fprintf(stderr, "%s:%d: Prefer: '%s' gave rc %d status %d, want 0 and %d\n", __FILE__, __LINE__,
                    good[i].text, rc, c.status, good[i].status);
            unit_failures_in_test++;
        }
        apierr_clear(&err);
    }
    static const char *const bad[] = {"code=abc", "code=", "respond-async, code=abc", "code=302", "code=600",
                                      "code=99999999", "code=-404"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        EXPECT_BAD("Prefer", bad[i], PREFER_EXPECTED);

    /* X-Mock-Status wins over Prefer, and then Prefer is not even looked at */
    struct fake_headers both = {{{"X-Mock-Status", "502"}, {"Prefer", "code=404"}}};
    struct fake_headers both_bad = {{{"X-Mock-Status", "502"}, {"Prefer", "code=abc"}}};
    struct mock_controls c;
    struct apierr err = APIERR_INIT;
    CHECK_INT(controls_parse(fake_header, &both, &c, &err), 0);
    CHECK_INT(c.status, 502);
    CHECK_INT(controls_parse(fake_header, &both_bad, &c, &err), 0);
    CHECK_INT(c.status, 502);
    /* X-Mock-Status: 200 means "none", and Prefer still does not apply */
    struct fake_headers none = {{{"X-Mock-Status", "200"}, {"Prefer", "code=404"}}};
    CHECK_INT(controls_parse(fake_header, &none, &c, &err), 0);
    CHECK_INT(c.status, 0);
    apierr_clear(&err);
}

static void test_delays(void)
{
    static const char *const names[] = {"X-Mock-Latency-Ms", "X-Mock-Stream-Delay-Ms"};
    for (int h = 0; h < 2; h++) {
        static const struct {
            const char *text;
            uint64_t ms;
        } good[] = {{"0", 0}, {"1", 1}, {"300", 300}, {"60000", 60000}, {"59999 ", 59999}, {"007", 7}};
        for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
            struct mock_controls c;
            struct apierr err = APIERR_INIT;
            CHECK_INT(parse1(names[h], good[i].text, &c, &err), 0);
            CHECK_INT(h ? c.has_stream_delay : c.has_latency, 1);
            CHECK_INT(h ? c.stream_delay_ms : c.latency_ms, good[i].ms);
            CHECK_INT(h ? c.has_latency : c.has_stream_delay, 0); /* the other one is untouched */
        }
        static const char *const bad[] = {"60001", "100000", "-1", "1.5", "abc", "", " 5", "5ms", "1e3",
                                          "18446744073709551616"};
        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
            EXPECT_BAD(names[h], bad[i], DELAY_EXPECTED);
    }
    /* "0" is a given latency (it overrides --latency-ms), not an absent one */
    struct mock_controls c;
    struct apierr err = APIERR_INIT;
    CHECK_INT(parse1("X-Mock-Latency-Ms", "0", &c, &err), 0);
    CHECK_INT(c.has_latency, 1);
    CHECK_INT(c.latency_ms, 0);
}

static void test_moderation_categories(void)
{
    static const struct {
        const char *text, *normal;
    } good[] = {
        {"sexual", "sexual"},
        {"Sexual", "sexual"},
        {"SEXUAL,VIOLENCE", "sexual,violence"},
        {"sexual, violence", "sexual,violence"},
        {"  sexual ,  violence  ", "sexual,violence"},
        {"sexual,,violence", "sexual,violence"},
        {",sexual,", "sexual"},
        {"sexual\t,\tHate", "sexual,hate"},
        {"self-harm/intent,harassment_threatening", "self-harm/intent,harassment_threatening"},
        {"a,b,c,d", "a,b,c,d"},
        {"x1", "x1"},
    };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        struct mock_controls c;
        struct apierr err = APIERR_INIT;
        CHECK_INT(parse1("X-Mock-Moderation", good[i].text, &c, &err), 0);
        CHECK_STR(c.categories, good[i].normal);
    }
    char long_ok[201], too_long[301];
    memset(long_ok, 'a', sizeof long_ok - 1);
    long_ok[sizeof long_ok - 1] = '\0';
    memset(too_long, 'b', sizeof too_long - 1);
    too_long[sizeof too_long - 1] = '\0';
    struct mock_controls c;
    struct apierr err = APIERR_INIT;
    CHECK_INT(parse1("X-Mock-Moderation", long_ok, &c, &err), 0);
    CHECK_STR(c.categories, long_ok);

    static const char *const bad[] = {"", " ", ",", ",,", "hate speech", "sexual;violence", "<script>", "a.b",
                                      "caf\xc3\xa9", "sexual, vio lence"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        EXPECT_BAD("X-Mock-Moderation", bad[i], MODERATION_EXPECTED);
    EXPECT_BAD("X-Mock-Moderation", too_long, MODERATION_EXPECTED);
    /* many short categories that together pass the cap */
    char many[600] = "";
    for (int i = 0; i < 100; i++)
        strcat(many, i ? ",abcd" : "abcd");
    EXPECT_BAD("X-Mock-Moderation", many, MODERATION_EXPECTED);
}

static void test_fault(void)
{
    static const struct {
        const char *text;
        enum mock_fault fault;
    } good[] = {{"reset", FAULT_RESET},         {"empty", FAULT_EMPTY},       {"malformed", FAULT_MALFORMED},
                {"truncate", FAULT_TRUNCATE},   {"RESET", FAULT_RESET},       {"Truncate", FAULT_TRUNCATE},
                {"MalFormed", FAULT_MALFORMED}, {"eMPTY", FAULT_EMPTY}};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        struct mock_controls c;
        struct apierr err = APIERR_INIT;
        CHECK_INT(parse1("X-Mock-Fault", good[i].text, &c, &err), 0);
        CHECK_INT(c.fault, good[i].fault);
    }
    /* the 500/503 faults are --fault-rate's own: not header values */
    static const char *const bad[] = {"explode", "", "none", "500", "503", "status_500", "reset ", " reset",
                                      "reset,empty", "resets", "trunc"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        EXPECT_BAD("X-Mock-Fault", bad[i], FAULT_EXPECTED);
}

static void test_seed(void)
{
    static const struct {
        const char *text;
        uint64_t seed;
    } good[] = {{"0", 0}, {"7", 7}, {"18446744073709551615", UINT64_MAX}, {"42 ", 42}};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        struct mock_controls c;
        struct apierr err = APIERR_INIT;
        CHECK_INT(parse1("X-Mock-Seed", good[i].text, &c, &err), 0);
        CHECK_INT(c.has_seed, 1);
        CHECK(c.seed == good[i].seed);
    }
    static const char *const bad[] = {"-1", "abc", "", "18446744073709551616", "99999999999999999999999", "1.0",
                                      "0x10", "12abc", " 3"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        EXPECT_BAD("X-Mock-Seed", bad[i], SEED_EXPECTED);
}

/* With several bad headers, the first in the documented order is the one reported, whatever
 * else the request carried. */
static void test_first_bad_header_reported(void)
{
    struct fake_headers h = {{{"X-Mock-Seed", "x"},
                              {"X-Mock-Fault", "x"},
                              {"X-Mock-Moderation", "!"},
                              {"X-Mock-Stream-Delay-Ms", "x"},
                              {"X-Mock-Latency-Ms", "x"},
                              {"Prefer", "code=x"}}};
    static const char *const order[] = {"Prefer", "X-Mock-Latency-Ms", "X-Mock-Stream-Delay-Ms",
                                        "X-Mock-Moderation", "X-Mock-Fault", "X-Mock-Seed"};
    static const char *const mended[] = {"code=404", "5", "5", "hate", "empty", "5"};
    for (size_t i = 0; i < sizeof order / sizeof *order; i++) {
        struct mock_controls c;
        struct apierr err = APIERR_INIT;
        CHECK_INT(controls_parse(fake_header, &h, &c, &err), -1);
        char prefix[64];
        snprintf(prefix, sizeof prefix, "Invalid %s header: ", order[i]);
        if (!err.message || strncmp(err.message, prefix, strlen(prefix))) {
            fprintf(stderr, "%s:%d: expected the %s header to be reported, got: %s\n", __FILE__, __LINE__, order[i],
                    err.message ? err.message : "(null)");
            unit_failures_in_test++;
        }
        apierr_clear(&err);
        /* mend that header and look for the next */
        for (int j = 0; j < 16 && h.pairs[j][0]; j++)
            if (!strcasecmp(h.pairs[j][0], order[i]))
                h.pairs[j][1] = mended[i];
    }
    struct mock_controls c;
    struct apierr err = APIERR_INIT;
    CHECK_INT(controls_parse(fake_header, &h, &c, &err), 0);
    CHECK_INT(c.status, 404);
    CHECK_INT(c.latency_ms, 5);
    CHECK_INT(c.stream_delay_ms, 5);
    CHECK_STR(c.categories, "hate");
    CHECK_INT(c.fault, FAULT_EMPTY);
    CHECK_INT(c.seed, 5);

    /* a bad X-Mock-Status comes before everything */
    struct fake_headers s = {{{"X-Mock-Fault", "x"}, {"X-Mock-Status", "x"}}};
    CHECK_INT(controls_parse(fake_header, &s, &c, &err), -1);
    CHECK_STR(err.message, "Invalid X-Mock-Status header: 'x'. Expected an HTTP status from 400 to 599 (or 200).");
    apierr_clear(&err);
}

/* The value is echoed as sent, and the envelope is the ordinary four-key one. */
static void test_error_envelope(void)
{
    struct mock_controls c;
    struct apierr err = APIERR_INIT;
    CHECK_INT(parse1("X-Mock-Latency-Ms", "60001", &c, &err), -1);
    size_t len = 0;
    char *json = apierr_to_json(&err, ERRORS_OPENAI, &len);
    static const char want[] =
        "{\n"
        "    \"error\": {\n"
        "        \"message\": \"Invalid X-Mock-Latency-Ms header: '60001'. Expected milliseconds from 0 to 60000.\",\n"
        "        \"type\": \"invalid_request_error\",\n"
        "        \"param\": null,\n"
        "        \"code\": \"invalid_mock_control\"\n"
        "    }\n"
        "}\n";
    CHECK_STR(json, want);
    CHECK_INT(len, strlen(want));
    free(json);
    apierr_clear(&err);
}

/* ---- controls_drawn_fault ------------------------------------------------------------------- */

enum { DRAWS = 100000 };

static void count_faults(double rate, uint64_t seed, unsigned counts[7])
{
    memset(counts, 0, 7 * sizeof *counts);
    for (uint64_t k = 0; k < DRAWS; k++) {
        enum mock_fault f = controls_drawn_fault(k, rate, seed);
        if ((unsigned)f < 7)
            counts[f]++;
    }
}

static void test_drawn_fault_rate_zero_and_one(void)
{
    unsigned counts[7];
    count_faults(0.0, 0, counts);
    CHECK_INT(counts[FAULT_NONE], DRAWS);
    count_faults(0.0, 12345, counts);
    CHECK_INT(counts[FAULT_NONE], DRAWS);
    count_faults(1.0, 0, counts);
    CHECK_INT(counts[FAULT_NONE], 0);
    count_faults(1.0, 99, counts);
    CHECK_INT(counts[FAULT_NONE], 0);
    unsigned total = 0;
    for (int f = 0; f < 7; f++)
        total += counts[f];
    CHECK_INT(total, DRAWS); /* every draw is one of the seven values */
}

static void test_drawn_fault_distribution(void)
{
    static const double rates[] = {0.25, 0.5, 0.05, 0.9};
    static const uint64_t seeds[] = {0, 1, 42, UINT64_MAX};
    for (size_t r = 0; r < sizeof rates / sizeof *rates; r++) {
        unsigned counts[7];
        count_faults(rates[r], seeds[r], counts);
        unsigned faults = DRAWS - counts[FAULT_NONE];
        double share = (double)faults / DRAWS;
        /* the binomial standard deviation is at most 0.0016 here: 0.01 is more than six of them */
        if (share < rates[r] - 0.01 || share > rates[r] + 0.01) {
            fprintf(stderr, "%s:%d: rate %.2f seed %llu: share of faults %.4f\n", __FILE__, __LINE__, rates[r],
                    (unsigned long long)seeds[r], share);
            unit_failures_in_test++;
        }
        /* the six kinds share the faults about evenly */
        static const enum mock_fault kinds[] = {FAULT_RESET,     FAULT_EMPTY,      FAULT_MALFORMED,
                                                FAULT_TRUNCATE,  FAULT_STATUS_500, FAULT_STATUS_503};
        for (size_t i = 0; i < 6; i++) {
            double part = (double)counts[kinds[i]] / faults;
            if (part < 1.0 / 6 - 0.03 || part > 1.0 / 6 + 0.03) {
                fprintf(stderr, "%s:%d: rate %.2f: fault kind %d is %.4f of the faults\n", __FILE__, __LINE__,
                        rates[r], kinds[i], part);
                unit_failures_in_test++;
            }
        }
    }
}

static void test_drawn_fault_reproducible(void)
{
    /* the same (k, rate, seed) gives the same answer, whatever was drawn in between */
    enum mock_fault first[1000];
    for (uint64_t k = 0; k < 1000; k++)
        first[k] = controls_drawn_fault(k, 0.3, 7);
    for (uint64_t k = 0; k < 1000; k++)
        (void)controls_drawn_fault(k * 31 + 5, 0.7, 8);
    int same = 1;
    for (uint64_t k = 1000; k-- > 0;) /* backwards: no dependence on the order of the calls */
        same &= controls_drawn_fault(k, 0.3, 7) == first[k];
    CHECK(same);

    /* another seed, another sequence */
    int differ = 0, differ_seed1 = 0;
    for (uint64_t k = 0; k < 1000; k++) {
        differ += controls_drawn_fault(k, 0.3, 8) != first[k];
        differ_seed1 += controls_drawn_fault(k, 0.3, 0) != controls_drawn_fault(k, 0.3, 1);
    }
    CHECK(differ > 100);
    CHECK(differ_seed1 > 100);

    /* the k-th draw does not depend on k alone: nearby k are not all alike */
    int kinds_seen = 0;
    unsigned seen = 0;
    for (uint64_t k = 0; k < 64; k++)
        seen |= 1u << controls_drawn_fault(k, 1.0, 3);
    for (int f = 0; f < 7; f++)
        kinds_seen += (seen >> f) & 1;
    CHECK_INT(kinds_seen, 6); /* all six fault kinds within 64 draws at rate 1 */

    /* a rate just below 1 leaves hardly any request alone */
    unsigned counts[7];
    count_faults(0.999999, 5, counts);
    CHECK(counts[FAULT_NONE] < 10);
}

/* ---- controls_blocked_word ------------------------------------------------------------------ */

static void test_blocked_word(void)
{
    char *list[] = {"kraken", "Sea Monster", "zz"};
    const char *p;
    p = "A giant KRAKEN attacks";
    CHECK_STR(controls_blocked_word(p, strlen(p), list, 3), "kraken");
    p = "a sea monster at dawn";
    CHECK_STR(controls_blocked_word(p, strlen(p), list, 3), "Sea Monster");
    p = "kraken";
    CHECK_STR(controls_blocked_word(p, strlen(p), list, 3), "kraken"); /* the whole prompt */
    p = "the last word is Kraken";
    CHECK_STR(controls_blocked_word(p, strlen(p), list, 3), "kraken"); /* at the very end */
    p = "krakens everywhere";
    CHECK_STR(controls_blocked_word(p, strlen(p), list, 3), "kraken"); /* contained, not a whole word */
    p = "A cute baby sea otter";
    CHECK(controls_blocked_word(p, strlen(p), list, 3) == NULL);
    p = "krake n";
    CHECK(controls_blocked_word(p, strlen(p), list, 3) == NULL);
    p = "sea  monster";
    CHECK(controls_blocked_word(p, strlen(p), list, 3) == NULL);

    /* the first word of the list that matches, not the first in the prompt */
    p = "zz then kraken";
    CHECK_STR(controls_blocked_word(p, strlen(p), list, 3), "kraken");

    /* only `len` bytes are looked at */
    p = "xxkraken";
    CHECK(controls_blocked_word(p, 7, list, 3) == NULL);
    CHECK_STR(controls_blocked_word(p, 8, list, 3), "kraken");
    CHECK(controls_blocked_word(p, 0, list, 3) == NULL);

    /* a prompt with NUL bytes inside is searched whole */
    static const char nul[] = "abc\0kraken";
    CHECK_STR(controls_blocked_word(nul, sizeof nul - 1, list, 3), "kraken");

    /* no list, an empty list, an empty word */
    p = "kraken";
    CHECK(controls_blocked_word(p, strlen(p), NULL, 0) == NULL);
    CHECK(controls_blocked_word(p, strlen(p), list, 0) == NULL);
    char *empty[] = {""};
    CHECK(controls_blocked_word(p, strlen(p), empty, 1) == NULL);
    /* a word longer than the prompt */
    char *longer[] = {"krakenkraken"};
    CHECK(controls_blocked_word(p, strlen(p), longer, 1) == NULL);
    /* UTF-8 words match byte for byte */
    char *utf8[] = {"caf\xc3\xa9"};
    p = "un caf\xc3\xa9 noir";
    CHECK_STR(controls_blocked_word(p, strlen(p), utf8, 1), "caf\xc3\xa9");
}

/* Each injected status: its envelope's kind, type and code, and the retry headers. */
static void test_injected_errors(void)
{
    static const struct {
        int status;
        enum apierr_kind kind;
        const char *type, *code;
        int code_number;
        const char *extra;
    } cases[] = {
        {400, APIERR_INJECTED_400, "invalid_request_error", NULL, 0, "x-should-retry: false\r\n"},
        {401, APIERR_BAD_KEY, "invalid_request_error", "invalid_api_key", 0, "x-should-retry: false\r\n"},
        {403, APIERR_MODEL_ACCESS, "invalid_request_error", NULL, 0, "x-should-retry: false\r\n"},
        {404, APIERR_MODEL_NOT_FOUND, "invalid_request_error", "model_not_found", 0, "x-should-retry: false\r\n"},
        {409, APIERR_CONFLICT, "invalid_request_error", "conflict", 0, "x-should-retry: true\r\n"},
        {429, APIERR_RATE_LIMITED, "requests", "rate_limit_exceeded", 0,
         "retry-after: 1\r\nretry-after-ms: 1000\r\nx-should-retry: true\r\n"},
        {500, APIERR_SERVER_ERROR, "server_error", NULL, 0,
         "retry-after: 1\r\nretry-after-ms: 1000\r\nx-should-retry: true\r\n"},
        {502, APIERR_BAD_GATEWAY, "cf_bad_gateway", NULL, 502,
         "retry-after: 1\r\nretry-after-ms: 1000\r\nx-should-retry: true\r\n"},
        {503, APIERR_OVERLOADED, "server_error", NULL, 0,
         "retry-after: 1\r\nretry-after-ms: 1000\r\nx-should-retry: true\r\n"},
        {504, APIERR_GATEWAY_TIMEOUT, "cf_gateway_timeout", NULL, 504,
         "retry-after: 1\r\nretry-after-ms: 1000\r\nx-should-retry: true\r\n"},
        {418, APIERR_INJECTED_OTHER, "invalid_request_error", NULL, 0, "x-should-retry: false\r\n"},
        {599, APIERR_INJECTED_OTHER, "server_error", NULL, 0,
         "retry-after: 1\r\nretry-after-ms: 1000\r\nx-should-retry: true\r\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct apierr e = APIERR_INIT;
        char extra[256];
        controls_injected_error(cases[i].status, "gpt-image-1", "sk-BQVMo123456789012345Cf6e", "req_x", "org-x", &e,
                                extra, sizeof extra);
        CHECK_INT(e.status, cases[i].status);
        CHECK_INT(e.kind, cases[i].kind);
        CHECK_STR(e.type, cases[i].type);
        CHECK(cases[i].code ? e.code && !strcmp(e.code, cases[i].code) : e.code == NULL);
        CHECK_INT(e.code_number, cases[i].code_number);
        CHECK_STR(extra, cases[i].extra);
        apierr_clear(&e);
    }
    struct apierr e = APIERR_INIT;
    char extra[256];
    controls_injected_error(401, "m", "sk-BQVMo123456789012345Cf6e", "req_x", "org", &e, extra, sizeof extra);
    CHECK(strstr(e.message, "sk-BQVMo***************Cf6e") != NULL); /* masked as the real 401 does */
    controls_injected_error(401, "m", NULL, "req_x", "org", &e, extra, sizeof extra);
    CHECK_INT(e.kind, APIERR_MISSING_KEY); /* no key to mask: the missing-key envelope */
    controls_injected_error(500, "m", NULL, "req_abc", "org", &e, extra, sizeof extra);
    CHECK(strstr(e.message, "(Please include the request ID req_abc in your message.)") != NULL);
    controls_injected_error(404, "dall-e-9", NULL, "req_x", "org", &e, extra, sizeof extra);
    CHECK_STR(e.message, "The model `dall-e-9` does not exist or you do not have access to it.");
    CHECK_STR(e.param, "model");
    apierr_clear(&e);
}

static void test_moderate(void)
{
    struct apierr e = APIERR_INIT;
    char *words[] = {"forbidden"};
    CHECK_INT(controls_moderate("", "a calm lake", 11, words, 1, 1, "req_1", &e), 0);
    CHECK_INT(e.kind, APIERR_NONE);
    /* header categories, GPT model: moderation_blocked naming the request and the categories */
    CHECK_INT(controls_moderate("sexual,violence", "a calm lake", 11, words, 1, 1, "req_1", &e), -1);
    CHECK_INT(e.kind, APIERR_MODERATION_BLOCKED);
    CHECK_STR(e.categories, "sexual,violence");
    CHECK(strstr(e.message, "include the request ID req_1. safety_violations=[sexual, violence].") != NULL);
    /* a blocklisted word: category "blocklist"; DALL·E: content_policy_violation, no details */
    CHECK_INT(controls_moderate("", "A FORBIDDEN lake", 16, words, 1, 1, "req_2", &e), -1);
    CHECK_STR(e.categories, "blocklist");
    CHECK_INT(controls_moderate("", "A FORBIDDEN lake", 16, words, 1, 0, "req_2", &e), -1);
    CHECK_INT(e.kind, APIERR_CONTENT_POLICY);
    CHECK(e.categories == NULL);
    apierr_clear(&e);
}

static void test_malformed_body(void)
{
    char body[160];
    size_t n = controls_malformed_body(1700000000, body, sizeof body);
    CHECK_INT(n, strlen(body));
    CHECK_STR(body, "{\n  \"created\": 1700000000,\n  \"data\": [\n    {\n      \"b64_json\": \"iVBORw0KGgo");
    char tiny[8];
    CHECK_INT(controls_malformed_body(1, tiny, sizeof tiny), 7); /* cut to the buffer, never past it */
}

UNIT_MAIN(UNIT_TEST(test_injected_errors), UNIT_TEST(test_moderate), UNIT_TEST(test_malformed_body),
          UNIT_TEST(test_no_headers_no_controls), UNIT_TEST(test_every_header_at_once), UNIT_TEST(test_status),
          UNIT_TEST(test_prefer), UNIT_TEST(test_delays), UNIT_TEST(test_moderation_categories),
          UNIT_TEST(test_fault), UNIT_TEST(test_seed), UNIT_TEST(test_first_bad_header_reported),
          UNIT_TEST(test_error_envelope), UNIT_TEST(test_drawn_fault_rate_zero_and_one),
          UNIT_TEST(test_drawn_fault_distribution), UNIT_TEST(test_drawn_fault_reproducible),
          UNIT_TEST(test_blocked_word))
