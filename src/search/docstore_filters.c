/* docstore_filters.c — compiles Haystack 1.x metadata filters (JSON) into one SQL boolean
 * expression plus a list of bound values.
 *
 * Every value and every JSON path is a bound parameter; the SQL text only ever contains
 * fixed fragments chosen here, so no filter can inject SQL. A metadata field is tested with
 * EXISTS over json_each(meta, path): json_each yields one row for a scalar and one per element
 * for a list, so "any element matches" (Elasticsearch's semantics, which Haystack users
 * expect) and "missing field" (no rows) fall out of one form. Each comparison carries a type
 * guard on json_each's `type` so that numbers only compare with numbers, strings with strings
 * and booleans with booleans (SQLite alone would order every number below every string). */
#include "docstore_internal.h"
#include "needle/error.h"
#include "needle/json.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { COL_TEXT, COL_INT, COL_BOOL };

typedef struct {
    const char *name, *expr;
    int kind;
} column;

static const column DOC_COLUMNS[] = {
    {"id", "d.id", COL_TEXT}, {"content", "d.content", COL_TEXT}, {"source_id", "d.source_id", COL_TEXT},
    {"split_index", "d.split_index", COL_INT}, {NULL, NULL, 0}};

static const column LABEL_COLUMNS[] = {
    {"id", "l.id", COL_INT}, {"question", "l.question", COL_TEXT}, {"answer", "l.answer", COL_TEXT},
    {"document_id", "l.document_id", COL_TEXT}, {"origin", "l.origin", COL_TEXT},
    {"created_at", "l.created_at", COL_TEXT}, {"is_correct_answer", "l.is_correct_answer", COL_BOOL},
    {"is_correct_document", "l.is_correct_document", COL_BOOL}, {"no_answer", "l.no_answer", COL_BOOL},
    {NULL, NULL, 0}};

typedef struct {
    filter_sql *out;
    filter_target target;
    int err;
} compiler;

/* What a comparison tests: a column, or json_each's value/type for a metadata key. */
typedef struct {
    const char *field;
    const char *val, *type; /* SQL expressions */
    int json;               /* a metadata key (json_each) rather than a column */
    int kind;               /* for columns */
} operand;

static void emit(compiler *c, const char *s) {
    if (!c->err && strbuf_puts(&c->out->sql, s)) c->err = NEEDLE_ENOMEM;
}

static filter_bind *new_bind(compiler *c) {
    filter_sql *f = c->out;
    if (f->nbinds == f->cap) {
        int nc = f->cap ? 2 * f->cap : 16;
        filter_bind *p = realloc(f->binds, (size_t)nc * sizeof *p);
        if (!p) { c->err = error_set(NEEDLE_ENOMEM, "out of memory compiling filters"); return NULL; }
        f->binds = p;
        f->cap = nc;
    }
    filter_bind *b = &f->binds[f->nbinds++];
    memset(b, 0, sizeof *b);
    emit(c, "?");
    return b;
}

static void bind_value(compiler *c, const cJSON *v) {
    filter_bind *b = new_bind(c);
    if (!b) return;
    if (cJSON_IsString(v)) {
        b->type = SQLITE_TEXT;
        b->s = v->valuestring;
    } else if (cJSON_IsBool(v)) {
        b->type = SQLITE_INTEGER;
        b->i = cJSON_IsTrue(v);
    } else {
        double d = v->valuedouble;
        if (d == floor(d) && fabs(d) < 9007199254740992.0) {
            b->type = SQLITE_INTEGER;
            b->i = (long long)d;
        } else {
            b->type = SQLITE_FLOAT;
            b->d = d;
        }
    }
}

__attribute__((format(printf, 3, 4))) static void fail(compiler *c, int code, const char *fmt, ...) {
    if (c->err) return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    c->err = error_set(code, "%s", msg);
}

static const char *type_name(const cJSON *v) {
    if (cJSON_IsNull(v)) return "null";
    if (cJSON_IsArray(v)) return "a list";
    if (cJSON_IsObject(v)) return "an object";
    return "this value";
}

static int is_scalar(const cJSON *v) { return cJSON_IsString(v) || cJSON_IsNumber(v) || cJSON_IsBool(v); }

/* One equality (or ordering, with `cmp` "<" ">" "<=" ">=") between the operand and a value. */
static void emit_compare(compiler *c, const operand *o, const char *cmp, const cJSON *v) {
    if (cJSON_IsBool(v)) {
        if (o->json) {
            emit(c, "(");
            emit(c, o->type);
            emit(c, cJSON_IsTrue(v) ? " = 'true')" : " = 'false')");
        } else if (o->kind == COL_BOOL) {
            emit(c, "(");
            emit(c, o->val);
            emit(c, " = ");
            bind_value(c, v);
            emit(c, ")");
        } else {
            emit(c, "0");
        }
        return;
    }
    int text = cJSON_IsString(v);
    if (!o->json && (o->kind == COL_BOOL || (o->kind == COL_TEXT) != text)) {
        emit(c, "0");
        return;
    }
    emit(c, "(");
    emit(c, o->type);
    emit(c, text ? " = 'text' AND " : " IN ('integer', 'real') AND ");
    emit(c, o->val);
    emit(c, " ");
    emit(c, cmp);
    emit(c, " ");
    bind_value(c, v);
    emit(c, ")");
}

/* The positive form of an operator: eq, in, gt, gte, lt, lte. */
static void emit_positive(compiler *c, const operand *o, const char *op, const cJSON *v) {
    if (!strcmp(op, "$in") || !strcmp(op, "$nin")) {
        if (!cJSON_IsArray(v)) { fail(c, NEEDLE_EINVAL, "filters: field '%s': %s needs a list of values", o->field, op); return; }
        if (!cJSON_GetArraySize(v)) { emit(c, "0"); return; }
        emit(c, "(");
        int first = 1;
        for (const cJSON *e = v->child; e; e = e->next) {
            if (!is_scalar(e)) {
                fail(c, NEEDLE_EINVAL, "filters: field '%s': %s holds %s; values are strings, numbers or booleans", o->field, op, type_name(e));
                return;
            }
            if (!first) emit(c, " OR ");
            first = 0;
            emit_compare(c, o, "=", e);
        }
        emit(c, ")");
        return;
    }
    if (!is_scalar(v)) {
        fail(c, NEEDLE_EINVAL, "filters: field '%s': the value is %s; use a string, a number or a boolean", o->field, type_name(v));
        return;
    }
    const char *cmp = !strcmp(op, "$eq") || !strcmp(op, "$ne") ? "=" : !strcmp(op, "$gt") ? ">" : !strcmp(op, "$gte") ? ">="
                    : !strcmp(op, "$lt") ? "<" : "<=";
    if (cmp[0] != '=' && cJSON_IsBool(v)) {
        fail(c, NEEDLE_EINVAL, "filters: field '%s': %s needs a number or a string", o->field, op);
        return;
    }
    emit_compare(c, o, cmp, v);
}

static int known_comparison(const char *op) {
    static const char *const ops[] = {"$eq", "$ne", "$in", "$nin", "$gt", "$gte", "$lt", "$lte", NULL};
    for (int i = 0; ops[i]; i++)
        if (!strcmp(op, ops[i])) return 1;
    return 0;
}

static void emit_comparison(compiler *c, const char *field, const char *op, const cJSON *v) {
    if (!known_comparison(op)) {
        fail(c, NEEDLE_EINVAL, "filters: unknown operator '%s' (field '%s'); expected $eq $ne $in $nin $gt $gte $lt $lte", op, field);
        return;
    }
    int negated = !strcmp(op, "$ne") || !strcmp(op, "$nin");
    const column *cols = c->target == FILTER_DOCUMENTS ? DOC_COLUMNS : LABEL_COLUMNS;
    for (const column *col = cols; col->name; col++) {
        if (strcmp(col->name, field)) continue;
        char type[64];
        snprintf(type, sizeof type, "typeof(%s)", col->expr);
        operand o = {field, col->expr, type, 0, col->kind};
        emit(c, negated ? "NOT COALESCE(" : "COALESCE(");
        emit_positive(c, &o, op, v);
        emit(c, ", 0)");
        return;
    }
    operand o = {field, "j.value", "j.type", 1, 0};
    emit(c, negated ? "NOT EXISTS (SELECT 1 FROM json_each(" : "EXISTS (SELECT 1 FROM json_each(");
    emit(c, c->target == FILTER_DOCUMENTS ? "d.meta, " : "l.meta, ");
    filter_bind *b = new_bind(c);
    if (!b) return;
    size_t n = strlen(field) + 8;
    b->type = SQLITE_TEXT;
    b->owned = malloc(n);
    if (!b->owned) { c->err = error_set(NEEDLE_ENOMEM, "out of memory compiling filters"); return; }
    snprintf(b->owned, n, "$.\"%s\"", field);
    b->s = b->owned;
    emit(c, ") j WHERE ");
    emit_positive(c, &o, op, v);
    emit(c, ")");
}

static void emit_field(compiler *c, const char *field, const cJSON *v) {
    if (!field[0]) { fail(c, NEEDLE_EINVAL, "filters: an empty field name"); return; }
    for (const char *p = field; *p; p++)
        if (*p == '"' || (unsigned char)*p < 0x20) {
            fail(c, NEEDLE_EINVAL, "filters: field '%s': names may not hold '\"' or control characters", field);
            return;
        }
    if (cJSON_IsArray(v)) { emit_comparison(c, field, "$in", v); return; }
    if (!cJSON_IsObject(v)) { emit_comparison(c, field, "$eq", v); return; }
    if (!v->child) { fail(c, NEEDLE_EINVAL, "filters: field '%s': no operator given", field); return; }
    emit(c, "(");
    for (const cJSON *e = v->child; e; e = e->next) {
        if (e != v->child) emit(c, " AND ");
        if (e->string[0] != '$') {
            fail(c, NEEDLE_EINVAL, "filters: field '%s': expected an operator such as $eq, got '%s'", field, e->string);
            return;
        }
        emit_comparison(c, field, e->string, e);
    }
    emit(c, ")");
}

static void emit_conditions(compiler *c, const cJSON *v, const char *join, int depth);

static void emit_condition(compiler *c, const char *key, const cJSON *v, int depth) {
    if (key[0] != '$') { emit_field(c, key, v); return; }
    if (!strcmp(key, "$and")) emit_conditions(c, v, " AND ", depth + 1);
    else if (!strcmp(key, "$or")) emit_conditions(c, v, " OR ", depth + 1);
    else if (!strcmp(key, "$not")) {
        emit(c, "NOT ");
        emit_conditions(c, v, " OR ", depth + 1);
    } else {
        fail(c, NEEDLE_EINVAL, "filters: unknown operator '%s'; expected a field name or $and $or $not", key);
    }
}

/* An object (each key one condition) or a list of objects, joined with `join`. */
static void emit_conditions(compiler *c, const cJSON *v, const char *join, int depth) {
    if (depth > 32) { fail(c, NEEDLE_EINVAL, "filters: nested more than 32 levels deep"); return; }
    if (!cJSON_IsObject(v) && !cJSON_IsArray(v)) {
        fail(c, NEEDLE_EINVAL, "filters: a logical operator needs an object or a list of objects, got %s", type_name(v));
        return;
    }
    int n = 0;
    emit(c, "(");
    const cJSON *items = cJSON_IsObject(v) ? v : v->child;
    for (const cJSON *item = items; item && !c->err; item = cJSON_IsObject(v) ? NULL : item->next) {
        if (!cJSON_IsObject(item)) { fail(c, NEEDLE_EINVAL, "filters: a list of conditions holds %s, not an object", type_name(item)); return; }
        for (const cJSON *e = item->child; e && !c->err; e = e->next) {
            if (n++) emit(c, join);
            emit_condition(c, e->string, e, depth);
        }
    }
    if (!n) emit(c, strcmp(join, " OR ") ? "1" : "0");
    emit(c, ")");
}

int filter_compile(const char *filters, filter_target target, filter_sql *out) {
    memset(out, 0, sizeof *out);
    strbuf_init(&out->sql);
    compiler c = {out, target, 0};
    const char *p = filters;
    while (p && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')) p++;
    if (!p || !*p) {
        emit(&c, "1");
        return c.err;
    }
    cJSON *json;
    int rc = json_parse(filters, strlen(filters), "filters", &json);
    if (rc) return rc;
    out->json = json;
    emit_conditions(&c, json, " AND ", 0);
    if (c.err) filter_sql_free(out);
    return c.err;
}

int filter_bind_values(const filter_sql *f, sqlite3_stmt *st, int first) {
    for (int i = 0; i < f->nbinds; i++) {
        const filter_bind *b = &f->binds[i];
        int rc = b->type == SQLITE_TEXT      ? sqlite3_bind_text(st, first + i, b->s, -1, SQLITE_TRANSIENT)
                 : b->type == SQLITE_INTEGER ? sqlite3_bind_int64(st, first + i, b->i)
                                             : sqlite3_bind_double(st, first + i, b->d);
        if (rc != SQLITE_OK) return error_set(NEEDLE_EINVAL, "filters: cannot bind value %d (%s)", i + 1, sqlite3_errstr(rc));
    }
    return 0;
}

void filter_sql_free(filter_sql *f) {
    for (int i = 0; i < f->nbinds; i++) free(f->binds[i].owned);
    free(f->binds);
    strbuf_free(&f->sql);
    cJSON_Delete(f->json);
    memset(f, 0, sizeof *f);
}

int docstore_filters_check(const char *filters) {
    filter_sql f;
    int rc = filter_compile(filters, FILTER_DOCUMENTS, &f);
    if (!rc) filter_sql_free(&f);
    return rc;
}
