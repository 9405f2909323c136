/* test_models.c — the catalogue tables of spec §1, and the facts the request layer takes
 * for granted about them.
 *
 * request.c holds no per-model `if`: it walks these tables, so a wrong or inconsistent row is
 * a wrong answer on the wire. These tests pin the catalogue (names, order, families), the field
 * lookup (exact keys only), the default-model rule, and check the tables against each other:
 * a family's defaults are members of its own value lists, a field a family accepts has what
 * the request layer needs (a list, a default), a field it does not accept has neither (that is
 * how response_format comes out NULL for GPT models), and schema mode's unions really contain
 * every family's values.
 */
#include "models.h"

#include <stdlib.h>
#include <string.h>

#include "unit.h"

/* The catalogue in the order of the real API's "Supported values" message, with families. */
static const struct {
    const char *name, *family;
} catalogue[] = {
    {"gpt-image-1", "gpt-image-1"},          {"gpt-image-1-mini", "gpt-image-1"},
    {"gpt-image-1.5", "gpt-image-1"},        {"chatgpt-image-latest", "gpt-image-1"},
    {"gpt-image-2", "gpt-image-2"},          {"gpt-image-2-2026-04-21", "gpt-image-2"},
    {"dall-e-2", "dall-e-2"},                {"dall-e-3", "dall-e-3"},
};
#define CATALOGUE_COUNT (sizeof catalogue / sizeof *catalogue)

static const char *const field_names[FIELD_COUNT] = {
    [F_PROMPT] = "prompt",
    [F_MODEL] = "model",
    [F_N] = "n",
    [F_QUALITY] = "quality",
    [F_RESPONSE_FORMAT] = "response_format",
    [F_OUTPUT_FORMAT] = "output_format",
    [F_OUTPUT_COMPRESSION] = "output_compression",
    [F_STREAM] = "stream",
    [F_PARTIAL_IMAGES] = "partial_images",
    [F_SIZE] = "size",
    [F_MODERATION] = "moderation",
    [F_BACKGROUND] = "background",
    [F_STYLE] = "style",
    [F_USER] = "user",
};

/* The fields whose values come from a list (string fields other than prompt, model, user). */
static int enumerated(int f)
{
    return model_fields[f].type == TYPE_STRING && f != F_PROMPT && f != F_MODEL && f != F_USER;
}

static int in_list(const char *const *list, const char *value)
{
    for (; list && *list; list++)
        if (!strcmp(*list, value))
            return 1;
    return 0;
}

/* The distinct families of the catalogue, in first-use order. */
static size_t families(const struct model_family **out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < model_catalogue_count; i++) {
        size_t j = 0;
        while (j < n && out[j] != model_catalogue[i].family)
            j++;
        if (j == n && n < max)
            out[n++] = model_catalogue[i].family;
    }
    return n;
}

static void test_catalogue_rows(void)
{
    CHECK_INT(model_catalogue_count, CATALOGUE_COUNT);
    CHECK(model_catalogue_count <= MODEL_CATALOGUE_MAX);
    for (size_t i = 0; i < CATALOGUE_COUNT && i < model_catalogue_count; i++) {
        CHECK_STR(model_catalogue[i].name, catalogue[i].name);
        CHECK(model_catalogue[i].family != NULL);
        if (model_catalogue[i].family)
            CHECK_STR(model_catalogue[i].family->label, catalogue[i].family);
    }
    /* models of one family share the row itself, not a copy */
    CHECK(model_find("gpt-image-1")->family == model_find("chatgpt-image-latest")->family);
    CHECK(model_find("gpt-image-2")->family == model_find("gpt-image-2-2026-04-21")->family);
    CHECK(model_find("gpt-image-1")->family != model_find("gpt-image-2")->family);
    CHECK(model_find("dall-e-2")->family != model_find("dall-e-3")->family);
}

static void test_find_every_name(void)
{
    for (size_t i = 0; i < model_catalogue_count; i++) {
        const struct model *m = model_find(model_catalogue[i].name);
        CHECK(m == &model_catalogue[i]);
    }
    for (size_t i = 0; i < CATALOGUE_COUNT; i++) {
        const struct model *m = model_find(catalogue[i].name);
        CHECK(m != NULL);
        if (m)
            CHECK_STR(m->name, catalogue[i].name);
    }
    /* no two rows share a name */
    for (size_t i = 0; i < model_catalogue_count; i++)
        for (size_t j = i + 1; j < model_catalogue_count; j++)
            CHECK(strcmp(model_catalogue[i].name, model_catalogue[j].name) != 0);
}

static void test_find_misses(void)
{
    static const char *const misses[] = {"",          "dall-e",        "dall-e-4",     "dall-e-2 ",
                                         " dall-e-2", "dall-e-22",     "gpt-image",    "gpt-image-1-",
                                         "gpt-image-3", "gpt-image-2-2026", "chatgpt-image", "gpt-4o",
                                         "gpt-image-1.5.0"};
    for (size_t i = 0; i < sizeof misses / sizeof *misses; i++)
        if (model_find(misses[i]) != NULL) {
            fprintf(stderr, "%s:%d: model_find(\"%s\") found a row\n", __FILE__, __LINE__, misses[i]);
            unit_failures_in_test++;
        }
    /* case-sensitive */
    static const char *const cases[] = {"DALL-E-2", "Dall-E-3", "GPT-IMAGE-1", "Gpt-Image-2", "ChatGPT-image-latest"};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        CHECK(model_find(cases[i]) == NULL);
}

static void test_field_lookup(void)
{
    for (int f = 0; f < FIELD_COUNT; f++) {
        CHECK_STR(model_fields[f].name, field_names[f]);
        CHECK_INT(model_field_lookup(field_names[f], strlen(field_names[f])), f);
    }
    /* the key is `len` bytes, not NUL-terminated */
    CHECK_INT(model_field_lookup("promptXYZ", 6), F_PROMPT);
    CHECK_INT(model_field_lookup("n=1", 1), F_N);
    CHECK_INT(model_field_lookup("sizes", 4), F_SIZE);

    static const char *const misses[] = {"", "p", "promp", "prompts", "Prompt", "PROMPT", "N", "nn", "sizes",
                                         "siz", "output", "output_", "output_formats", "stream ", " stream",
                                         "response-format", "responseFormat", "partial_image", "users", "foo"};
    for (size_t i = 0; i < sizeof misses / sizeof *misses; i++)
        if (model_field_lookup(misses[i], strlen(misses[i])) != -1) {
            fprintf(stderr, "%s:%d: model_field_lookup(\"%s\") found a field\n", __FILE__, __LINE__, misses[i]);
            unit_failures_in_test++;
        }
    /* a prefix of a name (by length) is not the name, nor is a NUL inside it */
    CHECK_INT(model_field_lookup("prompt", 5), -1);
    CHECK_INT(model_field_lookup("prompt\0", 7), -1);
    CHECK_INT(model_field_lookup("n\0", 2), -1);
}

static void test_model_default(void)
{
    const struct model *dalle2 = model_find("dall-e-2"), *gpt1 = model_find("gpt-image-1");
    CHECK(model_default(0) == dalle2);
    /* each GPT-only field picks gpt-image-1 (spec §1) */
    static const int gpt_only[] = {F_OUTPUT_FORMAT, F_OUTPUT_COMPRESSION, F_STREAM, F_PARTIAL_IMAGES, F_MODERATION,
                                   F_BACKGROUND};
    for (size_t i = 0; i < sizeof gpt_only / sizeof *gpt_only; i++) {
        CHECK(model_default(FIELD_BIT(gpt_only[i])) == gpt1);
        CHECK(model_default(FIELD_BIT(gpt_only[i]) | FIELD_BIT(F_PROMPT) | FIELD_BIT(F_SIZE)) == gpt1);
        CHECK(model_fields[gpt_only[i]].gpt_only);
    }
    /* fields DALL·E has too do not */
    CHECK(model_default(FIELD_BIT(F_RESPONSE_FORMAT)) == dalle2);
    CHECK(model_default(FIELD_BIT(F_STYLE)) == dalle2);
    CHECK(model_default(FIELD_BIT(F_SIZE)) == dalle2);
    CHECK(model_default(FIELD_BIT(F_QUALITY)) == dalle2);
    CHECK(model_default(FIELD_BIT(F_RESPONSE_FORMAT) | FIELD_BIT(F_STYLE) | FIELD_BIT(F_SIZE) | FIELD_BIT(F_QUALITY) |
                        FIELD_BIT(F_PROMPT) | FIELD_BIT(F_MODEL) | FIELD_BIT(F_N) | FIELD_BIT(F_USER)) == dalle2);
    /* and exactly those six are GPT-only */
    int count = 0;
    for (int f = 0; f < FIELD_COUNT; f++)
        count += model_fields[f].gpt_only != 0;
    CHECK_INT(count, 6);
    /* every bit set */
    CHECK(model_default((1u << FIELD_COUNT) - 1) == gpt1);
}

static void test_field_specs(void)
{
    CHECK(FIELD_COUNT <= 32); /* FIELD_BIT fits an unsigned */
    for (int f = 0; f < FIELD_COUNT; f++) {
        const struct field_spec *s = &model_fields[f];
        /* spec §1: prompt and user are the only fields that refuse null */
        CHECK_INT(s->nullable, !(f == F_PROMPT || f == F_USER));
        /* ranges belong to integers, and the schema's ranges are among them */
        if (s->ranged) {
            CHECK_INT(s->type, TYPE_INTEGER);
            CHECK(s->min <= s->max);
        }
        if (s->schema_ranged)
            CHECK(s->ranged);
        if (s->schema_values)
            CHECK(enumerated(f));
        for (int g = f + 1; g < FIELD_COUNT; g++)
            CHECK(strcmp(s->name, model_fields[g].name) != 0);
    }
    CHECK_INT(model_fields[F_N].min, 1);
    CHECK_INT(model_fields[F_N].max, 10);
    CHECK_INT(model_fields[F_OUTPUT_COMPRESSION].min, 0);
    CHECK_INT(model_fields[F_OUTPUT_COMPRESSION].max, 100);
    CHECK_INT(model_fields[F_PARTIAL_IMAGES].min, 0);
    CHECK_INT(model_fields[F_PARTIAL_IMAGES].max, 3);
    CHECK_INT(model_fields[F_STREAM].type, TYPE_BOOLEAN);
    /* every integer field has a range; size is any string in the schema */
    for (int f = 0; f < FIELD_COUNT; f++)
        if (model_fields[f].type == TYPE_INTEGER)
            CHECK(model_fields[f].ranged);
    CHECK(model_fields[F_SIZE].schema_values == NULL);
    /* every other enumerated field has a union for schema mode */
    for (int f = 0; f < FIELD_COUNT; f++)
        if (enumerated(f) && f != F_SIZE && !model_fields[f].schema_values) {
            fprintf(stderr, "%s:%d: %s has no schema_values\n", __FILE__, __LINE__, model_fields[f].name);
            unit_failures_in_test++;
        }
}

static void test_family_tables_consistent(void)
{
    const struct model_family *fams[MODEL_CATALOGUE_MAX];
    size_t nf = families(fams, MODEL_CATALOGUE_MAX);
    CHECK_INT(nf, 4);
    for (size_t i = 0; i < nf; i++) {
        const struct model_family *fam = fams[i];
        const char *label = fam->label;
        /* every family takes a prompt and a model, and a positive prompt limit */
        CHECK(fam->accepted & FIELD_BIT(F_PROMPT));
        CHECK(fam->accepted & FIELD_BIT(F_MODEL));
        CHECK(fam->accepted & FIELD_BIT(F_N));
        CHECK(fam->accepted & FIELD_BIT(F_SIZE));
        CHECK(fam->accepted & FIELD_BIT(F_USER));
        CHECK(fam->prompt_max > 0);
        CHECK((fam->accepted & ~((1u << FIELD_COUNT) - 1)) == 0);
        for (int f = 0; f < FIELD_COUNT; f++) {
            const int accepted = (fam->accepted & FIELD_BIT(f)) != 0;
            const char *const *values = fam->values[f];
            const char *def = fam->defaults[f];
            /* a field the family accepts has a default (prompt, model and user excepted: required or
             * free text); one it does not accept has neither default nor list */
            if (f == F_PROMPT || f == F_MODEL || f == F_USER) {
                CHECK(def == NULL);
                CHECK(values == NULL);
                continue;
            }
            if (accepted != (def != NULL)) {
                fprintf(stderr, "%s:%d: %s: %s accepted=%d but default %s\n", __FILE__, __LINE__, label,
                        model_fields[f].name, accepted, def ? def : "(null)");
                unit_failures_in_test++;
            }
            /* an accepted enumerated field has its value list; nothing else has one */
            if ((accepted && enumerated(f)) != (values != NULL)) {
                fprintf(stderr, "%s:%d: %s: %s accepted=%d enumerated=%d but list %s\n", __FILE__, __LINE__, label,
                        model_fields[f].name, accepted, enumerated(f), values ? "present" : "missing");
                unit_failures_in_test++;
            }
            if (!values)
                continue;
            CHECK(values[0] != NULL); /* not empty */
            /* the default is one of the family's own values */
            if (def && !in_list(values, def)) {
                fprintf(stderr, "%s:%d: %s: default %s='%s' is not in its list\n", __FILE__, __LINE__, label,
                        model_fields[f].name, def);
                unit_failures_in_test++;
            }
            for (size_t k = 0; values[k]; k++) {
                /* no duplicates */
                for (size_t m = k + 1; values[m]; m++)
                    CHECK(strcmp(values[k], values[m]) != 0);
                /* schema mode's union holds every family's values */
                if (model_fields[f].schema_values && !in_list(model_fields[f].schema_values, values[k])) {
                    fprintf(stderr, "%s:%d: %s: %s '%s' missing from schema_values\n", __FILE__, __LINE__, label,
                            model_fields[f].name, values[k]);
                    unit_failures_in_test++;
                }
            }
        }
        /* integer defaults parse and sit inside their ranges; booleans are false */
        for (int f = 0; f < FIELD_COUNT; f++) {
            const char *def = fam->defaults[f];
            if (!def)
                continue;
            if (model_fields[f].type == TYPE_INTEGER) {
                char *end;
                long long v = strtoll(def, &end, 10);
                CHECK(*def && *end == '\0');
                CHECK(v >= model_fields[f].min && v <= model_fields[f].max);
            } else if (model_fields[f].type == TYPE_BOOLEAN) {
                CHECK_STR(def, "false");
            }
        }
        CHECK_STR(fam->defaults[F_N], "1");
        /* GPT-only fields: all of them for GPT families, none for the others */
        for (int f = 0; f < FIELD_COUNT; f++)
            if (model_fields[f].gpt_only)
                CHECK_INT((fam->accepted & FIELD_BIT(f)) != 0, fam->gpt != 0);
        /* response_format is DALL·E's, style dall-e-3's (spec §1) */
        CHECK_INT((fam->accepted & FIELD_BIT(F_RESPONSE_FORMAT)) != 0, !fam->gpt);
        CHECK_INT((fam->accepted & FIELD_BIT(F_STYLE)) != 0, !strcmp(label, "dall-e-3"));
        /* custom sizes still list "auto", the one named size */
        if (fam->custom_sizes)
            CHECK(in_list(fam->values[F_SIZE], "auto"));
        /* a family that refuses transparency must not list it; the others that take background do */
        if (fam->values[F_BACKGROUND])
            CHECK_INT(in_list(fam->values[F_BACKGROUND], "transparent"), !fam->transparency_unsupported);
    }
    /* schema mode's unions hold nothing no family uses */
    for (int f = 0; f < FIELD_COUNT; f++)
        for (const char *const *u = model_fields[f].schema_values; u && *u; u++) {
            int used = 0;
            for (size_t i = 0; i < nf; i++)
                used |= in_list(fams[i]->values[f], *u);
            if (!used) {
                fprintf(stderr, "%s:%d: %s '%s' in schema_values but in no family\n", __FILE__, __LINE__,
                        model_fields[f].name, *u);
                unit_failures_in_test++;
            }
        }
}

static void test_family_rows_match_spec(void)
{
    const struct model_family *d2 = model_find("dall-e-2")->family, *d3 = model_find("dall-e-3")->family,
                              *g1 = model_find("gpt-image-1")->family, *g2 = model_find("gpt-image-2")->family;
    CHECK_INT(d2->prompt_max, 1000);
    CHECK_INT(d3->prompt_max, 4000);
    CHECK_INT(g1->prompt_max, 32000);
    CHECK_INT(g2->prompt_max, 32000);
    CHECK_INT(d3->single_image, 1);
    CHECK_INT(d2->single_image + g1->single_image + g2->single_image, 0);
    CHECK_INT(g2->custom_sizes, 1);
    CHECK_INT(d2->custom_sizes + d3->custom_sizes + g1->custom_sizes, 0);
    CHECK_INT(g2->transparency_unsupported, 1);
    CHECK_INT(g1->transparency_unsupported, 0);
    CHECK_INT(g1->gpt && g2->gpt, 1);
    CHECK_INT(d2->gpt || d3->gpt, 0);
    /* list order is message order (spec §1 table) */
    CHECK_STR(d2->values[F_SIZE][0], "256x256");
    CHECK_STR(d3->values[F_SIZE][1], "1792x1024");
    CHECK_STR(g1->values[F_SIZE][3], "auto");
    CHECK_STR(g1->values[F_OUTPUT_FORMAT][1], "webp");
    CHECK_STR(g1->values[F_MODERATION][0], "auto");
    CHECK_STR(d2->values[F_QUALITY][1], "auto");
    CHECK_STR(d3->values[F_QUALITY][1], "hd");
    /* defaults from the table */
    CHECK_STR(d2->defaults[F_SIZE], "1024x1024");
    CHECK_STR(d3->defaults[F_STYLE], "vivid");
    CHECK_STR(g1->defaults[F_SIZE], "auto");
    CHECK_STR(g2->defaults[F_QUALITY], "auto");
    CHECK_STR(g2->defaults[F_OUTPUT_COMPRESSION], "100");
    CHECK_STR(g1->defaults[F_BACKGROUND], "auto");
}

UNIT_MAIN(UNIT_TEST(test_catalogue_rows), UNIT_TEST(test_find_every_name), UNIT_TEST(test_find_misses),
          UNIT_TEST(test_field_lookup), UNIT_TEST(test_model_default), UNIT_TEST(test_field_specs),
          UNIT_TEST(test_family_tables_consistent), UNIT_TEST(test_family_rows_match_spec))
