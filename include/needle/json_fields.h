/* json_fields.h — exact string members of one JSON object (a JSON-lines record).
 *
 * cJSON stores strings NUL-terminated, so a text containing "\u0000" (a real character that
 * tokenizers must see, and which Python's json writes) would be cut short. This reader uses
 * yajl's streaming parser, which reports each string with its length, and keeps the
 * top-level string members of an object byte-exact; other members are skipped. Strings are
 * not checked for valid UTF-8 (callers decide; the tokenizer replaces invalid bytes). */
#ifndef NEEDLE_JSON_FIELDS_H
#define NEEDLE_JSON_FIELDS_H

#include <stddef.h>

typedef struct {
    char *key;
    char *value; /* NUL-terminated as a convenience; may contain NUL bytes */
    size_t len;
} json_field;

typedef struct {
    json_field *f;
    int n, cap;
} json_fields;

/* Parse `text` (one JSON object) and collect its top-level string members. On a syntax
 * error, or when the text is not an object, fail naming `origin` and yajl's reason. */
int json_fields_parse(const char *text, size_t len, const char *origin, json_fields *out);
/* The member named key, or NULL. */
const json_field *json_fields_get(const json_fields *fs, const char *key);
void json_fields_free(json_fields *fs);

#endif
