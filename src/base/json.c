/* json.c — cJSON parsing with located error messages, typed field access, and the jsonw
 * streaming writer (see json.h). */
#include "needle/json.h"
#include "needle/error.h"
#include "needle/file.h"
#include "needle/utf8.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int json_parse(const char *text, size_t len, const char *origin, cJSON **out) {
    const char *end = NULL;
    *out = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (*out) return 0;
    if (!end) return error_set(NEEDLE_ENOMEM, "%s: out of memory parsing JSON", origin);
    size_t line = 1, col = 1;
    for (const char *p = text; p < end && p < text + len; p++) {
        if (*p == '\n') { line++; col = 1; }
        else col++;
    }
    return error_set(NEEDLE_EFORMAT, "%s: malformed JSON at line %zu, column %zu", origin, line, col);
}

int json_load_file(const char *path, cJSON **out) {
    char *text;
    size_t len;
    *out = NULL;
    int rc = file_read_all(path, &text, &len);
    if (rc) return rc;
    rc = json_parse(text, len, path, out);
    free(text);
    return rc;
}

static const cJSON *field(const cJSON *obj, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return (v && !cJSON_IsNull(v)) ? v : NULL;
}

static int wrong_type(const char *origin, const char *key, const char *want) {
    return error_set(NEEDLE_EFORMAT, "%s: field \"%s\" should be %s", origin, key, want);
}

static int missing(const char *origin, const char *key) {
    return error_set(NEEDLE_EFORMAT, "%s: missing field \"%s\"", origin, key);
}

int json_opt_int(const cJSON *obj, const char *key, const char *origin, long long dflt, long long *out) {
    const cJSON *v = field(obj, key);
    if (!v) { *out = dflt; return 0; }
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble)) return wrong_type(origin, key, "an integer");
    *out = (long long)v->valuedouble;
    return 0;
}

int json_opt_double(const cJSON *obj, const char *key, const char *origin, double dflt, double *out) {
    const cJSON *v = field(obj, key);
    if (!v) { *out = dflt; return 0; }
    if (!cJSON_IsNumber(v)) return wrong_type(origin, key, "a number");
    *out = v->valuedouble;
    return 0;
}

int json_opt_string(const cJSON *obj, const char *key, const char *origin, const char *dflt, const char **out) {
    const cJSON *v = field(obj, key);
    if (!v) { *out = dflt; return 0; }
    if (!cJSON_IsString(v)) return wrong_type(origin, key, "a string");
    *out = v->valuestring;
    return 0;
}

int json_opt_bool(const cJSON *obj, const char *key, const char *origin, int dflt, int *out) {
    const cJSON *v = field(obj, key);
    if (!v) { *out = dflt; return 0; }
    if (!cJSON_IsBool(v)) return wrong_type(origin, key, "true or false");
    *out = cJSON_IsTrue(v);
    return 0;
}

int json_opt_id(const cJSON *obj, const char *key, const char *origin, const char **out) {
    const cJSON *v = field(obj, key);
    *out = NULL;
    if (!v) return 0;
    if (!cJSON_IsString(v)) return wrong_type(origin, key, "a string or an integer");
    *out = v->valuestring;
    return 0;
}

int json_get_int(const cJSON *obj, const char *key, const char *origin, long long *out) {
    if (!field(obj, key)) return missing(origin, key);
    return json_opt_int(obj, key, origin, 0, out);
}

int json_get_double(const cJSON *obj, const char *key, const char *origin, double *out) {
    if (!field(obj, key)) return missing(origin, key);
    return json_opt_double(obj, key, origin, 0, out);
}

int json_get_string(const cJSON *obj, const char *key, const char *origin, const char **out) {
    if (!field(obj, key)) return missing(origin, key);
    return json_opt_string(obj, key, origin, NULL, out);
}

/* ------------------------------------------------------------------ writer */

void jsonw_init(jsonw *w, strbuf *sb) {
    memset(w, 0, sizeof *w);
    w->sb = sb;
}

static void emit(jsonw *w, const char *s, size_t n) {
    if (!w->err && strbuf_append(w->sb, s, n)) w->err = NEEDLE_ENOMEM;
}

/* Separator before a value: a comma unless first in its container or right after a key. */
static void value_prefix(jsonw *w) {
    if (w->after_key) { w->after_key = 0; return; }
    if (w->depth > 0 && w->needs_comma[w->depth]) emit(w, ",", 1);
    if (w->depth > 0) w->needs_comma[w->depth] = 1;
}

static void open_container(jsonw *w, char c) {
    value_prefix(w);
    emit(w, &c, 1);
    if (w->depth < 63) w->depth++;
    w->needs_comma[w->depth] = 0;
}

static void close_container(jsonw *w, char c) {
    emit(w, &c, 1);
    if (w->depth > 0) w->depth--;
}

void jsonw_object_begin(jsonw *w) { open_container(w, '{'); }
void jsonw_object_end(jsonw *w) { close_container(w, '}'); }
void jsonw_array_begin(jsonw *w) { open_container(w, '['); }
void jsonw_array_end(jsonw *w) { close_container(w, ']'); }

/* Write s as a JSON string. Runs of characters that need no escaping are appended in one
 * piece; an ill-formed UTF-8 subpart is written as one U+FFFD (utf8.h's rule). */
static void emit_string(jsonw *w, const char *s, size_t n) {
    emit(w, "\"", 1);
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, run = 0;
    while (i < n) {
        unsigned char c = p[i];
        if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7F) {
            size_t len = c < 0x80 ? 1 : utf8_valid_len(p + i, n - i);
            if (len) { i += len; continue; }
        }
        emit(w, s + run, i - run);
        char esc[8];
        if (c == '"' || c == '\\') { esc[0] = '\\'; esc[1] = (char)c; emit(w, esc, 2); i++; }
        else if (c == '\n') { emit(w, "\\n", 2); i++; }
        else if (c == '\t') { emit(w, "\\t", 2); i++; }
        else if (c == '\r') { emit(w, "\\r", 2); i++; }
        else if (c < 0x20 || c == 0x7F) { snprintf(esc, sizeof esc, "\\u%04x", c); emit(w, esc, 6); i++; }
        else { emit(w, "\xEF\xBF\xBD", 3); utf8_decode(s, n, &i); }
        run = i;
    }
    emit(w, s + run, i - run);
    emit(w, "\"", 1);
}

void jsonw_key(jsonw *w, const char *key) {
    value_prefix(w);
    emit_string(w, key, strlen(key));
    emit(w, ":", 1);
    w->after_key = 1;
}

void jsonw_string_n(jsonw *w, const char *s, size_t n) {
    value_prefix(w);
    emit_string(w, s, n);
}

void jsonw_string(jsonw *w, const char *s) {
    if (!s) { jsonw_null(w); return; }
    jsonw_string_n(w, s, strlen(s));
}

void jsonw_int(jsonw *w, long long v) {
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%lld", v);
    value_prefix(w);
    emit(w, buf, (size_t)n);
}

void jsonw_double(jsonw *w, double v) {
    if (!isfinite(v)) { jsonw_null(w); return; }
    char buf[40];
    int n = 0;
    for (int prec = 6; prec <= 17; prec++) {
        n = snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) break;
    }
    value_prefix(w);
    emit(w, buf, (size_t)n);
}

void jsonw_bool(jsonw *w, int v) {
    value_prefix(w);
    emit(w, v ? "true" : "false", v ? 4 : 5);
}

void jsonw_null(jsonw *w) {
    value_prefix(w);
    emit(w, "null", 4);
}

void jsonw_raw(jsonw *w, const char *json) {
    value_prefix(w);
    emit(w, json, strlen(json));
}

void jsonw_cjson(jsonw *w, const cJSON *v) {
    if (cJSON_IsObject(v) || cJSON_IsArray(v)) {
        int obj = cJSON_IsObject(v);
        if (obj) jsonw_object_begin(w);
        else jsonw_array_begin(w);
        for (const cJSON *c = v->child; c; c = c->next) {
            if (obj) jsonw_key(w, c->string);
            jsonw_cjson(w, c);
        }
        if (obj) jsonw_object_end(w);
        else jsonw_array_end(w);
    } else if (cJSON_IsNumber(v)) {
        jsonw_double(w, v->valuedouble);
    } else if (cJSON_IsString(v)) {
        jsonw_string(w, v->valuestring);
    } else if (cJSON_IsBool(v)) {
        jsonw_bool(w, cJSON_IsTrue(v));
    } else {
        jsonw_null(w);
    }
}
