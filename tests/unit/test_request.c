/* test_request.c — turning a POST body into a request or the real API's parse error.
 *
 * req_parse() is the gate between bytes and the API: anything that is not a single JSON object
 * in valid UTF-8 must produce exactly the APIERR_INVALID_JSON envelope (status 400), and any
 * object must pass with its top-level field count. These tests walk the edges: empty and
 * blank bodies, other JSON types at the top level, truncation, trailing bytes, bad UTF-8, and
 * bodies that are not NUL-terminated.
 */
#include "request.h"

#include <stdlib.h>
#include <string.h>

#include "unit.h"

#define PARSE_PREFIX "We could not parse the JSON body of your request."

/* req_parse over a string literal (may contain NULs); expect success with `fields` fields. */
static void check_ok(const char *body, size_t len, size_t fields, int line)
{
    struct apierr e = APIERR_INIT;
    struct image_request r = {(size_t)-1};
    int rc = req_parse(body, len, &r, &e);
    if (rc != 0 || r.field_count != fields || e.kind != APIERR_NONE) {
        fprintf(stderr, "%s:%d: req_parse(%.*s) rc=%d fields=%zu kind=%d, want ok with %zu fields\n", __FILE__,
                line, (int)len, body, rc, r.field_count, (int)e.kind, fields);
        unit_failures_in_test++;
    }
    apierr_clear(&e);
}

/* expect the parse-error envelope */
static void check_invalid(const char *body, size_t len, int line)
{
    struct apierr e = APIERR_INIT;
    struct image_request r = {0};
    int rc = req_parse(body, len, &r, &e);
    if (rc != -1 || e.kind != APIERR_INVALID_JSON || e.status != 400 || !e.message ||
        strncmp(e.message, PARSE_PREFIX, sizeof PARSE_PREFIX - 1) != 0 || e.param ||
        e.code) {
        fprintf(stderr, "%s:%d: req_parse(\"%.*s\") rc=%d kind=%d status=%d, want INVALID_JSON 400\n", __FILE__,
                line, (int)len, body, rc, (int)e.kind, e.status);
        unit_failures_in_test++;
    }
    apierr_clear(&e);
}

#define OK(lit, fields) check_ok((lit), sizeof(lit) - 1, (fields), __LINE__)
#define INVALID(lit) check_invalid((lit), sizeof(lit) - 1, __LINE__)

static void test_valid_objects(void)
{
    OK("{}", 0);
    OK("{\"prompt\":\"a cat\"}", 1);
    OK("{\"prompt\": \"a cat\", \"n\": 2, \"size\": \"1024x1024\", \"extra\": {\"x\": [1, 2]}}", 4);
    OK(" \t\r\n{ \"a\" : null } \n", 1); /* surrounding whitespace */
    OK("{\"prompt\":\"caf\xC3\xA9 \xF0\x9F\x98\x80\"}", 1);  /* valid UTF-8 */
    OK("{\"prompt\":\"\\u00e9\\ud83d\\ude00\"}", 1); /* escapes, including a surrogate pair */
}

static void test_duplicate_keys_accepted(void)
{
    OK("{\"a\":1,\"a\":2}", 1);
    OK("{\"a\":1,\"b\":2,\"a\":3}", 2);
}

static void test_not_json(void)
{
    INVALID("");
    INVALID(" ");
    INVALID(" \n\t\r ");
    INVALID("{");
    INVALID("{\"a\":");
    INVALID("{\"a\":1,}");  /* trailing comma */
    INVALID("{'a':1}");     /* single quotes */
    INVALID("{a:1}");       /* bare key */
    INVALID("{} x");        /* trailing garbage */
    INVALID("{}{}");
    INVALID("{}\0");        /* trailing NUL byte */
    INVALID("\0{}");
    INVALID("prompt=a+cat"); /* a form body */
    INVALID("{\"a\":NaN}");
}

static void test_not_an_object(void)
{
    INVALID("[]");
    INVALID("[{\"prompt\":\"a\"}]");
    INVALID("\"str\"");
    INVALID("123");
    INVALID("true");
    INVALID("null");
}

static void test_bad_utf8_in_string(void)
{
    INVALID("{\"prompt\":\"\xFF\"}");
    INVALID("{\"prompt\":\"\xC0\x80\"}");     /* overlong */
    INVALID("{\"prompt\":\"\xED\xA0\x80\"}"); /* surrogate */
    INVALID("{\"prompt\":\"\xE2\x82\"}");     /* truncated */
    INVALID("{\"\xFF\":1}");                  /* in a key */
    INVALID("{\"prompt\":\"a\x01\"}");        /* raw control character */
}

static void test_body_not_nul_terminated(void)
{
    /* only len bytes are read: a valid prefix of a longer buffer parses */
    const char buf[] = "{\"a\":1}GARBAGE";
    check_ok(buf, 7, 1, __LINE__);
    /* and a cut inside the object is an error, even though the buffer goes on */
    check_invalid(buf, 6, __LINE__);

    /* a heap buffer with no terminator at all */
    char *heap = malloc(2);
    CHECK(heap != NULL);
    if (heap) {
        memcpy(heap, "{}", 2);
        check_ok(heap, 2, 0, __LINE__);
        free(heap);
    }
}

static void test_error_replaces_previous(void)
{
    /* an apierr already set is replaced, not leaked or kept */
    struct apierr e = APIERR_INIT;
    apierr_set(&e, APIERR_BAD_KEY, 0, "p", "k");
    struct image_request r;
    CHECK_INT(req_parse("[]", 2, &r, &e), -1);
    CHECK_INT(e.kind, APIERR_INVALID_JSON);
    CHECK(e.param == NULL);
    CHECK(e.code == NULL);
    apierr_clear(&e);
}

/* RFC 8259 numbers have no size limit; {"n": 1e20-as-integer} is a JSON object, and the real API
 * (Python's json) parses it. request.h: only bodies that are "not JSON" get the parse error. */
UNIT_MAIN(UNIT_TEST(test_valid_objects), UNIT_TEST(test_duplicate_keys_accepted), UNIT_TEST(test_not_json),
          UNIT_TEST(test_not_an_object), UNIT_TEST(test_bad_utf8_in_string),
          UNIT_TEST(test_body_not_nul_terminated), UNIT_TEST(test_error_replaces_previous))
