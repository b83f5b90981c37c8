/* beir.c — BEIR corpus and query readers (see beir.h). JSON lines are read one at a time by
 * json_lines_read, so a corpus of any size streams in bounded memory, every error names the
 * file and the line, and integer ids keep all their digits. */
#include "needle/array.h"
#include "needle/beir.h"
#include "needle/error.h"
#include "needle/json.h"

#include <stdlib.h>
#include <string.h>

static const char *const ID_KEYS[] = {"_id", NULL};

/* "_id": a non-empty string or an integer (read exactly by json_lines_read). */
static int get_id(const cJSON *obj, const char *origin, const char **id) {
    int rc = json_opt_id(obj, "_id", origin, id);
    if (!rc && (!*id || !(*id)[0]))
        rc = error_set(NEEDLE_EFORMAT, "%s: field \"_id\" should be a non-empty string or an integer", origin);
    return rc;
}

typedef struct {
    beir_doc_fn fn;
    void *ctx;
} corpus_ctx;

static int corpus_line(void *ctx, const cJSON *obj, const char *origin) {
    corpus_ctx *c = ctx;
    const char *id = NULL, *title = NULL, *text = NULL;
    int rc = get_id(obj, origin, &id);
    if (!rc) rc = json_opt_string(obj, "title", origin, "", &title);
    if (!rc) rc = json_get_string(obj, "text", origin, &text);
    if (rc) return rc;
    rc = c->fn(c->ctx, id, title, text);
    return rc ? error_prefix(rc, "%s: ", origin) : 0;
}

int beir_corpus_read(const char *path, beir_doc_fn fn, void *ctx) {
    corpus_ctx c = {fn, ctx};
    return json_lines_read(path, ID_KEYS, corpus_line, &c);
}

typedef struct {
    beir_query *q;
    size_t n, cap;
} queries_ctx;

static int query_line(void *ctx, const cJSON *obj, const char *origin) {
    queries_ctx *c = ctx;
    const char *id = NULL, *text = NULL;
    int rc = get_id(obj, origin, &id);
    if (!rc) rc = json_get_string(obj, "text", origin, &text);
    if (rc) return rc;
    if ((rc = array_grow((void **)&c->q, &c->cap, c->n, sizeof *c->q))) return error_prefix(rc, "%s: ", origin);
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
    int rc = json_lines_read(path, ID_KEYS, query_line, &c);
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
