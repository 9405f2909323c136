/* test_jscan.c — the strict JSON reader that request validation stands on.
 *
 * Validation echoes what the client sent the way the real API does, so jscan must keep exactly
 * what Jansson throws away: the body's key order, the first place of a repeated key (with the
 * last value), the JSON kind of each value (1 is an integer, 1.0 a decimal), integer literals
 * of any size as written, and strings decoded to UTF-8 with their length (\u0000 included).
 * It must also refuse everything RFC 8259 refuses — a lenient reader would turn a 400 "could
 * not parse" into some later, wrong, error — and it must not recurse without bound on hostile
 * nesting. Every text is parsed from a heap buffer of exactly its length, with no NUL after
 * it, so a read past the end shows up under valgrind or ASan.
 */
#include "jscan.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

/* jscan_object over a private copy of text[0..len) that ends exactly at `len`. */
static int parse(const char *text, size_t len, struct jscan_object *o)
{
    char *buf = malloc(len ? len : 1);
    if (!buf)
        return -2;
    memcpy(buf, text, len);
    int rc = jscan_object(buf, len, o);
    free(buf);
    return rc;
}

static void expect_ok(const char *text, size_t len, struct jscan_object *o, int line)
{
    if (parse(text, len, o) != 0) {
        fprintf(stderr, "%s:%d: jscan_object(%.*s) failed, want success\n", __FILE__, line, (int)len, text);
        unit_failures_in_test++;
    }
}

static void expect_reject(const char *text, size_t len, int line)
{
    struct jscan_object o;
    int rc = parse(text, len, &o);
    if (rc != -1) {
        fprintf(stderr, "%s:%d: jscan_object(%.*s) returned %d, want -1\n", __FILE__, line, (int)len, text, rc);
        unit_failures_in_test++;
    }
    jscan_free(&o); /* whatever it returned, this must be safe and release everything */
}

/* String literals, which may hold NULs and arbitrary bytes. */
#define OK(lit, o) expect_ok((lit), sizeof(lit) - 1, (o), __LINE__)
#define REJECT(lit) expect_reject((lit), sizeof(lit) - 1, __LINE__)

/* The single member of a one-member object `{"v": <json>}`, checked and returned through `o`. */
static const struct jscan_value *only_value(const char *json, struct jscan_object *o, int line)
{
    char text[512];
    int n = snprintf(text, sizeof text, "{\"v\":%s}", json);
    expect_ok(text, (size_t)n, o, line);
    if (o->count != 1) {
        fprintf(stderr, "%s:%d: {\"v\":%s} has %zu members, want 1\n", __FILE__, line, json, o->count);
        unit_failures_in_test++;
        return NULL;
    }
    return &o->members[0].value;
}
#define VALUE(json, o) only_value((json), (o), __LINE__)

static void test_well_formed_objects(void)
{
    struct jscan_object o;
    OK("{}", &o);
    CHECK_INT(o.count, 0);
    jscan_free(&o);

    OK(" \t\r\n{ \t\r\n} \t\r\n", &o); /* the four JSON whitespace characters, everywhere */
    CHECK_INT(o.count, 0);
    jscan_free(&o);

    OK("{ \"a\" : 1 , \"b\"\n:\n\"x\" }", &o);
    CHECK_INT(o.count, 2);
    jscan_free(&o);

    /* nested values are checked and kept only as their kind */
    OK("{\"o\":{\"k\":[1,2.5,\"s\",true,false,null,{},[],{\"x\":{\"y\":[]}}]},\"a\":[[],[[]],{}]}", &o);
    CHECK_INT(o.count, 2);
    if (o.count == 2) {
        CHECK_INT(o.members[0].value.kind, JSCAN_OBJECT);
        CHECK(o.members[0].value.text == NULL);
        CHECK_INT(o.members[1].value.kind, JSCAN_ARRAY);
        CHECK(o.members[1].value.text == NULL);
    }
    jscan_free(&o);

    /* an empty key is a key */
    OK("{\"\":1}", &o);
    CHECK_INT(o.count, 1);
    if (o.count == 1) {
        CHECK_STR(o.members[0].key, "");
        CHECK_INT(o.members[0].key_len, 0);
    }
    jscan_free(&o);

    /* DEL (0x7F) is not a control character to JSON and may appear raw */
    OK("{\"a\":\"\x7f\"}", &o);
    CHECK_INT(o.count, 1);
    jscan_free(&o);

    /* many members (more than the initial capacity) */
    char big[4096];
    size_t n = 0;
    big[n++] = '{';
    for (int i = 0; i < 100; i++)
        n += (size_t)snprintf(big + n, sizeof big - n, "%s\"k%d\":%d", i ? "," : "", i, i);
    big[n++] = '}';
    expect_ok(big, n, &o, __LINE__);
    CHECK_INT(o.count, 100);
    if (o.count == 100) {
        CHECK_STR(o.members[0].key, "k0");
        CHECK_STR(o.members[99].key, "k99");
        CHECK_INT(o.members[99].value.integer, 99);
    }
    jscan_free(&o);
}

static void test_key_order_kept(void)
{
    struct jscan_object o;
    OK("{\"zeta\":1,\"alpha\":2,\"mid\":3,\"beta\":4}", &o);
    CHECK_INT(o.count, 4);
    if (o.count == 4) {
        CHECK_STR(o.members[0].key, "zeta");
        CHECK_STR(o.members[1].key, "alpha");
        CHECK_STR(o.members[2].key, "mid");
        CHECK_STR(o.members[3].key, "beta");
        CHECK_INT(o.members[0].key_len, 4);
        CHECK_INT(o.members[2].value.integer, 3);
    }
    jscan_free(&o);
}

static void test_duplicate_keys(void)
{
    struct jscan_object o;
    /* the last value wins, in the place of the first key, and the count does not grow */
    OK("{\"a\":1,\"b\":2,\"a\":\"last\",\"c\":3}", &o);
    CHECK_INT(o.count, 3);
    if (o.count == 3) {
        CHECK_STR(o.members[0].key, "a");
        CHECK_INT(o.members[0].value.kind, JSCAN_STRING);
        CHECK_STR(o.members[0].value.text, "last");
        CHECK_STR(o.members[1].key, "b");
        CHECK_STR(o.members[2].key, "c");
    }
    jscan_free(&o);

    /* three times, with kinds changing: the value's own fields are replaced whole */
    OK("{\"n\":\"x\",\"n\":12345678901234567890123,\"n\":true}", &o);
    CHECK_INT(o.count, 1);
    if (o.count == 1) {
        CHECK_INT(o.members[0].value.kind, JSCAN_BOOLEAN);
        CHECK_INT(o.members[0].value.boolean, 1);
        CHECK(o.members[0].value.text == NULL);
    }
    jscan_free(&o);

    /* keys are compared decoded: "\u0061" is "a" */
    OK("{\"a\":1,\"\\u0061\":2}", &o);
    CHECK_INT(o.count, 1);
    if (o.count == 1)
        CHECK_INT(o.members[0].value.integer, 2);
    jscan_free(&o);

    /* ... and by their bytes, length included: "a" and "a\u0000" differ, so do "a" and "A" */
    OK("{\"a\":1,\"a\\u0000\":2,\"A\":3}", &o);
    CHECK_INT(o.count, 3);
    if (o.count == 3) {
        CHECK_INT(o.members[1].key_len, 2);
        CHECK(memcmp(o.members[1].key, "a\0", 3) == 0);
    }
    jscan_free(&o);

    /* a duplicate whose value is malformed still fails the whole document */
    REJECT("{\"a\":1,\"a\":01}");
}

static void test_kinds(void)
{
    struct jscan_object o;
    const struct jscan_value *v;

    if ((v = VALUE("\"text\"", &o))) {
        CHECK_INT(v->kind, JSCAN_STRING);
        CHECK_STR(v->text, "text");
        CHECK_INT(v->len, 4);
    }
    jscan_free(&o);
    if ((v = VALUE("\"\"", &o))) {
        CHECK_INT(v->kind, JSCAN_STRING);
        CHECK_STR(v->text, "");
        CHECK_INT(v->len, 0);
    }
    jscan_free(&o);
    if ((v = VALUE("42", &o))) {
        CHECK_INT(v->kind, JSCAN_INTEGER);
        CHECK_INT(v->integer, 42);
    }
    jscan_free(&o);
    if ((v = VALUE("0", &o))) {
        CHECK_INT(v->kind, JSCAN_INTEGER);
        CHECK_INT(v->integer, 0);
    }
    jscan_free(&o);
    if ((v = VALUE("-0", &o))) {
        CHECK_INT(v->kind, JSCAN_INTEGER);
        CHECK_INT(v->integer, 0);
        CHECK_STR(v->text, "-0");
    }
    jscan_free(&o);
    if ((v = VALUE("-17", &o))) {
        CHECK_INT(v->kind, JSCAN_INTEGER);
        CHECK_INT(v->integer, -17);
    }
    jscan_free(&o);

    /* a fraction or an exponent makes a decimal, even when the value is whole */
    static const char *const decimals[] = {"1.0", "1e2", "-0.5", "1E2", "1e+2", "1e-2", "0.0", "-0e0", "2.50E-3"};
    for (size_t i = 0; i < sizeof decimals / sizeof *decimals; i++) {
        if ((v = VALUE(decimals[i], &o))) {
            CHECK_INT(v->kind, JSCAN_DECIMAL);
            CHECK_STR(v->text, decimals[i]);
            CHECK_INT(v->len, strlen(decimals[i]));
        }
        jscan_free(&o);
    }

    if ((v = VALUE("true", &o))) {
        CHECK_INT(v->kind, JSCAN_BOOLEAN);
        CHECK_INT(v->boolean, 1);
        CHECK(v->text == NULL);
    }
    jscan_free(&o);
    if ((v = VALUE("false", &o))) {
        CHECK_INT(v->kind, JSCAN_BOOLEAN);
        CHECK_INT(v->boolean, 0);
    }
    jscan_free(&o);
    if ((v = VALUE("null", &o))) {
        CHECK_INT(v->kind, JSCAN_NULL);
        CHECK(v->text == NULL);
    }
    jscan_free(&o);
    if ((v = VALUE("{\"a\":[1]}", &o))) {
        CHECK_INT(v->kind, JSCAN_OBJECT);
        CHECK(v->text == NULL);
    }
    jscan_free(&o);
    if ((v = VALUE("{}", &o)))
        CHECK_INT(v->kind, JSCAN_OBJECT);
    jscan_free(&o);
    if ((v = VALUE("[1,\"2\",[3]]", &o))) {
        CHECK_INT(v->kind, JSCAN_ARRAY);
        CHECK(v->text == NULL);
    }
    jscan_free(&o);
    if ((v = VALUE("[]", &o)))
        CHECK_INT(v->kind, JSCAN_ARRAY);
    jscan_free(&o);
}

static void test_integer_saturation(void)
{
    static const struct {
        const char *literal;
        int64_t value;
    } cases[] = {
        {"9223372036854775807", INT64_MAX},         /* fits exactly */
        {"9223372036854775808", INT64_MAX},         /* one above: saturates */
        {"-9223372036854775808", INT64_MIN},        /* fits exactly */
        {"-9223372036854775809", INT64_MIN},        /* one below: saturates */
        {"-9223372036854775807", -INT64_MAX},
        {"9223372036854775806", INT64_MAX - 1},
        {"100000000000000000000", INT64_MAX},       /* far above */
        {"-100000000000000000000", INT64_MIN},      /* far below */
        {"99999999999999999999999999999999999999999999999999", INT64_MAX},
        {"18446744073709551616", INT64_MAX},        /* 2^64 must not wrap to 0 */
        {"18446744073709551617", INT64_MAX},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct jscan_object o;
        const struct jscan_value *v = VALUE(cases[i].literal, &o);
        if (v) {
            CHECK_INT(v->kind, JSCAN_INTEGER);
            if (v->integer != cases[i].value) {
                fprintf(stderr, "%s:%d: %s read as %lld, want %lld\n", __FILE__, __LINE__, cases[i].literal,
                        (long long)v->integer, (long long)cases[i].value);
                unit_failures_in_test++;
            }
            /* the literal itself is kept for the "got … instead" messages */
            CHECK_STR(v->text, cases[i].literal);
            CHECK_INT(v->len, strlen(cases[i].literal));
        }
        jscan_free(&o);
    }
}

static void test_number_literals_kept(void)
{
    static const char *const literals[] = {"0", "-0", "7", "-7", "10", "0.10", "1.000", "1e05", "1E+5",
                                           "-1.5e-7", "123456789012345678901234567890.5"};
    for (size_t i = 0; i < sizeof literals / sizeof *literals; i++) {
        struct jscan_object o;
        const struct jscan_value *v = VALUE(literals[i], &o);
        if (v) {
            CHECK_STR(v->text, literals[i]);
            CHECK_INT(v->len, strlen(literals[i]));
        }
        jscan_free(&o);
    }
    /* the literal ends where the number ends, not at the delimiter */
    struct jscan_object o;
    OK("{\"a\":12 , \"b\":3.5}", &o);
    CHECK_INT(o.count, 2);
    if (o.count == 2) {
        CHECK_STR(o.members[0].value.text, "12");
        CHECK_INT(o.members[0].value.len, 2);
        CHECK_STR(o.members[1].value.text, "3.5");
    }
    jscan_free(&o);
}

static void test_number_rejections(void)
{
    REJECT("{\"a\":01}");   /* leading zero */
    REJECT("{\"a\":00}");
    REJECT("{\"a\":-01}");
    REJECT("{\"a\":[01]}"); /* nested too */
    REJECT("{\"a\":+1}");
    REJECT("{\"a\":.5}");
    REJECT("{\"a\":-.5}");
    REJECT("{\"a\":1.}");
    REJECT("{\"a\":1.e3}");
    REJECT("{\"a\":1e}");
    REJECT("{\"a\":1e+}");
    REJECT("{\"a\":1e-}");
    REJECT("{\"a\":-}");
    REJECT("{\"a\":--1}");
    REJECT("{\"a\":1.5.5}");
    REJECT("{\"a\":0x10}");
    REJECT("{\"a\":1_000}");
    REJECT("{\"a\":NaN}");
    REJECT("{\"a\":nan}");
    REJECT("{\"a\":Infinity}");
    REJECT("{\"a\":-Infinity}");
    REJECT("{\"a\":[NaN]}");
    /* the number is the last thing in the buffer */
    REJECT("{\"a\":1");
    REJECT("{\"a\":1.");
    REJECT("{\"a\":1e");
    REJECT("{\"a\":-");
}

static void test_string_escapes(void)
{
    struct jscan_object o;
    const struct jscan_value *v;

    if ((v = VALUE("\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t\"", &o))) {
        CHECK_STR(v->text, "\" \\ / \b \f \n \r \t");
        CHECK_INT(v->len, 15);
    }
    jscan_free(&o);

    if ((v = VALUE("\"caf\\u00e9\"", &o))) { /* é as two UTF-8 bytes */
        CHECK_STR(v->text, "caf\xC3\xA9");
        CHECK_INT(v->len, 5);
    }
    jscan_free(&o);
    if ((v = VALUE("\"\\u00E9\\u0041\\u20ac\\u07ff\\u0800\\uffff\"", &o))) { /* hex of either case; 1–3 bytes */
        CHECK_STR(v->text, "\xC3\xA9" "A" "\xE2\x82\xAC" "\xDF\xBF" "\xE0\xA0\x80" "\xEF\xBF\xBF");
        CHECK_INT(v->len, 2 + 1 + 3 + 2 + 3 + 3);
    }
    jscan_free(&o);

    /* a surrogate pair is one code point, four UTF-8 bytes */
    if ((v = VALUE("\"\\ud83d\\ude00\"", &o))) {
        CHECK_STR(v->text, "\xF0\x9F\x98\x80");
        CHECK_INT(v->len, 4);
    }
    jscan_free(&o);
    if ((v = VALUE("\"\\uD800\\uDC00|\\uDBFF\\uDFFF\"", &o))) { /* U+10000 and U+10FFFF */
        CHECK_STR(v->text, "\xF0\x90\x80\x80|\xF4\x8F\xBF\xBF");
        CHECK_INT(v->len, 9);
    }
    jscan_free(&o);

    /* \u0000 is a character: kept, and counted in len */
    if ((v = VALUE("\"a\\u0000b\"", &o))) {
        CHECK_INT(v->len, 3);
        CHECK(memcmp(v->text, "a\0b", 4) == 0); /* still NUL-terminated after the data */
    }
    jscan_free(&o);

    /* raw UTF-8 passes through as is */
    if ((v = VALUE("\"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\"", &o))) {
        CHECK_STR(v->text, "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
        CHECK_INT(v->len, 9);
    }
    jscan_free(&o);

    /* escapes in keys are decoded too */
    OK("{\"k\\n\\u00e9\":1}", &o);
    CHECK_INT(o.count, 1);
    if (o.count == 1) {
        CHECK_STR(o.members[0].key, "k\n\xC3\xA9");
        CHECK_INT(o.members[0].key_len, 4);
    }
    jscan_free(&o);

    /* a string of nothing but escapes (the decoded buffer is sized from the raw text) */
    if ((v = VALUE("\"\\\\\\\\\\\\\\\\\\ud83d\\ude00\\ud83d\\ude00\"", &o))) {
        CHECK_STR(v->text, "\\\\\\\\\xF0\x9F\x98\x80\xF0\x9F\x98\x80");
        CHECK_INT(v->len, 12);
    }
    jscan_free(&o);
}

static void test_string_rejections(void)
{
    /* lone surrogates */
    REJECT("{\"a\":\"\\ud83d\"}");            /* high alone */
    REJECT("{\"a\":\"\\ud83dx\"}");           /* high, then a plain character */
    REJECT("{\"a\":\"\\ud83d\\u0041\"}");     /* high, then a non-surrogate escape */
    REJECT("{\"a\":\"\\ud83d\\ud83d\"}");     /* high, then another high */
    REJECT("{\"a\":\"\\ud83d\\n\"}");         /* high, then another kind of escape */
    REJECT("{\"a\":\"\\ude00\"}");            /* low alone */
    REJECT("{\"a\":\"\\ude00\\ud83d\"}");     /* a pair in the wrong order */
    REJECT("{\"a\":\"\\udfff\"}");
    REJECT("{\"\\ud800\":1}");                /* in a key */
    REJECT("{\"a\":[\"\\udc00\"]}");          /* nested */
    REJECT("{\"a\":\"\\ud83d");               /* at the end of the buffer */
    REJECT("{\"a\":\"\\ud83d\\");
    REJECT("{\"a\":\"\\ud83d\\u");
    REJECT("{\"a\":\"\\ud83d\\ude0");

    /* raw control characters, in values, keys and nested strings */
    REJECT("{\"a\":\"x\ny\"}");
    REJECT("{\"a\":\"\t\"}");
    REJECT("{\"a\":\"\r\"}");
    REJECT("{\"a\":\"\x01\"}");
    REJECT("{\"a\":\"\x1f\"}");
    REJECT("{\"a\":\"\0\"}");
    REJECT("{\"k\x01\":1}");
    REJECT("{\"a\":{\"b\":\"\x02\"}}");

    /* malformed escapes */
    REJECT("{\"a\":\"\\x41\"}");
    REJECT("{\"a\":\"\\'\"}");
    REJECT("{\"a\":\"\\a\"}");
    REJECT("{\"a\":\"\\0\"}");
    REJECT("{\"a\":\"\\U00e9\"}");
    REJECT("{\"a\":\"\\u00e\"}");
    REJECT("{\"a\":\"\\u00g9\"}");
    REJECT("{\"a\":\"\\u\"}");
    REJECT("{\"a\":\"\\");
    REJECT("{\"a\":\"\\u00");

    /* unterminated */
    REJECT("{\"a\":\"abc}");
    REJECT("{\"a\":\"");
    REJECT("{\"abc");
    REJECT("{\"a\":\"abc\\\"}"); /* the quote is escaped */
}

static void test_utf8_rejections(void)
{
    REJECT("{\"a\":\"\xff\"}");                 /* never valid */
    REJECT("{\"a\":\"\xfe\"}");
    REJECT("{\"a\":\"\x80\"}");                 /* stray continuation byte */
    REJECT("{\"a\":\"\xbf\"}");
    REJECT("{\"a\":\"\xc3\"}");                 /* truncated: the quote is not a continuation */
    REJECT("{\"a\":\"\xe2\x82\"}");
    REJECT("{\"a\":\"\xf0\x9f\x98\"}");
    REJECT("{\"a\":\"\xc3");                    /* truncated by the end of the buffer */
    REJECT("{\"a\":\"\xf0\x9f");
    REJECT("{\"a\":\"\xc0\xaf\"}");             /* overlong '/' */
    REJECT("{\"a\":\"\xc1\xbf\"}");             /* overlong U+007F */
    REJECT("{\"a\":\"\xe0\x80\xaf\"}");         /* overlong 3-byte */
    REJECT("{\"a\":\"\xe0\x9f\xbf\"}");
    REJECT("{\"a\":\"\xf0\x80\x80\xaf\"}");     /* overlong 4-byte */
    REJECT("{\"a\":\"\xf0\x8f\xbf\xbf\"}");
    REJECT("{\"a\":\"\xed\xa0\x80\"}");         /* a surrogate written in UTF-8 */
    REJECT("{\"a\":\"\xed\xbf\xbf\"}");
    REJECT("{\"a\":\"\xf4\x90\x80\x80\"}");     /* above U+10FFFF */
    REJECT("{\"a\":\"\xf5\x80\x80\x80\"}");
    REJECT("{\"\xff\":1}");                     /* in a key */
    REJECT("{\"a\":[\"\xc0\x80\"]}");           /* nested */
    REJECT("{\"a\":1,\xc3\xa9}");               /* outside a string, even valid UTF-8 is garbage */
}

static void test_syntax_rejections(void)
{
    /* top level must be an object */
    REJECT("[]");
    REJECT("[{}]");
    REJECT("\"s\"");
    REJECT("1");
    REJECT("null");
    REJECT("true");
    /* nothing, or only whitespace */
    REJECT("");
    REJECT(" ");
    REJECT(" \t\r\n");
    /* not JSON whitespace */
    REJECT("\f{}");
    REJECT("\v{}");
    REJECT("{}\f");
    REJECT("\xC2\xA0{}"); /* NBSP */
    /* byte order mark */
    REJECT("\xEF\xBB\xBF{}");
    REJECT("\xEF\xBB\xBF{\"a\":1}");
    /* trailing commas */
    REJECT("{\"a\":1,}");
    REJECT("{\"a\":[1,]}");
    REJECT("{\"a\":{\"b\":1,}}");
    REJECT("{,}");
    REJECT("{\"a\":[,1]}");
    REJECT("{\"a\":1,,\"b\":2}");
    /* comments */
    REJECT("{/* c */}");
    REJECT("{\"a\":1 // c\n}");
    REJECT("{\"a\":1}# c");
    /* single quotes, bare keys */
    REJECT("{'a':1}");
    REJECT("{\"a\":'x'}");
    REJECT("{a:1}");
    /* structure */
    REJECT("{");
    REJECT("}");
    REJECT("{\"a\"}");
    REJECT("{\"a\":}");
    REJECT("{\"a\" 1}");
    REJECT("{\"a\"=1}");
    REJECT("{\"a\":1 \"b\":2}");
    REJECT("{\"a\":[1 2]}");
    REJECT("{\"a\":[1}");
    REJECT("{\"a\":{]}");
    REJECT("{1:1}");
    REJECT("{null:1}");
    /* literals are exact and lowercase */
    REJECT("{\"a\":True}");
    REJECT("{\"a\":tru}");
    REJECT("{\"a\":nul}");
    REJECT("{\"a\":falsey}");
    REJECT("{\"a\":undefined}");
    REJECT("{\"a\":t");
    /* trailing garbage */
    REJECT("{}x");
    REJECT("{}{}");
    REJECT("{} []");
    REJECT("{\"a\":1}}");
    REJECT("{}\0");      /* a NUL inside the length is garbage too */
    REJECT("{\"a\":1}\0 ");
}

static void test_length_is_respected(void)
{
    struct jscan_object o;
    /* text need not be NUL-terminated, and nothing after `len` is looked at */
    const char *text = "{\"a\":1}garbage";
    expect_ok(text, 7, &o, __LINE__);
    CHECK_INT(o.count, 1);
    jscan_free(&o);
    CHECK_INT(jscan_object(text, 7, &o), 0); /* straight from the caller's buffer, too */
    jscan_free(&o);
    /* a document cut short by `len` is incomplete */
    expect_reject("{\"a\":12345}", 8, __LINE__);
    expect_reject("{\"a\":1}", 6, __LINE__);
    expect_reject("{\"a\":\"xy\"}", 8, __LINE__);
    expect_reject("{\"a\":true}", 8, __LINE__);
}

/* The text {"a": + `inner` nested containers + closers + }, so that counting the top-level
 * object as depth 1, the deepest container is at depth inner + 1. */
static char *nested(size_t inner, int objects, size_t *len)
{
    size_t open = objects ? 5 : 1; /* {"k": or [ */
    char *s = malloc(5 + inner * (open + 1) + 2 + 1);
    if (!s)
        return NULL;
    size_t n = 0;
    memcpy(s, "{\"a\":", 5);
    n = 5;
    for (size_t i = 0; i < inner; i++) {
        if (!objects)
            s[n++] = '[';
        else if (i + 1 < inner) {
            memcpy(s + n, "{\"k\":", 5);
            n += 5;
        } else
            s[n++] = '{';
    }
    if (inner == 0)
        s[n++] = '0';
    for (size_t i = 0; i < inner; i++)
        s[n++] = objects ? '}' : ']';
    s[n++] = '}';
    s[n] = '\0';
    *len = n;
    return s;
}

static void test_nesting_limit(void)
{
    for (int objects = 0; objects <= 1; objects++) {
        size_t len;
        struct jscan_object o;
        char *s;

        /* the top-level object is depth 1: JSCAN_MAX_DEPTH - 1 containers inside it is the most */
        if ((s = nested(JSCAN_MAX_DEPTH - 1, objects, &len))) {
            expect_ok(s, len, &o, __LINE__);
            CHECK_INT(o.count, 1);
            if (o.count == 1)
                CHECK_INT(o.members[0].value.kind, objects ? JSCAN_OBJECT : JSCAN_ARRAY);
            jscan_free(&o);
            free(s);
        }
        /* one deeper is refused */
        if ((s = nested(JSCAN_MAX_DEPTH, objects, &len))) {
            expect_reject(s, len, __LINE__);
            free(s);
        }
        if ((s = nested(JSCAN_MAX_DEPTH + 1, objects, &len))) {
            expect_reject(s, len, __LINE__);
            free(s);
        }
        /* shallow nesting, for contrast */
        if ((s = nested(1, objects, &len))) {
            expect_ok(s, len, &o, __LINE__);
            jscan_free(&o);
            free(s);
        }
    }
    CHECK_INT(JSCAN_MAX_DEPTH, 512); /* the limit the README and tests are written against */
}

static void test_deep_nesting_does_not_crash(void)
{
    enum { DEEP = 100000 };
    size_t len;
    char *s = nested(DEEP, 0, &len);
    if (s) {
        expect_reject(s, len, __LINE__);
        free(s);
    }
    if ((s = nested(DEEP, 1, &len))) {
        expect_reject(s, len, __LINE__);
        free(s);
    }
    /* unclosed: the limit is hit before the missing closers matter */
    char *open = malloc(DEEP + 5);
    if (open) {
        memcpy(open, "{\"a\":", 5);
        memset(open + 5, '[', DEEP);
        expect_reject(open, DEEP + 5, __LINE__);
        free(open);
    }
}

static void test_get(void)
{
    struct jscan_object o;
    OK("{\"prompt\":\"a cat\",\"n\":2,\"\":null,\"n2\":3}", &o);
    const struct jscan_member *m = jscan_get(&o, "prompt");
    CHECK(m != NULL);
    if (m) {
        CHECK(m == &o.members[0]);
        CHECK_STR(m->value.text, "a cat");
    }
    m = jscan_get(&o, "n");
    CHECK(m == &o.members[1]);
    m = jscan_get(&o, "");
    CHECK(m == &o.members[2]);
    CHECK(jscan_get(&o, "n2") == &o.members[3]);
    CHECK(jscan_get(&o, "prom") == NULL);     /* a prefix is not the key */
    CHECK(jscan_get(&o, "prompts") == NULL);  /* nor a longer key */
    CHECK(jscan_get(&o, "Prompt") == NULL);   /* case matters */
    CHECK(jscan_get(&o, "size") == NULL);
    jscan_free(&o);

    /* an empty object, and a freed one, have nothing */
    OK("{}", &o);
    CHECK(jscan_get(&o, "a") == NULL);
    jscan_free(&o);
    CHECK(jscan_get(&o, "a") == NULL);

    /* a repeated key is found once, with its last value */
    OK("{\"a\":1,\"a\":2}", &o);
    m = jscan_get(&o, "a");
    CHECK(m != NULL);
    if (m)
        CHECK_INT(m->value.integer, 2);
    jscan_free(&o);
}

static void test_kind_phrase(void)
{
    CHECK_STR(jscan_kind_phrase(JSCAN_STRING), "a string");
    CHECK_STR(jscan_kind_phrase(JSCAN_INTEGER), "an integer");
    CHECK_STR(jscan_kind_phrase(JSCAN_DECIMAL), "a decimal number");
    CHECK_STR(jscan_kind_phrase(JSCAN_BOOLEAN), "a boolean");
    CHECK_STR(jscan_kind_phrase(JSCAN_OBJECT), "an object");
    CHECK_STR(jscan_kind_phrase(JSCAN_ARRAY), "an array");
    CHECK_STR(jscan_kind_phrase(JSCAN_NULL), "null");
}

static void test_free(void)
{
    struct jscan_object o;
    /* after success: zeroed, and a second free is harmless */
    OK("{\"a\":\"x\",\"b\":1,\"c\":1.5,\"d\":[1]}", &o);
    jscan_free(&o);
    CHECK(o.members == NULL);
    CHECK_INT(o.count, 0);
    CHECK(unit_all_zero(&o, sizeof o));
    jscan_free(&o);

    /* after failures at every stage, with members already kept (valgrind checks for leaks) */
    static const char *const failing[] = {
        "{\"a\":\"x\",\"b\":\"y\",\"c\":01}",   /* a bad number after two strings */
        "{\"a\":\"x\",\"b\":\"\\ud800\"}",       /* a bad string value */
        "{\"a\":\"x\",\"\\ud800\":1}",           /* a bad key */
        "{\"a\":\"x\",\"b\":2 \"c\":3}",         /* a missing comma */
        "{\"a\":\"x\",\"b\"",                    /* a missing colon */
        "{\"a\":\"x\",\"a\":\"y\",\"b\":[}",     /* after a duplicate */
        "{\"a\":\"x\"} trailing",                /* after the whole object */
        "{\"a\":12345678901234567890,\"b\":",    /* the end of the text */
    };
    for (size_t i = 0; i < sizeof failing / sizeof *failing; i++) {
        CHECK_INT(parse(failing[i], strlen(failing[i]), &o), -1);
        jscan_free(&o);
        CHECK(unit_all_zero(&o, sizeof o));
        jscan_free(&o);
    }

    /* a failed parse of garbage into an object that held junk: jscan_object starts it afresh */
    memset(&o, 0xA5, sizeof o);
    CHECK_INT(parse("nope", 4, &o), -1);
    jscan_free(&o);
}

/* Thousands of keys, each one given twice (the second time later, with another value): every
 * key keeps its first place and takes its last value, across the key index's growth. */
static void test_many_keys_with_repeats(void)
{
    enum { KEYS = 5000 };
    size_t cap = (size_t)KEYS * 2 * 24 + 16;
    char *text = malloc(cap);
    size_t n = 0;
    text[n++] = '{';
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < KEYS; i++)
            n += (size_t)snprintf(text + n, cap - n, "%s\"k%d\":%d", n > 1 ? "," : "", i, pass * KEYS + i);
    text[n++] = '}';
    struct jscan_object obj;
    CHECK_INT(jscan_object(text, n, &obj), 0);
    CHECK_INT(obj.count, KEYS);
    int in_order = 1;
    for (size_t i = 0; i < obj.count; i++) {
        char key[32];
        snprintf(key, sizeof key, "k%zu", i);
        in_order &= !strcmp(obj.members[i].key, key) && obj.members[i].value.integer == (int64_t)(KEYS + i);
    }
    CHECK(in_order);
    CHECK(jscan_get(&obj, "k4999") == &obj.members[4999]);
    jscan_free(&obj);
    free(text);
}

UNIT_MAIN(UNIT_TEST(test_many_keys_with_repeats), UNIT_TEST(test_well_formed_objects), UNIT_TEST(test_key_order_kept), UNIT_TEST(test_duplicate_keys),
          UNIT_TEST(test_kinds), UNIT_TEST(test_integer_saturation), UNIT_TEST(test_number_literals_kept),
          UNIT_TEST(test_number_rejections), UNIT_TEST(test_string_escapes), UNIT_TEST(test_string_rejections),
          UNIT_TEST(test_utf8_rejections), UNIT_TEST(test_syntax_rejections), UNIT_TEST(test_length_is_respected),
          UNIT_TEST(test_nesting_limit), UNIT_TEST(test_deep_nesting_does_not_crash), UNIT_TEST(test_get),
          UNIT_TEST(test_kind_phrase), UNIT_TEST(test_free))
