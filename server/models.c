/* models.c — the catalogue tables (spec §1). Value lists are in the order the real API's
 * "Supported values are: …" messages list them. */
#include "models.h"

#include <string.h>

#define LIST(...) ((const char *const[]){__VA_ARGS__, NULL})

static const char *const quality_gpt[] = {"low", "medium", "high", "auto", NULL};
static const char *const output_formats[] = {"png", "webp", "jpeg", NULL};
static const char *const moderations[] = {"auto", "low", NULL};
static const char *const response_formats[] = {"url", "b64_json", NULL};

/* Fields every GPT image model accepts. */
#define GPT_FIELDS                                                                                          \
    (FIELD_BIT(F_PROMPT) | FIELD_BIT(F_MODEL) | FIELD_BIT(F_N) | FIELD_BIT(F_QUALITY) |                     \
     FIELD_BIT(F_OUTPUT_FORMAT) | FIELD_BIT(F_OUTPUT_COMPRESSION) | FIELD_BIT(F_STREAM) |                    \
     FIELD_BIT(F_PARTIAL_IMAGES) | FIELD_BIT(F_SIZE) | FIELD_BIT(F_MODERATION) | FIELD_BIT(F_BACKGROUND) |   \
     FIELD_BIT(F_USER))
#define DALLE_FIELDS                                                                                        \
    (FIELD_BIT(F_PROMPT) | FIELD_BIT(F_MODEL) | FIELD_BIT(F_N) | FIELD_BIT(F_QUALITY) |                     \
     FIELD_BIT(F_RESPONSE_FORMAT) | FIELD_BIT(F_SIZE) | FIELD_BIT(F_USER))

/* Defaults of the fields every GPT image model shares. */
#define GPT_DEFAULTS                                                                                        \
    [F_N] = "1", [F_QUALITY] = "auto", [F_OUTPUT_FORMAT] = "png", [F_OUTPUT_COMPRESSION] = "100",          \
    [F_STREAM] = "false", [F_PARTIAL_IMAGES] = "0", [F_SIZE] = "auto", [F_MODERATION] = "auto",              \
    [F_BACKGROUND] = "auto"

static const struct model_family dall_e_2 = {
    .label = "dall-e-2",
    .accepted = DALLE_FIELDS,
    .values = {[F_SIZE] = LIST("256x256", "512x512", "1024x1024"),
               [F_QUALITY] = LIST("standard", "auto"),
               [F_RESPONSE_FORMAT] = response_formats},
    .defaults = {[F_N] = "1", [F_SIZE] = "1024x1024", [F_QUALITY] = "standard", [F_RESPONSE_FORMAT] = "url"},
    .prompt_max = 1000,
    .auto_quality = "standard",
    .auto_size = "1024x1024",
};

static const struct model_family dall_e_3 = {
    .label = "dall-e-3",
    .accepted = DALLE_FIELDS | FIELD_BIT(F_STYLE),
    .values = {[F_SIZE] = LIST("1024x1024", "1792x1024", "1024x1792"),
               [F_QUALITY] = LIST("standard", "hd"),
               [F_RESPONSE_FORMAT] = response_formats,
               [F_STYLE] = LIST("vivid", "natural")},
    .defaults = {[F_N] = "1", [F_SIZE] = "1024x1024", [F_QUALITY] = "standard", [F_RESPONSE_FORMAT] = "url",
                 [F_STYLE] = "vivid"},
    .single_image = 1,
    .prompt_max = 4000,
    .auto_quality = "standard",
    .auto_size = "1024x1024",
    .revised_prompt = 1,
};

static const struct model_family gpt_image_1 = {
    .label = "gpt-image-1",
    .accepted = GPT_FIELDS,
    .values = {[F_SIZE] = LIST("1024x1024", "1024x1536", "1536x1024", "auto"),
               [F_QUALITY] = quality_gpt,
               [F_OUTPUT_FORMAT] = output_formats,
               [F_MODERATION] = moderations,
               [F_BACKGROUND] = LIST("transparent", "opaque", "auto")},
    .defaults = {GPT_DEFAULTS},
    .prompt_max = 32000,
    .gpt = 1,
    .usage = USAGE_TABLE,
    .auto_quality = "high", /* "the best quality for the model" */
    .auto_size = "1024x1024",
    .auto_size_from_prompt = 1,
};

static const struct model_family gpt_image_2 = {
    .label = "gpt-image-2",
    .accepted = GPT_FIELDS,
    .values = {[F_SIZE] = LIST("auto"),
               [F_QUALITY] = quality_gpt,
               [F_OUTPUT_FORMAT] = output_formats,
               [F_MODERATION] = moderations,
               [F_BACKGROUND] = LIST("opaque", "auto")},
    .defaults = {GPT_DEFAULTS},
    .custom_sizes = 1,
    .prompt_max = 32000,
    .transparency_unsupported = 1,
    .gpt = 1,
    .usage = USAGE_FORMULA,
    .auto_quality = "low",
    .auto_size = "1248x1248",
};

const struct model model_catalogue[] = {
    {"gpt-image-1", &gpt_image_1},
    {"gpt-image-1-mini", &gpt_image_1},
    {"gpt-image-1.5", &gpt_image_1},
    {"chatgpt-image-latest", &gpt_image_1},
    {"gpt-image-2", &gpt_image_2},
    {"gpt-image-2-2026-04-21", &gpt_image_2},
    {"dall-e-2", &dall_e_2},
    {"dall-e-3", &dall_e_3},
};
const size_t model_catalogue_count = sizeof model_catalogue / sizeof model_catalogue[0];
_Static_assert(sizeof model_catalogue / sizeof model_catalogue[0] <= MODEL_CATALOGUE_MAX, "grow MODEL_CATALOGUE_MAX");

/* Each field as the published schema (seed 001) has it; schema_values are its enums, in its
 * order, which schema mode lists in "Supported values" messages. */
const struct field_spec model_fields[FIELD_COUNT] = {
    [F_PROMPT] = {.name = "prompt", .type = TYPE_STRING},
    [F_MODEL] = {.name = "model", .type = TYPE_STRING, .nullable = 1},
    [F_N] = {.name = "n", .type = TYPE_INTEGER, .nullable = 1, .ranged = 1, .min = 1, .max = 10,
             .schema_ranged = 1},
    [F_QUALITY] = {.name = "quality", .type = TYPE_STRING, .nullable = 1,
                   .schema_values = LIST("standard", "hd", "low", "medium", "high", "auto")},
    [F_RESPONSE_FORMAT] = {.name = "response_format", .type = TYPE_STRING, .nullable = 1,
                           .schema_values = response_formats},
    [F_OUTPUT_FORMAT] = {.name = "output_format", .type = TYPE_STRING, .nullable = 1, .gpt_only = 1,
                         .schema_values = LIST("png", "jpeg", "webp")},
    [F_OUTPUT_COMPRESSION] = {.name = "output_compression", .type = TYPE_INTEGER, .nullable = 1, .ranged = 1,
                              .min = 0, .max = 100, .gpt_only = 1},
    [F_STREAM] = {.name = "stream", .type = TYPE_BOOLEAN, .nullable = 1, .gpt_only = 1},
    [F_PARTIAL_IMAGES] = {.name = "partial_images", .type = TYPE_INTEGER, .nullable = 1, .ranged = 1, .min = 0,
                          .max = 3, .schema_ranged = 1, .gpt_only = 1},
    [F_SIZE] = {.name = "size", .type = TYPE_STRING, .nullable = 1},
    [F_MODERATION] = {.name = "moderation", .type = TYPE_STRING, .nullable = 1, .gpt_only = 1,
                      .schema_values = LIST("low", "auto")},
    [F_BACKGROUND] = {.name = "background", .type = TYPE_STRING, .nullable = 1, .gpt_only = 1,
                      .schema_values = LIST("transparent", "opaque", "auto")},
    [F_STYLE] = {.name = "style", .type = TYPE_STRING, .nullable = 1, .schema_values = LIST("vivid", "natural")},
    [F_USER] = {.name = "user", .type = TYPE_STRING},
};

const struct model *model_find(const char *name)
{
    for (size_t i = 0; i < model_catalogue_count; i++)
        if (!strcmp(model_catalogue[i].name, name))
            return &model_catalogue[i];
    return NULL;
}

int model_field_lookup(const char *key, size_t len)
{
    for (int f = 0; f < FIELD_COUNT; f++)
        if (strlen(model_fields[f].name) == len && !memcmp(model_fields[f].name, key, len))
            return f;
    return -1;
}

const struct model *model_default(unsigned present)
{
    for (int f = 0; f < FIELD_COUNT; f++)
        if ((present & FIELD_BIT(f)) && model_fields[f].gpt_only)
            return model_find("gpt-image-1");
    return model_find("dall-e-2");
}
