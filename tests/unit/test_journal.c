/* test_journal.c — the ring of recent requests behind GET /__mock/requests.
 *
 * The journal keeps the last `capacity` entries, oldest first; it owns what it is given (each
 * entry is released exactly once: when it drops out, on clear, on free, or at once with
 * capacity 0); journal_dump() writes {"requests": [...]} with a 2-space indent and a final
 * newline, and gives its length. Entries here are small Jansson objects whose reference counts are watched.
 */
#include "journal.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

static json_t *entry(int i)
{
    return json_pack("{s:i, s:s}", "i", i, "path", "/v1/images/generations");
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
    json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &error);
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
        snprintf(one, sizeof one, "%s%lld", i ? "," : "", (long long)json_integer_value(json_object_get(e, "i")));
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
    journal_add(j, entry(0));
    CHECK_STR(IDS(j), "0");
    journal_add(j, entry(1));
    journal_add(j, entry(2));
    CHECK_STR(IDS(j), "0,1,2");
    /* full: the oldest goes */
    journal_add(j, entry(3));
    CHECK_STR(IDS(j), "1,2,3");
    journal_add(j, entry(4));
    CHECK_STR(IDS(j), "2,3,4");
    /* many times round the ring */
    for (int i = 5; i < 100; i++)
        journal_add(j, entry(i));
    CHECK_STR(IDS(j), "97,98,99");
    journal_free(j);

    /* capacity 1 keeps only the newest */
    j = journal_new(1);
    for (int i = 0; i < 5; i++) {
        journal_add(j, entry(i));
        char want[8];
        snprintf(want, sizeof want, "%d", i);
        CHECK_STR(IDS(j), want);
    }
    journal_free(j);

    /* below capacity nothing is dropped */
    j = journal_new(1000);
    for (int i = 0; i < 500; i++)
        journal_add(j, entry(i));
    json_t *list = dump_requests(j, __LINE__);
    CHECK_INT(json_array_size(list), 500);
    CHECK_INT(json_integer_value(json_object_get(json_array_get(list, 0), "i")), 0);
    CHECK_INT(json_integer_value(json_object_get(json_array_get(list, 499), "i")), 499);
    json_decref(list);
    journal_free(j);
}

static void test_dump_shape(void)
{
    struct journal *j = journal_new(4);
    journal_add(j, json_pack("{s:s, s:n, s:{s:s}, s:i, s:f}", "request_id", "req_1", "query", "headers", "Host",
                             "x", "status", 200, "duration_ms", 25.3));
    journal_add(j, json_pack("{s:s}", "method", "caf\xc3\xa9"));
    size_t len = 0;
    char *text = journal_dump(j, &len);
    /* entries keep their keys in order, nested objects included; 2-space indent; non-ASCII escaped in
     * lowercase hex; reals as short as they read (25.3, not 25.300000000000001); a final newline */
    CHECK_STR(text, "{\n"
                    "  \"requests\": [\n"
                    "    {\n"
                    "      \"request_id\": \"req_1\",\n"
                    "      \"query\": null,\n"
                    "      \"headers\": {\n"
                    "        \"Host\": \"x\"\n"
                    "      },\n"
                    "      \"status\": 200,\n"
                    "      \"duration_ms\": 25.3\n"
                    "    },\n"
                    "    {\n"
                    "      \"method\": \"caf\\u00e9\"\n"
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

static void test_clear(void)
{
    struct journal *j = journal_new(3);
    for (int i = 0; i < 5; i++) /* the ring's head is not at slot 0 */
        journal_add(j, entry(i));
    journal_clear(j);
    CHECK_STR(IDS(j), "");
    json_t *list = dump_requests(j, __LINE__);
    CHECK_INT(json_array_size(list), 0);
    json_decref(list);
    /* filling again after a clear */
    journal_add(j, entry(10));
    journal_add(j, entry(11));
    CHECK_STR(IDS(j), "10,11");
    journal_add(j, entry(12));
    journal_add(j, entry(13));
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
    json_t *e = entry(1);
    json_incref(e); /* ours, to watch the journal's */
    journal_add(j, e);
    CHECK_INT(e->refcount, 1); /* the journal let go of it at once */
    size_t len = 0;
    char *text = journal_dump(j, &len);
    CHECK_STR(text, "{\n  \"requests\": []\n}\n");
    free(text);
    journal_clear(j);
    CHECK_STR(IDS(j), "");
    journal_free(j);
    json_decref(e);
}

static void test_ownership(void)
{
    struct journal *j = journal_new(2);
    json_t *e[4];
    for (int i = 0; i < 4; i++) {
        e[i] = entry(i);
        json_incref(e[i]); /* ours */
    }
    journal_add(j, e[0]);
    journal_add(j, e[1]);
    CHECK_INT(e[0]->refcount, 2);
    CHECK_INT(e[1]->refcount, 2);
    /* dumping shares the entries for the moment of the dump only */
    size_t len;
    free(journal_dump(j, &len));
    CHECK_INT(e[0]->refcount, 2);
    journal_add(j, e[2]); /* e[0] drops out and is released */
    CHECK_INT(e[0]->refcount, 1);
    CHECK_INT(e[2]->refcount, 2);
    journal_clear(j); /* releases e[1] and e[2] */
    CHECK_INT(e[1]->refcount, 1);
    CHECK_INT(e[2]->refcount, 1);
    journal_add(j, e[3]);
    journal_free(j); /* releases e[3] */
    CHECK_INT(e[3]->refcount, 1);
    for (int i = 0; i < 4; i++)
        json_decref(e[i]);

    /* a NULL entry (its building ran out of memory) is ignored */
    j = journal_new(2);
    journal_add(j, entry(1));
    journal_add(j, NULL);
    CHECK_STR(IDS(j), "1");
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
        journal_add(a->j, entry(a->base + i));
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
        long long v = json_integer_value(json_object_get(e, "i"));
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
          UNIT_TEST(test_clear), UNIT_TEST(test_capacity_zero), UNIT_TEST(test_ownership),
          UNIT_TEST(test_threads))
