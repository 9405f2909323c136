/* config — imgmock's settings: one table of options, read from the environment and argv.
 *
 * Every option is one row of the table in config.c: its flag, its kind, where it lands in
 * struct cfg, its default (as text, parsed like user input, so --help shows the truth), its
 * help line. The same row gives the option its environment variable, IMGMOCK_<FLAG> with
 * dashes as underscores. Precedence: built-in default < environment < command line.
 * Adding an option is one field here and one row there.
 *
 * Ownership: cfg_load() fills a struct cfg whose strings and lists it allocates; cfg_free()
 * releases them. Nothing here prints: callers print the messages it returns and the usage.
 */
#ifndef IMGMOCK_CONFIG_H
#define IMGMOCK_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* A repeatable option's values, in the order given. */
struct cfg_list {
    char **items;  /* owned strings */
    size_t count;  /* number of items */
};

/* Everything the server is told at startup. */
struct cfg {
    char *host;               /* --host: IP address to bind ("localhost" is taken as 127.0.0.1) */
    uint64_t port;            /* --port: TCP port; 0 lets the system pick a free one */
    uint64_t threads;         /* --threads: worker threads, each serving one connection at a time */
    uint64_t max_body;        /* --max-body: largest request body accepted, in bytes */
    struct cfg_list api_keys; /* --api-key: accepted keys; empty = any non-empty key */
    char *organization;       /* --organization: value of the openai-organization header */
    int quiet;                /* --quiet: no access log */
    char *mode;               /* --mode: "strict" (every per-model rule) or "schema" (the schema's only) */
    struct cfg_list retired;  /* --retire: catalogue models that answer as retired */
    uint64_t seed;            /* --seed: mixed into every image's seed */
    uint64_t cache_mb;        /* --cache-mb: memory for encoded images, MiB; 0 disables the cache */
    char *secret;             /* --secret: key of signed image URLs; empty = random per process */
    uint64_t url_ttl;         /* --url-ttl: seconds an image URL stays valid */
    char *public_url;         /* --public-url: base of image URLs; empty = from the Host header */
    uint64_t stream_delay_ms; /* --stream-delay-ms: pause after each stream event */
    int stream_done;          /* --stream-done: end streams with data: [DONE] */
    uint64_t latency_ms;      /* --latency-ms: wait before every answer of the API */
    double fault_rate;        /* --fault-rate: share of API requests answered with a fault, 0..1 */
    uint64_t fault_seed;      /* --fault-seed: which requests those are */
    struct cfg_list blocklist; /* --blocklist: prompt words answered with a moderation error */
    uint64_t rpm;             /* --rpm: requests per minute per API key; 0 = no limit */
    uint64_t ipm;             /* --ipm: images per minute per API key; 0 = no limit */
    uint64_t journal;         /* --journal: requests kept for GET /__mock/requests; 0 = none */
    int64_t clock;            /* --clock: frozen Unix time; -1 = the real clock */
    char *profile;            /* --profile: which gateway to behave like (profile.c's table) */
};

/* What cfg_load() found the command line asking for. */
enum cfg_outcome {
    CFG_RUN,     /* settings complete: start the server */
    CFG_HELP,    /* --help: print cfg_usage() and exit 0 */
    CFG_VERSION, /* --version: print the version and exit 0 */
    CFG_INVALID  /* a bad flag or value: `err` says which; exit 2 */
};

/* Fill `c` from the defaults, then `envp` (NULL-terminated "NAME=value" strings, as environ),
 * then argv[1..argc). On CFG_INVALID, `err` holds a one-line message naming the flag or variable
 * and the bad value. `c` must be cfg_free()d whatever the outcome. */
enum cfg_outcome cfg_load(struct cfg *c, int argc, char *const argv[], char *const envp[], char *err,
                          size_t errlen);

/* Release everything cfg_load() allocated and zero `c`. */
void cfg_free(struct cfg *c);

/* Print the --help text, generated from the option table, to `out`. */
void cfg_usage(FILE *out);

#endif
