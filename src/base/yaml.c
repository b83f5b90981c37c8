/* yaml.c — YAML files into cJSON trees with the position of every value (see yaml.h).
 *
 * Built from libyaml's event stream rather than its document loader, because only the events
 * tell a plain scalar from one tagged !!str. An alias is a deep copy of its anchored value
 * (anchors are registered once their value is complete, so an alias inside its own anchor is
 * "undefined", never a cycle); copies count towards the value limit, which stops a file of
 * exponentially nested aliases. */
#include "needle/yaml.h"
#include "needle/array.h"
#include "needle/error.h"
#include "needle/file.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

enum { YAML_MAX_DEPTH = 64, YAML_MAX_VALUES = 1000000 };

typedef struct {
    char *name;
    cJSON *value; /* owned by the document tree */
} anchor;

typedef struct {
    yaml_parser_t *parser;
    yaml_doc *out;
    size_t values;
    anchor *anchors;
    size_t n_anchors, cap_anchors;
} builder;

static int mark_add(builder *b, const cJSON *item, yaml_mark_t m) {
    yaml_doc *doc = b->out;
    if (array_grow((void **)&doc->marks, &doc->cap_marks, doc->n_marks, sizeof *doc->marks)) return NEEDLE_ENOMEM;
    doc->marks[doc->n_marks++] = (yaml_mark){item, (int)m.line + 1, (int)m.column + 1};
    return 0;
}

static int at(const builder *b, yaml_mark_t m, int code, const char *what, const char *detail) {
    return error_set(code, "%s:%d:%d: %s%s", b->out->origin, (int)m.line + 1, (int)m.column + 1, what, detail ? detail : "");
}

static int syntax_error(const builder *b) {
    yaml_mark_t m = b->parser->problem_mark;
    const char *problem = b->parser->problem ? b->parser->problem : "malformed";
    const char *context = b->parser->context;
    return error_set(NEEDLE_EFORMAT, "%s:%d:%d: YAML syntax error: %s%s%s", b->out->origin, (int)m.line + 1,
                     (int)m.column + 1, problem, context ? " " : "", context ? context : "");
}

/* The whole of s[0, n) is made of characters in `digits` (at least one). */
static int all_digits(const char *s, size_t n, const char *digits) {
    if (!n) return 0;
    for (size_t i = 0; i < n; i++)
        if (!strchr(digits, s[i])) return 0;
    return 1;
}

static int is_float_text(const char *s, size_t n) {
    size_t i = 0;
    if (i < n && (s[i] == '-' || s[i] == '+')) i++;
    if (n - i == 4 && (!strcmp(s + i, ".inf") || !strcmp(s + i, ".Inf") || !strcmp(s + i, ".INF"))) return 1;
    size_t int_digits = 0, frac_digits = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9') i++, int_digits++;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++, frac_digits++;
    }
    if (!int_digits && !frac_digits) return 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '-' || s[i] == '+')) i++;
        size_t exp_digits = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++, exp_digits++;
        if (!exp_digits) return 0;
    }
    return i == n;
}

/* A scalar event's value: plain and untagged scalars by the YAML 1.2 core schema (yaml.h),
 * quoted, block and "!"-tagged ones as strings, !!null/!!bool/!!int/!!float checked. */
static int scalar_resolve(const builder *b, const yaml_event_t *ev, cJSON **out) {
    const char *s = (const char *)ev->data.scalar.value;
    size_t n = ev->data.scalar.length;
    const char *tag = (const char *)ev->data.scalar.tag;
    const char *force = NULL;
    if (tag && strcmp(tag, "!")) {
        if (!strcmp(tag, YAML_STR_TAG)) force = "str";
        else if (!strcmp(tag, YAML_NULL_TAG)) force = "null";
        else if (!strcmp(tag, YAML_BOOL_TAG)) force = "bool";
        else if (!strcmp(tag, YAML_INT_TAG)) force = "int";
        else if (!strcmp(tag, YAML_FLOAT_TAG)) force = "float";
        else return at(b, ev->start_mark, NEEDLE_EFORMAT, "unsupported tag ", tag);
    }
    if ((!force && (tag || ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)) || (force && !strcmp(force, "str"))) {
        *out = cJSON_CreateString(s);
        return *out ? 0 : NEEDLE_ENOMEM;
    }
    if (strlen(s) != n) return at(b, ev->start_mark, NEEDLE_EFORMAT, "a NUL character in a plain scalar", NULL);
    int is_null = !n || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL");
    int is_true = !strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE");
    int is_false = !strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE");
    size_t sign = n && (s[0] == '-' || s[0] == '+');
    int is_dec = all_digits(s + sign, n - sign, "0123456789");
    int is_hex = n > 2 && !strncmp(s, "0x", 2) && all_digits(s + 2, n - 2, "0123456789abcdefABCDEF");
    int is_oct = n > 2 && !strncmp(s, "0o", 2) && all_digits(s + 2, n - 2, "01234567");
    int is_nan = !strcmp(s, ".nan") || !strcmp(s, ".NaN") || !strcmp(s, ".NAN");
    int is_float = !is_dec && (is_nan || is_float_text(s, n));
    if (force && !strcmp(force, "null") && !is_null) return at(b, ev->start_mark, NEEDLE_EFORMAT, "!!null value is not null: ", s);
    if (force && !strcmp(force, "bool") && !is_true && !is_false)
        return at(b, ev->start_mark, NEEDLE_EFORMAT, "!!bool value is not true or false: ", s);
    if (force && !strcmp(force, "int") && !is_dec && !is_hex && !is_oct)
        return at(b, ev->start_mark, NEEDLE_EFORMAT, "!!int value is not an integer: ", s);
    if (force && !strcmp(force, "float") && !is_dec && !is_float)
        return at(b, ev->start_mark, NEEDLE_EFORMAT, "!!float value is not a number: ", s);
    if (is_null) *out = cJSON_CreateNull();
    else if (is_true || is_false) *out = cJSON_CreateBool(is_true);
    else if (is_dec || is_hex || is_oct) {
        errno = 0;
        double v = is_dec ? strtod(s, NULL) : (double)strtoull(s + 2, NULL, is_hex ? 16 : 8);
        if (errno) return at(b, ev->start_mark, NEEDLE_EFORMAT, "integer out of range: ", s);
        *out = cJSON_CreateNumber(v);
    } else if (is_float) {
        double v;
        if (is_nan) v = NAN;
        else if (strstr(s, "inf") || strstr(s, "Inf") || strstr(s, "INF")) v = s[0] == '-' ? -INFINITY : INFINITY;
        else v = strtod(s, NULL);
        *out = cJSON_CreateNumber(v);
    } else *out = cJSON_CreateString(s);
    return *out ? 0 : NEEDLE_ENOMEM;
}

/* Values in a tree and its depth (a leaf is 1). */
static void tree_size(const cJSON *v, size_t *values, int *depth) {
    *values = 1;
    *depth = 1;
    for (const cJSON *c = v->child; c; c = c->next) {
        size_t cv;
        int cd;
        tree_size(c, &cv, &cd);
        *values += cv;
        if (cd + 1 > *depth) *depth = cd + 1;
    }
}

static int alias_copy(builder *b, const yaml_event_t *ev, int depth, cJSON **out) {
    const char *name = (const char *)ev->data.alias.anchor;
    for (size_t i = b->n_anchors; i-- > 0;) {
        if (strcmp(b->anchors[i].name, name)) continue;
        size_t values;
        int tdepth;
        tree_size(b->anchors[i].value, &values, &tdepth);
        if (depth + tdepth - 1 > YAML_MAX_DEPTH)
            return at(b, ev->start_mark, NEEDLE_EFORMAT, "nesting deeper than 64 levels through alias *", name);
        if ((b->values += values) > YAML_MAX_VALUES)
            return at(b, ev->start_mark, NEEDLE_EFORMAT, "more than a million values (aliases expanding?) at *", name);
        *out = cJSON_Duplicate(b->anchors[i].value, 1);
        return *out ? 0 : NEEDLE_ENOMEM;
    }
    return at(b, ev->start_mark, NEEDLE_EFORMAT, "undefined alias *", name);
}

static int anchor_add(builder *b, const yaml_char_t *name, cJSON *value) {
    if (!name) return 0;
    if (array_grow((void **)&b->anchors, &b->cap_anchors, b->n_anchors, sizeof *b->anchors)) return NEEDLE_ENOMEM;
    char *copy = strdup((const char *)name);
    if (!copy) return NEEDLE_ENOMEM;
    b->anchors[b->n_anchors++] = (anchor){copy, value};
    return 0;
}

static int next_event(builder *b, yaml_event_t *ev) { return yaml_parser_parse(b->parser, ev) ? 0 : syntax_error(b); }

static int build_value(builder *b, yaml_event_t *ev, int depth, cJSON **out);

/* The members of a collection until its end event; `start` is its start event. */
static int build_collection(builder *b, const yaml_event_t *start, int depth, cJSON *coll) {
    int mapping = start->type == YAML_MAPPING_START_EVENT;
    yaml_event_type_t end = mapping ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT;
    for (;;) {
        yaml_event_t ev;
        int rc = next_event(b, &ev);
        if (rc) return rc;
        if (ev.type == end) {
            yaml_event_delete(&ev);
            return 0;
        }
        char *key = NULL;
        yaml_mark_t mark = ev.start_mark;
        if (mapping) {
            if (ev.type != YAML_SCALAR_EVENT) {
                rc = at(b, ev.start_mark, NEEDLE_EFORMAT, "a mapping key must be a scalar", NULL);
                yaml_event_delete(&ev);
                return rc;
            }
            key = strdup((const char *)ev.data.scalar.value);
            yaml_event_delete(&ev);
            if (!key) return NEEDLE_ENOMEM;
            const cJSON *prev = cJSON_GetObjectItemCaseSensitive(coll, key);
            if (prev) {
                rc = error_set(NEEDLE_EFORMAT, "%s:%d:%d: duplicate key \"%s\" (first given at line %d)", b->out->origin,
                               (int)mark.line + 1, (int)mark.column + 1, key, yaml_line(b->out, prev));
                free(key);
                return rc;
            }
            if ((rc = next_event(b, &ev))) {
                free(key);
                return rc;
            }
        }
        cJSON *child = NULL;
        rc = build_value(b, &ev, depth + 1, &child);
        yaml_event_delete(&ev);
        if (!rc && !(mapping ? cJSON_AddItemToObject(coll, key, child) : cJSON_AddItemToArray(coll, child))) {
            cJSON_Delete(child);
            rc = NEEDLE_ENOMEM;
        }
        free(key);
        if (!rc) rc = mark_add(b, child, mark);
        if (rc) return rc;
    }
}

/* The value that starts with event `ev` (which the caller deletes). */
static int build_value(builder *b, yaml_event_t *ev, int depth, cJSON **out) {
    *out = NULL;
    if (depth > YAML_MAX_DEPTH) return at(b, ev->start_mark, NEEDLE_EFORMAT, "nesting deeper than 64 levels", NULL);
    if (ev->type != YAML_ALIAS_EVENT && ++b->values > YAML_MAX_VALUES)
        return at(b, ev->start_mark, NEEDLE_EFORMAT, "more than a million values", NULL);
    int rc = 0;
    const yaml_char_t *anchor_name = NULL, *tag = NULL;
    switch (ev->type) {
    case YAML_ALIAS_EVENT: return alias_copy(b, ev, depth, out);
    case YAML_SCALAR_EVENT:
        rc = scalar_resolve(b, ev, out);
        anchor_name = ev->data.scalar.anchor;
        break;
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
        int mapping = ev->type == YAML_MAPPING_START_EVENT;
        tag = mapping ? ev->data.mapping_start.tag : ev->data.sequence_start.tag;
        anchor_name = mapping ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
        if (tag && strcmp((const char *)tag, "!") && strcmp((const char *)tag, mapping ? YAML_MAP_TAG : YAML_SEQ_TAG))
            return at(b, ev->start_mark, NEEDLE_EFORMAT, "unsupported tag ", (const char *)tag);
        if (!(*out = mapping ? cJSON_CreateObject() : cJSON_CreateArray())) return NEEDLE_ENOMEM;
        rc = build_collection(b, ev, depth, *out);
        break;
    }
    default: rc = at(b, ev->start_mark, NEEDLE_EFORMAT, "unexpected YAML event", NULL);
    }
    if (!rc) rc = anchor_add(b, anchor_name, *out);
    if (rc) {
        cJSON_Delete(*out);
        *out = NULL;
    }
    return rc;
}

/* Stream start, at most one document, stream end. */
static int build_stream(builder *b) {
    yaml_event_t ev;
    int rc, documents = 0;
    while (!(rc = next_event(b, &ev))) {
        yaml_event_type_t type = ev.type;
        if (type == YAML_DOCUMENT_START_EVENT && documents++) {
            rc = error_set(NEEDLE_EFORMAT, "%s:%d: a second YAML document; a pipeline file holds one", b->out->origin,
                           (int)ev.start_mark.line + 1);
        } else if (type == YAML_SCALAR_EVENT || type == YAML_SEQUENCE_START_EVENT || type == YAML_MAPPING_START_EVENT ||
                   type == YAML_ALIAS_EVENT) {
            yaml_mark_t mark = ev.start_mark;
            rc = build_value(b, &ev, 0, &b->out->root);
            if (!rc) rc = mark_add(b, b->out->root, mark);
        }
        yaml_event_delete(&ev);
        if (rc || type == YAML_STREAM_END_EVENT) break;
    }
    return rc;
}

int yaml_parse(const char *text, size_t len, const char *origin, yaml_doc *doc) {
    memset(doc, 0, sizeof *doc);
    doc->origin = strdup(origin);
    if (!doc->origin) return error_set(NEEDLE_ENOMEM, "out of memory");
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        yaml_doc_free(doc);
        return error_set(NEEDLE_ENOMEM, "%s: out of memory starting the YAML parser", origin);
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    builder b = {&parser, doc, 0, NULL, 0, 0};
    int rc = build_stream(&b);
    if (rc == NEEDLE_ENOMEM) error_set(NEEDLE_ENOMEM, "%s: out of memory reading YAML", origin);
    for (size_t i = 0; i < b.n_anchors; i++) free(b.anchors[i].name);
    free(b.anchors);
    yaml_parser_delete(&parser);
    if (rc) yaml_doc_free(doc);
    return rc;
}

int yaml_load_file(const char *path, yaml_doc *doc) {
    char *text;
    size_t len;
    memset(doc, 0, sizeof *doc);
    int rc = file_read_all(path, &text, &len);
    if (rc) return rc;
    rc = yaml_parse(text, len, path, doc);
    free(text);
    return rc;
}

void yaml_doc_free(yaml_doc *doc) {
    cJSON_Delete(doc->root);
    free(doc->origin);
    free(doc->marks);
    memset(doc, 0, sizeof *doc);
}

static const yaml_mark *mark_find(const yaml_doc *doc, const cJSON *item) {
    for (size_t i = 0; i < doc->n_marks; i++)
        if (doc->marks[i].item == item) return &doc->marks[i];
    return NULL;
}

int yaml_line(const yaml_doc *doc, const cJSON *item) {
    const yaml_mark *m = mark_find(doc, item);
    return m ? m->line : 0;
}

int yaml_column(const yaml_doc *doc, const cJSON *item) {
    const yaml_mark *m = mark_find(doc, item);
    return m ? m->column : 0;
}
