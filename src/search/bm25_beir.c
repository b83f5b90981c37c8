/* bm25_beir.c — BM25 on BEIR data (see bm25_beir.h): corpus streaming into the builder,
 * and the query loop that produces a TREC run with Anserini's conventions (top k hits,
 * then -removeQuery filtering, ranks 1.., scores printed with 6 decimals). */
#include "needle/bm25_beir.h"
#include "needle/error.h"
#include "needle/progress.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    bm25_builder *b;
    int multifield;
    strbuf flat;
    progress p;
} index_ctx;

static int add_doc(void *ctx, const char *id, const char *title, const char *text) {
    index_ctx *c = ctx;
    int rc;
    if (c->multifield) {
        const char *fields[2] = {title, text};
        rc = bm25_builder_add(c->b, id, fields);
    } else {
        strbuf_clear(&c->flat);
        rc = strbuf_puts(&c->flat, title);
        if (!rc) rc = strbuf_putc(&c->flat, ' ');
        if (!rc) rc = strbuf_puts(&c->flat, text);
        const char *fields[1] = {c->flat.data};
        if (!rc) rc = bm25_builder_add(c->b, id, fields);
    }
    size_t n = bm25_builder_num_docs(c->b);
    if (n % 1000 == 0) progress_update(&c->p, n, NULL);
    return rc;
}

int bm25_beir_index(const char *corpus_path, int multifield, const char *index_path, size_t *n_docs) {
    static const char *const flat_fields[1] = {"contents"}, *const multi_fields[2] = {"title", "contents"};
    index_ctx c = {0};
    c.multifield = multifield;
    strbuf_init(&c.flat);
    int rc = bm25_builder_new(&c.b, multifield ? 2 : 1, multifield ? multi_fields : flat_fields);
    if (rc) return rc;
    progress_start(&c.p, "indexing", 0);
    rc = beir_corpus_read(corpus_path, add_doc, &c);
    if (!rc) {
        progress_finish(&c.p, NULL);
        *n_docs = bm25_builder_num_docs(c.b);
        rc = bm25_builder_write(c.b, index_path);
    }
    bm25_builder_free(c.b);
    strbuf_free(&c.flat);
    return rc;
}

int bm25_beir_run(const bm25_index *ix, const beir_query *queries, size_t n_queries, const trec_qrels *only, size_t k,
                  const bm25_query_opts *opts, int remove_query, const char *tag, strbuf *run) {
    bm25_searcher *s;
    int rc = bm25_searcher_new(&s, ix);
    if (rc) return rc;
    bm25_hit *hits = malloc(k * sizeof *hits + 1);
    if (!hits) {
        bm25_searcher_free(s);
        return error_set(NEEDLE_ENOMEM, "bm25: out of memory for %zu hits", k);
    }
    progress p;
    progress_start(&p, "searching", n_queries);
    for (size_t q = 0; q < n_queries && !rc; q++) {
        uint32_t id;
        if (only && !strtab_find(&only->qids, queries[q].id, strlen(queries[q].id), &id)) continue;
        size_t n;
        rc = bm25_search(s, queries[q].text, k, opts, hits, &n);
        if (rc) {
            error_prefix(rc, "query %s: ", queries[q].id);
            break;
        }
        int rank = 1;
        for (size_t i = 0; i < n && !rc; i++) {
            const char *doc = bm25_index_doc_id(ix, hits[i].doc);
            if (remove_query && !strcmp(doc, queries[q].id)) continue;
            rc = trec_run_format_line(run, queries[q].id, doc, rank++, hits[i].score, tag);
        }
        progress_update(&p, q + 1, NULL);
    }
    progress_finish(&p, NULL);
    free(hits);
    bm25_searcher_free(s);
    return rc;
}
