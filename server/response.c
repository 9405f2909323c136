/* response.c — skeleton with Jansson, base64 texts written into its holes. */
#include "response.h"

#include <stdlib.h>
#include <string.h>

#include "jsonout.h"

json_t *resp_usage_json(const struct usage *u)
{
    json_t *in = json_object(), *out = json_object(), *j = json_object();
    json_object_set_new(j, "input_tokens", json_integer(usage_input_total(u)));
    json_object_set_new(in, "image_tokens", json_integer(u->input_image_tokens));
    json_object_set_new(in, "text_tokens", json_integer(u->input_text_tokens));
    json_object_set_new(j, "input_tokens_details", in);
    json_object_set_new(j, "output_tokens", json_integer(usage_output_total(u)));
    json_object_set_new(out, "image_tokens", json_integer(u->output_image_tokens));
    json_object_set_new(out, "text_tokens", json_integer(u->output_text_tokens));
    json_object_set_new(j, "output_tokens_details", out);
    json_object_set_new(j, "total_tokens", json_integer(usage_input_total(u) + usage_output_total(u)));
    return j;
}

int resp_build(const struct image_plan *plan, long long created, char *const *urls, struct resp_body *out)
{
    const struct image_request *r = plan->req;
    memset(out, 0, sizeof *out);
    size_t revised_len = 0;
    char *revised = r->family->revised_prompt ? images_revised_prompt(r->prompt, r->prompt_len, r->style, &revised_len)
                                              : NULL;
    json_t *root = json_object(), *data = json_array();
    json_object_set_new(root, "created", json_integer(created));
    for (int i = 0; i < r->n && i < IMAGES_MAX; i++) {
        json_t *item = json_object();
        if (revised)
            json_object_set_new(item, "revised_prompt", jsonout_string(revised, revised_len));
        if (plan->as_url)
            json_object_set_new(item, "url", json_string(urls[i]));
        else
            json_object_set_new(item, "b64_json", json_string(""));
        json_array_append_new(data, item);
    }
    json_object_set_new(root, "data", data);
    if (r->family->gpt) {
        json_object_set_new(root, "background", json_string(plan->background));
        json_object_set_new(root, "output_format", json_string(encode_format_name(plan->format)));
        json_object_set_new(root, "size", json_string(plan->size));
        json_object_set_new(root, "quality", json_string(plan->quality));
        json_object_set_new(root, "usage", resp_usage_json(&plan->usage));
    }
    if (!r->family->gpt && plan->always_usage) /* a gateway that always reports usage */
        json_object_set_new(root, "usage", resp_usage_json(&plan->usage));
    out->skeleton = jsonout_dump(root, 2, &out->skeleton_len);
    json_decref(root);
    free(revised);
    if (!out->skeleton)
        return -1;
    /* Find the holes. The text "b64_json": "" can only be a key and its empty value: inside a
     * JSON string every quote is escaped, so no client text can imitate it. */
    static const char marker[] = "\"b64_json\": \"\"";
    for (const char *p = out->skeleton; !plan->as_url && (p = strstr(p, marker)) != NULL; p += sizeof marker - 1)
        if (out->hole_count < IMAGES_MAX)
            out->holes[out->hole_count++] = (size_t)(p - out->skeleton) + sizeof marker - 2;
    return 0;
}

size_t resp_length(const struct resp_body *b, const size_t *text_lens)
{
    size_t total = b->skeleton_len;
    for (size_t i = 0; i < b->hole_count; i++)
        total += text_lens[i];
    return total;
}

int resp_write(const struct resp_body *b, const char *const *texts, const size_t *text_lens, encode_sink *sink,
               void *ctx)
{
    size_t at = 0;
    for (size_t i = 0; i < b->hole_count; i++) {
        if (sink(ctx, b->skeleton + at, b->holes[i] - at) != 0 || sink(ctx, texts[i], text_lens[i]) != 0)
            return -1;
        at = b->holes[i];
    }
    return sink(ctx, b->skeleton + at, b->skeleton_len - at);
}

void resp_free(struct resp_body *b)
{
    free(b->skeleton);
    memset(b, 0, sizeof *b);
}
