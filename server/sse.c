/* sse.c — event text built by Jansson around one b64_json hole. */
#include "sse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonout.h"

/* The fields every event shares, in spec order, after "type". */
static json_t *event_json(const struct image_plan *plan, const char *type, long long created)
{
    json_t *j = json_object();
    json_object_set_new(j, "type", json_string(type));
    json_object_set_new(j, "b64_json", json_string(""));
    json_object_set_new(j, "created_at", json_integer(created));
    json_object_set_new(j, "size", json_string(plan->size));
    json_object_set_new(j, "quality", json_string(plan->quality));
    json_object_set_new(j, "background", json_string(plan->background ? plan->background : "opaque"));
    json_object_set_new(j, "output_format", json_string(encode_format_name(plan->format)));
    return j;
}

/* Frame `j` (consumed) as an event and find its hole. */
static int finish(json_t *j, const char *type, struct resp_body *out)
{
    memset(out, 0, sizeof *out);
    size_t len;
    char *data = jsonout_dump(j, 0, &len);
    json_decref(j);
    if (!data)
        return -1;
    size_t total = strlen("event: \ndata: \n\n") + strlen(type) + len + 1;
    out->skeleton = malloc(total);
    if (!out->skeleton) {
        free(data);
        return -1;
    }
    out->skeleton_len = (size_t)snprintf(out->skeleton, total, "event: %s\ndata: %s\n\n", type, data);
    free(data);
    /* compact JSON: the marker cannot occur inside a string (its quotes would be escaped) */
    static const char marker[] = "\"b64_json\":\"\"";
    const char *hole = strstr(out->skeleton, marker);
    out->holes[0] = (size_t)(hole - out->skeleton) + sizeof marker - 2;
    out->hole_count = 1;
    return 0;
}

int sse_partial_event(const struct image_plan *plan, long long created, unsigned partial_index,
                      struct resp_body *out)
{
    static const char type[] = "image_generation.partial_image";
    json_t *j = event_json(plan, type, created);
    json_object_set_new(j, "partial_image_index", json_integer(partial_index));
    return finish(j, type, out);
}

int sse_completed_event(const struct image_plan *plan, long long created, struct resp_body *out)
{
    static const char type[] = "image_generation.completed";
    const struct image_request *r = plan->req;
    struct usage one;
    usage_compute(r->family->usage, r->prompt, r->prompt_len, plan->quality, plan->width, plan->height, 1,
                  r->partial_images, &one);
    json_t *j = event_json(plan, type, created);
    json_object_set_new(j, "usage", resp_usage_json(&one));
    return finish(j, type, out);
}
