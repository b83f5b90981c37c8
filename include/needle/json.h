/* json.h — JSON in and out.
 *
 * Reading small and medium documents (config.json, tokenizer.json, SQuAD files) uses cJSON's
 * DOM; the helpers here add error messages that name the file, the line and column of a syntax
 * error, and the field that is missing or of the wrong type. Writing goes through jsonw, a
 * streaming writer into a strbuf that escapes strings and replaces invalid UTF-8 with U+FFFD. */
#ifndef NEEDLE_JSON_H
#define NEEDLE_JSON_H

#include <cJSON.h>
#include <stddef.h>

#include "needle/strbuf.h"

/* Parse text; on a syntax error the message names `origin` with line and column. */
int json_parse(const char *text, size_t len, const char *origin, cJSON **out);
int json_load_file(const char *path, cJSON **out);

/* Typed field access. The json_get_* require the field and fail with a message naming
 * `origin` and `key`; the json_opt_* return `dflt` when the field is absent or null and
 * fail only on a wrong type. */
int json_get_int(const cJSON *obj, const char *key, const char *origin, long long *out);
int json_get_double(const cJSON *obj, const char *key, const char *origin, double *out);
int json_get_string(const cJSON *obj, const char *key, const char *origin, const char **out);
int json_opt_int(const cJSON *obj, const char *key, const char *origin, long long dflt, long long *out);
int json_opt_double(const cJSON *obj, const char *key, const char *origin, double dflt, double *out);
int json_opt_string(const cJSON *obj, const char *key, const char *origin, const char *dflt, const char **out);
int json_opt_bool(const cJSON *obj, const char *key, const char *origin, int dflt, int *out);

/* Streaming writer. Errors (out of memory) are sticky in `err` and reported by the caller. */
typedef struct {
    strbuf *sb;
    int depth;
    int err;
    unsigned char needs_comma[64];
    unsigned char after_key;
} jsonw;

void jsonw_init(jsonw *w, strbuf *sb);
void jsonw_object_begin(jsonw *w);
void jsonw_object_end(jsonw *w);
void jsonw_array_begin(jsonw *w);
void jsonw_array_end(jsonw *w);
void jsonw_key(jsonw *w, const char *key);
void jsonw_string(jsonw *w, const char *s);
void jsonw_string_n(jsonw *w, const char *s, size_t n);
void jsonw_int(jsonw *w, long long v);
/* Shortest text that reads back to the same double; NaN and infinities become null. */
void jsonw_double(jsonw *w, double v);
void jsonw_bool(jsonw *w, int v);
void jsonw_null(jsonw *w);
/* Insert already-serialised JSON as one value. */
void jsonw_raw(jsonw *w, const char *json);

#endif
