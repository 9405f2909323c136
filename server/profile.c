/* profile.c — the gateway table. Each row follows its seed document (../shared/seeds/). */
#include "profile.h"

#include <stddef.h>
#include <string.h>

#define LIST(...) ((const char *const[]){__VA_ARGS__, NULL})

static const struct profile profiles[] = {
    {
        .name = "openai",
        .paths = LIST("/v1/images/generations", "/images/generations"),
        .request_id_in_body = 1,
        .errors = ERRORS_OPENAI,
        .document = "spec/images-api.md",
    },
    {
        .name = "aihubmix",
        .paths = LIST("/v1/images/generations", "/images/generations"),
        .key_prefix = "sk-gateway-",
        .models = LIST("gpt-image-1.5", "dall-e-2", "dall-e-3", "gpt-image-1", "gpt-image-1-mini"),
        .errors = ERRORS_OPENAI,
        .document = "seeds/000, seeds/001",
    },
    {
        .name = "applerouter",
        .paths = LIST("/v1/images/generations", "/images/generations"),
        .models = LIST("dall-e-2", "dall-e-3", "gpt-image-1"),
        .stream_as_string = 1,
        .always_usage = 1,
        .request_id_in_body = 1,
        .errors = ERRORS_OPENAI,
        .document = "seeds/002",
    },
    {
        .name = "tokenops",
        .paths = LIST("/v1/images/generations", "/images/generations"),
        .models = LIST("dall-e-2", "dall-e-3", "gpt-image-1"),
        .request_id_in_body = 1,
        .errors = ERRORS_CODE_DETAILS,
        .document = "seeds/003",
    },
    {
        .name = "acedata",
        .paths = LIST("/openai/images/generations"),
        .models = LIST("dall-e-3", "gpt-image-1", "gpt-image-1.5"),
        .model_required = 1,
        .request_id_in_body = 1,
        .errors = ERRORS_OPENAI,
        .callbacks = 1,
        .schema_rules = 1, /* its example sends dall-e-3 with background, output_format, quality auto… */
        .document = "seeds/004",
    },
};

const struct profile *profile_find(const char *name)
{
    for (size_t i = 0; i < sizeof profiles / sizeof *profiles; i++)
        if (!strcmp(profiles[i].name, name))
            return &profiles[i];
    return NULL;
}

int profile_serves(const struct profile *profile, const char *name)
{
    if (!profile->models)
        return 1;
    for (const char *const *m = profile->models; *m; m++)
        if (!strcmp(*m, name))
            return 1;
    return 0;
}
