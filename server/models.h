/* models — the catalogue of image models and the fields of a request, as data.
 *
 * Everything that differs between models lives in two tables in models.c: one row per model
 * *family* (the rules: accepted fields, value lists in the order the real API's messages list
 * them, defaults, limits) and one row per model *name* pointing at its family. Adding a model
 * that behaves like an existing one is one row; a new kind of model is one family row. The
 * request layer walks these tables; it holds no per-model `if`.
 *
 * Everything here is static, read-only data: nothing to free.
 */
#ifndef IMGMOCK_MODELS_H
#define IMGMOCK_MODELS_H

#include <stddef.h>
#include <stdint.h>

/* The request's fields, in the order of the published schema, which is also the order in which
 * type checks, range checks and value checks visit them. */
enum field_id {
    F_PROMPT,
    F_MODEL,
    F_N,
    F_QUALITY,
    F_RESPONSE_FORMAT,
    F_OUTPUT_FORMAT,
    F_OUTPUT_COMPRESSION,
    F_STREAM,
    F_PARTIAL_IMAGES,
    F_SIZE,
    F_MODERATION,
    F_BACKGROUND,
    F_STYLE,
    F_USER,
    FIELD_COUNT
};

#define FIELD_BIT(f) (1u << (f))

enum field_type { TYPE_STRING, TYPE_INTEGER, TYPE_BOOLEAN };

/* What the published schema says about one field, whatever the model. */
struct field_spec {
    const char *name;                 /* the JSON key */
    enum field_type type;             /* the JSON type it must have */
    int nullable;                     /* JSON null is accepted and means "the default" */
    int ranged;                       /* TYPE_INTEGER with a range every model shares */
    int64_t min, max;                 /* that range, inclusive */
    int schema_ranged;                /* the published schema states that range too (schema mode) */
    int gpt_only;                     /* present only for GPT image models: picks the default model */
    const char *const *schema_values; /* schema mode: the union of every model's values; NULL = any */
};

/* How a family counts output image tokens (spec §7). */
enum usage_rule {
    USAGE_NONE,    /* DALL·E: no usage block */
    USAGE_TABLE,   /* gpt-image-1 family: a quality x size table */
    USAGE_FORMULA, /* gpt-image-2: the formula over any size */
};

/* The rules shared by every model of a family. */
struct model_family {
    const char *label;                      /* for documentation and logs: "dall-e-2", "gpt-image-1", … */
    unsigned accepted;                      /* FIELD_BIT of each field the family accepts */
    const char *const *values[FIELD_COUNT]; /* allowed values of enumerated fields, message order */
    const char *defaults[FIELD_COUNT];      /* the value used when a field is omitted or null */
    int custom_sizes;                       /* any WIDTHxHEIGHT passing spec §2 is a size too */
    int single_image;                       /* n must be 1 (a cross-field rule, after the range) */
    size_t prompt_max;                      /* longest prompt, in Unicode code points */
    int transparency_unsupported;           /* background "transparent" has its own message */
    int gpt;                                /* answers in the GPT image shape: usage, resolved fields */
    enum usage_rule usage;                  /* how output tokens are counted */
    const char *auto_quality;               /* what quality "auto" resolves to */
    const char *auto_size;                  /* what size "auto" resolves to (square) */
    int auto_size_from_prompt;              /* "auto" follows landscape/portrait words in the prompt */
    int revised_prompt;                     /* each image carries a revised_prompt (dall-e-3) */
};

/* One model name. */
struct model {
    const char *name;                   /* as the client sends it */
    const struct model_family *family;  /* its rules */
};

/* The request fields, indexed by enum field_id. */
extern const struct field_spec model_fields[FIELD_COUNT];

#define MODEL_CATALOGUE_MAX 64 /* room for the catalogue; models.c checks it at compile time */

/* The catalogue, in the order the real API lists models in its "Supported values" message. */
extern const struct model model_catalogue[];
extern const size_t model_catalogue_count;

/* The catalogue row named `name` (exact, case-sensitive), or NULL. */
const struct model *model_find(const char *name);

/* The field whose key is `key` (`len` bytes), or -1 if the API has no such field. */
int model_field_lookup(const char *key, size_t len);

/* The default model: dall-e-2, unless a GPT-only field is present, then gpt-image-1 (spec §1).
 * `present` has FIELD_BIT set for each field the body names. */
const struct model *model_default(unsigned present);

#endif
