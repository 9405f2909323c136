/* test_config.c — the option table: defaults, environment, command line, and their errors.
 *
 * cfg_load() is the whole of imgmock's startup contract: which settings you get with no
 * arguments, that IMGMOCK_* variables override defaults and argv overrides both, which spellings
 * are accepted, and the exact one-line message for each mistake (users read it; the CLI tests
 * and docs quote it). That includes --mode (a fixed choice), --retire (names checked against
 * the model catalogue) and the rule that no value may carry a control character (values end up
 * in response headers and log lines). Every test passes its own envp array so the real
 * environment is never read or modified.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "models.h"

#include "unit.h"

static char *const no_env[] = {NULL};

/* argv with a program name prepended; up to 15 arguments. */
#define ARGV(...) ((char *const[]){"imgmock", __VA_ARGS__, NULL})
#define ARGC(...) ((int)(sizeof((const char *[]){"imgmock", __VA_ARGS__}) / sizeof(const char *)))
#define LOAD(c, envp, err, ...) cfg_load((c), ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), (envp), (err), sizeof(err))

static char *const bare_argv[] = {"imgmock", NULL};

static void test_defaults(void)
{
    struct cfg c;
    char err[256] = "junk";
    CHECK_INT(cfg_load(&c, 1, bare_argv, no_env, err, sizeof err), CFG_RUN);
    CHECK_STR(err, "");
    CHECK_STR(c.host, "127.0.0.1");
    CHECK_INT(c.port, 4010);
    CHECK_INT(c.threads, 128);
    CHECK_INT(c.max_body, 1048576);
    CHECK_STR(c.organization, "org-mock");
    CHECK_INT(c.quiet, 0);
    CHECK_INT(c.api_keys.count, 0);
    CHECK_STR(c.mode, "strict");
    CHECK_INT(c.retired.count, 0);
    CHECK(c.retired.items == NULL);
    cfg_free(&c);

    /* a NULL envp is an empty environment */
    CHECK_INT(cfg_load(&c, 1, bare_argv, NULL, err, sizeof err), CFG_RUN);
    CHECK_INT(c.port, 4010);
    cfg_free(&c);
}

static void test_env_overrides_defaults(void)
{
    char *const env[] = {"PATH=/usr/bin",
                         "IMGMOCK_HOST=0.0.0.0",
                         "IMGMOCK_PORT=8080",
                         "IMGMOCK_THREADS=4",
                         "IMGMOCK_MAX_BODY=2k",
                         "IMGMOCK_ORGANIZATION=org-test",
                         "IMGMOCK_QUIET=true",
                         "IMGMOCK_API_KEY=sk-one",
                         NULL};
    struct cfg c;
    char err[256];
    CHECK_INT(cfg_load(&c, 1, bare_argv, env, err, sizeof err), CFG_RUN);
    CHECK_STR(c.host, "0.0.0.0");
    CHECK_INT(c.port, 8080);
    CHECK_INT(c.threads, 4);
    CHECK_INT(c.max_body, 2048);
    CHECK_STR(c.organization, "org-test");
    CHECK_INT(c.quiet, 1);
    CHECK_INT(c.api_keys.count, 1);
    if (c.api_keys.count == 1)
        CHECK_STR(c.api_keys.items[0], "sk-one");
    cfg_free(&c);
}

static void test_env_names_matched_exactly(void)
{
    /* neither a longer name nor a lowercase one is IMGMOCK_PORT */
    char *const env[] = {"IMGMOCK_PORTX=1", "imgmock_port=2", "XIMGMOCK_PORT=3", "IMGMOCK_PORT", NULL};
    struct cfg c;
    char err[256];
    CHECK_INT(cfg_load(&c, 1, bare_argv, env, err, sizeof err), CFG_RUN);
    CHECK_INT(c.port, 4010);
    cfg_free(&c);
}

static void test_argv_overrides_env(void)
{
    char *const env[] = {"IMGMOCK_PORT=8080", "IMGMOCK_ORGANIZATION=org-env", "IMGMOCK_QUIET=1", NULL};
    struct cfg c;
    char err[256];
    CHECK_INT(LOAD(&c, env, err, "--port", "9090", "--organization=org-argv", "--quiet=off"), CFG_RUN);
    CHECK_INT(c.port, 9090);
    CHECK_STR(c.organization, "org-argv");
    CHECK_INT(c.quiet, 0);
    cfg_free(&c);

    /* the last occurrence on the command line wins */
    CHECK_INT(LOAD(&c, env, err, "--port=1", "--port=2"), CFG_RUN);
    CHECK_INT(c.port, 2);
    cfg_free(&c);
}

static void test_value_forms(void)
{
    struct cfg c;
    char err[256];
    CHECK_INT(LOAD(&c, no_env, err, "--port=1234", "--threads", "8", "--host", "::1"), CFG_RUN);
    CHECK_INT(c.port, 1234);
    CHECK_INT(c.threads, 8);
    CHECK_STR(c.host, "::1");
    cfg_free(&c);

    /* "--flag value" takes the next argument even if it looks like a flag */
    CHECK_INT(LOAD(&c, no_env, err, "--organization", "--quiet"), CFG_RUN);
    CHECK_STR(c.organization, "--quiet");
    CHECK_INT(c.quiet, 0);
    cfg_free(&c);

    /* "=" inside the value is kept */
    CHECK_INT(LOAD(&c, no_env, err, "--organization=a=b"), CFG_RUN);
    CHECK_STR(c.organization, "a=b");
    cfg_free(&c);

    /* port 0 (pick a free one) and the range ends */
    CHECK_INT(LOAD(&c, no_env, err, "--port=0", "--threads=1"), CFG_RUN);
    CHECK_INT(c.port, 0);
    CHECK_INT(c.threads, 1);
    cfg_free(&c);
    CHECK_INT(LOAD(&c, no_env, err, "--port=65535", "--threads=1024"), CFG_RUN);
    CHECK_INT(c.port, 65535);
    CHECK_INT(c.threads, 1024);
    cfg_free(&c);
}

static void test_quiet(void)
{
    struct cfg c;
    char err[256];
    CHECK_INT(LOAD(&c, no_env, err, "--quiet"), CFG_RUN);
    CHECK_INT(c.quiet, 1);
    cfg_free(&c);

    char *const env_true[] = {"IMGMOCK_QUIET=true", NULL};
    CHECK_INT(cfg_load(&c, 1, bare_argv, env_true, err, sizeof err), CFG_RUN);
    CHECK_INT(c.quiet, 1);
    cfg_free(&c);

    char *const env_zero[] = {"IMGMOCK_QUIET=0", NULL};
    CHECK_INT(cfg_load(&c, 1, bare_argv, env_zero, err, sizeof err), CFG_RUN);
    CHECK_INT(c.quiet, 0);
    cfg_free(&c);

    char *const env_yes[] = {"IMGMOCK_QUIET=YES", NULL};
    CHECK_INT(cfg_load(&c, 1, bare_argv, env_yes, err, sizeof err), CFG_RUN);
    CHECK_INT(c.quiet, 1);
    cfg_free(&c);

    /* --quiet on the command line beats IMGMOCK_QUIET=0 */
    CHECK_INT(LOAD(&c, env_zero, err, "--quiet"), CFG_RUN);
    CHECK_INT(c.quiet, 1);
    cfg_free(&c);

    char *const env_bad[] = {"IMGMOCK_QUIET=maybe", NULL};
    CHECK_INT(cfg_load(&c, 1, bare_argv, env_bad, err, sizeof err), CFG_INVALID);
    CHECK_STR(err, "invalid value 'maybe' for IMGMOCK_QUIET: expected 1, true, yes, on, 0, false, no or off");
    cfg_free(&c);

    /* a bare flag does not swallow the next argument */
    CHECK_INT(LOAD(&c, no_env, err, "--quiet", "0"), CFG_INVALID);
    CHECK_STR(err, "unexpected argument '0'");
    cfg_free(&c);
}

static void test_max_body_suffixes(void)
{
    struct cfg c;
    char err[256];
    CHECK_INT(LOAD(&c, no_env, err, "--max-body", "2k"), CFG_RUN);
    CHECK_INT(c.max_body, 2048);
    cfg_free(&c);
    CHECK_INT(LOAD(&c, no_env, err, "--max-body=3m"), CFG_RUN);
    CHECK_INT(c.max_body, 3 * 1048576);
    cfg_free(&c);
    CHECK_INT(LOAD(&c, no_env, err, "--max-body=1g"), CFG_RUN);
    CHECK_INT(c.max_body, 1073741824);
    cfg_free(&c);
    CHECK_INT(LOAD(&c, no_env, err, "--max-body=4K"), CFG_RUN);
    CHECK_INT(c.max_body, 4096);
    cfg_free(&c);
    CHECK_INT(LOAD(&c, no_env, err, "--max-body=1"), CFG_RUN);
    CHECK_INT(c.max_body, 1);
    cfg_free(&c);
    CHECK_INT(LOAD(&c, no_env, err, "--max-body=1073741824"), CFG_RUN);
    CHECK_INT(c.max_body, 1073741824);
    cfg_free(&c);
}

static void test_max_body_rejects(void)
{
    static const char expected[] = "expected a byte count from 1 to 1073741824, optionally with k, m or g";
    static char *const bad[] = {"2g",  "1073741825", "0", "0k", "1kb", "1t", "k", "-1",
                                      "+1",  " 1",         "",  "1.5m", "18446744073709551616",
                                      "18014398509481984k"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct cfg c;
        char err[256], arg[64], want[256];
        snprintf(arg, sizeof arg, "--max-body=%s", bad[i]);
        CHECK_INT(LOAD(&c, no_env, err, arg), CFG_INVALID);
        snprintf(want, sizeof want, "invalid value '%s' for --max-body: %s", bad[i], expected);
        CHECK_STR(err, want);
        cfg_free(&c);
    }
}

static void test_api_keys(void)
{
    struct cfg c;
    char err[256];
    CHECK_INT(LOAD(&c, no_env, err, "--api-key", "a", "--api-key=b", "--port=1", "--api-key", "c"), CFG_RUN);
    CHECK_INT(c.api_keys.count, 3);
    if (c.api_keys.count == 3) {
        CHECK_STR(c.api_keys.items[0], "a");
        CHECK_STR(c.api_keys.items[1], "b");
        CHECK_STR(c.api_keys.items[2], "c");
    }
    cfg_free(&c);

    /* the environment form is comma-separated; empty items are dropped */
    char *const env[] = {"IMGMOCK_API_KEY=x,y,,z,", NULL};
    CHECK_INT(cfg_load(&c, 1, bare_argv, env, err, sizeof err), CFG_RUN);
    CHECK_INT(c.api_keys.count, 3);
    if (c.api_keys.count == 3) {
        CHECK_STR(c.api_keys.items[0], "x");
        CHECK_STR(c.api_keys.items[1], "y");
        CHECK_STR(c.api_keys.items[2], "z");
    }
    cfg_free(&c);

    /* the command line replaces the environment's list rather than appending to it */
    CHECK_INT(LOAD(&c, env, err, "--api-key=p", "--api-key=q"), CFG_RUN);
    CHECK_INT(c.api_keys.count, 2);
    if (c.api_keys.count == 2) {
        CHECK_STR(c.api_keys.items[0], "p");
        CHECK_STR(c.api_keys.items[1], "q");
    }
    cfg_free(&c);

    /* on the command line a comma is part of the key */
    CHECK_INT(LOAD(&c, no_env, err, "--api-key=a,b"), CFG_RUN);
    CHECK_INT(c.api_keys.count, 1);
    if (c.api_keys.count == 1)
        CHECK_STR(c.api_keys.items[0], "a,b");
    cfg_free(&c);

    /* an empty environment variable configures no keys */
    char *const env_empty[] = {"IMGMOCK_API_KEY=", NULL};
    CHECK_INT(cfg_load(&c, 1, bare_argv, env_empty, err, sizeof err), CFG_RUN);
    CHECK_INT(c.api_keys.count, 0);
    cfg_free(&c);

    CHECK_INT(LOAD(&c, no_env, err, "--api-key="), CFG_INVALID);
    CHECK_STR(err, "invalid value '' for --api-key: expected a non-empty value");
    cfg_free(&c);
}

static void test_command_line_errors(void)
{
    struct cfg c;
    char err[256];

    CHECK_INT(LOAD(&c, no_env, err, "--nope"), CFG_INVALID);
    CHECK_STR(err, "unknown option '--nope'");
    cfg_free(&c);
    CHECK_INT(LOAD(&c, no_env, err, "--nope=3"), CFG_INVALID);
    CHECK_STR(err, "unknown option '--nope'");
    cfg_free(&c);
    CHECK_INT(LOAD(&c, no_env, err, "--por=1"), CFG_INVALID); /* no prefix matching */
    CHECK_STR(err, "unknown option '--por'");
    cfg_free(&c);

    CHECK_INT(LOAD(&c, no_env, err, "--port"), CFG_INVALID);
    CHECK_STR(err, "option '--port' needs a value");
    cfg_free(&c);
    CHECK_INT(LOAD(&c, no_env, err, "--quiet", "--api-key"), CFG_INVALID);
    CHECK_STR(err, "option '--api-key' needs a value");
    cfg_free(&c);

    CHECK_INT(LOAD(&c, no_env, err, "serve"), CFG_INVALID);
    CHECK_STR(err, "unexpected argument 'serve'");
    cfg_free(&c);
    CHECK_INT(LOAD(&c, no_env, err, "-p"), CFG_INVALID);
    CHECK_STR(err, "unexpected argument '-p'");
    cfg_free(&c);
    CHECK_INT(LOAD(&c, no_env, err, "--"), CFG_INVALID);
    CHECK_STR(err, "unexpected argument '--'");
    cfg_free(&c);

    CHECK_INT(LOAD(&c, no_env, err, "--help=yes"), CFG_INVALID);
    CHECK_STR(err, "option '--help' takes no value");
    cfg_free(&c);
}

static void test_bad_values_name_flag_and_value(void)
{
    struct cfg c;
    char err[256];

    CHECK_INT(LOAD(&c, no_env, err, "--port", "abc"), CFG_INVALID);
    CHECK_STR(err, "invalid value 'abc' for --port: expected an integer from 0 to 65535");
    cfg_free(&c);
    CHECK_INT(LOAD(&c, no_env, err, "--port=65536"), CFG_INVALID);
    CHECK_STR(err, "invalid value '65536' for --port: expected an integer from 0 to 65535");
    cfg_free(&c);
    CHECK_INT(LOAD(&c, no_env, err, "--port=80x"), CFG_INVALID);
    CHECK_STR(err, "invalid value '80x' for --port: expected an integer from 0 to 65535");
    cfg_free(&c);
    CHECK_INT(LOAD(&c, no_env, err, "--port=1k"), CFG_INVALID); /* suffixes are for byte counts only */
    CHECK_STR(err, "invalid value '1k' for --port: expected an integer from 0 to 65535");
    cfg_free(&c);
    CHECK_INT(LOAD(&c, no_env, err, "--threads=0"), CFG_INVALID);
    CHECK_STR(err, "invalid value '0' for --threads: expected an integer from 1 to 1024");
    cfg_free(&c);
    CHECK_INT(LOAD(&c, no_env, err, "--threads=1025"), CFG_INVALID);
    CHECK_STR(err, "invalid value '1025' for --threads: expected an integer from 1 to 1024");
    cfg_free(&c);
    CHECK_INT(LOAD(&c, no_env, err, "--quiet=maybe"), CFG_INVALID);
    CHECK_STR(err, "invalid value 'maybe' for --quiet: expected 1, true, yes, on, 0, false, no or off");
    cfg_free(&c);

    /* a bad value in the environment names the variable */
    char *const env[] = {"IMGMOCK_PORT=abc", NULL};
    CHECK_INT(cfg_load(&c, 1, bare_argv, env, err, sizeof err), CFG_INVALID);
    CHECK_STR(err, "invalid value 'abc' for IMGMOCK_PORT: expected an integer from 0 to 65535");
    cfg_free(&c);
    char *const env_mb[] = {"IMGMOCK_MAX_BODY=5g", NULL};
    CHECK_INT(cfg_load(&c, 1, bare_argv, env_mb, err, sizeof err), CFG_INVALID);
    CHECK_STR(err, "invalid value '5g' for IMGMOCK_MAX_BODY: expected a byte count from 1 to 1073741824, "
                   "optionally with k, m or g");
    cfg_free(&c);
}

static void test_help_and_version(void)
{
    struct cfg c;
    char err[256];
    CHECK_INT(LOAD(&c, no_env, err, "--help"), CFG_HELP);
    cfg_free(&c);
    CHECK_INT(LOAD(&c, no_env, err, "-h"), CFG_HELP);
    cfg_free(&c);
    CHECK_INT(LOAD(&c, no_env, err, "--version"), CFG_VERSION);
    cfg_free(&c);
    /* parsing stops at --help: later mistakes are not reported */
    CHECK_INT(LOAD(&c, no_env, err, "--port=1", "--help", "--nope"), CFG_HELP);
    cfg_free(&c);
    CHECK_INT(LOAD(&c, no_env, err, "--version", "--port=abc"), CFG_VERSION);
    cfg_free(&c);
    /* ... but earlier ones are */
    CHECK_INT(LOAD(&c, no_env, err, "--nope", "--help"), CFG_INVALID);
    cfg_free(&c);
    /* IMGMOCK_HELP is not an environment variable for an action */
    char *const env[] = {"IMGMOCK_HELP=1", "IMGMOCK_VERSION=1", NULL};
    CHECK_INT(cfg_load(&c, 1, bare_argv, env, err, sizeof err), CFG_RUN);
    cfg_free(&c);
}

static void test_host_validation(void)
{
    static char *const good[] = {"127.0.0.1", "0.0.0.0", "192.168.1.20", "::1", "::", "fe80::1",
                                       "localhost"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        struct cfg c;
        char err[256];
        CHECK_INT(LOAD(&c, no_env, err, "--host", good[i]), CFG_RUN);
        CHECK_STR(c.host, good[i]);
        cfg_free(&c);
    }
    static char *const bad[] = {"example.com", "", "256.0.0.1", "[::1]", "127.0.0.1:80", "1.2.3"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct cfg c;
        char err[256], want[256];
        CHECK_INT(LOAD(&c, no_env, err, "--host", bad[i]), CFG_INVALID);
        snprintf(want, sizeof want, "invalid value '%s' for --host: expected an IPv4 or IPv6 address, or localhost",
                 bad[i]);
        CHECK_STR(err, want);
        cfg_free(&c);
    }
    char *const env[] = {"IMGMOCK_HOST=example.com", NULL};
    struct cfg c;
    char err[256];
    CHECK_INT(cfg_load(&c, 1, bare_argv, env, err, sizeof err), CFG_INVALID);
    CHECK_STR(err, "invalid value 'example.com' for IMGMOCK_HOST: expected an IPv4 or IPv6 address, or localhost");
    cfg_free(&c);
}

static void test_mode(void)
{
    struct cfg c;
    char err[256];
    CHECK_INT(LOAD(&c, no_env, err, "--mode", "schema"), CFG_RUN);
    CHECK_STR(c.mode, "schema");
    cfg_free(&c);
    CHECK_INT(LOAD(&c, no_env, err, "--mode=strict"), CFG_RUN);
    CHECK_STR(c.mode, "strict");
    cfg_free(&c);
    CHECK_INT(LOAD(&c, no_env, err, "--mode=schema", "--mode=strict"), CFG_RUN); /* the last wins */
    CHECK_STR(c.mode, "strict");
    cfg_free(&c);

    char *const env[] = {"IMGMOCK_MODE=schema", NULL};
    CHECK_INT(cfg_load(&c, 1, bare_argv, env, err, sizeof err), CFG_RUN);
    CHECK_STR(c.mode, "schema");
    cfg_free(&c);
    CHECK_INT(LOAD(&c, env, err, "--mode=strict"), CFG_RUN); /* argv beats the environment */
    CHECK_STR(c.mode, "strict");
    cfg_free(&c);

    /* only the two spellings, exactly */
    static char *const bad[] = {"bogus", "", "STRICT", "Schema", "strict ", "stric", "strictly"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char want[256];
        CHECK_INT(LOAD(&c, no_env, err, "--mode", bad[i]), CFG_INVALID);
        snprintf(want, sizeof want, "invalid value '%s' for --mode: expected one of strict, schema", bad[i]);
        CHECK_STR(err, want);
        cfg_free(&c);
    }
    char *const env_bad[] = {"IMGMOCK_MODE=lenient", NULL};
    CHECK_INT(cfg_load(&c, 1, bare_argv, env_bad, err, sizeof err), CFG_INVALID);
    CHECK_STR(err, "invalid value 'lenient' for IMGMOCK_MODE: expected one of strict, schema");
    cfg_free(&c);
}

static void test_retire(void)
{
    struct cfg c;
    char err[256];
    /* repeatable, in order */
    CHECK_INT(LOAD(&c, no_env, err, "--retire", "dall-e-3", "--retire=dall-e-2"), CFG_RUN);
    CHECK_INT(c.retired.count, 2);
    if (c.retired.count == 2) {
        CHECK_STR(c.retired.items[0], "dall-e-3");
        CHECK_STR(c.retired.items[1], "dall-e-2");
    }
    cfg_free(&c);
    /* every catalogue name is accepted */
    for (size_t i = 0; i < model_catalogue_count; i++) {
        char name[64];
        snprintf(name, sizeof name, "%s", model_catalogue[i].name);
        CHECK_INT(LOAD(&c, no_env, err, "--retire", name), CFG_RUN);
        CHECK_INT(c.retired.count, 1);
        if (c.retired.count == 1)
            CHECK_STR(c.retired.items[0], model_catalogue[i].name);
        cfg_free(&c);
    }

    /* the environment form is a comma list; empty items are dropped */
    char *const env[] = {"IMGMOCK_RETIRE=dall-e-2,,dall-e-3,", NULL};
    CHECK_INT(cfg_load(&c, 1, bare_argv, env, err, sizeof err), CFG_RUN);
    CHECK_INT(c.retired.count, 2);
    if (c.retired.count == 2) {
        CHECK_STR(c.retired.items[0], "dall-e-2");
        CHECK_STR(c.retired.items[1], "dall-e-3");
    }
    cfg_free(&c);
    /* the command line replaces the environment's list */
    CHECK_INT(LOAD(&c, env, err, "--retire=gpt-image-1"), CFG_RUN);
    CHECK_INT(c.retired.count, 1);
    if (c.retired.count == 1)
        CHECK_STR(c.retired.items[0], "gpt-image-1");
    cfg_free(&c);

    /* a name outside the catalogue is named in the message */
    CHECK_INT(LOAD(&c, no_env, err, "--retire", "gpt-9"), CFG_INVALID);
    CHECK_STR(err, "invalid value 'gpt-9' for --retire: expected a model of the catalogue");
    cfg_free(&c);
    CHECK_INT(LOAD(&c, no_env, err, "--retire=dall-e-3", "--retire=DALL-E-2"), CFG_INVALID); /* case matters */
    CHECK_STR(err, "invalid value 'DALL-E-2' for --retire: expected a model of the catalogue");
    cfg_free(&c);
    /* on the command line a comma is part of the value */
    CHECK_INT(LOAD(&c, no_env, err, "--retire=dall-e-2,dall-e-3"), CFG_INVALID);
    CHECK_STR(err, "invalid value 'dall-e-2,dall-e-3' for --retire: expected a model of the catalogue");
    cfg_free(&c);
    CHECK_INT(LOAD(&c, no_env, err, "--retire="), CFG_INVALID);
    CHECK_STR(err, "invalid value '' for --retire: expected a non-empty value");
    cfg_free(&c);
    /* in the environment the bad item alone is named */
    char *const env_bad[] = {"IMGMOCK_RETIRE=dall-e-3,gpt-9,dall-e-2", NULL};
    CHECK_INT(cfg_load(&c, 1, bare_argv, env_bad, err, sizeof err), CFG_INVALID);
    CHECK_STR(err, "invalid value 'gpt-9' for IMGMOCK_RETIRE: expected a model of the catalogue");
    cfg_free(&c);
    char *const env_space[] = {"IMGMOCK_RETIRE=dall-e-2, dall-e-3", NULL};
    CHECK_INT(cfg_load(&c, 1, bare_argv, env_space, err, sizeof err), CFG_INVALID);
    CHECK_STR(err, "invalid value ' dall-e-3' for IMGMOCK_RETIRE: expected a model of the catalogue");
    cfg_free(&c);
}

#define STARTS_WITH(s, lit) (strncmp((s), (lit), sizeof(lit) - 1) == 0)

static void test_control_characters_rejected(void)
{
    struct cfg c;
    char err[256];
    /* rejected, and echoed with each control character as '?' so the message stays one line */
    static char *const bad[] = {"org\nx", "org\rx", "org\tx", "\x01", "org\x1f", "org\x7f", "org\x1b[31m"};
    static char *const shown[] = {"org?x", "org?x", "org?x", "?", "org?", "org?", "org?[31m"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char want[256];
        CHECK_INT(LOAD(&c, no_env, err, "--organization", bad[i]), CFG_INVALID);
        snprintf(want, sizeof want, "invalid value '%s' for --organization: expected text without control characters",
                 shown[i]);
        CHECK_STR(err, want);
        cfg_free(&c);
    }
    char *const env[] = {"IMGMOCK_ORGANIZATION=org\tmock", NULL};
    CHECK_INT(cfg_load(&c, 1, bare_argv, env, err, sizeof err), CFG_INVALID);
    CHECK(STARTS_WITH(err, "invalid value 'org?mock' for IMGMOCK_ORGANIZATION: "));
    cfg_free(&c);
    /* every kind of text option: keys, hosts, choices */
    CHECK_INT(LOAD(&c, no_env, err, "--api-key", "sk-\ntest"), CFG_INVALID);
    CHECK(STARTS_WITH(err, "invalid value 'sk-?test' for --api-key: "));
    cfg_free(&c);
    char *const env_keys[] = {"IMGMOCK_API_KEY=good,b\x7f" "d", NULL};
    CHECK_INT(cfg_load(&c, 1, bare_argv, env_keys, err, sizeof err), CFG_INVALID);
    cfg_free(&c);
    CHECK_INT(LOAD(&c, no_env, err, "--host", "127.0.0.1\n"), CFG_INVALID);
    CHECK_STR(err, "invalid value '127.0.0.1?' for --host: expected an IPv4 or IPv6 address, or localhost");
    cfg_free(&c);
    CHECK_INT(LOAD(&c, no_env, err, "--mode", "schema\n"), CFG_INVALID);
    cfg_free(&c);
    /* bytes above 0x7F are not control characters: UTF-8 passes */
    CHECK_INT(LOAD(&c, no_env, err, "--organization", "org-caf\xC3\xA9", "--api-key", "k\xE2\x82\xAC"), CFG_RUN);
    CHECK_STR(c.organization, "org-caf\xC3\xA9");
    cfg_free(&c);
    CHECK_INT(LOAD(&c, no_env, err, "--organization", "org with spaces ~"), CFG_RUN);
    cfg_free(&c);
}

/* config.h promises a one-line message; a rejected value with a newline in it must not
 * break it (nor put any other control character on the terminal). */
static void test_control_character_message_is_one_line(void)
{
    struct cfg c;
    char err[256];
    static char *const bad[] = {"org\nx", "org\rx", "org\x1b[2Jx"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        CHECK_INT(LOAD(&c, no_env, err, "--organization", bad[i]), CFG_INVALID);
        for (const char *p = err; *p; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f) {
                fprintf(stderr, "%s:%d: message has control character 0x%02x: %s\n", __FILE__, __LINE__,
                        (unsigned char)*p, err);
                unit_failures_in_test++;
                break;
            }
        cfg_free(&c);
    }
}

static void test_free_zeroes(void)
{
    struct cfg c;
    char err[256];
    CHECK_INT(LOAD(&c, no_env, err, "--api-key=a", "--api-key=b", "--quiet", "--host=::1", "--mode=schema",
                   "--retire=dall-e-2"),
              CFG_RUN);
    cfg_free(&c);
    CHECK(c.host == NULL);
    CHECK(c.mode == NULL);
    CHECK(c.retired.items == NULL);
    CHECK(c.organization == NULL);
    CHECK(c.api_keys.items == NULL);
    CHECK_INT(c.api_keys.count, 0);
    CHECK_INT(c.port, 0);
    CHECK_INT(c.quiet, 0);
    CHECK(unit_all_zero(&c, sizeof c));
    cfg_free(&c); /* freeing a zeroed struct is harmless */

    /* after a failed load the struct is still freeable */
    CHECK_INT(LOAD(&c, no_env, err, "--api-key=a", "--port=x"), CFG_INVALID);
    cfg_free(&c);
    CHECK(unit_all_zero(&c, sizeof c));
}

static void test_usage_mentions_every_option(void)
{
    char buf[8192] = {0};
    FILE *f = fmemopen(buf, sizeof buf - 1, "w");
    CHECK(f != NULL);
    if (!f)
        return;
    cfg_usage(f);
    fclose(f);
    static const char *const want[] = {"--host ADDR", "--port N", "--threads N", "--max-body BYTES",
                                       "--api-key KEY", "--organization SLUG", "--quiet", "--help",
                                       "--version", "env IMGMOCK_MAX_BODY", "env IMGMOCK_API_KEY",
                                       "(default: 4010)", "(default: 127.0.0.1)", "(default: 1m)",
                                       "--mode MODE", "env IMGMOCK_MODE", "(default: strict)", "--retire MODEL",
                                       "env IMGMOCK_RETIRE"};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        if (!strstr(buf, want[i])) {
            fprintf(stderr, "%s:%d: usage lacks '%s'\n", __FILE__, __LINE__, want[i]);
            unit_failures_in_test++;
        }
    CHECK(strstr(buf, "IMGMOCK_HELP") == NULL);
}

/* ---- the test controls' options: --latency-ms, --fault-rate, --fault-seed, --blocklist, --rpm,
 * --ipm, --journal, --clock ------------------------------------------------------------------ */

static void test_controls_defaults(void)
{
    struct cfg c;
    char err[256];
    CHECK_INT(cfg_load(&c, 1, bare_argv, no_env, err, sizeof err), CFG_RUN);
    CHECK_INT(c.latency_ms, 0);
    CHECK(c.fault_rate == 0.0);
    CHECK_INT(c.fault_seed, 0);
    CHECK_INT(c.blocklist.count, 0);
    CHECK(c.blocklist.items == NULL);
    CHECK_INT(c.rpm, 0);
    CHECK_INT(c.ipm, 0);
    CHECK_INT(c.journal, 1000);
    CHECK_INT(c.clock, -1);
    cfg_free(&c);
}

static void test_fault_rate(void)
{
    static const struct {
        char *text;
        double value;
    } good[] = {{"0", 0.0}, {"1", 1.0}, {"0.25", 0.25}, {"0.5", 0.5}, {"1.0", 1.0}, {"0.0", 0.0},
                {"0.001", 0.001}, {"0.999999", 0.999999}, {"1.000", 1.0}};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        struct cfg c;
        char err[256];
        CHECK_INT(LOAD(&c, no_env, err, "--fault-rate", good[i].text), CFG_RUN);
        if (c.fault_rate != good[i].value) {
            fprintf(stderr, "%s:%d: --fault-rate %s gave %g\n", __FILE__, __LINE__, good[i].text, c.fault_rate);
            unit_failures_in_test++;
        }
        cfg_free(&c);
    }
    static char *const bad[] = {"1.5", "-0.1", "abc", ".5", "", "-0", "+0.5", " 0.5", "0.5 ", "0.5x", "1.0000001",
                                "2", "nan", "inf", "0,5", "50%"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct cfg c;
        char err[256], want[256];
        CHECK_INT(LOAD(&c, no_env, err, "--fault-rate", bad[i]), CFG_INVALID);
        snprintf(want, sizeof want, "invalid value '%s' for --fault-rate: expected a number from 0 to 1", bad[i]);
        CHECK_STR(err, want);
        cfg_free(&c);
    }
    struct cfg c;
    char err[256];
    char *const env[] = {"IMGMOCK_FAULT_RATE=0.75", "IMGMOCK_FAULT_SEED=99", NULL};
    CHECK_INT(cfg_load(&c, 1, bare_argv, env, err, sizeof err), CFG_RUN);
    CHECK(c.fault_rate == 0.75);
    CHECK_INT(c.fault_seed, 99);
    cfg_free(&c);
    CHECK_INT(LOAD(&c, env, err, "--fault-rate=0.1"), CFG_RUN); /* argv beats the environment */
    CHECK(c.fault_rate == 0.1);
    cfg_free(&c);
    char *const env_bad[] = {"IMGMOCK_FAULT_RATE=1.5", NULL};
    CHECK_INT(cfg_load(&c, 1, bare_argv, env_bad, err, sizeof err), CFG_INVALID);
    CHECK_STR(err, "invalid value '1.5' for IMGMOCK_FAULT_RATE: expected a number from 0 to 1");
    cfg_free(&c);
}

static void test_fault_seed(void)
{
    struct cfg c;
    char err[256];
    CHECK_INT(LOAD(&c, no_env, err, "--fault-seed", "0"), CFG_RUN);
    CHECK_INT(c.fault_seed, 0);
    cfg_free(&c);
    CHECK_INT(LOAD(&c, no_env, err, "--fault-seed=18446744073709551615"), CFG_RUN);
    CHECK(c.fault_seed == UINT64_MAX);
    cfg_free(&c);
    static char *const bad[] = {"-1", "18446744073709551616", "abc", "1.5", ""};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char want[256];
        CHECK_INT(LOAD(&c, no_env, err, "--fault-seed", bad[i]), CFG_INVALID);
        snprintf(want, sizeof want,
                 "invalid value '%s' for --fault-seed: expected an integer from 0 to 18446744073709551615", bad[i]);
        CHECK_STR(err, want);
        cfg_free(&c);
    }
}

static void test_clock(void)
{
    static const struct {
        char *text;
        long long value;
    } good[] = {{"0", 0}, {"1700000000", 1700000000LL}, {"off", -1}, {"253402300799", 253402300799LL}, {"1", 1}};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        struct cfg c;
        char err[256];
        CHECK_INT(LOAD(&c, no_env, err, "--clock", good[i].text), CFG_RUN);
        CHECK_INT(c.clock, good[i].value);
        cfg_free(&c);
    }
    static char *const bad[] = {"-1", "253402300800", "abc", "", "OFF", "on", "1.5", "1700000000x",
                                "99999999999999999999", " 1"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct cfg c;
        char err[256], want[256];
        CHECK_INT(LOAD(&c, no_env, err, "--clock", bad[i]), CFG_INVALID);
        snprintf(want, sizeof want,
                 "invalid value '%s' for --clock: expected Unix seconds from 0 to 253402300799, or off", bad[i]);
        CHECK_STR(err, want);
        cfg_free(&c);
    }
    struct cfg c;
    char err[256];
    char *const env[] = {"IMGMOCK_CLOCK=1700000000", NULL};
    CHECK_INT(cfg_load(&c, 1, bare_argv, env, err, sizeof err), CFG_RUN);
    CHECK_INT(c.clock, 1700000000LL);
    cfg_free(&c);
    CHECK_INT(LOAD(&c, env, err, "--clock=off"), CFG_RUN); /* the command line turns it off again */
    CHECK_INT(c.clock, -1);
    cfg_free(&c);
    char *const env_bad[] = {"IMGMOCK_CLOCK=-1", NULL};
    CHECK_INT(cfg_load(&c, 1, bare_argv, env_bad, err, sizeof err), CFG_INVALID);
    CHECK_STR(err, "invalid value '-1' for IMGMOCK_CLOCK: expected Unix seconds from 0 to 253402300799, or off");
    cfg_free(&c);
}

/* An unsigned option: both ends of its range pass, one past either end fails with the message. */
static void check_uint_range(const char *flag, const char *min, const char *max, const char *below,
                             const char *above, int line)
{
    const char *const good[] = {min, max};
    for (int i = 0; i < 2; i++) {
        struct cfg c;
        char err[256], arg[96];
        snprintf(arg, sizeof arg, "--%s=%s", flag, good[i]);
        if (LOAD(&c, no_env, err, arg) != CFG_RUN) {
            fprintf(stderr, "%s:%d: %s refused: %s\n", __FILE__, line, arg, err);
            unit_failures_in_test++;
        }
        cfg_free(&c);
    }
    const char *const bad[] = {below, above, "abc", "-1", "1.5", ""};
    for (int i = 0; i < 6; i++) {
        if (!bad[i])
            continue;
        struct cfg c;
        char err[256], arg[96], want[256];
        snprintf(arg, sizeof arg, "--%s=%s", flag, bad[i]);
        snprintf(want, sizeof want, "invalid value '%s' for --%s: expected an integer from %s to %s", bad[i], flag,
                 min, max);
        if (LOAD(&c, no_env, err, arg) != CFG_INVALID || strcmp(err, want)) {
            fprintf(stderr, "%s:%d: %s\n  got:  %s\n  want: %s\n", __FILE__, line, arg, err, want);
            unit_failures_in_test++;
        }
        cfg_free(&c);
    }
}

static void test_limits_and_journal(void)
{
    check_uint_range("journal", "0", "1000000", NULL, "1000001", __LINE__);
    check_uint_range("rpm", "0", "1000000000", NULL, "1000000001", __LINE__);
    check_uint_range("ipm", "0", "1000000000", NULL, "1000000001", __LINE__);
    check_uint_range("latency-ms", "0", "60000", NULL, "60001", __LINE__);

    struct cfg c;
    char err[256];
    CHECK_INT(LOAD(&c, no_env, err, "--rpm", "3", "--ipm=5", "--journal", "0", "--latency-ms=250"), CFG_RUN);
    CHECK_INT(c.rpm, 3);
    CHECK_INT(c.ipm, 5);
    CHECK_INT(c.journal, 0);
    CHECK_INT(c.latency_ms, 250);
    cfg_free(&c);

    char *const env[] = {"IMGMOCK_RPM=10", "IMGMOCK_IPM=20", "IMGMOCK_JOURNAL=5", "IMGMOCK_LATENCY_MS=7", NULL};
    CHECK_INT(cfg_load(&c, 1, bare_argv, env, err, sizeof err), CFG_RUN);
    CHECK_INT(c.rpm, 10);
    CHECK_INT(c.ipm, 20);
    CHECK_INT(c.journal, 5);
    CHECK_INT(c.latency_ms, 7);
    cfg_free(&c);
    CHECK_INT(LOAD(&c, env, err, "--rpm=0", "--journal=2"), CFG_RUN);
    CHECK_INT(c.rpm, 0);
    CHECK_INT(c.ipm, 20);
    CHECK_INT(c.journal, 2);
    cfg_free(&c);
    char *const env_bad[] = {"IMGMOCK_JOURNAL=1000001", NULL};
    CHECK_INT(cfg_load(&c, 1, bare_argv, env_bad, err, sizeof err), CFG_INVALID);
    CHECK_STR(err, "invalid value '1000001' for IMGMOCK_JOURNAL: expected an integer from 0 to 1000000");
    cfg_free(&c);
}

static void test_blocklist(void)
{
    struct cfg c;
    char err[256];
    CHECK_INT(LOAD(&c, no_env, err, "--blocklist", "kraken", "--blocklist=Sea Monster", "--port=1",
                   "--blocklist", "caf\xc3\xa9"),
              CFG_RUN);
    CHECK_INT(c.blocklist.count, 3);
    if (c.blocklist.count == 3) {
        CHECK_STR(c.blocklist.items[0], "kraken");
        CHECK_STR(c.blocklist.items[1], "Sea Monster"); /* kept as written; matching ignores case */
        CHECK_STR(c.blocklist.items[2], "caf\xc3\xa9");
    }
    cfg_free(&c);

    /* IMGMOCK_BLOCKLIST is a comma list; empty items are dropped */
    char *const env[] = {"IMGMOCK_BLOCKLIST=kraken,,leviathan,", NULL};
    CHECK_INT(cfg_load(&c, 1, bare_argv, env, err, sizeof err), CFG_RUN);
    CHECK_INT(c.blocklist.count, 2);
    if (c.blocklist.count == 2) {
        CHECK_STR(c.blocklist.items[0], "kraken");
        CHECK_STR(c.blocklist.items[1], "leviathan");
    }
    cfg_free(&c);
    /* the command line replaces the environment's list */
    CHECK_INT(LOAD(&c, env, err, "--blocklist=hydra"), CFG_RUN);
    CHECK_INT(c.blocklist.count, 1);
    if (c.blocklist.count == 1)
        CHECK_STR(c.blocklist.items[0], "hydra");
    cfg_free(&c);
    /* on the command line a comma is part of the word */
    CHECK_INT(LOAD(&c, no_env, err, "--blocklist=a,b"), CFG_RUN);
    CHECK_INT(c.blocklist.count, 1);
    if (c.blocklist.count == 1)
        CHECK_STR(c.blocklist.items[0], "a,b");
    cfg_free(&c);

    CHECK_INT(LOAD(&c, no_env, err, "--blocklist="), CFG_INVALID);
    CHECK_STR(err, "invalid value '' for --blocklist: expected a non-empty value");
    cfg_free(&c);
    CHECK_INT(LOAD(&c, no_env, err, "--blocklist", "bad\nword"), CFG_INVALID);
    CHECK_STR(err, "invalid value 'bad?word' for --blocklist: expected text without control characters");
    cfg_free(&c);
    CHECK_INT(LOAD(&c, no_env, err, "--blocklist"), CFG_INVALID);
    CHECK_STR(err, "option '--blocklist' needs a value");
    cfg_free(&c);
}

static void test_usage_mentions_control_options(void)
{
    char buf[16384] = {0};
    FILE *f = fmemopen(buf, sizeof buf - 1, "w");
    CHECK(f != NULL);
    if (!f)
        return;
    cfg_usage(f);
    fclose(f);
    static const char *const want[] = {"--latency-ms MS",  "env IMGMOCK_LATENCY_MS", "--fault-rate P",
                                       "env IMGMOCK_FAULT_RATE", "--fault-seed N", "env IMGMOCK_FAULT_SEED",
                                       "--blocklist WORD", "env IMGMOCK_BLOCKLIST", "--rpm N", "env IMGMOCK_RPM",
                                       "--ipm N", "env IMGMOCK_IPM", "--journal N", "env IMGMOCK_JOURNAL",
                                       "(default: 1000)", "--clock UNIX_SECONDS", "env IMGMOCK_CLOCK",
                                       "(default: off)"};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        if (!strstr(buf, want[i])) {
            fprintf(stderr, "%s:%d: usage lacks '%s'\n", __FILE__, __LINE__, want[i]);
            unit_failures_in_test++;
        }
    CHECK(strstr(buf, "(default: )") == NULL); /* options without a default say none */
}

UNIT_MAIN(UNIT_TEST(test_defaults), UNIT_TEST(test_env_overrides_defaults), UNIT_TEST(test_env_names_matched_exactly),
          UNIT_TEST(test_argv_overrides_env), UNIT_TEST(test_value_forms), UNIT_TEST(test_quiet),
          UNIT_TEST(test_max_body_suffixes), UNIT_TEST(test_max_body_rejects), UNIT_TEST(test_api_keys),
          UNIT_TEST(test_command_line_errors), UNIT_TEST(test_bad_values_name_flag_and_value),
          UNIT_TEST(test_help_and_version), UNIT_TEST(test_host_validation), UNIT_TEST(test_mode),
          UNIT_TEST(test_retire), UNIT_TEST(test_control_characters_rejected),
          UNIT_TEST(test_control_character_message_is_one_line), UNIT_TEST(test_free_zeroes),
          UNIT_TEST(test_usage_mentions_every_option), UNIT_TEST(test_controls_defaults),
          UNIT_TEST(test_fault_rate), UNIT_TEST(test_fault_seed), UNIT_TEST(test_clock),
          UNIT_TEST(test_limits_and_journal), UNIT_TEST(test_blocklist),
          UNIT_TEST(test_usage_mentions_control_options))
