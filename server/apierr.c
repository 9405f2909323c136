/* apierr.c — the error template table and the envelope serialiser.
 *
 * The messages below are the real API's, character for character, where the behaviour
 * catalogue (spec §3–§5) records them; the rest are imgmock's own and say so in the README.
 * The envelope is written the way the real API writes it: pretty-printed with a 4-space
 * indent, keys in the order message, type, param, code, non-ASCII escaped, newline at the end.
 */
#include "apierr.h"
#include "jsonout.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One row of the template table: everything about an error kind but its arguments. */
struct apierr_template {
    int status;         /* HTTP status; 0 = taken from the caller (APIERR_HTTP_PROTOCOL) */
    const char *type;   /* error.type */
    const char *code;   /* error.code, NULL for JSON null (or code_number) */
    const char *format; /* printf format of error.message; arguments as documented in apierr.h */
    int code_number;    /* error.code as an integer, for the gateway errors that carry one */
};

static const struct apierr_template templates[APIERR_KIND_COUNT] = {
    [APIERR_INVALID_URL] = {404, "invalid_request_error", NULL, "Invalid URL (%s %s)", 0},
    [APIERR_METHOD] = {405, "invalid_request_error", NULL, "Invalid URL (%s %s)", 0},
    [APIERR_MISSING_KEY] = {401, "invalid_request_error", NULL,
        "You didn't provide an API key. You need to provide your API key in an Authorization "
        "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field "
        "(with blank username) if you're accessing the API from your browser and are prompted for a "
        "username and password. You can obtain an API key from "
        "https://platform.openai.com/account/api-keys.", 0},
    [APIERR_BAD_KEY] = {401, "invalid_request_error", "invalid_api_key",
        "Incorrect API key provided: %s. You can find your API key at "
        "https://platform.openai.com/account/api-keys.", 0},
    [APIERR_BODY_TOO_LARGE] = {413, "invalid_request_error", NULL,
        "The request body is larger than the %zu bytes this server accepts (imgmock --max-body).", 0},
    [APIERR_INVALID_JSON] = {400, "invalid_request_error", NULL,
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't "
        "using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was "
        "sent was not valid JSON. If you have trouble figuring out how to fix this, please contact "
        "us through our help center at help.openai.com.)", 0},
    [APIERR_URL_INVALID] = {403, "invalid_request_error", "invalid_image_url",
        "This image URL is not valid: it was not signed by this server's --secret, or it was altered.", 0},
    [APIERR_URL_EXPIRED] = {403, "invalid_request_error", "expired_image_url",
        "This image URL has expired. Image URLs are valid for %llu seconds after the image was generated.", 0},
    [APIERR_HTTP_PROTOCOL] = {0, "invalid_request_error", NULL, "%s", 0},
    [APIERR_OUT_OF_MEMORY] = {500, "server_error", NULL,
        "The server ran out of memory while processing your request. You can retry your request.", 0},

    [APIERR_UNKNOWN_PARAMETER] = {400, "invalid_request_error", "unknown_parameter", "Unknown parameter: '%s'.", 0},
    [APIERR_INVALID_TYPE] = {400, "invalid_request_error", "invalid_type",
        "Invalid type for '%s': expected %s, but got %s instead.", 0},
    [APIERR_MISSING_PARAMETER] = {400, "invalid_request_error", "missing_required_parameter",
        "Missing required parameter: '%s'.", 0},
    [APIERR_EMPTY_STRING] = {400, "invalid_request_error", "empty_string",
        "Invalid '%s': empty string. Expected a string with minimum length 1, but got an empty string instead.", 0},
    [APIERR_STRING_TOO_LONG] = {400, "invalid_request_error", "string_above_max_length",
        "Invalid '%s': string too long. Expected a string with maximum length %zu, but got a string with "
        "length %zu instead.", 0},
    [APIERR_INVALID_VALUE] = {400, "invalid_request_error", "invalid_value",
        "Invalid value: '%s'. Supported values are: %s.", 0},
    [APIERR_MODEL_RETIRED] = {400, "image_generation_user_error", "invalid_value",
        "The model '%s' does not exist.", 0},
    [APIERR_INTEGER_ABOVE_MAX] = {400, "invalid_request_error", "integer_above_max_value",
        "Invalid '%s': integer above maximum value. Expected a value <= %lld, but got %s instead.", 0},
    [APIERR_INTEGER_BELOW_MIN] = {400, "invalid_request_error", "integer_below_min_value",
        "Invalid '%s': integer below minimum value. Expected a value >= %lld, but got %s instead.", 0},
    [APIERR_SINGLE_IMAGE] = {400, "invalid_request_error", NULL, "You must provide n=1 for this model.", 0},
    [APIERR_TRANSPARENT_MODEL] = {400, "invalid_request_error", "invalid_value",
        "Transparent background is not supported for this model.", 0},
    [APIERR_TRANSPARENT_JPEG] = {400, "invalid_request_error", "invalid_value",
        "Transparent background is not supported for JPEG output format.", 0},
    [APIERR_COMPRESSION_PNG] = {400, "invalid_request_error", "invalid_value",
        "Compression less than 100 is not supported for PNG output format.", 0},
    [APIERR_SIZE_SYNTAX] = {400, "image_generation_user_error", "invalid_value",
        "Invalid size '%s'. Expected WIDTHxHEIGHT, for example '1824x1024'.", 0},
    [APIERR_SIZE_DIVISIBLE] = {400, "image_generation_user_error", "invalid_value",
        "Invalid size '%s'. Width and height must both be divisible by 16.", 0},
    [APIERR_SIZE_EDGE] = {400, "image_generation_user_error", "invalid_value",
        "Invalid size '%s'. The longest edge must be less than or equal to 3840.", 0},
    [APIERR_SIZE_ASPECT] = {400, "image_generation_user_error", "invalid_value",
        "Invalid size '%s'. The aspect ratio must be between 1:3 and 3:1.", 0},
    [APIERR_SIZE_TOO_FEW_PIXELS] = {400, "image_generation_user_error", "invalid_value",
        "Invalid size '%s'. Requested resolution is below the current minimum pixel budget.", 0},
    [APIERR_SIZE_TOO_MANY_PIXELS] = {400, "image_generation_user_error", "invalid_value",
        "Invalid size '%s'. Requested resolution exceeds the current pixel budget.", 0},

    [APIERR_BAD_CONTROL] = {400, "invalid_request_error", "invalid_mock_control",
        "Invalid %s header: '%s'. Expected %s.", 0},
    [APIERR_RATE_LIMITED] = {429, "requests", "rate_limit_exceeded",
        "Rate limit reached for %s in organization %s on %s per min: Limit %llu, Used %llu, Requested %llu. "
        "Please try again in %s. Visit https://platform.openai.com/account/rate-limits to learn more.", 0},
    [APIERR_MODERATION_BLOCKED] = {400, "image_generation_user_error", "moderation_blocked",
        "Your request was rejected by the safety system. If you believe this is an error, contact us at "
        "help.openai.com and include the request ID %s. safety_violations=[%s].", 0},
    [APIERR_CONTENT_POLICY] = {400, "invalid_request_error", "content_policy_violation",
        "Your request was rejected as a result of our safety system. Your prompt may contain text that is not "
        "allowed by our safety system.", 0},
    [APIERR_SERVER_ERROR] = {500, "server_error", NULL,
        "The server had an error while processing your request. Sorry about that! You can retry your request, "
        "or contact us through our help center at help.openai.com if the error persists. (Please include the "
        "request ID %s in your message.)", 0},
    [APIERR_OVERLOADED] = {503, "server_error", NULL, "The engine is currently overloaded, please try again later.", 0},
    [APIERR_INJECTED_400] = {400, "invalid_request_error", NULL, "Bad request.", 0},
    [APIERR_MODEL_ACCESS] = {403, "invalid_request_error", NULL,
        "Your organization must be verified to use the model `%s`. Please go to: "
        "https://platform.openai.com/settings/organization/general and click on Verify Organization. If you just "
        "verified, it can take up to 15 minutes for access to propagate.", 0},
    [APIERR_MODEL_NOT_FOUND] = {404, "invalid_request_error", "model_not_found",
        "The model `%s` does not exist or you do not have access to it.", 0},
    [APIERR_CONFLICT] = {409, "invalid_request_error", "conflict",
        "The request conflicted with another request in progress. Please retry.", 0},
    [APIERR_BAD_GATEWAY] = {502, "cf_bad_gateway", NULL, "Bad gateway.", 502},
    [APIERR_GATEWAY_TIMEOUT] = {504, "cf_gateway_timeout", NULL, "Gateway timeout.", 504},
    [APIERR_INJECTED_OTHER] = {0, "invalid_request_error", NULL, "%s.", 0},
    [APIERR_TASKS_FULL] = {429, "requests", "rate_limit_exceeded",
        "Too many tasks are waiting to be generated (at most %d). Please try again later.", 0},
    [APIERR_CALLBACK_URL] = {400, "invalid_request_error", "invalid_value",
        "Invalid 'callback_url': '%s'. Expected an http:// or https:// URL.", 0},
};

/* vasprintf without the GNU extension: measure, allocate, format. */
static char *format_message(const char *format, va_list ap)
{
    va_list measure;
    va_copy(measure, ap);
    int n = vsnprintf(NULL, 0, format, measure);
    va_end(measure);
    if (n < 0)
        return NULL;
    char *s = malloc((size_t)n + 1);
    if (s)
        vsnprintf(s, (size_t)n + 1, format, ap);
    return s;
}

const char *apierr_reason_phrase(int status)
{
    static const struct {
        int status;
        const char *text;
    } phrases[] = {
        {200, "OK"},
        {204, "No Content"},
        {400, "Bad Request"},
        {401, "Unauthorized"},
        {403, "Forbidden"},
        {404, "Not Found"},
        {405, "Method Not Allowed"},
        {408, "Request Timeout"},
        {409, "Conflict"},
        {411, "Length Required"},
        {413, "Payload Too Large"},
        {414, "URI Too Long"},
        {422, "Unprocessable Entity"},
        {429, "Too Many Requests"},
        {431, "Request Header Fields Too Large"},
        {500, "Internal Server Error"},
        {501, "Not Implemented"},
        {502, "Bad Gateway"},
        {503, "Service Unavailable"},
        {504, "Gateway Timeout"},
        {505, "HTTP Version Not Supported"},
    };
    for (size_t i = 0; i < sizeof phrases / sizeof *phrases; i++)
        if (phrases[i].status == status)
            return phrases[i].text;
    return status < 500 ? "Client Error" : "Server Error";
}

int apierr_set(struct apierr *e, enum apierr_kind kind, int status_override, const char *param, ...)
{
    const struct apierr_template *t = &templates[kind];
    apierr_clear(e);
    e->kind = kind;
    e->status = t->status ? t->status : status_override;
    e->type = t->type;
    e->code = t->code;
    e->code_number = t->code_number;
    if (kind == APIERR_INJECTED_OTHER && e->status >= 500)
        e->type = "server_error";
    e->param = param ? strdup(param) : NULL;
    va_list ap;
    va_start(ap, param);
    e->message = format_message(t->format, ap);
    va_end(ap);
    return -1;
}

void apierr_set_categories(struct apierr *e, const char *categories)
{
    free(e->categories);
    e->categories = categories ? strdup(categories) : NULL;
}

void apierr_clear(struct apierr *e)
{
    free(e->param);
    free(e->message);
    free(e->categories);
    *e = (struct apierr)APIERR_INIT;
}

/* The envelope is laid out by hand, exactly as jsonout_dump() would lay out the same tree with
 * a 4-space indent (test_apierr checks the two agree): every request can end here, and building
 * and dumping a Jansson tree cost about ten times more than the rest of a rejected request. */
struct envelope_text {
    char *at; /* where the next byte goes; the buffer is sized before writing starts */
};

static void put(struct envelope_text *t, const char *text)
{
    size_t n = strlen(text);
    memcpy(t->at, text, n);
    t->at += n;
}

/* A JSON string, or null for NULL. Messages echo bytes the client sent (a URL path, a key),
 * which may not be UTF-8: jsonout_quote() makes those U+FFFD rather than break the envelope. */
static void put_string(struct envelope_text *t, const char *s, size_t len)
{
    if (s)
        t->at += jsonout_quote(t->at, s, len);
    else
        put(t, "null");
}

static size_t quoted_max(const char *s)
{
    return s ? JSONOUT_QUOTED_MAX(strlen(s)) : 4;
}

char *apierr_to_json(const struct apierr *e, enum error_style style, size_t *len)
{
    const char *message = e->message ? e->message : "";
    /* the fixed text (keys, indentation, numbers) stays well under 512 bytes; each moderation
     * category adds 20 bytes of layout and quotes (at most one category per byte, plus one) */
    size_t cap = 512 + quoted_max(message) + quoted_max(e->type) + quoted_max(e->param) + quoted_max(e->code);
    if (e->categories)
        cap += 20 * (strlen(e->categories) + 1) + JSONOUT_QUOTED_MAX(strlen(e->categories));
    char *out = malloc(cap);
    if (!out)
        return NULL;
    struct envelope_text t = {out};
    char number[24];
    put(&t, "{\n    \"error\": {\n");
    if (style == ERRORS_CODE_DETAILS) {
        snprintf(number, sizeof number, "%d", e->status);
        put(&t, "        \"code\": ");
        put(&t, number);
        put(&t, ",\n        \"message\": ");
        put_string(&t, message, strlen(message));
        put(&t, ",\n        \"details\": []\n");
    } else {
        put(&t, "        \"message\": ");
        put_string(&t, message, strlen(message));
        put(&t, ",\n        \"type\": ");
        put_string(&t, e->type, e->type ? strlen(e->type) : 0);
        put(&t, ",\n        \"param\": ");
        put_string(&t, e->param, e->param ? strlen(e->param) : 0);
        put(&t, ",\n        \"code\": ");
        if (e->code || !e->code_number) {
            put_string(&t, e->code, e->code ? strlen(e->code) : 0);
        } else {
            snprintf(number, sizeof number, "%d", e->code_number);
            put(&t, number);
        }
        if (e->categories) {
            put(&t, ",\n        \"moderation_details\": {\n"
                    "            \"moderation_stage\": \"input\",\n"
                    "            \"categories\": [");
            const char *separator = "\n";
            for (const char *p = e->categories; *p;) {
                size_t n = strcspn(p, ",");
                put(&t, separator);
                put(&t, "                ");
                put_string(&t, p, n);
                separator = ",\n";
                p += n + (p[n] == ',');
            }
            put(&t, *e->categories ? "\n            ]\n        }" : "]\n        }");
        }
        put(&t, "\n");
    }
    put(&t, "    }\n}\n");
    *t.at = '\0';
    if (len)
        *len = (size_t)(t.at - out);
    return out;
}
