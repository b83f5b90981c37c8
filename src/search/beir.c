/* beir.c — BEIR corpus and query readers (see beir.h). JSON lines are read one at a time
 * with getline and parsed with cJSON, so a corpus of any size streams in bounded memory,
 * and every error names the file and the line. */
#include "needle/beir.h"
#include "needle/error.h"
#include "needle/json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The id field as a string: a JSON string, or an integer printed in decimal. */
static int get_id(const cJSON *obj, const char *origin, char *buf, size_t cap, const char **id) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, "_id");
    if (cJSON_IsString(v) && v->valuestring[0]) {
        *id = v->valuestring;
        return 0;
    }
    if (cJSON_IsNumber(v) && v->valuedouble == (double)(long long)v->valuedouble) {
        snprintf(buf, cap, "%lld", (long long)v->valuedouble);
        *id = buf;
        return 0;
    }
    return error_set(NEEDLE_EFORMAT, "%s: field \"_id\" should be a non-empty string or an integer", origin);
}

typedef int (*line_fn)(void *ctx, const cJSON *obj, const char *origin);

/* Parse each non-blank line of a JSON-lines file as an object and hand it to fn. */
static int jsonl_each(const char *path, line_fn fn, void *ctx) {
    FILE *fp = fopen(path, "rb");
    if (!fp) return error_errno(errno == ENOENT ? NEEDLE_ENOTFOUND : NEEDLE_EIO, "%s: cannot open", path);
    char *line = NULL, origin[512];
    size_t cap = 0, line_no = 0;
    ssize_t n;
    int rc = 0;
    while (!rc && (n = getline(&line, &cap, fp)) >= 0) {
        line_no++;
        size_t len = (size_t)n;
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t')) len--;
        if (!len) continue;
        snprintf(origin, sizeof origin, "%s, line %zu", path, line_no);
        cJSON *obj;
        rc = json_parse(line, len, origin, &obj);
        if (rc) break;
        if (!cJSON_IsObject(obj)) rc = error_set(NEEDLE_EFORMAT, "%s: expected a JSON object", origin);
        else rc = fn(ctx, obj, origin);
        cJSON_Delete(obj);
    }
    if (!rc && ferror(fp)) rc = error_errno(NEEDLE_EIO, "%s: read failed", path);
    free(line);
    fclose(fp);
    return rc;
}

typedef struct {
    beir_doc_fn fn;
    void *ctx;
} corpus_ctx;

static int corpus_line(void *ctx, const cJSON *obj, const char *origin) {
    corpus_ctx *c = ctx;
    char buf[32];
    const char *id = NULL, *title = NULL, *text = NULL;
    int rc = get_id(obj, origin, buf, sizeof buf, &id);
    if (!rc) rc = json_opt_string(obj, "title", origin, "", &title);
    if (!rc) rc = json_get_string(obj, "text", origin, &text);
    if (rc) return rc;
    rc = c->fn(c->ctx, id, title, text);
    return rc ? error_prefix(rc, "%s: ", origin) : 0;
}

int beir_corpus_read(const char *path, beir_doc_fn fn, void *ctx) {
    corpus_ctx c = {fn, ctx};
    return jsonl_each(path, corpus_line, &c);
}

typedef struct {
    beir_query *q;
    size_t n, cap;
} queries_ctx;

static int query_line(void *ctx, const cJSON *obj, const char *origin) {
    queries_ctx *c = ctx;
    char buf[32];
    const char *id = NULL, *text = NULL;
    int rc = get_id(obj, origin, buf, sizeof buf, &id);
    if (!rc) rc = json_get_string(obj, "text", origin, &text);
    if (rc) return rc;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 256;
        beir_query *q = realloc(c->q, cap * sizeof *q);
        if (!q) return error_set(NEEDLE_ENOMEM, "%s: out of memory", origin);
        c->q = q;
        c->cap = cap;
    }
    beir_query *q = &c->q[c->n];
    q->id = strdup(id);
    q->text = strdup(text);
    if (!q->id || !q->text) {
        free(q->id);
        free(q->text);
        return error_set(NEEDLE_ENOMEM, "%s: out of memory", origin);
    }
    c->n++;
    return 0;
}

int beir_queries_read(const char *path, beir_query **queries, size_t *n) {
    queries_ctx c = {0};
    int rc = jsonl_each(path, query_line, &c);
    if (rc) {
        beir_queries_free(c.q, c.n);
        *queries = NULL;
        *n = 0;
        return rc;
    }
    *queries = c.q;
    *n = c.n;
    return 0;
}

void beir_queries_free(beir_query *queries, size_t n) {
    for (size_t i = 0; i < n; i++) {
        free(queries[i].id);
        free(queries[i].text);
    }
    free(queries);
}
