/* images.c — resolving "auto", deriving seeds, and the synthesize → encode → cache path. */
#include "images.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base64.h"
#include "mix.h"
#include "synth.h"

/* Whether the prompt (len bytes, which may include NULs) mentions `word`: case-insensitively,
 * at the start of a word (so "wide" and "widescreen" count, "worldwide" and "a stall" do not). */
static int mentions(const char *prompt, size_t len, const char *word)
{
    size_t n = strlen(word);
    for (size_t i = 0; i + n <= len; i++) {
        int starts_word = i == 0 || !isalpha((unsigned char)prompt[i - 1]);
        if (starts_word && !strncasecmp(prompt + i, word, n))
            return 1;
    }
    return 0;
}

/* spec §1: what "auto" size means for this request */
static const char *resolve_size(const struct image_request *r)
{
    const struct model_family *fam = r->family;
    if (strcmp(r->size, "auto"))
        return r->size;
    if (fam->auto_size_from_prompt) {
        static const char *const landscape[] = {"landscape", "wide", "panorama"};
        static const char *const portrait[] = {"portrait", "tall"};
        for (size_t i = 0; i < sizeof landscape / sizeof *landscape; i++)
            if (mentions(r->prompt, r->prompt_len, landscape[i]))
                return "1536x1024";
        for (size_t i = 0; i < sizeof portrait / sizeof *portrait; i++)
            if (mentions(r->prompt, r->prompt_len, portrait[i]))
                return "1024x1536";
    }
    return fam->auto_size;
}

/* 64-bit FNV-1a, fed field by field, each field closed by 0xFF. */
struct fnv {
    uint64_t h;
};

static void fnv_field(struct fnv *f, const void *data, size_t len)
{
    const uint8_t *p = data;
    for (size_t i = 0; i <= len; i++) {
        f->h ^= i < len ? p[i] : 0xFF;
        f->h *= 0x100000001b3ULL;
    }
}

static void fnv_text(struct fnv *f, const char *text)
{
    fnv_field(f, text ? text : "", text ? strlen(text) : 0);
}

static uint64_t image_seed(const struct image_plan *p, unsigned index, uint64_t server_seed)
{
    const struct image_request *r = p->req;
    char number[24];
    struct fnv f = {0xcbf29ce484222325ULL};
    fnv_text(&f, "imgmock/1");
    fnv_text(&f, r->model_name);
    fnv_field(&f, r->prompt, r->prompt_len);
    fnv_text(&f, p->size);
    fnv_text(&f, p->quality);
    fnv_text(&f, p->background);
    fnv_text(&f, r->style);
    fnv_text(&f, encode_format_name(p->format));
    snprintf(number, sizeof number, "%u", index);
    fnv_text(&f, number);
    snprintf(number, sizeof number, "%llu", (unsigned long long)server_seed);
    fnv_text(&f, number);
    return mix64(f.h);
}

void images_plan(const struct image_request *r, uint64_t server_seed, struct image_plan *out)
{
    const struct model_family *fam = r->family;
    memset(out, 0, sizeof *out);
    out->req = r;
    snprintf(out->size, sizeof out->size, "%s", resolve_size(r));
    if (sscanf(out->size, "%ux%u", &out->width, &out->height) != 2)
        out->width = out->height = 1024;
    /* "auto", and in schema mode a quality of another family ("hd" for gpt-image-1), become the
     * family's own choice: an answer only ever names a quality its model has */
    out->quality = fam->auto_quality;
    for (const char *const *q = fam->values[F_QUALITY]; q && *q; q++)
        if (!strcmp(*q, r->quality) && strcmp(*q, "auto"))
            out->quality = *q;
    if (fam->gpt) {
        out->background = r->background && !strcmp(r->background, "transparent") ? "transparent" : "opaque";
        int format = r->output_format ? encode_format_from_name(r->output_format) : IMAGE_PNG;
        out->format = format < 0 ? IMAGE_PNG : (enum image_format)format;
    } else {
        out->format = IMAGE_PNG;
        out->as_url = !r->response_format || strcmp(r->response_format, "b64_json") != 0;
    }
    out->jpeg_quality = r->output_compression;
    int count = r->n < 1 ? 1 : r->n > IMAGES_MAX ? IMAGES_MAX : r->n;
    for (int i = 0; i < count; i++)
        out->seeds[i] = image_seed(out, (unsigned)i, server_seed);
    usage_compute(fam->usage, r->prompt, r->prompt_len, out->quality, out->width, out->height, count,
                  r->stream ? r->partial_images : 0, &out->usage);
}

void images_key(const struct image_plan *p, unsigned index, unsigned partial, unsigned partials,
                struct cache_key *key)
{
    /* stage: 0 for the final image, else 1 + the number of shapes the partial image shows */
    unsigned stage = partial ? 1 + partial * synth_shape_count(p->seeds[index]) / (partials + 1) : 0;
    *key = (struct cache_key){
        .seed = p->seeds[index],
        .width = p->width,
        .height = p->height,
        .format = (uint8_t)p->format,
        .quality = (uint8_t)(p->format == IMAGE_JPEG ? p->jpeg_quality : 0),
        .transparent = (uint8_t)(p->background && !strcmp(p->background, "transparent")),
        .stage = (uint8_t)stage,
    };
}

static struct cache_entry *render(struct cache *c, const struct cache_key *key, struct apierr *err);

/* At most as many images are painted and encoded at once as the machine has cores: the work is
 * CPU-bound, so more at once is not faster, and each needs its own full-size buffers (about
 * 10 MB for 1024x1024, 90 MB for 3840x2160). Without the gate, 32 concurrent fresh requests
 * held 640 MB; requests past the gate wait their turn instead. */
static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_free = PTHREAD_COND_INITIALIZER;
static long gate_busy;
static long gate_size; /* the cores, read once: sysconf() reads /sys on every call */

static void gate_enter(void)
{
    pthread_mutex_lock(&gate_lock);
    if (!gate_size) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        gate_size = cores > 0 ? cores : 1;
    }
    while (gate_busy >= gate_size)
        pthread_cond_wait(&gate_free, &gate_lock);
    gate_busy++;
    pthread_mutex_unlock(&gate_lock);
}

static void gate_leave(void)
{
    pthread_mutex_lock(&gate_lock);
    gate_busy--;
    pthread_cond_signal(&gate_free);
    pthread_mutex_unlock(&gate_lock);
}

struct cache_entry *images_get(struct cache *c, const struct cache_key *key, struct apierr *err)
{
    struct cache_entry *e = cache_get(c, key);
    if (e)
        return e;
    gate_enter(); /* (two requests for one image may both paint it: cache_put keeps one) */
    e = render(c, key, err);
    gate_leave();
    return e;
}

struct cache_entry *images_get_base64(struct cache *c, const struct cache_key *key, struct apierr *err)
{
    struct cache_key text_key = *key;
    text_key.base64 = 1;
    struct cache_entry *text = cache_get(c, &text_key);
    if (text)
        return text;
    struct cache_key image_key = *key;
    image_key.base64 = 0;
    struct cache_entry *image = images_get(c, &image_key, err);
    if (!image)
        return NULL;
    size_t len = BASE64_ENCODED_SIZE(cache_size(image));
    uint8_t *encoded = malloc(len ? len : 1);
    if (encoded)
        base64_encode(cache_data(image), cache_size(image), (char *)encoded);
    cache_release(c, image);
    text = encoded ? cache_put(c, &text_key, encoded, len) : NULL;
    if (!text)
        apierr_set(err, APIERR_OUT_OF_MEMORY, 0, NULL);
    return text;
}

/* Paint, encode and cache one image (the caller holds the gate). */
static struct cache_entry *render(struct cache *c, const struct cache_key *key, struct apierr *err)
{
    struct cache_entry *e;
    /* opaque images are painted as RGB: the PNG writer then needs no copy without alpha */
    int channels = key->transparent ? 4 : 3;
    uint8_t *rgba = malloc((size_t)key->width * key->height * (size_t)channels);
    if (!rgba) {
        apierr_set(err, APIERR_OUT_OF_MEMORY, 0, NULL);
        return NULL;
    }
    struct synth_params sp = {
        .seed = key->seed,
        .width = key->width,
        .height = key->height,
        .transparent = key->transparent,
        .shapes_shown = key->stage ? key->stage - 1u : SYNTH_ALL_SHAPES,
        .rgb = channels == 3,
    };
    synth_render(&sp, rgba);
    struct image_pixels px = {rgba, key->width, key->height, key->transparent, channels};
    struct encode_buffer out = {0};
    int rc = encode_image((enum image_format)key->format, &px, key->quality, encode_buffer_sink, &out);
    free(rgba);
    if (rc != 0) {
        free(out.data);
        apierr_set(err, APIERR_OUT_OF_MEMORY, 0, NULL);
        return NULL;
    }
    /* The sink grows its buffer by doubling; the cache counts bytes held, so it gets exactly
     * the bytes it counts (a 10 KB PNG left in a 64 KB buffer made --cache-mb 64 hold 238 MB). */
    uint8_t *exact = out.len ? realloc(out.data, out.len) : NULL;
    if (exact)
        out.data = exact;
    e = cache_put(c, key, out.data, out.len);
    if (!e)
        apierr_set(err, APIERR_OUT_OF_MEMORY, 0, NULL);
    return e;
}

char *images_revised_prompt(const char *prompt, size_t len, const char *style, size_t *out_len)
{
    int natural = style && !strcmp(style, "natural");
    const char *opening = natural ? "A natural, true-to-life depiction of " : "A vivid, richly detailed rendering of ";
    const char *closing = natural ? ", in soft, realistic light with gentle, balanced colors."
                                  : ", with dramatic lighting, bold saturated colors and striking depth.";
    while (len && (prompt[len - 1] == '.' || isspace((unsigned char)prompt[len - 1])))
        len--; /* the sentence gets its own ending */
    size_t a = strlen(opening), c = strlen(closing);
    char *out = malloc(a + len + c + 1);
    if (!out)
        return NULL;
    memcpy(out, opening, a);
    memcpy(out + a, prompt, len); /* may hold NULs: the length says where it ends */
    memcpy(out + a + len, closing, c + 1);
    *out_len = a + len + c;
    return out;
}
