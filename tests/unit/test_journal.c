/* test_journal.c — the ring of recent requests behind GET /__mock/requests.
 *
 * The journal keeps the last `capacity` records, oldest first; it copies what it is given (the
 * caller's buffers can change or go right after); journal_dump() writes {"requests": [...]}
 * with a 2-space indent and a final newline, and gives its length, rendering exchanges and
 * callback attempts in their documented shapes. Records here carry their number in
 * request_id; the sanitizer builds and valgrind check that every record is freed once.
 */
#include "journal.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

/* Record number `i`: an exchange whose request_id is its number. */
static void add(struct journal *j, int i)
{
    char id[16];
    snprintf(id, sizeof id, "%d", i);
    journal_add_request(j, &(struct journal_request){.request_id = id, .method = "POST",
                                                     .path = "/v1/images/generations", .status = 200});
}

/* The dump parsed back; checks that the text is one JSON object of the documented shape and
 * that *len is its length. Returns the "requests" array (a new reference) or NULL. */
static json_t *dump_requests(struct journal *j, int line)
{
    size_t len = 12345;
    char *text = journal_dump(j, &len);
    if (!text) {
        fprintf(stderr, "%s:%d: journal_dump returned NULL\n", __FILE__, line);
        unit_failures_in_test++;
        return NULL;
    }
    if (len != strlen(text)) {
        fprintf(stderr, "%s:%d: dump length %zu, text is %zu bytes\n", __FILE__, line, len, strlen(text));
        unit_failures_in_test++;
    }
    json_error_t error;
    json_t *root = json_loads(text, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &error);
    json_t *list = root ? json_object_get(root, "requests") : NULL;
    if (!root || !json_is_object(root) || json_object_size(root) != 1 || !json_is_array(list)) {
        fprintf(stderr, "%s:%d: dump is not {\"requests\": [...]}: %s\n", __FILE__, line, text);
        unit_failures_in_test++;
        list = NULL;
    }
    json_incref(list);
    json_decref(root);
    free(text);
    return list;
}

/* The "i" of each dumped entry, in order, e.g. "2,3,4". */
static const char *dumped_ids(struct journal *j, int line)
{
    static char out[512];
    out[0] = '\0';
    json_t *list = dump_requests(j, line);
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e) {
        char one[16];
        snprintf(one, sizeof one, "%s%s", i ? "," : "", json_string_value(json_object_get(e, "request_id")));
        strcat(out, one);
    }
    json_decref(list);
    return out;
}

#define IDS(j) dumped_ids((j), __LINE__)

static void test_empty(void)
{
    struct journal *j = journal_new(10);
    CHECK(j != NULL);
    size_t len = 0;
    char *text = journal_dump(j, &len);
    CHECK_STR(text, "{\n  \"requests\": []\n}\n");
    CHECK_INT(len, strlen("{\n  \"requests\": []\n}\n"));
    free(text);
    journal_free(j);
}

static void test_order_and_capacity(void)
{
    struct journal *j = journal_new(3);
    add(j, 0);
    CHECK_STR(IDS(j), "0");
    add(j, 1);
    add(j, 2);
    CHECK_STR(IDS(j), "0,1,2");
    /* full: the oldest goes */
    add(j, 3);
    CHECK_STR(IDS(j), "1,2,3");
    add(j, 4);
    CHECK_STR(IDS(j), "2,3,4");
    /* many times round the ring */
    for (int i = 5; i < 100; i++)
        add(j, i);
    CHECK_STR(IDS(j), "97,98,99");
    journal_free(j);

    /* capacity 1 keeps only the newest */
    j = journal_new(1);
    for (int i = 0; i < 5; i++) {
        add(j, i);
        char want[8];
        snprintf(want, sizeof want, "%d", i);
        CHECK_STR(IDS(j), want);
    }
    journal_free(j);

    /* below capacity nothing is dropped */
    j = journal_new(1000);
    for (int i = 0; i < 500; i++)
        add(j, i);
    json_t *list = dump_requests(j, __LINE__);
    CHECK_INT(json_array_size(list), 500);
    CHECK_STR(json_string_value(json_object_get(json_array_get(list, 0), "request_id")), "0");
    CHECK_STR(json_string_value(json_object_get(json_array_get(list, 499), "request_id")), "499");
    json_decref(list);
    journal_free(j);
}

static void test_dump_shape(void)
{
    struct journal *j = journal_new(4);
    char body[] = "{\"prompt\":\"caf\xc3\xa9\"}";
    struct journal_header headers[] = {{"Host", "x"}, {"Authorization", "Bearer sk-te****key"}, {"Host", "y"}};
    journal_add_request(j, &(struct journal_request){
                               .time = 1700000000, .request_id = "req_1", .method = "POST",
                               .path = "/v1/images/generations", .query = NULL, .headers = headers,
                               .header_count = 3, .body = body, .body_len = strlen(body), .status = 400,
                               .duration_ms = 25.37});
    memset(body, 'z', strlen(body)); /* the journal kept its own copy */
    headers[0].value = "changed";
    journal_add_request(j, &(struct journal_request){.time = 0, .request_id = "req_2", .method = "GET",
                                                     .path = "/p\xff", .query = "a=1", .status = 0});
    journal_add_callback(j, &(struct journal_callback){.time = 1700000001, .url = "http://127.0.0.1:9/cb",
                                                       .task_id = "t-1", .attempt = 2, .status = 0,
                                                       .error = "connection refused"});
    journal_add_callback(j, &(struct journal_callback){.time = 1700000002, .url = "http://h/cb", .task_id = "t-1",
                                                       .attempt = 3, .status = 200, .error = "ignored"});
    size_t len = 0;
    char *text = journal_dump(j, &len);
    /* keys in the documented order; a repeated header keeps its first place and last value;
     * non-ASCII escaped in lowercase hex, invalid bytes as U+FFFD; durations to a tenth */
    CHECK_STR(text, "{\n"
                    "  \"requests\": [\n"
                    "    {\n"
                    "      \"time\": \"2023-11-14T22:13:20Z\",\n"
                    "      \"request_id\": \"req_1\",\n"
                    "      \"method\": \"POST\",\n"
                    "      \"path\": \"/v1/images/generations\",\n"
                    "      \"query\": null,\n"
                    "      \"headers\": {\n"
                    "        \"Host\": \"y\",\n"
                    "        \"Authorization\": \"Bearer sk-te****key\"\n"
                    "      },\n"
                    "      \"body\": \"{\\\"prompt\\\":\\\"caf\\u00e9\\\"}\",\n"
                    "      \"body_bytes\": 18,\n"
                    "      \"status\": 400,\n"
                    "      \"duration_ms\": 25.3\n"
                    "    },\n"
                    "    {\n"
                    "      \"time\": \"1970-01-01T00:00:00Z\",\n"
                    "      \"request_id\": \"req_2\",\n"
                    "      \"method\": \"GET\",\n"
                    "      \"path\": \"/p\\ufffd\",\n"
                    "      \"query\": \"a=1\",\n"
                    "      \"headers\": {},\n"
                    "      \"body\": null,\n"
                    "      \"body_bytes\": 0,\n"
                    "      \"status\": 0,\n"
                    "      \"duration_ms\": 0.0\n"
                    "    },\n"
                    "    {\n"
                    "      \"time\": \"2023-11-14T22:13:21Z\",\n"
                    "      \"direction\": \"outbound\",\n"
                    "      \"method\": \"POST\",\n"
                    "      \"url\": \"http://127.0.0.1:9/cb\",\n"
                    "      \"task_id\": \"t-1\",\n"
                    "      \"attempt\": 2,\n"
                    "      \"status\": 0,\n"
                    "      \"error\": \"connection refused\"\n"
                    "    },\n"
                    "    {\n"
                    "      \"time\": \"2023-11-14T22:13:22Z\",\n"
                    "      \"direction\": \"outbound\",\n"
                    "      \"method\": \"POST\",\n"
                    "      \"url\": \"http://h/cb\",\n"
                    "      \"task_id\": \"t-1\",\n"
                    "      \"attempt\": 3,\n"
                    "      \"status\": 200,\n"
                    "      \"error\": null\n"
                    "    }\n"
                    "  ]\n"
                    "}\n");
    CHECK_INT(len, text ? strlen(text) : 0);
    free(text);
    /* dumping twice gives the same text and leaves the journal as it was */
    char *a = journal_dump(j, &len), *b = journal_dump(j, &len);
    CHECK_STR(a, b);
    free(a);
    free(b);
    journal_free(j);
}

/* A body keeps at most JOURNAL_BODY_MAX bytes; body_bytes says how many arrived. NUL bytes in a
 * body survive the copy. */
static void test_body_kept_up_to_the_limit(void)
{
    struct journal *j = journal_new(2);
    size_t big = JOURNAL_BODY_MAX + 5000;
    char *body = malloc(big);
    memset(body, 'b', big);
    body[1] = '\0';
    journal_add_request(j, &(struct journal_request){.request_id = "r", .method = "POST", .path = "/",
                                                     .body = body, .body_len = big});
    free(body);
    json_t *list = dump_requests(j, __LINE__);
    json_t *e = json_array_get(list, 0);
    CHECK_INT(json_string_length(json_object_get(e, "body")), JOURNAL_BODY_MAX);
    CHECK_INT(json_string_value(json_object_get(e, "body"))[1], 0);
    CHECK_INT(json_integer_value(json_object_get(e, "body_bytes")), big);
    json_decref(list);
    journal_free(j);
}

static void test_clear(void)
{
    struct journal *j = journal_new(3);
    for (int i = 0; i < 5; i++) /* the ring's head is not at slot 0 */
        add(j, i);
    journal_clear(j);
    CHECK_STR(IDS(j), "");
    json_t *list = dump_requests(j, __LINE__);
    CHECK_INT(json_array_size(list), 0);
    json_decref(list);
    /* filling again after a clear */
    add(j, 10);
    add(j, 11);
    CHECK_STR(IDS(j), "10,11");
    add(j, 12);
    add(j, 13);
    CHECK_STR(IDS(j), "11,12,13");
    journal_clear(j);
    journal_clear(j); /* twice is harmless */
    CHECK_STR(IDS(j), "");
    journal_free(j);
}

static void test_capacity_zero(void)
{
    struct journal *j = journal_new(0);
    CHECK(j != NULL);
    add(j, 1); /* kept nowhere, and not leaked (the sanitizer build checks) */
    journal_add_callback(j, &(struct journal_callback){.url = "u", .task_id = "t", .attempt = 1});
    size_t len = 0;
    char *text = journal_dump(j, &len);
    CHECK_STR(text, "{\n  \"requests\": []\n}\n");
    free(text);
    journal_clear(j);
    CHECK_STR(IDS(j), "");
    journal_free(j);
    journal_free(NULL);
}

/* Workers add concurrently while a reader dumps: nothing lost beyond capacity, nothing torn. */
struct adder {
    struct journal *j;
    int base;
};

static void *add_many(void *arg)
{
    struct adder *a = arg;
    for (int i = 0; i < 2000; i++)
        add(a->j, a->base + i);
    return NULL;
}

static void test_threads(void)
{
    struct journal *j = journal_new(100);
    pthread_t t[4];
    struct adder a[4];
    for (int i = 0; i < 4; i++) {
        a[i] = (struct adder){j, i * 100000};
        CHECK_INT(pthread_create(&t[i], NULL, add_many, &a[i]), 0);
    }
    for (int k = 0; k < 50; k++) {
        json_t *list = dump_requests(j, __LINE__);
        CHECK(json_array_size(list) <= 100);
        json_decref(list);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    json_t *list = dump_requests(j, __LINE__);
    CHECK_INT(json_array_size(list), 100);
    /* each worker's own entries stay in its order */
    long long last[4] = {-1, -1, -1, -1};
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e) {
        long long v = atoll(json_string_value(json_object_get(e, "request_id")));
        int w = (int)(v / 100000);
        CHECK(w >= 0 && w < 4);
        if (w >= 0 && w < 4) {
            CHECK(v > last[w]);
            last[w] = v;
        }
    }
    json_decref(list);
    journal_free(j);
}

UNIT_MAIN(UNIT_TEST(test_empty), UNIT_TEST(test_order_and_capacity), UNIT_TEST(test_dump_shape),
          UNIT_TEST(test_clear), UNIT_TEST(test_capacity_zero), UNIT_TEST(test_body_kept_up_to_the_limit),
          UNIT_TEST(test_threads))
