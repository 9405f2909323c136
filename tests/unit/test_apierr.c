/* test_apierr.c — the error envelope, byte for byte.
 *
 * apierr is the single place that decides what an OpenAI error looks like on the wire, and
 * clients (SDKs, snapshot tests) compare those bytes, so these tests pin the exact layout
 * (4-space indent, key order message/type/param/code, trailing newline), the status/type/code
 * of every template row, the ownership rules (set twice replaces, clear is idempotent), and
 * that bytes a client sent which are not UTF-8 still yield a valid JSON string.
 */
#include "apierr.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "jsonout.h"
#include "unit.h"

#define PARSE_PREFIX "We could not parse the JSON body of your request."
#define MISSING_PREFIX "You didn't provide an API key."

/* Serialise `e`, check the reported length matches the string, and return it (caller frees). */
static char *envelope(const struct apierr *e)
{
    size_t len = (size_t)-1;
    char *json = apierr_to_json(e, ERRORS_OPENAI, &len);
    CHECK(json != NULL);
    if (json)
        CHECK_INT(len, strlen(json));
    return json;
}

static void test_invalid_url_envelope_exact_bytes(void)
{
    struct apierr e = APIERR_INIT;
    CHECK_INT(apierr_set(&e, APIERR_INVALID_URL, 0, NULL, "GET", "/x"), -1);
    CHECK_INT(e.kind, APIERR_INVALID_URL);
    CHECK_INT(e.status, 404);
    CHECK_STR(e.type, "invalid_request_error");
    CHECK(e.code == NULL);
    CHECK(e.param == NULL);
    CHECK_STR(e.message, "Invalid URL (GET /x)");
    char *json = envelope(&e);
    CHECK_STR(json, "{\n"
                    "    \"error\": {\n"
                    "        \"message\": \"Invalid URL (GET /x)\",\n"
                    "        \"type\": \"invalid_request_error\",\n"
                    "        \"param\": null,\n"
                    "        \"code\": null\n"
                    "    }\n"
                    "}\n");
    free(json);
    apierr_clear(&e);
}

static void test_param_present_is_a_string(void)
{
    struct apierr e = APIERR_INIT;
    char param[] = "prompt";
    apierr_set(&e, APIERR_INVALID_JSON, 0, param);
    CHECK_STR(e.param, "prompt");
    CHECK(e.param != param); /* an owned copy, not the caller's buffer */
    param[0] = 'X';
    CHECK_STR(e.param, "prompt");
    char *json = envelope(&e);
    CHECK(json && strstr(json, "\n        \"param\": \"prompt\",\n") != NULL);
    CHECK(json && strstr(json, "\"param\": null") == NULL);
    free(json);
    apierr_clear(&e);
}

static void test_bad_key_has_code(void)
{
    struct apierr e = APIERR_INIT;
    apierr_set(&e, APIERR_BAD_KEY, 0, NULL, "sk-abc");
    CHECK_INT(e.status, 401);
    CHECK_STR(e.code, "invalid_api_key");
    CHECK_STR(e.message, "Incorrect API key provided: sk-abc. You can find your API key at "
                         "https://platform.openai.com/account/api-keys.");
    char *json = envelope(&e);
    CHECK_STR(json, "{\n"
                    "    \"error\": {\n"
                    "        \"message\": \"Incorrect API key provided: sk-abc. You can find your API key "
                    "at https://platform.openai.com/account/api-keys.\",\n"
                    "        \"type\": \"invalid_request_error\",\n"
                    "        \"param\": null,\n"
                    "        \"code\": \"invalid_api_key\"\n"
                    "    }\n"
                    "}\n");
    free(json);
    apierr_clear(&e);
}

static void test_status_per_kind(void)
{
    struct apierr e = APIERR_INIT;

    apierr_set(&e, APIERR_INVALID_URL, 0, NULL, "GET", "/x");
    CHECK_INT(e.status, 404);
    apierr_set(&e, APIERR_METHOD, 0, NULL, "DELETE", "/v1/images/generations");
    CHECK_INT(e.status, 405);
    CHECK_STR(e.message, "Invalid URL (DELETE /v1/images/generations)");
    CHECK(e.code == NULL);
    apierr_set(&e, APIERR_MISSING_KEY, 0, NULL);
    CHECK_INT(e.status, 401);
    CHECK(e.code == NULL);
    CHECK(e.message && strncmp(e.message, MISSING_PREFIX, sizeof MISSING_PREFIX - 1) == 0);
    apierr_set(&e, APIERR_BAD_KEY, 0, NULL, "k");
    CHECK_INT(e.status, 401);
    apierr_set(&e, APIERR_BODY_TOO_LARGE, 0, NULL, (size_t)10);
    CHECK_INT(e.status, 413);
    apierr_set(&e, APIERR_INVALID_JSON, 0, NULL);
    CHECK_INT(e.status, 400);
    CHECK_STR(e.type, "invalid_request_error");
    CHECK(e.message && strncmp(e.message, PARSE_PREFIX, sizeof PARSE_PREFIX - 1) == 0);
    apierr_set(&e, APIERR_OUT_OF_MEMORY, 0, NULL);
    CHECK_INT(e.status, 500);
    CHECK_STR(e.type, "server_error");

    /* the protocol row takes its status and its message from the caller */
    apierr_set(&e, APIERR_HTTP_PROTOCOL, 431, NULL, "Request Header Fields Too Large");
    CHECK_INT(e.status, 431);
    CHECK_STR(e.type, "invalid_request_error");
    CHECK_STR(e.message, "Request Header Fields Too Large");
    apierr_set(&e, APIERR_HTTP_PROTOCOL, 505, NULL, "HTTP Version Not Supported");
    CHECK_INT(e.status, 505);

    /* every other row ignores the override */
    apierr_set(&e, APIERR_INVALID_URL, 500, NULL, "GET", "/x");
    CHECK_INT(e.status, 404);
    apierr_clear(&e);
}

static void test_body_too_large_names_limit(void)
{
    struct apierr e = APIERR_INIT;
    apierr_set(&e, APIERR_BODY_TOO_LARGE, 0, NULL, (size_t)1048576);
    CHECK_STR(e.message, "The request body is larger than the 1048576 bytes this server accepts "
                         "(imgmock --max-body).");
    apierr_set(&e, APIERR_BODY_TOO_LARGE, 0, NULL, (size_t)1 << 30);
    CHECK(e.message && strstr(e.message, " 1073741824 bytes ") != NULL);
    apierr_clear(&e);
}

/* A path that is not UTF-8 must not break the envelope: the bad byte becomes U+FFFD. */
static void test_invalid_utf8_message_still_a_string(void)
{
    struct apierr e = APIERR_INIT;
    apierr_set(&e, APIERR_INVALID_URL, 0, NULL, "GET", "/\xff");
    char *json = envelope(&e);
    CHECK(json != NULL);
    if (json) {
        /* the message is a string (not null) and the envelope is pure ASCII */
        CHECK(strstr(json, "\"message\": \"Invalid URL (GET /\\u") != NULL);
        CHECK(strstr(json, "\"message\": null") == NULL);
        /* U+FFFD, whatever the case of the hex digits */
        const char *u = strstr(json, "/\\u");
        CHECK(u && strncasecmp(u + 3, "fffd)\"", 6) == 0);
        for (const char *p = json; *p; p++)
            CHECK((unsigned char)*p < 0x80);
    }
    free(json);
    apierr_clear(&e);
}

/* The real API escapes non-ASCII the way Python's json.dumps does: \u plus four LOWERCASE hex
 * digits. apierr.c promises the real API's envelope byte for byte. */
static void test_non_ascii_escaped_as_real_api(void)
{
    struct apierr e = APIERR_INIT;
    apierr_set(&e, APIERR_INVALID_URL, 0, NULL, "GET", "/\xff");
    char *json = envelope(&e);
    CHECK_STR(json, "{\n"
                    "    \"error\": {\n"
                    "        \"message\": \"Invalid URL (GET /\\ufffd)\",\n"
                    "        \"type\": \"invalid_request_error\",\n"
                    "        \"param\": null,\n"
                    "        \"code\": null\n"
                    "    }\n"
                    "}\n");
    free(json);

    apierr_set(&e, APIERR_INVALID_URL, 0, NULL, "GET", "/caf\xc3\xa9"); /* valid UTF-8: é */
    json = envelope(&e);
    CHECK(json && strstr(json, "\"Invalid URL (GET /caf\\u00e9)\"") != NULL);
    free(json);
    apierr_clear(&e);
}

static void test_special_characters_escaped(void)
{
    struct apierr e = APIERR_INIT;
    apierr_set(&e, APIERR_INVALID_URL, 0, NULL, "GET", "/a\"b\\c\n");
    char *json = envelope(&e);
    CHECK(json && strstr(json, "\"message\": \"Invalid URL (GET /a\\\"b\\\\c\\n)\",\n") != NULL);
    free(json);
    apierr_clear(&e);
}

static void test_set_twice_replaces(void)
{
    struct apierr e = APIERR_INIT;
    apierr_set(&e, APIERR_BAD_KEY, 0, "first", "k1");
    apierr_set(&e, APIERR_INVALID_URL, 0, NULL, "POST", "/y");
    CHECK_INT(e.kind, APIERR_INVALID_URL);
    CHECK_INT(e.status, 404);
    CHECK(e.code == NULL);  /* not left over from BAD_KEY */
    CHECK(e.param == NULL); /* not left over either */
    CHECK_STR(e.message, "Invalid URL (POST /y)");
    apierr_clear(&e);
}

static void test_clear_resets_and_is_safe_when_unset(void)
{
    struct apierr e = APIERR_INIT;
    apierr_clear(&e); /* unset: must not crash or free garbage */
    apierr_clear(&e);
    CHECK_INT(e.kind, APIERR_NONE);

    apierr_set(&e, APIERR_BAD_KEY, 0, "p", "k");
    apierr_clear(&e);
    CHECK_INT(e.kind, APIERR_NONE);
    CHECK_INT(e.status, 0);
    CHECK(e.type == NULL);
    CHECK(e.code == NULL);
    CHECK(e.param == NULL);
    CHECK(e.message == NULL);
    apierr_clear(&e); /* clearing twice is fine */
}

static void test_len_pointer_optional(void)
{
    struct apierr e = APIERR_INIT;
    apierr_set(&e, APIERR_INVALID_JSON, 0, NULL);
    char *json = apierr_to_json(&e, ERRORS_OPENAI, NULL);
    CHECK(json != NULL);
    CHECK(json && json[strlen(json) - 1] == '\n');
    static const char prefix[] = "{\n    \"error\": {\n        \"message\": \"We could not parse";
    CHECK(json && strncmp(json, prefix, sizeof prefix - 1) == 0);
    free(json);
    apierr_clear(&e);
}


/* The envelope is laid out by hand for speed; this builds the same envelope as a Jansson tree
 * dumped by jsonout_dump() (how every other body is written) and compares the bytes, for both
 * error styles, string and integer codes, params, moderation details and awkward text. */
static json_t *text_or_null(const char *s)
{
    return s ? jsonout_string(s, strlen(s)) : json_null();
}

static char *envelope_from_tree(const struct apierr *e, enum error_style style)
{
    json_t *inner = json_object();
    if (style == ERRORS_CODE_DETAILS) {
        json_object_set_new(inner, "code", json_integer(e->status));
        json_object_set_new(inner, "message", text_or_null(e->message));
        json_object_set_new(inner, "details", json_array());
    } else {
        json_object_set_new(inner, "message", text_or_null(e->message));
        json_object_set_new(inner, "type", text_or_null(e->type));
        json_object_set_new(inner, "param", text_or_null(e->param));
        json_object_set_new(inner, "code", e->code || !e->code_number ? text_or_null(e->code)
                                                                       : json_integer(e->code_number));
        if (e->categories) {
            json_t *list = json_array();
            for (const char *p = e->categories; *p;) {
                size_t n = strcspn(p, ",");
                json_array_append_new(list, jsonout_string(p, n));
                p += n + (p[n] == ',');
            }
            json_object_set_new(inner, "moderation_details",
                                json_pack("{s:s, s:o}", "moderation_stage", "input", "categories", list));
        }
    }
    json_t *root = json_pack("{s:o}", "error", inner);
    size_t n;
    char *text = jsonout_dump(root, 4, &n);
    json_decref(root);
    char *out = malloc(n + 2);
    memcpy(out, text, n);
    memcpy(out + n, "\n", 2);
    free(text);
    return out;
}

static void check_same_as_tree(const struct apierr *e, int line)
{
    for (int style = ERRORS_OPENAI; style <= ERRORS_CODE_DETAILS; style++) {
        size_t len;
        char *hand = apierr_to_json(e, (enum error_style)style, &len), *tree = envelope_from_tree(e, style);
        if (!hand || strcmp(hand, tree) || len != strlen(tree)) {
            fprintf(stderr, "%s:%d: style %d\n  by hand: %s\n  by tree: %s\n", __FILE__, line, style,
                    hand ? hand : "(null)", tree);
            unit_failures_in_test++;
        }
        free(hand);
        free(tree);
    }
}

static void test_layout_matches_jansson_tree(void)
{
    struct apierr e = APIERR_INIT;
    apierr_set(&e, APIERR_INVALID_URL, 0, NULL, "GET", "/caf\xc3\xa9/\xff/\"q\"/\x01\\/\xf0\x9f\x98\x80");
    check_same_as_tree(&e, __LINE__);
    apierr_set(&e, APIERR_INTEGER_ABOVE_MAX, 0, "n", "n", 10LL, "11");
    check_same_as_tree(&e, __LINE__);
    apierr_set(&e, APIERR_BAD_KEY, 0, NULL, "sk-te*****\xe9y");
    check_same_as_tree(&e, __LINE__);
    apierr_set(&e, APIERR_GATEWAY_TIMEOUT, 0, NULL);
    check_same_as_tree(&e, __LINE__);
    apierr_set(&e, APIERR_MODERATION_BLOCKED, 0, NULL, "req_123", "sexual, violence");
    apierr_set_categories(&e, "sexual,violence");
    check_same_as_tree(&e, __LINE__);
    apierr_set_categories(&e, "caf\xc3\xa9");
    check_same_as_tree(&e, __LINE__);
    apierr_set_categories(&e, "");
    check_same_as_tree(&e, __LINE__);
    apierr_set_categories(&e, "a,,b,");
    check_same_as_tree(&e, __LINE__);
    apierr_clear(&e);
}

UNIT_MAIN(UNIT_TEST(test_layout_matches_jansson_tree), UNIT_TEST(test_invalid_url_envelope_exact_bytes), UNIT_TEST(test_param_present_is_a_string),
          UNIT_TEST(test_bad_key_has_code), UNIT_TEST(test_status_per_kind),
          UNIT_TEST(test_body_too_large_names_limit), UNIT_TEST(test_invalid_utf8_message_still_a_string),
          UNIT_TEST(test_non_ascii_escaped_as_real_api), UNIT_TEST(test_special_characters_escaped),
          UNIT_TEST(test_set_twice_replaces), UNIT_TEST(test_clear_resets_and_is_safe_when_unset),
          UNIT_TEST(test_len_pointer_optional))
