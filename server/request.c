/* request.c — JSON decoding of the request body with Jansson. */
#include "request.h"

#include <jansson.h>

int req_parse(const char *body, size_t len, struct image_request *out, struct apierr *err)
{
    json_error_t jerr;
    /* Jansson rejects invalid UTF-8 and NUL bytes inside strings, as the real API does. */
    json_t *root = json_loadb(body, len, 0 /* duplicate keys: the last one wins */, &jerr);
    if (!root || !json_is_object(root)) {
        json_decref(root);
        return apierr_set(err, APIERR_INVALID_JSON, 0, NULL);
    }
    out->field_count = json_object_size(root);
    json_decref(root);
    return 0;
}
