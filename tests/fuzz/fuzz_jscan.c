/* fuzz_jscan.c — imgmock's own JSON reader, against Jansson as the reference.
 *
 * jscan is a hand-written parser of attacker-controlled bodies (request.c's first step), so
 * besides memory safety it must be *exactly* as strict as RFC 8259: accepting what a real JSON
 * parser refuses would let malformed bodies through to validation, refusing what it accepts
 * would answer valid requests with "could not parse the JSON body". Jansson (already linked for
 * writing JSON) is the reference: for every input both must agree on accept/refuse, and on what
 * the top-level members are (count, keys, kinds, decoded strings, integers), except where
 * jscan's documented differences say otherwise:
 *   - integers beyond 64 bits and decimals beyond double's range (jscan keeps the literal,
 *     Jansson refuses);
 *   - a NUL (\u0000) in a top-level key (Jansson cannot hold one; jscan can);
 *   - nesting: jscan stops at JSCAN_MAX_DEPTH, Jansson at JSON_PARSER_MAX_DEPTH;
 *   - jscan wants an object at the top; Jansson takes an array too;
 *   - a raw NUL byte is never JSON (not whitespace, not allowed in a string), but Jansson lets
 *     one through after some values ({"":true<NUL>} loads): jscan must refuse every input that
 *     holds one, and Jansson is not asked.
 * The members themselves must also be well formed: unique keys in first-seen order, valid UTF-8,
 * NUL-terminated texts, a literal for each number, and jscan_get() finding each key.
 *
 * jscan's notion of UTF-8 is utf8.c's, so the same bytes are also checked as UTF-8 here:
 * utf8_count() against a reference decoder written from RFC 3629 (which decodes each code point
 * and then judges it, where utf8.c judges lead and second bytes by table), and utf8_sanitize()
 * for what error messages rely on: valid UTF-8 out, no NUL, the input unchanged when it was
 * valid and NUL-free.
 */
#include <jansson.h>
#include <string.h>

#include "fuzz.h"
#include "jscan.h"
#include "utf8.h"

/* Code points in s[0..n), or (size_t)-1 unless it is UTF-8 by RFC 3629: shortest form, no
 * surrogates, nothing above U+10FFFF. */
static size_t ref_utf8_count(const uint8_t *s, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; count++) {
        uint8_t b = s[i];
        size_t len = b < 0x80 ? 1 : (b & 0xE0) == 0xC0 ? 2 : (b & 0xF0) == 0xE0 ? 3 : (b & 0xF8) == 0xF0 ? 4 : 0;
        if (!len || n - i < len)
            return (size_t)-1;
        uint32_t cp = len == 1 ? b : b & (0x7F >> len);
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return (size_t)-1;
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        static const uint32_t shortest[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < shortest[len] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
            return (size_t)-1;
        i += len;
    }
    return count;
}

static void check_utf8(const uint8_t *data, size_t size)
{
    size_t count = utf8_count((const char *)data, size);
    FUZZ_CHECK(count == ref_utf8_count(data, size));
    char *clean = utf8_sanitize((const char *)data, size);
    FUZZ_CHECK(clean != NULL);
    size_t clean_len = strlen(clean);
    FUZZ_CHECK(ref_utf8_count((const uint8_t *)clean, clean_len) != (size_t)-1);
    if (count != (size_t)-1 && !memchr(data, '\0', size))
        FUZZ_CHECK(clean_len == size && !memcmp(clean, data, size));
    free(clean);
}

/* Containers nested in `v`, counting v itself (a scalar has depth 0, {} has 1). */
static int depth(const json_t *v)
{
    int inner = 0, d;
    if (json_is_object(v)) {
        const char *key;
        size_t key_len;
        json_t *child;
        json_object_keylen_foreach((json_t *)v, key, key_len, child)
        {
            (void)key_len;
            if ((d = depth(child)) > inner)
                inner = d;
        }
        return 1 + inner;
    }
    if (json_is_array(v)) {
        size_t i;
        json_t *child;
        json_array_foreach(v, i, child)
        {
            if ((d = depth(child)) > inner)
                inner = d;
        }
        return 1 + inner;
    }
    return 0;
}

/* Refusals of Jansson's that jscan, by design, does not share. */
static int jansson_only_refusal(const json_error_t *e)
{
    return strstr(e->text, "too big") || strstr(e->text, "overflow") || strstr(e->text, "NUL byte in object key") ||
           strstr(e->text, "maximum parsing depth");
}

static void check_members(const struct jscan_object *obj)
{
    for (size_t i = 0; i < obj->count; i++) {
        const struct jscan_member *m = &obj->members[i];
        FUZZ_CHECK(m->key && m->key[m->key_len] == '\0' && utf8_count(m->key, m->key_len) != (size_t)-1);
        for (size_t k = 0; k < i; k++)
            FUZZ_CHECK(obj->members[k].key_len != m->key_len || memcmp(obj->members[k].key, m->key, m->key_len));
        if (strlen(m->key) == m->key_len)
            FUZZ_CHECK(jscan_get(obj, m->key) == m);
        const struct jscan_value *v = &m->value;
        FUZZ_CHECK(jscan_kind_phrase(v->kind) != NULL);
        switch (v->kind) {
        case JSCAN_STRING:
            FUZZ_CHECK(v->text && v->text[v->len] == '\0' && utf8_count(v->text, v->len) != (size_t)-1);
            break;
        case JSCAN_INTEGER:
        case JSCAN_DECIMAL:
            FUZZ_CHECK(v->text && strlen(v->text) == v->len && v->len > 0);
            FUZZ_CHECK(strspn(v->text, "-+.eE0123456789") == v->len);
            break;
        default:
            FUZZ_CHECK(v->text == NULL);
        }
    }
}

/* Each member against Jansson's object: same keys (Jansson keeps one per key, the last value,
 * as jscan does), same kinds, same strings and integers. */
static void compare(const struct jscan_object *obj, const json_t *ref)
{
    FUZZ_CHECK(json_object_size(ref) == obj->count);
    for (size_t i = 0; i < obj->count; i++) {
        const struct jscan_member *m = &obj->members[i];
        const struct jscan_value *v = &m->value;
        json_t *r = json_object_getn(ref, m->key, m->key_len);
        FUZZ_CHECK(r != NULL);
        switch (v->kind) {
        case JSCAN_STRING:
            FUZZ_CHECK(json_is_string(r) && json_string_length(r) == v->len &&
                       !memcmp(json_string_value(r), v->text, v->len));
            break;
        case JSCAN_INTEGER:
            FUZZ_CHECK(json_is_integer(r) && json_integer_value(r) == v->integer);
            break;
        case JSCAN_DECIMAL:
            FUZZ_CHECK(json_is_real(r));
            break;
        case JSCAN_BOOLEAN:
            FUZZ_CHECK(json_is_boolean(r) && json_is_true(r) == (v->boolean != 0));
            break;
        case JSCAN_OBJECT:
            FUZZ_CHECK(json_is_object(r));
            break;
        case JSCAN_ARRAY:
            FUZZ_CHECK(json_is_array(r));
            break;
        case JSCAN_NULL:
            FUZZ_CHECK(json_is_null(r));
            break;
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_utf8(data, size);
    struct jscan_object obj;
    int rc = jscan_object((const char *)data, size, &obj);
    if (rc == 0)
        check_members(&obj);

    if (memchr(data, '\0', size)) { /* see above: Jansson is no reference here */
        FUZZ_CHECK(rc != 0);
        jscan_free(&obj);
        return 0;
    }
    json_error_t error;
    json_t *ref = json_loadb((const char *)data, size, JSON_ALLOW_NUL, &error);
    if (!ref) {
        if (rc == 0 && !jansson_only_refusal(&error))
            fprintf(stderr, "jscan accepted what Jansson refuses: %s (offset %d)\n", error.text, error.position);
        FUZZ_CHECK(rc != 0 || jansson_only_refusal(&error));
    } else if (!json_is_object(ref)) {
        FUZZ_CHECK(rc != 0);
    } else if (depth(ref) > JSCAN_MAX_DEPTH) {
        FUZZ_CHECK(rc != 0);
    } else {
        if (rc != 0)
            fprintf(stderr, "jscan refused what Jansson accepts\n");
        FUZZ_CHECK(rc == 0);
        compare(&obj, ref);
    }
    json_decref(ref);
    jscan_free(&obj);
    return 0;
}
