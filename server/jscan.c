/* jscan.c — recursive descent over RFC 8259, keeping only the top level. */
#include "jscan.h"

#include <stdlib.h>
#include <string.h>

#include "utf8.h"

/* The reader's position in the text. */
struct cursor {
    const unsigned char *p;   /* next byte */
    const unsigned char *end; /* one past the last byte */
};

static void skip_space(struct cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static int take(struct cursor *c, char ch)
{
    if (c->p < c->end && *c->p == (unsigned char)ch) {
        c->p++;
        return 1;
    }
    return 0;
}

static int take_word(struct cursor *c, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0)
        return 0;
    c->p += n;
    return 1;
}

static int hex4(struct cursor *c, unsigned *out)
{
    if (c->end - c->p < 4)
        return -1;
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned char h = c->p[i];
        v <<= 4;
        if (h >= '0' && h <= '9')
            v |= h - '0';
        else if (h >= 'a' && h <= 'f')
            v |= h - 'a' + 10;
        else if (h >= 'A' && h <= 'F')
            v |= h - 'A' + 10;
        else
            return -1;
    }
    c->p += 4;
    *out = v;
    return 0;
}

static size_t put_utf8(unsigned char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | cp >> 6);
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | cp >> 12);
        o[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | cp >> 18);
    o[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
    o[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/* A string, opening quote already expected at c->p. With `out` NULL the string is only
 * checked; otherwise its decoded bytes are stored in a malloc'd buffer. An escape never
 * decodes to more bytes than it occupies, so the raw length bounds the buffer. */
static int read_string(struct cursor *c, char **out, size_t *out_len)
{
    if (!take(c, '"'))
        return -1;
    const unsigned char *start = c->p;
    unsigned char *buf = NULL, *o = NULL;
    if (out) {
        const unsigned char *q = start;
        while (q < c->end && *q != '"')
            q += (*q == '\\' && q + 1 < c->end) ? 2 : 1;
        if (!(buf = malloc((size_t)(q - start) + 1)))
            return -1;
        o = buf;
    }
    while (c->p < c->end && *c->p != '"') {
        unsigned char ch = *c->p;
        if (ch < 0x20)
            goto fail; /* raw control characters are not allowed in JSON strings */
        if (ch != '\\') {
            size_t n = utf8_sequence_length(c->p, (size_t)(c->end - c->p));
            if (!n)
                goto fail;
            if (o) {
                memcpy(o, c->p, n);
                o += n;
            }
            c->p += n;
            continue;
        }
        c->p++;
        if (c->p >= c->end)
            goto fail;
        unsigned cp;
        switch (*c->p++) {
        case '"': cp = '"'; break;
        case '\\': cp = '\\'; break;
        case '/': cp = '/'; break;
        case 'b': cp = '\b'; break;
        case 'f': cp = '\f'; break;
        case 'n': cp = '\n'; break;
        case 'r': cp = '\r'; break;
        case 't': cp = '\t'; break;
        case 'u':
            if (hex4(c, &cp))
                goto fail;
            if (cp >= 0xDC00 && cp <= 0xDFFF)
                goto fail; /* a low surrogate with no high one before it */
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                unsigned low;
                if (!take(c, '\\') || !take(c, 'u') || hex4(c, &low) || low < 0xDC00 || low > 0xDFFF)
                    goto fail;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            }
            break;
        default:
            goto fail;
        }
        if (o)
            o += put_utf8(o, cp);
    }
    if (!take(c, '"'))
        goto fail;
    if (out) {
        *o = '\0';
        *out = (char *)buf;
        *out_len = (size_t)(o - buf);
    }
    return 0;
fail:
    free(buf);
    return -1;
}

/* A number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int read_number(struct cursor *c, struct jscan_value *v)
{
    const unsigned char *start = c->p;
    int negative = take(c, '-');
    int decimal = 0;
    if (take(c, '0')) {
        /* a leading zero stands alone */
    } else if (c->p < c->end && *c->p >= '1' && *c->p <= '9') {
        while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
            c->p++;
    } else
        return -1;
    const unsigned char *int_end = c->p;
    if (take(c, '.')) {
        decimal = 1;
        if (c->p >= c->end || *c->p < '0' || *c->p > '9')
            return -1;
        while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
            c->p++;
    }
    if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
        decimal = 1;
        c->p++;
        if (!take(c, '+'))
            take(c, '-');
        if (c->p >= c->end || *c->p < '0' || *c->p > '9')
            return -1;
        while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
            c->p++;
    }
    if (!v)
        return 0;
    v->kind = decimal ? JSCAN_DECIMAL : JSCAN_INTEGER;
    v->len = (size_t)(c->p - start);
    if (!(v->text = strndup((const char *)start, v->len)))
        return -1;
    if (!decimal) {
        /* accumulate as a negative number: its range reaches INT64_MIN */
        int64_t acc = 0;
        int saturated = 0;
        for (const unsigned char *d = start + negative; d < int_end; d++) {
            int digit = *d - '0';
            if (acc < (INT64_MIN + digit) / 10) {
                saturated = 1;
                break;
            }
            acc = acc * 10 - digit;
        }
        if (saturated)
            v->integer = negative ? INT64_MIN : INT64_MAX;
        else if (negative)
            v->integer = acc;
        else
            v->integer = acc == INT64_MIN ? INT64_MAX : -acc;
    }
    return 0;
}

static int read_value(struct cursor *c, struct jscan_value *v, int depth);

/* An object member's name and colon. */
static int skip_member_name(struct cursor *c)
{
    if (read_string(c, NULL, NULL))
        return -1;
    skip_space(c);
    return take(c, ':') ? 0 : -1;
}

/* An object or array below the top level, at `depth` (1 for a member of the top object):
 * checked, not kept. A loop with the open containers' closing brackets in an array rather than
 * recursion: civetweb's worker threads have 100 KB stacks, which recursion JSCAN_MAX_DEPTH deep
 * does not fit under the sanitizers. */
static int skip_container(struct cursor *c, int depth)
{
    char closer[JSCAN_MAX_DEPTH]; /* the bracket that closes each open container, innermost last */
    int open = 0;
    int expect_value = 1; /* at a value's place (else after one: a comma or a closing bracket) */
    for (;;) {
        skip_space(c);
        if (!expect_value) {
            if (take(c, closer[open - 1])) {
                if (--open == 0)
                    return 0;
                continue;
            }
            if (!take(c, ','))
                return -1;
            skip_space(c);
            if (closer[open - 1] == '}' && skip_member_name(c))
                return -1;
            expect_value = 1;
        } else if (c->p < c->end && (*c->p == '{' || *c->p == '[')) {
            if (depth + open > JSCAN_MAX_DEPTH)
                return -1;
            closer[open++] = *c->p++ == '{' ? '}' : ']';
            skip_space(c);
            if (c->p < c->end && *c->p == closer[open - 1]) {
                expect_value = 0; /* empty: the loop takes the bracket */
            } else if (closer[open - 1] == '}' && skip_member_name(c)) {
                return -1;
            }
        } else {
            if (read_value(c, NULL, depth + open)) /* a scalar: no recursion */
                return -1;
            expect_value = 0;
        }
    }
}

/* Any value (leading whitespace allowed). With `v` NULL it is only checked. */
static int read_value(struct cursor *c, struct jscan_value *v, int depth)
{
    skip_space(c);
    if (c->p >= c->end)
        return -1;
    struct jscan_value scratch;
    struct jscan_value *dst = v ? v : &scratch;
    memset(dst, 0, sizeof *dst);
    switch (*c->p) {
    case '"':
        dst->kind = JSCAN_STRING;
        return read_string(c, v ? &v->text : NULL, v ? &v->len : NULL);
    case '{':
        dst->kind = JSCAN_OBJECT;
        return skip_container(c, depth + 1);
    case '[':
        dst->kind = JSCAN_ARRAY;
        return skip_container(c, depth + 1);
    case 't':
        dst->kind = JSCAN_BOOLEAN;
        dst->boolean = 1;
        return take_word(c, "true") ? 0 : -1;
    case 'f':
        dst->kind = JSCAN_BOOLEAN;
        return take_word(c, "false") ? 0 : -1;
    case 'n':
        dst->kind = JSCAN_NULL;
        return take_word(c, "null") ? 0 : -1;
    default:
        return read_number(c, v);
    }
}

static void free_value(struct jscan_value *v)
{
    free(v->text);
    v->text = NULL;
}

/* Where each distinct key sits in the members array, so a repeated key is found in one probe
 * instead of by comparing it with every key before it (87 000 distinct keys in a 1 MB body took
 * 10 s of CPU that way). Open addressing; a slot holds a member's index + 1, 0 when empty. */
struct key_index {
    size_t *slots;
    size_t mask; /* slots - 1; slots is a power of two, at least twice the members */
};

static size_t key_hash(const char *key, size_t len)
{
    uint64_t h = 0xcbf29ce484222325u; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)key[i]) * 0x100000001b3u;
    return (size_t)h;
}

/* The slot holding `key`, or the empty one where it belongs. */
static size_t *index_slot(const struct key_index *ix, const struct jscan_object *obj, const char *key, size_t len)
{
    for (size_t i = key_hash(key, len) & ix->mask;; i = (i + 1) & ix->mask) {
        size_t *slot = &ix->slots[i];
        const struct jscan_member *m = *slot ? &obj->members[*slot - 1] : NULL;
        if (!m || (m->key_len == len && !memcmp(m->key, key, len)))
            return slot;
    }
}

/* Room for one more member: doubles the slots (and re-inserts every member) when needed. */
static int index_reserve(struct key_index *ix, const struct jscan_object *obj)
{
    size_t size = ix->slots ? ix->mask + 1 : 0;
    if ((obj->count + 1) * 2 <= size)
        return 0;
    struct key_index grown = {calloc(size ? size * 2 : 32, sizeof *grown.slots), size ? size * 2 - 1 : 31};
    if (!grown.slots)
        return -1;
    for (size_t i = 0; i < obj->count; i++)
        *index_slot(&grown, obj, obj->members[i].key, obj->members[i].key_len) = i + 1;
    free(ix->slots);
    *ix = grown;
    return 0;
}

/* Add a member read from the body, taking its key and value: the last value of a repeated key
 * wins, in the first key's place. Returns 0, or -1 (having freed the member) when memory runs
 * out. */
static int add_member(struct jscan_object *obj, struct key_index *ix, size_t *cap, struct jscan_member *m)
{
    if (index_reserve(ix, obj) != 0)
        goto fail;
    size_t *slot = index_slot(ix, obj, m->key, m->key_len);
    if (*slot) {
        struct jscan_member *same = &obj->members[*slot - 1];
        free(m->key);
        free_value(&same->value);
        same->value = m->value;
        return 0;
    }
    if (obj->count == *cap) {
        size_t grown_cap = *cap ? *cap * 2 : 16;
        struct jscan_member *grown = realloc(obj->members, grown_cap * sizeof *grown);
        if (!grown)
            goto fail;
        obj->members = grown;
        *cap = grown_cap;
    }
    obj->members[obj->count++] = *m;
    *slot = obj->count;
    return 0;
fail:
    free(m->key);
    free_value(&m->value);
    return -1;
}

int jscan_object(const char *text, size_t len, struct jscan_object *out)
{
    memset(out, 0, sizeof *out);
    struct cursor c = {(const unsigned char *)text, (const unsigned char *)text + len};
    struct key_index ix = {0};
    size_t cap = 0;
    int rc = -1;
    skip_space(&c);
    if (!take(&c, '{'))
        goto done;
    skip_space(&c);
    if (!take(&c, '}')) {
        for (;;) {
            struct jscan_member m = {0};
            if (read_string(&c, &m.key, &m.key_len))
                goto done;
            skip_space(&c);
            if (!take(&c, ':') || read_value(&c, &m.value, 1)) {
                free(m.key);
                free_value(&m.value);
                goto done;
            }
            if (add_member(out, &ix, &cap, &m) != 0)
                goto done;
            skip_space(&c);
            if (take(&c, '}'))
                break;
            if (!take(&c, ','))
                goto done;
            skip_space(&c);
        }
    }
    skip_space(&c);
    rc = c.p == c.end ? 0 : -1;
done:
    free(ix.slots);
    return rc;
}

int jscan_text_is(const char *text, size_t len, const char *word)
{
    return strlen(word) == len && !memcmp(text, word, len);
}

const struct jscan_member *jscan_get(const struct jscan_object *obj, const char *key)
{
    for (size_t i = 0; i < obj->count; i++)
        if (jscan_text_is(obj->members[i].key, obj->members[i].key_len, key))
            return &obj->members[i];
    return NULL;
}

void jscan_free(struct jscan_object *obj)
{
    for (size_t i = 0; i < obj->count; i++) {
        free(obj->members[i].key);
        free_value(&obj->members[i].value);
    }
    free(obj->members);
    memset(obj, 0, sizeof *obj);
}

const char *jscan_kind_phrase(enum jscan_kind kind)
{
    static const char *const phrases[] = {
        [JSCAN_STRING] = "a string",   [JSCAN_INTEGER] = "an integer", [JSCAN_DECIMAL] = "a decimal number",
        [JSCAN_BOOLEAN] = "a boolean", [JSCAN_OBJECT] = "an object",   [JSCAN_ARRAY] = "an array",
        [JSCAN_NULL] = "null",
    };
    return phrases[kind];
}
