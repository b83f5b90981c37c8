/* json.h — JSON in and out.
 *
 * Reading small and medium documents (config.json, tokenizer.json, SQuAD files) uses cJSON's
 * DOM; the helpers here add error messages that name the file, the line and column of a syntax
 * error, and the field that is missing or of the wrong type. Integer ids are read exactly and
 * JSON-lines files streamed by json_lines.c. Writing goes through jsonw, a
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
/* An id: a string (integer ids are strings once json_quote_integers has run), or NULL when
 * absent or null; anything else fails with "should be a string or an integer". */
int json_opt_id(const cJSON *obj, const char *key, const char *origin, const char **out);

/* Exact integer ids. Rewrite the integer values of the members named in `keys` (a
 * NULL-terminated list) as strings of their decimal text, before cJSON parses the text and
 * rounds them to doubles: "id": 7211011040021040393 becomes "id": "7211011040021040393", and
 * "-0" becomes "0", as Python's str(int) writes it. depth 0: members at any depth; depth 1:
 * members of the top-level object only (so "meta": {"id": 5} stays a number). Other numbers
 * (1.5, 1e3) are left alone. *out is NULL when nothing was rewritten, else a new string of
 * *out_len bytes. The scan is lexical and never touches the contents of strings. */
int json_quote_integers(const char *text, size_t len, const char *const *keys, int depth, char **out, size_t *out_len);

/* JSON lines. Each line that holds more than spaces, tabs and CRs must be valid UTF-8 and one
 * JSON object, whose top-level integer members named in id_keys (NULL-terminated; NULL: none)
 * are read exactly (json_quote_integers). fn gets each object with origin "<path>:<line>";
 * its non-zero return stops the reading and is returned. Errors name the file and the line
 * ("<path>:<line>: malformed JSON at column C"; invalid UTF-8 as utf8_check_at reports it). */
typedef int (*json_line_fn)(void *ctx, const cJSON *obj, const char *origin);
int json_lines_read(const char *path, const char *const *id_keys, json_line_fn fn, void *ctx);

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
/* Write a cJSON value (recursively) through the writer, so its numbers get the shortest
 * round-trip text rather than cJSON's 17 digits. */
void jsonw_cjson(jsonw *w, const cJSON *v);

#endif
