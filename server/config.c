/* config.c — the option table and the parser that walks it. */
#include "config.h"
#include "models.h"
#include "profile.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* How an option's text becomes a value. */
enum cfg_kind {
    CFG_STRING, /* char *: any text */
    CFG_CHOICE, /* char *: one of the option's `choices` */
    CFG_UINT,   /* uint64_t: decimal integer within [min, max] */
    CFG_BYTES,  /* uint64_t: like CFG_UINT, with an optional k/m/g suffix (powers of 1024) */
    CFG_FLAG,   /* int: present = 1; from the environment 1/true/yes/on or 0/false/no/off */
    CFG_FRACTION, /* double: a decimal number from 0 to 1 */
    CFG_TIME,   /* int64_t: Unix seconds (0..253402300799), or "off" for -1 */
    CFG_LIST,   /* struct cfg_list: repeatable; from the environment comma-separated */
    CFG_ACTION  /* no value: --help and --version end parsing */
};

/* One command-line option. */
struct cfg_option {
    const char *flag;         /* long name without the leading "--" */
    enum cfg_kind kind;       /* how its value is parsed */
    size_t offset;            /* where the value lives in struct cfg (unused for CFG_ACTION) */
    uint64_t min, max;        /* inclusive range for CFG_UINT and CFG_BYTES */
    const char *default_text; /* default, parsed as if given; NULL = none */
    const char *metavar;      /* placeholder for the value in --help */
    const char *help;         /* one line for --help */
    const char *const *choices; /* CFG_CHOICE: the accepted values */
    int (*valid)(const char *); /* CFG_STRING, CFG_LIST: a further check of each value, or NULL */
    const char *expected;       /* with `valid`: what a good value is, for the error message */
};

static int valid_host(const char *text)
{
    unsigned char addr[16];
    return !strcmp(text, "localhost") || inet_pton(AF_INET, text, addr) == 1 ||
           inet_pton(AF_INET6, text, addr) == 1;
}

static int valid_public_url(const char *text)
{
    return !*text || !strncmp(text, "http://", 7) || !strncmp(text, "https://", 8);
}

static int valid_profile(const char *text)
{
    return profile_find(text) != NULL;
}

static int valid_model(const char *text)
{
    return model_find(text) != NULL;
}

#define FIELD(name) offsetof(struct cfg, name)

static const struct cfg_option options[] = {
    {.flag = "host", .kind = CFG_STRING, .offset = FIELD(host), .default_text = "127.0.0.1", .metavar = "ADDR",
     .help = "IP address to listen on (0.0.0.0 for every interface)", .valid = valid_host,
     .expected = "an IPv4 or IPv6 address, or localhost"},
    {.flag = "port", .kind = CFG_UINT, .offset = FIELD(port), .max = 65535, .default_text = "4010",
     .metavar = "N", .help = "TCP port; 0 picks a free one"},
    {.flag = "threads", .kind = CFG_UINT, .offset = FIELD(threads), .min = 1, .max = 1024, .default_text = "128",
     .metavar = "N", .help = "worker threads (each serves one connection at a time)"},
    {.flag = "max-body", .kind = CFG_BYTES, .offset = FIELD(max_body), .min = 1, .max = 1ULL << 30,
     .default_text = "1m", .metavar = "BYTES",
     .help = "largest request body accepted (suffix k, m or g for KiB, MiB, GiB)"},
    {.flag = "api-key", .kind = CFG_LIST, .offset = FIELD(api_keys), .metavar = "KEY",
     .help = "accept only this key (repeatable); with none, any non-empty key is accepted"},
    {.flag = "organization", .kind = CFG_STRING, .offset = FIELD(organization), .default_text = "org-mock",
     .metavar = "SLUG", .help = "value of the openai-organization response header"},
    {.flag = "mode", .kind = CFG_CHOICE, .offset = FIELD(mode), .default_text = "strict", .metavar = "MODE",
     .help = "strict: every per-model rule; schema: only the published schema's constraints",
     .choices = (const char *const[]){"strict", "schema", NULL}},
    {.flag = "retire", .kind = CFG_LIST, .offset = FIELD(retired), .metavar = "MODEL",
     .help = "answer requests for MODEL as the real API does for a retired model (repeatable)",
     .valid = valid_model, .expected = "a model of the catalogue"},
    {.flag = "seed", .kind = CFG_UINT, .offset = FIELD(seed), .max = UINT64_MAX, .default_text = "0",
     .metavar = "N", .help = "mixed into every image's seed: another N, other pictures"},
    {.flag = "cache-mb", .kind = CFG_UINT, .offset = FIELD(cache_mb), .max = 65536, .default_text = "256",
     .metavar = "MB", .help = "memory for encoded images, reused by repeated requests (0: no cache)"},
    {.flag = "secret", .kind = CFG_STRING, .offset = FIELD(secret), .default_text = "", .metavar = "TEXT",
     .help = "key that signs image URLs; servers sharing it serve each other's URLs (default: random)"},
    {.flag = "url-ttl", .kind = CFG_UINT, .offset = FIELD(url_ttl), .min = 1, .max = 31536000,
     .default_text = "3600", .metavar = "SECONDS", .help = "how long an image URL stays valid"},
    {.flag = "public-url", .kind = CFG_STRING, .offset = FIELD(public_url), .default_text = "", .metavar = "URL",
     .help = "base of image URLs, e.g. https://mock.example (default: from the request's Host)",
     .valid = valid_public_url, .expected = "an http:// or https:// URL"},
    {.flag = "stream-delay-ms", .kind = CFG_UINT, .offset = FIELD(stream_delay_ms), .max = 60000,
     .default_text = "0", .metavar = "MS", .help = "pause after each stream event, to test progressive rendering"},
    {.flag = "stream-done", .kind = CFG_FLAG, .offset = FIELD(stream_done),
     .help = "end every stream with data: [DONE], as some gateways do"},
    {.flag = "latency-ms", .kind = CFG_UINT, .offset = FIELD(latency_ms), .max = 60000, .default_text = "0",
     .metavar = "MS", .help = "wait this long before every answer of the API (X-Mock-Latency-Ms per request)"},
    {.flag = "fault-rate", .kind = CFG_FRACTION, .offset = FIELD(fault_rate), .default_text = "0",
     .metavar = "P", .help = "answer this share (0..1) of API requests with a fault, reproducibly"},
    {.flag = "fault-seed", .kind = CFG_UINT, .offset = FIELD(fault_seed), .max = UINT64_MAX, .default_text = "0",
     .metavar = "N", .help = "which requests --fault-rate picks: same seed, same k-th outcome"},
    {.flag = "blocklist", .kind = CFG_LIST, .offset = FIELD(blocklist), .metavar = "WORD",
     .help = "answer prompts containing WORD with a moderation error (repeatable)"},
    {.flag = "rpm", .kind = CFG_UINT, .offset = FIELD(rpm), .max = 1000000000, .default_text = "0", .metavar = "N",
     .help = "requests per minute per API key, over a sliding window (0: no limit)"},
    {.flag = "ipm", .kind = CFG_UINT, .offset = FIELD(ipm), .max = 1000000000, .default_text = "0", .metavar = "N",
     .help = "images per minute per API key, over a sliding window (0: no limit)"},
    {.flag = "journal", .kind = CFG_UINT, .offset = FIELD(journal), .max = 1000000, .default_text = "1000",
     .metavar = "N", .help = "requests kept for GET /__mock/requests (0: none)"},
    {.flag = "clock", .kind = CFG_TIME, .offset = FIELD(clock), .default_text = "off", .metavar = "UNIX_SECONDS",
     .help = "freeze time; answers (x-request-id included) become byte-identical across runs"},
    {.flag = "profile", .kind = CFG_STRING, .offset = FIELD(profile), .default_text = "openai", .metavar = "NAME",
     .help = "behave like a gateway of the seed documents: openai, aihubmix, applerouter, tokenops, acedata",
     .valid = valid_profile, .expected = "openai, aihubmix, applerouter, tokenops or acedata"},
    {.flag = "quiet", .kind = CFG_FLAG, .offset = FIELD(quiet), .help = "no access log on stderr"},
    {.flag = "help", .kind = CFG_ACTION, .help = "print this help and exit"},
    {.flag = "version", .kind = CFG_ACTION, .help = "print the version and exit"},
};

#define OPTION_COUNT (sizeof options / sizeof options[0])

static void *field(struct cfg *c, const struct cfg_option *o)
{
    return (char *)c + o->offset;
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* "max-body" -> "IMGMOCK_MAX_BODY" */
static void env_name(const struct cfg_option *o, char *out, size_t n)
{
    size_t i = (size_t)snprintf(out, n, "IMGMOCK_");
    for (const char *p = o->flag; *p && i + 1 < n; p++)
        out[i++] = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
    out[i] = '\0';
}

static int parse_uint(const char *text, const struct cfg_option *o, uint64_t *out)
{
    if (!isdigit((unsigned char)text[0]))
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno)
        return -1;
    if (o->kind == CFG_BYTES && *end) {
        static const char suffixes[] = "kmg";
        const char *s = strchr(suffixes, tolower((unsigned char)*end));
        if (!s || end[1])
            return -1;
        unsigned shift = 10 * (unsigned)(s - suffixes + 1);
        if (v > (UINT64_MAX >> shift))
            return -1;
        v <<= shift;
        end++;
    }
    if (*end || v < o->min || v > o->max)
        return -1;
    *out = v;
    return 0;
}

static int parse_flag(const char *text, int *out)
{
    static const char *const truthy[] = {"1", "true", "yes", "on"};
    static const char *const falsy[] = {"0", "false", "no", "off", ""};
    for (size_t i = 0; i < sizeof truthy / sizeof *truthy; i++)
        if (!strcasecmp(text, truthy[i]))
            return *out = 1, 0;
    for (size_t i = 0; i < sizeof falsy / sizeof *falsy; i++)
        if (!strcasecmp(text, falsy[i]))
            return *out = 0, 0;
    return -1;
}


static int list_append(struct cfg_list *l, const char *item, size_t len)
{
    char **grown = realloc(l->items, (l->count + 1) * sizeof *grown);
    if (!grown)
        return -1;
    l->items = grown;
    if (!(l->items[l->count] = strndup(item, len)))
        return -1;
    l->count++;
    return 0;
}

static void list_clear(struct cfg_list *l)
{
    for (size_t i = 0; i < l->count; i++)
        free(l->items[i]);
    free(l->items);
    l->items = NULL;
    l->count = 0;
}

/* What the range of a numeric option is, for error messages. */
static void describe_expected(const struct cfg_option *o, char *out, size_t n)
{
    switch (o->kind) {
    case CFG_UINT:
        snprintf(out, n, "an integer from %llu to %llu", (unsigned long long)o->min,
                 (unsigned long long)o->max);
        break;
    case CFG_BYTES:
        snprintf(out, n, "a byte count from %llu to %llu, optionally with k, m or g", (unsigned long long)o->min,
                 (unsigned long long)o->max);
        break;
    case CFG_FLAG:
        snprintf(out, n, "1, true, yes, on, 0, false, no or off");
        break;
    case CFG_FRACTION:
        snprintf(out, n, "a number from 0 to 1");
        break;
    case CFG_TIME:
        snprintf(out, n, "Unix seconds from 0 to 253402300799, or off");
        break;
    case CFG_CHOICE: {
        size_t used = (size_t)snprintf(out, n, "one of");
        for (size_t i = 0; o->choices[i] && used < n; i++)
            used += (size_t)snprintf(out + used, n - used, "%s %s", i ? "," : "", o->choices[i]);
        break;
    }
    default:
        snprintf(out, n, "%s", o->expected ? o->expected : "text without control characters");
        break;
    }
}

static int invalid(const struct cfg_option *o, const char *text, const char *where, char *err, size_t errlen)
{
    char expected[128], shown[256];
    describe_expected(o, expected, sizeof expected);
    size_t i = 0; /* the value as typed, control characters shown as '?' so the message stays one line */
    for (; text[i] && i + 1 < sizeof shown; i++)
        shown[i] = ((unsigned char)text[i] < 0x20 || text[i] == 0x7f) ? '?' : text[i];
    shown[i] = '\0';
    return fail(err, errlen, "invalid value '%s' for %s: expected %s", shown, where, expected);
}

/* Text that may end up in a response header or a log line: no control characters. */
static int printable(const char *text)
{
    for (; *text; text++)
        if ((unsigned char)*text < 0x20 || *text == 0x7f)
            return 0;
    return 1;
}

static int acceptable_text(const struct cfg_option *o, const char *text)
{
    if (!printable(text) || (o->valid && !o->valid(text)))
        return 0;
    if (o->kind != CFG_CHOICE)
        return 1;
    for (const char *const *c = o->choices; *c; c++)
        if (!strcmp(*c, text))
            return 1;
    return 0;
}

/* Add the values of a repeatable option: one per command-line flag, or the environment's
 * comma-separated list. */
static int assign_list(struct cfg_list *l, const struct cfg_option *o, const char *text, const char *where,
                       int from_env, char *err, size_t errlen)
{
    for (const char *p = text;;) {
        size_t n = from_env ? strcspn(p, ",") : strlen(p);
        char *item = strndup(p, n);
        if (!item)
            return fail(err, errlen, "out of memory");
        if (!n && !from_env) { /* empty items of an environment list are skipped; a flag needs one */
            free(item);
            return fail(err, errlen, "invalid value '' for %s: expected a non-empty value", where);
        }
        if (n && !acceptable_text(o, item)) {
            invalid(o, item, where, err, errlen);
            free(item);
            return -1;
        }
        if (n && list_append(l, item, n) != 0) {
            free(item);
            return fail(err, errlen, "out of memory");
        }
        free(item);
        if (!p[n])
            return 0;
        p += n + 1;
    }
}

/* Store `text` as the value of `o`. `where` names the source in messages ("--port" or
 * "IMGMOCK_PORT"). `from_env` selects the comma-separated form of lists. */
static int assign(struct cfg *c, const struct cfg_option *o, const char *text, const char *where,
                  int from_env, char *err, size_t errlen)
{
    void *dst = field(c, o);
    int ok = 0;
    switch (o->kind) {
    case CFG_STRING:
    case CFG_CHOICE:
        if (!acceptable_text(o, text))
            break;
        free(*(char **)dst);
        *(char **)dst = strdup(text);
        ok = *(char **)dst != NULL;
        break;
    case CFG_UINT:
    case CFG_BYTES:
        ok = parse_uint(text, o, (uint64_t *)dst) == 0;
        break;
    case CFG_FLAG:
        ok = parse_flag(text, (int *)dst) == 0;
        break;
    case CFG_FRACTION: {
        char *end;
        errno = 0;
        double v = strtod(text, &end);
        /* plain decimals only (digits, at most one point): strtod would also take 1e-1, 0x1, inf */
        const char *point = strchr(text, '.');
        int plain = isdigit((unsigned char)text[0]) && strspn(text, "0123456789.") == strlen(text) &&
                    (!point || !strchr(point + 1, '.'));
        ok = plain && !*end && !errno && v >= 0 && v <= 1;
        if (ok)
            *(double *)dst = v;
        break;
    }
    case CFG_TIME: {
        struct cfg_option as_uint = {.kind = CFG_UINT, .max = 253402300799ULL}; /* year 9999 */
        uint64_t v;
        if (!strcmp(text, "off"))
            ok = 1, *(int64_t *)dst = -1;
        else if (parse_uint(text, &as_uint, &v) == 0)
            ok = 1, *(int64_t *)dst = (int64_t)v;
        break;
    }
    case CFG_LIST:
        return assign_list(dst, o, text, where, from_env, err, errlen);
    case CFG_ACTION:
        ok = 1;
        break;
    }
    return ok ? 0 : invalid(o, text, where, err, errlen);
}

static const struct cfg_option *find_option(const char *flag, size_t len)
{
    for (size_t i = 0; i < OPTION_COUNT; i++)
        if (strlen(options[i].flag) == len && !strncmp(options[i].flag, flag, len))
            return &options[i];
    return NULL;
}

static const char *env_lookup(char *const envp[], const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; envp && envp[i]; i++)
        if (!strncmp(envp[i], name, n) && envp[i][n] == '=')
            return envp[i] + n + 1;
    return NULL;
}

enum cfg_outcome cfg_load(struct cfg *c, int argc, char *const argv[], char *const envp[], char *err,
                          size_t errlen)
{
    memset(c, 0, sizeof *c);
    err[0] = '\0';
    for (size_t i = 0; i < OPTION_COUNT; i++) {
        const struct cfg_option *o = &options[i];
        if (o->default_text && assign(c, o, o->default_text, o->flag, 0, err, errlen))
            return CFG_INVALID; /* a bad default is a bug; the message names it */
    }
    for (size_t i = 0; i < OPTION_COUNT; i++) {
        const struct cfg_option *o = &options[i];
        char name[64];
        env_name(o, name, sizeof name);
        const char *value = o->kind == CFG_ACTION ? NULL : env_lookup(envp, name);
        if (value && assign(c, o, value, name, 1, err, errlen))
            return CFG_INVALID;
    }

    /* flags whose values came from the environment or defaults until argv names them */
    unsigned char list_reset[OPTION_COUNT] = {0};
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!strcmp(arg, "-h"))
            arg = "--help";
        if (strncmp(arg, "--", 2) != 0 || !arg[2]) {
            fail(err, errlen, "unexpected argument '%s'", argv[i]);
            return CFG_INVALID;
        }
        const char *name = arg + 2;
        const char *eq = strchr(name, '=');
        size_t name_len = eq ? (size_t)(eq - name) : strlen(name);
        const struct cfg_option *o = find_option(name, name_len);
        if (!o) {
            fail(err, errlen, "unknown option '--%.*s'", (int)name_len, name);
            return CFG_INVALID;
        }
        char where[80];
        snprintf(where, sizeof where, "--%s", o->flag);
        if (o->kind == CFG_ACTION) {
            if (eq) {
                fail(err, errlen, "option '%s' takes no value", where);
                return CFG_INVALID;
            }
            return !strcmp(o->flag, "help") ? CFG_HELP : CFG_VERSION;
        }
        const char *value = eq ? eq + 1 : NULL;
        if (!value && o->kind == CFG_FLAG)
            value = "1";
        if (!value) {
            if (i + 1 >= argc) {
                fail(err, errlen, "option '%s' needs a value", where);
                return CFG_INVALID;
            }
            value = argv[++i];
        }
        size_t index = (size_t)(o - options);
        if (o->kind == CFG_LIST && !list_reset[index]) {
            list_clear(field(c, o)); /* the command line replaces the environment's list */
            list_reset[index] = 1;
        }
        if (assign(c, o, value, where, 0, err, errlen))
            return CFG_INVALID;
    }
    return CFG_RUN;
}

void cfg_free(struct cfg *c)
{
    for (size_t i = 0; i < OPTION_COUNT; i++) {
        const struct cfg_option *o = &options[i];
        if (o->kind == CFG_STRING || o->kind == CFG_CHOICE)
            free(*(char **)field(c, o));
        else if (o->kind == CFG_LIST)
            list_clear(field(c, o));
    }
    memset(c, 0, sizeof *c);
}

void cfg_usage(FILE *out)
{
    fprintf(out,
            "Usage: imgmock [OPTION]...\n"
            "A deterministic mock of the OpenAI Images API (POST /v1/images/generations).\n"
            "\nOptions (each also read from the environment variable shown):\n");
    for (size_t i = 0; i < OPTION_COUNT; i++) {
        const struct cfg_option *o = &options[i];
        char left[64], env[64];
        snprintf(left, sizeof left, "--%s%s%s", o->flag, o->metavar ? " " : "", o->metavar ? o->metavar : "");
        fprintf(out, "  %-24s %s", left, o->help);
        if (o->default_text && *o->default_text)
            fprintf(out, " (default: %s)", o->default_text);
        fputc('\n', out);
        if (o->kind != CFG_ACTION) {
            env_name(o, env, sizeof env);
            fprintf(out, "  %-24s   env %s\n", "", env);
        }
    }
    fprintf(out, "\nExit status: 0 after a clean shutdown (SIGINT or SIGTERM), 1 if the server cannot\n"
                 "start, 2 for a bad option.\n");
}
