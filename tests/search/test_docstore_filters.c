/* test_docstore_filters.c — the filter compiler: Haystack 1.x's documented examples by hand,
 * errors that name the bad operator, and a differential test — random metadata and random
 * nested filters, evaluated by SQLite through the compiler and by a brute-force evaluator
 * written here over cJSON, independently of the SQL, which must select the same documents. */
#include "../test.h"
#include "needle/docstore.h"
#include "needle/file.h"
#include "needle/rng.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>

/* ------------------------------------------------------------------ brute force reference */

static int number_or_string(const cJSON *v) { return cJSON_IsNumber(v) ? 1 : cJSON_IsString(v) ? 2 : 0; }

/* -2: not comparable; else -1, 0, 1. */
static int compare(const cJSON *a, const cJSON *b) {
    if (cJSON_IsBool(a) || cJSON_IsBool(b)) {
        if (!cJSON_IsBool(a) || !cJSON_IsBool(b)) return -2;
        return cJSON_IsTrue(a) == cJSON_IsTrue(b) ? 0 : -2;
    }
    int ka = number_or_string(a), kb = number_or_string(b);
    if (!ka || ka != kb) return -2;
    if (ka == 1) return a->valuedouble < b->valuedouble ? -1 : a->valuedouble > b->valuedouble;
    int c = strcmp(a->valuestring, b->valuestring);
    return c < 0 ? -1 : c > 0;
}

static int holds(const cJSON *x, const char *op, const cJSON *val) {
    if (!strcmp(op, "$in")) {
        for (const cJSON *e = val->child; e; e = e->next)
            if (compare(x, e) == 0) return 1;
        return 0;
    }
    int c = compare(x, val);
    if (c == -2) return 0;
    if (!strcmp(op, "$eq")) return c == 0;
    if (!strcmp(op, "$gt")) return c > 0;
    if (!strcmp(op, "$gte")) return c >= 0;
    if (!strcmp(op, "$lt")) return c < 0;
    return c <= 0; /* $lte */
}

/* Any value of the field (a list's elements, or the scalar) satisfies the positive operator. */
static int any_value(const cJSON *meta, const char *field, const char *op, const cJSON *val) {
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(meta, field);
    if (!f) return 0;
    if (cJSON_IsArray(f)) {
        for (const cJSON *e = f->child; e; e = e->next)
            if (holds(e, op, val)) return 1;
        return 0;
    }
    return holds(f, op, val);
}

static int eval_op(const cJSON *meta, const char *field, const char *op, const cJSON *val) {
    if (!strcmp(op, "$ne")) return !any_value(meta, field, "$eq", val);
    if (!strcmp(op, "$nin")) return !any_value(meta, field, "$in", val);
    return any_value(meta, field, op, val);
}

static int eval_list(const cJSON *meta, const cJSON *v, int or);

static int eval_key(const cJSON *meta, const cJSON *e) {
    const char *k = e->string;
    if (!strcmp(k, "$and")) return eval_list(meta, e, 0);
    if (!strcmp(k, "$or")) return eval_list(meta, e, 1);
    if (!strcmp(k, "$not")) return !eval_list(meta, e, 1);
    if (cJSON_IsArray(e)) return eval_op(meta, k, "$in", e);
    if (!cJSON_IsObject(e)) return eval_op(meta, k, "$eq", e);
    for (const cJSON *o = e->child; o; o = o->next)
        if (!eval_op(meta, k, o->string, o)) return 0;
    return 1;
}

static int eval_list(const cJSON *meta, const cJSON *v, int or) {
    int any = 0, all = 1;
    const cJSON *items = cJSON_IsObject(v) ? v : v->child;
    for (const cJSON *item = items; item; item = cJSON_IsObject(v) ? NULL : item->next)
        for (const cJSON *e = item->child; e; e = e->next) {
            int r = eval_key(meta, e);
            any |= r;
            all &= r;
        }
    return or ? any : all;
}

/* ------------------------------------------------------------------ random data */

static const char *const GENRES[] = {"economy", "politics", "sport", "science"};
static const char *const TAGS[] = {"a", "b", "c", "d", "e"};
static const char *const FIELDS[] = {"year", "score", "genre", "tags", "flag", "name"};

static cJSON *random_scalar(rng *r, int field) {
    switch (field < 0 ? (int)rng_below(r, 6) : field) {
    case 0: return rng_below(r, 8) ? cJSON_CreateNumber(1990 + (double)rng_below(r, 31)) : cJSON_CreateString("2005");
    case 1: return cJSON_CreateNumber((double)rng_below(r, 100) / 10.0);
    case 2: return cJSON_CreateString(GENRES[rng_below(r, 4)]);
    case 3: return cJSON_CreateString(TAGS[rng_below(r, 5)]);
    case 4: return cJSON_CreateBool(rng_below(r, 2));
    default: return cJSON_CreateString(rng_below(r, 2) ? "Ann" : "Bob");
    }
}

static cJSON *random_meta(rng *r) {
    cJSON *m = cJSON_CreateObject();
    for (int f = 0; f < 6; f++) {
        if (rng_below(r, 5) == 0) continue; /* missing */
        if (f == 3) {
            cJSON *tags = cJSON_CreateArray();
            int n = (int)rng_below(r, 4);
            for (int i = 0; i < n; i++) cJSON_AddItemToArray(tags, random_scalar(r, 3));
            cJSON_AddItemToObject(m, FIELDS[f], tags);
        } else {
            cJSON_AddItemToObject(m, FIELDS[f], random_scalar(r, f));
        }
    }
    return m;
}

static cJSON *random_value_for(rng *r, int f) {
    /* mostly the field's own type, sometimes another (typed comparisons must then fail) */
    return random_scalar(r, rng_below(r, 5) ? f : -1);
}

static cJSON *random_field_clause(rng *r, int f) {
    static const char *const OPS[] = {"$eq", "$ne", "$in", "$nin", "$gt", "$gte", "$lt", "$lte"};
    int kind = (int)rng_below(r, 10);
    if (kind < 3) return random_value_for(r, f);
    if (kind < 5) {
        cJSON *l = cJSON_CreateArray();
        int n = (int)rng_below(r, 4);
        for (int i = 0; i < n; i++) cJSON_AddItemToArray(l, random_value_for(r, f));
        return l;
    }
    cJSON *o = cJSON_CreateObject();
    int nops = 1 + (int)rng_below(r, 2), used = 0;
    for (int i = 0; i < nops; i++) {
        int k = (int)rng_below(r, 8);
        if (used & (1 << k)) continue;
        used |= 1 << k;
        cJSON *v;
        if (k == 2 || k == 3) {
            v = cJSON_CreateArray();
            int n = (int)rng_below(r, 4);
            for (int j = 0; j < n; j++) cJSON_AddItemToArray(v, random_value_for(r, f));
        } else if (k >= 4) {
            v = (f == 4 || f == 3) ? cJSON_CreateString(TAGS[rng_below(r, 5)]) : random_scalar(r, f);
        } else {
            v = random_value_for(r, f);
        }
        cJSON_AddItemToObject(o, OPS[k], v);
    }
    return o;
}

static cJSON *random_clause(rng *r, int depth) {
    cJSON *o = cJSON_CreateObject();
    int n = 1 + (int)rng_below(r, 3), used = 0;
    for (int i = 0; i < n; i++) {
        if (depth < 3 && rng_below(r, 10) < 3) {
            static const char *const LOGIC[] = {"$and", "$or", "$not"};
            int k = (int)rng_below(r, 3);
            if (used & (64 << k)) continue;
            used |= 64 << k;
            cJSON *v;
            if (rng_below(r, 2)) {
                v = random_clause(r, depth + 1);
            } else {
                v = cJSON_CreateArray();
                int m = 1 + (int)rng_below(r, 3);
                for (int j = 0; j < m; j++) cJSON_AddItemToArray(v, random_clause(r, depth + 1));
            }
            cJSON_AddItemToObject(o, LOGIC[k], v);
        } else {
            int f = (int)rng_below(r, 6);
            if (used & (1 << f)) continue;
            used |= 1 << f;
            cJSON_AddItemToObject(o, FIELDS[f], random_field_clause(r, f));
        }
    }
    return o;
}

TEST(filters_differential_against_brute_force) {
    char *path = path_join(test_tmpdir(), "filters.db");
    docstore *ds;
    CHECK_OK(docstore_open(&ds, path, DOCSTORE_CREATE));
    enum { NDOCS = 300, NFILTERS = 400 };
    rng r;
    rng_seed(&r, 42);
    cJSON *metas[NDOCS];
    char *meta_text[NDOCS], ids[NDOCS][16];
    docstore_doc docs[NDOCS];
    for (int i = 0; i < NDOCS; i++) {
        metas[i] = random_meta(&r);
        meta_text[i] = cJSON_PrintUnformatted(metas[i]);
        snprintf(ids[i], sizeof ids[i], "doc%d", i);
        docstore_doc_init(&docs[i]);
        docs[i].id = ids[i];
        docs[i].content = "x";
        docs[i].meta_json = meta_text[i];
    }
    CHECK_OK(docstore_add(ds, docs, NDOCS, DOCSTORE_DUP_FAIL, NULL));
    int nonempty = 0, notall = 0;
    for (int k = 0; k < NFILTERS; k++) {
        cJSON *f = random_clause(&r, 0);
        char *text = cJSON_PrintUnformatted(f);
        long long *seqs;
        size_t n;
        int rc = docstore_filter_seqs(ds, text, &seqs, &n);
        if (rc) { test_fail(__FILE__, __LINE__, "%s: %s", text, error_message()); goto next; }
        size_t j = 0;
        int expected_n = 0;
        for (int i = 0; i < NDOCS; i++) {
            int want = eval_list(metas[i], f, 0);
            int got = j < n && seqs[j] == i + 1;
            j += got;
            expected_n += want;
            if (want != got) {
                test_fail(__FILE__, __LINE__, "filter %s on %s: SQL says %d, brute force %d", text, meta_text[i], got, want);
                break;
            }
        }
        nonempty += expected_n > 0;
        notall += expected_n < NDOCS;
        free(seqs);
    next:
        free(text);
        cJSON_Delete(f);
    }
    /* the generator must exercise both outcomes, or the comparison proves little */
    CHECK(nonempty > NFILTERS / 4);
    CHECK(notall > NFILTERS / 4);
    for (int i = 0; i < NDOCS; i++) {
        cJSON_Delete(metas[i]);
        free(meta_text[i]);
    }
    docstore_close(ds);
    free(path);
}

/* ------------------------------------------------------------------ by hand */

static long long count(docstore *ds, const char *filters) {
    long long n = -1;
    CHECK_OK(docstore_count(ds, filters, &n));
    return n;
}

TEST(filters_haystack_examples) {
    char *path = path_join(test_tmpdir(), "filters_hand.db");
    docstore *ds;
    CHECK_OK(docstore_open(&ds, path, DOCSTORE_CREATE));
    const char *metas[] = {
        "{\"type\": \"article\", \"date\": \"2016-03-01\", \"rating\": 4, \"genre\": \"economy\", \"publisher\": \"ft\"}",
        "{\"type\": \"article\", \"date\": \"2022-01-01\", \"rating\": 5, \"genre\": \"politics\", \"publisher\": \"nytimes\"}",
        "{\"type\": \"article\", \"date\": \"2018-06-01\", \"rating\": 2, \"genre\": \"sport\", \"publisher\": \"nytimes\"}",
        "{\"type\": \"blog\", \"date\": \"2017-01-01\", \"rating\": 3, \"genre\": \"economy\"}",
        "{\"type\": \"article\", \"date\": \"2019-09-09\", \"rating\": 3, \"genre\": \"sport\", \"publisher\": \"nytimes\"}",
    };
    docstore_doc d[5];
    char ids[5][8];
    for (int i = 0; i < 5; i++) {
        docstore_doc_init(&d[i]);
        snprintf(ids[i], sizeof ids[i], "d%d", i);
        d[i].id = ids[i];
        d[i].content = "text";
        d[i].meta_json = metas[i];
    }
    CHECK_OK(docstore_add(ds, d, 5, DOCSTORE_DUP_FAIL, NULL));
    /* Haystack's docstring example, explicit and simplified forms: d0 (economy) and d4 (nytimes) */
    CHECK_INT(count(ds, "{\"$and\": {\"type\": {\"$eq\": \"article\"}, \"date\": {\"$gte\": \"2015-01-01\", \"$lt\": \"2021-01-01\"},"
                        " \"rating\": {\"$gte\": 3}, \"$or\": {\"genre\": {\"$in\": [\"economy\", \"politics\"]},"
                        " \"publisher\": {\"$eq\": \"nytimes\"}}}}"), 2);
    CHECK_INT(count(ds, "{\"type\": \"article\", \"date\": {\"$gte\": \"2015-01-01\", \"$lt\": \"2021-01-01\"}, \"rating\": {\"$gte\": 3},"
                        " \"$or\": {\"genre\": [\"economy\", \"politics\"], \"publisher\": \"nytimes\"}}"), 2);
    /* the list form repeats an operator on one level */
    CHECK_INT(count(ds, "{\"$or\": [{\"$and\": {\"type\": \"article\", \"date\": {\"$lt\": \"2017-01-01\"}}},"
                        " {\"$and\": {\"type\": \"blog\", \"date\": {\"$gte\": \"2017-01-01\"}}}]}"), 2);
    /* $not: none of its conditions holds */
    CHECK_INT(count(ds, "{\"$not\": {\"genre\": \"economy\", \"rating\": 5}}"), 2);
    /* $ne and $nin include documents without the field */
    CHECK_INT(count(ds, "{\"publisher\": {\"$ne\": \"nytimes\"}}"), 2);
    CHECK_INT(count(ds, "{\"publisher\": {\"$nin\": [\"ft\"]}}"), 4);
    CHECK_INT(count(ds, "{\"rating\": {\"$in\": []}}"), 0);
    CHECK_INT(count(ds, "{\"$or\": {}}"), 0);
    CHECK_INT(count(ds, "{}"), 5);
    CHECK_INT(count(ds, "  "), 5);
    /* typed: the string "3" is not the number 3 */
    CHECK_INT(count(ds, "{\"rating\": \"3\"}"), 0);
    CHECK_INT(count(ds, "{\"rating\": 3.0}"), 2);
    /* the document's own fields */
    CHECK_INT(count(ds, "{\"id\": [\"d1\", \"d3\"]}"), 2);
    CHECK_INT(count(ds, "{\"id\": {\"$gt\": \"d2\"}}"), 2);
    /* values that look like SQL stay values */
    CHECK_INT(count(ds, "{\"genre\": \"x' OR 1=1 --\"}"), 0);
    CHECK_INT(count(ds, "{\"genre') OR 1=1 --\": \"x\"}"), 0);
    docstore_close(ds);
    free(path);
}

TEST(filters_errors_name_the_problem) {
    CHECK_ERR(docstore_filters_check("{\"year\": {\"$like\": 3}}"), NEEDLE_EINVAL, "unknown operator '$like' (field 'year')");
    CHECK_ERR(docstore_filters_check("{\"$xor\": {\"a\": 1}}"), NEEDLE_EINVAL, "unknown operator '$xor'");
    CHECK_ERR(docstore_filters_check("{\"a\": {\"$in\": 3}}"), NEEDLE_EINVAL, "field 'a': $in needs a list");
    CHECK_ERR(docstore_filters_check("{\"a\": {\"$gt\": true}}"), NEEDLE_EINVAL, "$gt needs a number or a string");
    CHECK_ERR(docstore_filters_check("{\"a\": null}"), NEEDLE_EINVAL, "field 'a': the value is null");
    CHECK_ERR(docstore_filters_check("{\"a\": {\"b\": 1}}"), NEEDLE_EINVAL, "expected an operator such as $eq, got 'b'");
    CHECK_ERR(docstore_filters_check("{\"$and\": 5}"), NEEDLE_EINVAL, "needs an object or a list");
    CHECK_ERR(docstore_filters_check("{\"a\": [[1]]}"), NEEDLE_EINVAL, "$in holds a list");
    CHECK_ERR(docstore_filters_check("{\"a\": "), NEEDLE_EFORMAT, "filters: malformed JSON");
    CHECK_ERR(docstore_filters_check("{\"a\\\"b\": 1}"), NEEDLE_EINVAL, "may not hold");
    CHECK_OK(docstore_filters_check(NULL));
    CHECK_OK(docstore_filters_check("[{\"a\": 1}, {\"b\": {\"$lte\": 2}}]"));
}
