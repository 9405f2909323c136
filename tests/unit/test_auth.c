/* test_auth.c — Authorization header parsing, the key check, and key masking.
 *
 * Auth decides who gets a 401 and what that 401 says. These tests pin which header values
 * yield a key (Bearer in any case, Basic with a blank username, nothing else), that an empty or
 * absent key is a MISSING_KEY, that configured keys are matched exactly (no prefix matches),
 * and that a refused key is echoed masked exactly as auth.h specifies.
 */
#include "auth.h"

#include <stdlib.h>
#include <string.h>

#include "unit.h"

#define MISSING_PREFIX "You didn't provide an API key."

/* auth_key_from_header(h) compared with `want` (NULL = expect no key); frees the result. */
#define CHECK_KEY(h, want)                                                                                   \
    do {                                                                                                     \
        char *k_ = auth_key_from_header(h);                                                                  \
        const char *w__ = (want);                                                                            \
        if (w__)                                                                                             \
            CHECK_STR(k_, w__);                                                                              \
        else if (k_) {                                                                                       \
            fprintf(stderr, "%s:%d: expected no key from %s, got '%s'\n", __FILE__, __LINE__, #h, k_);      \
            unit_failures_in_test++;                                                                         \
        }                                                                                                    \
        free(k_);                                                                                            \
    } while (0)

static const char bad_key_suffix[] = ". You can find your API key at https://platform.openai.com/account/api-keys.";

static void test_bearer(void)
{
    CHECK_KEY("Bearer k", "k");
    CHECK_KEY("Bearer sk-test-123", "sk-test-123");
    CHECK_KEY("bearer k", "k");   /* scheme is case-insensitive */
    CHECK_KEY("BEARER k", "k");
    CHECK_KEY("Bearer   k", "k"); /* several spaces */
    CHECK_KEY("Bearer\tk", "k");  /* tab as separator */
    CHECK_KEY("Bearer My API Key", "My API Key");
}

static void test_bearer_rejects(void)
{
    CHECK_KEY(NULL, NULL);
    CHECK_KEY("", NULL);
    CHECK_KEY("Bearer ", NULL);   /* empty key */
    CHECK_KEY("Bearer    ", NULL); /* only spaces */
    CHECK_KEY("Bearer", NULL);    /* no separator, no key */
    CHECK_KEY("Bearerk", NULL);   /* scheme not followed by a space */
    CHECK_KEY("Token k", NULL);   /* another scheme */
    CHECK_KEY("k", NULL);         /* bare key */
    CHECK_KEY(" Bearer k", NULL); /* leading space: not the scheme */
}

static void test_basic(void)
{
    CHECK_KEY("Basic OnNlY3JldA==", "secret"); /* base64(":secret") */
    CHECK_KEY("basic OnNlY3JldA==", "secret");
    CHECK_KEY("Basic OnNrLUJRVk1vQUJDREVGR0hJSktMTU5PUFFDZjZl", "sk-BQVMoABCDEFGHIJKLMNOPQCf6e");
}

static void test_basic_rejects(void)
{
    CHECK_KEY("Basic dXNlcjpzZWNyZXQ=", NULL); /* base64("user:secret"): non-blank username */
    CHECK_KEY("Basic Og==", NULL);             /* base64(":"): empty password */
    CHECK_KEY("Basic c2VjcmV0", NULL);         /* base64("secret"): no colon at all */
    CHECK_KEY("Basic OmEAYg==", NULL);         /* base64(":a\0b"): NUL inside the key */
    CHECK_KEY("Basic !!!!", NULL);             /* not base64 */
    CHECK_KEY("Basic OnNlY3JldA=", NULL);      /* wrong length */
    CHECK_KEY("Basic OnNlY3JldA", NULL);       /* missing padding */
    CHECK_KEY("Basic ", NULL);                 /* empty credentials */
    CHECK_KEY("Basic", NULL);
}

static void test_check_no_keys_configured(void)
{
    struct apierr e = APIERR_INIT;
    CHECK_INT(auth_check("Bearer anything", NULL, 0, NULL, &e), 0);
    CHECK_INT(e.kind, APIERR_NONE);
    CHECK_INT(auth_check("Bearer My API Key", NULL, 0, NULL, &e), 0);
    CHECK_INT(auth_check("Basic OnNlY3JldA==", NULL, 0, NULL, &e), 0);
    CHECK_INT(e.kind, APIERR_NONE);

    CHECK_INT(auth_check(NULL, NULL, 0, NULL, &e), -1);
    CHECK_INT(e.kind, APIERR_MISSING_KEY);
    CHECK_INT(e.status, 401);
    CHECK(e.code == NULL);
    CHECK(e.message && strncmp(e.message, MISSING_PREFIX, sizeof MISSING_PREFIX - 1) == 0);
    apierr_clear(&e);

    CHECK_INT(auth_check("Bearer ", NULL, 0, NULL, &e), -1);
    CHECK_INT(e.kind, APIERR_MISSING_KEY);
    apierr_clear(&e);
    CHECK_INT(auth_check("Token abc", NULL, 0, NULL, &e), -1);
    CHECK_INT(e.kind, APIERR_MISSING_KEY);
    apierr_clear(&e);
}

static void test_check_configured_keys(void)
{
    char k1[] = "sk-BQVMoABCDEFGHIJKLMNOPQCf6e";
    char *keys[] = {k1};
    struct apierr e = APIERR_INIT;

    CHECK_INT(auth_check("Bearer sk-BQVMoABCDEFGHIJKLMNOPQCf6e", keys, 1, NULL, &e), 0);
    CHECK_INT(e.kind, APIERR_NONE);
    CHECK_INT(auth_check("Basic OnNrLUJRVk1vQUJDREVGR0hJSktMTU5PUFFDZjZl", keys, 1, NULL, &e), 0);

    /* a 29-byte key: first 8, then 29-12 = 17 stars, then last 4 */
    CHECK_INT(auth_check("Bearer sk-BQVMoABCDEFGHIJKLMNOPQCf6f", keys, 1, NULL, &e), -1);
    CHECK_INT(e.kind, APIERR_BAD_KEY);
    CHECK_INT(e.status, 401);
    CHECK_STR(e.code, "invalid_api_key");
    CHECK_STR(e.message, "Incorrect API key provided: sk-BQVMo*****************Cf6f. You can find your API key "
                         "at https://platform.openai.com/account/api-keys.");
    apierr_clear(&e);

    /* the spec's example key, refused because another key is configured */
    char other[] = "sk-other";
    char *only_other[] = {other};
    CHECK_INT(auth_check("Bearer sk-BQVMoABCDEFGHIJKLMNOPQCf6e", only_other, 1, NULL, &e), -1);
    CHECK_STR(e.message, "Incorrect API key provided: sk-BQVMo*****************Cf6e. You can find your API key "
                         "at https://platform.openai.com/account/api-keys.");
    apierr_clear(&e);

    /* missing key is still MISSING_KEY, not BAD_KEY, when keys are configured */
    CHECK_INT(auth_check(NULL, keys, 1, NULL, &e), -1);
    CHECK_INT(e.kind, APIERR_MISSING_KEY);
    CHECK(e.code == NULL);
    apierr_clear(&e);
}

static void test_check_exact_match_only(void)
{
    char k1[] = "sk-abcd";
    char *keys[] = {k1};
    struct apierr e = APIERR_INIT;
    CHECK_INT(auth_check("Bearer sk-abc", keys, 1, NULL, &e), -1);   /* prefix of the key */
    CHECK_INT(e.kind, APIERR_BAD_KEY);
    apierr_clear(&e);
    CHECK_INT(auth_check("Bearer sk-abcde", keys, 1, NULL, &e), -1); /* key is a prefix of it */
    CHECK_INT(e.kind, APIERR_BAD_KEY);
    apierr_clear(&e);
    CHECK_INT(auth_check("Bearer SK-ABCD", keys, 1, NULL, &e), -1);  /* keys are case-sensitive */
    CHECK_INT(e.kind, APIERR_BAD_KEY);
    apierr_clear(&e);
}

static void test_check_several_keys(void)
{
    char a[] = "key-alpha", b[] = "key-bravo", c[] = "key-charlie";
    char *keys[] = {a, b, c};
    struct apierr e = APIERR_INIT;
    CHECK_INT(auth_check("Bearer key-alpha", keys, 3, NULL, &e), 0);
    CHECK_INT(auth_check("Bearer key-bravo", keys, 3, NULL, &e), 0);
    CHECK_INT(auth_check("Bearer key-charlie", keys, 3, NULL, &e), 0);
    CHECK_INT(e.kind, APIERR_NONE);
    CHECK_INT(auth_check("Bearer key-delta", keys, 3, NULL, &e), -1);
    CHECK_INT(e.kind, APIERR_BAD_KEY);
    /* 9 bytes: echoed whole */
    char want[128];
    snprintf(want, sizeof want, "Incorrect API key provided: key-delta%s", bad_key_suffix);
    CHECK_STR(e.message, want);
    apierr_clear(&e);
}

static void test_bad_key_short_echoed_whole(void)
{
    char k[] = "right";
    char *keys[] = {k};
    struct apierr e = APIERR_INIT;
    char want[160];

    auth_check("Bearer 123456789012", keys, 1, NULL, &e); /* exactly 12 bytes */
    snprintf(want, sizeof want, "Incorrect API key provided: 123456789012%s", bad_key_suffix);
    CHECK_STR(e.message, want);
    apierr_clear(&e);

    auth_check("Bearer 1234567890123", keys, 1, NULL, &e); /* 13 bytes: one star */
    snprintf(want, sizeof want, "Incorrect API key provided: 12345678*0123%s", bad_key_suffix);
    CHECK_STR(e.message, want);
    apierr_clear(&e);
}

static void test_mask_key(void)
{
    char out[64];
    auth_mask_key("", out);
    CHECK_STR(out, "");
    auth_mask_key("abc", out);
    CHECK_STR(out, "abc");
    auth_mask_key("123456789012", out);
    CHECK_STR(out, "123456789012");
    auth_mask_key("1234567890123", out);
    CHECK_STR(out, "12345678*0123");
    auth_mask_key("12345678901234", out);
    CHECK_STR(out, "12345678**1234");
    auth_mask_key("sk-BQVMoABCDEFGHIJKLMNOPQCf6e", out);
    CHECK_STR(out, "sk-BQVMo*****************Cf6e");
    CHECK_INT(strlen(out), strlen("sk-BQVMoABCDEFGHIJKLMNOPQCf6e"));
}

UNIT_MAIN(UNIT_TEST(test_bearer), UNIT_TEST(test_bearer_rejects), UNIT_TEST(test_basic),
          UNIT_TEST(test_basic_rejects), UNIT_TEST(test_check_no_keys_configured),
          UNIT_TEST(test_check_configured_keys), UNIT_TEST(test_check_exact_match_only),
          UNIT_TEST(test_check_several_keys), UNIT_TEST(test_bad_key_short_echoed_whole),
          UNIT_TEST(test_mask_key))
