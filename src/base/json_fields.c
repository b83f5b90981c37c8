/* json_fields.c — top-level string members of a JSON object with exact lengths, via yajl's
 * callback parser (see json_fields.h). */
#include "needle/json_fields.h"
#include "needle/error.h"

#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

typedef struct {
    json_fields *out;
    int depth, in_array, top_object, err;
    char *key; /* the pending key at depth 1 */
} ctx;

static int add(ctx *c, const unsigned char *s, size_t len) {
    json_fields *fs = c->out;
    if (fs->n == fs->cap) {
        int cap = fs->cap ? 2 * fs->cap : 8;
        json_field *f = realloc(fs->f, (size_t)cap * sizeof *f);
        if (!f) { c->err = 1; return 0; }
        fs->f = f;
        fs->cap = cap;
    }
    char *v = malloc(len + 1);
    if (!v) { c->err = 1; return 0; }
    memcpy(v, s, len);
    v[len] = 0;
    fs->f[fs->n++] = (json_field){c->key, v, len};
    c->key = NULL;
    return 1;
}

static int value_done(ctx *c) {
    if (c->depth == 1) { free(c->key); c->key = NULL; }
    return 1;
}
static int on_null(void *p) { return value_done(p); }
static int on_bool(void *p, int b) { (void)b; return value_done(p); }
static int on_number(void *p, const char *s, size_t l) { (void)s; (void)l; return value_done(p); }
static int on_string(void *p, const unsigned char *s, size_t len) {
    ctx *c = p;
    if (c->depth == 1 && c->key) return add(c, s, len);
    return value_done(c);
}
static int on_map_key(void *p, const unsigned char *s, size_t len) {
    ctx *c = p;
    if (c->depth != 1) return 1;
    free(c->key);
    c->key = malloc(len + 1);
    if (!c->key) { c->err = 1; return 0; }
    memcpy(c->key, s, len);
    c->key[len] = 0;
    return 1;
}
static int on_start_map(void *p) {
    ctx *c = p;
    if (c->depth == 0) c->top_object = 1;
    if (c->depth == 1) { free(c->key); c->key = NULL; }
    c->depth++;
    return 1;
}
static int on_end(void *p) {
    ((ctx *)p)->depth--;
    return 1;
}
static int on_start_array(void *p) {
    ctx *c = p;
    if (c->depth == 0) { c->in_array = 1; return 0; }
    if (c->depth == 1) { free(c->key); c->key = NULL; }
    c->depth++;
    return 1;
}

int json_fields_parse(const char *text, size_t len, const char *origin, json_fields *out) {
    static const yajl_callbacks cb = {on_null, on_bool, NULL, NULL, on_number, on_string,
                                      on_start_map, on_map_key, on_end, on_start_array, on_end};
    memset(out, 0, sizeof *out);
    ctx c = {out, 0, 0, 0, 0, NULL};
    yajl_handle h = yajl_alloc(&cb, NULL, &c);
    if (!h) return error_set(NEEDLE_ENOMEM, "%s: out of memory parsing JSON", origin);
    yajl_config(h, yajl_dont_validate_strings, 1);
    yajl_status st = yajl_parse(h, (const unsigned char *)text, len);
    if (st == yajl_status_ok) st = yajl_complete_parse(h);
    int rc = 0;
    if (c.err) {
        rc = error_set(NEEDLE_ENOMEM, "%s: out of memory parsing JSON", origin);
    } else if (c.in_array || (st == yajl_status_ok && !c.top_object)) {
        rc = error_set(NEEDLE_EFORMAT, "%s: expected a JSON object", origin);
    } else if (st != yajl_status_ok) {
        unsigned char *msg = yajl_get_error(h, 0, (const unsigned char *)text, len);
        size_t ml = msg ? strlen((const char *)msg) : 0;
        while (ml > 0 && (msg[ml - 1] == '\n' || msg[ml - 1] == ' ')) msg[--ml] = 0;
        rc = error_set(NEEDLE_EFORMAT, "%s: malformed JSON: %s", origin, msg ? (const char *)msg : "parse error");
        if (msg) yajl_free_error(h, msg);
    }
    free(c.key);
    yajl_free(h);
    if (rc) json_fields_free(out);
    return rc;
}

const json_field *json_fields_get(const json_fields *fs, const char *key) {
    for (int i = 0; i < fs->n; i++)
        if (!strcmp(fs->f[i].key, key)) return &fs->f[i];
    return NULL;
}

void json_fields_free(json_fields *fs) {
    for (int i = 0; i < fs->n; i++) {
        free(fs->f[i].key);
        free(fs->f[i].value);
    }
    free(fs->f);
    memset(fs, 0, sizeof *fs);
}
