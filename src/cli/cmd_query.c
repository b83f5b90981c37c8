/* cmd_query.c — `needle query`: search a document store with BM25, or densely with a fine-tuned
 * retriever over the embeddings `needle retriever embed` stored (--dense), with metadata
 * filters; printed as JSON (id, score, content, meta of each hit). */
#include "cli.h"
#include "needle/error.h"
#include "needle/json.h"
#include "needle/log.h"
#include "needle/search_dense.h"
#include "needle/search_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void write_hits(const char *query, const search_hit *hits, size_t n) {
    strbuf sb;
    strbuf_init(&sb);
    jsonw w;
    jsonw_init(&w, &sb);
    jsonw_object_begin(&w);
    jsonw_key(&w, "query");
    jsonw_string(&w, query);
    jsonw_key(&w, "documents");
    jsonw_array_begin(&w);
    for (size_t i = 0; i < n; i++) {
        const docstore_record *d = &hits[i].doc;
        jsonw_object_begin(&w);
        jsonw_key(&w, "id"); jsonw_string(&w, d->id);
        jsonw_key(&w, "score"); jsonw_double(&w, hits[i].score);
        jsonw_key(&w, "content"); jsonw_string(&w, d->content);
        jsonw_key(&w, "meta"); jsonw_raw(&w, d->meta_json);
        if (d->source_id) {
            jsonw_key(&w, "source_id"); jsonw_string(&w, d->source_id);
            jsonw_key(&w, "source_start"); jsonw_int(&w, d->source_start);
            jsonw_key(&w, "source_end"); jsonw_int(&w, d->source_end);
        }
        jsonw_object_end(&w);
    }
    jsonw_array_end(&w);
    jsonw_object_end(&w);
    if (!w.err) printf("%s\n", sb.data);
    strbuf_free(&sb);
}

/* Dense search with the retriever in `model` over its embeddings `name` in the store. */
static int query_dense(docstore *ds, const char *model, const char *name, const char *query, size_t k, const char *filters,
                       search_hit *hits, size_t *n) {
    biencoder b;
    docstore_embeddings e = {0};
    int rc = biencoder_open(&b, model, NULL, 0);
    if (rc) return rc;
    rc = docstore_embeddings_load(ds, name, filters, &e);
    if (rc == NEEDLE_ENOTFOUND)
        error_prefix(rc, "fill the store's embeddings first with `needle retriever embed --store %s --model %s --name %s`: ",
                     docstore_path(ds), model, name);
    if (!rc) rc = search_store_dense(ds, &b, &e, query, k, hits, n);
    docstore_embeddings_free(&e);
    biencoder_free(&b);
    tokenizer_thread_cleanup();
    return rc;
}

int cmd_query(int argc, char **argv) {
    const char *store = NULL, *filters = NULL, *dense = NULL, *name = NULL;
    int top_k = 10;
    const cli_opt opts[] = {
        {"store", OPT_STRING, &store, "the document store file (its BM25 index is FILE.bm25)", 1},
        {"top-k", OPT_INT, &top_k, "number of documents to return", 0},
        {"filters", OPT_STRING, &filters, "metadata filters, Haystack syntax, e.g. '{\"year\": {\"$gte\": 2020}}'", 0},
        {"dense", OPT_STRING, &dense, "search densely with this retriever (its embeddings filled by needle retriever embed)", 0},
        {"name", OPT_STRING, &name, "with --dense: the embeddings' name in the store (default: the model directory's name)", 0},
        {NULL, 0, NULL, NULL, 0}};
    const cli_spec spec = {"needle query --store FILE \"QUESTION\" [--top-k N] [--filters JSON] [--dense MODEL [--name NAME]]",
                           "Search the store's BM25 index (built by needle index) — or, with --dense, the embeddings of a "
                           "fine-tuned retriever (exact search) — for the best documents, restricted to those matching the "
                           "filters, and print them as JSON: id, score, content, meta.",
                           opts, 1, 1};
    char *pos[1];
    int npos, rc = cli_parse(&spec, argc, argv, pos, &npos);
    if (rc) return cli_parse_exit(rc);
    if (top_k < 1) {
        fprintf(stderr, "needle: error: --top-k must be at least 1\n");
        return 2;
    }
    docstore *ds = NULL;
    bm25_index *ix = NULL;
    search_hit *hits = calloc((size_t)top_k, sizeof *hits);
    size_t n = 0;
    char *bm25 = search_store_bm25_path(store), namebuf[256];
    long long count;
    if (!hits || !bm25) { rc = error_set(NEEDLE_ENOMEM, "out of memory"); goto done; }
    if (dense) {
        if (!(rc = docstore_open(&ds, store, DOCSTORE_READONLY)))
            rc = query_dense(ds, dense, name ? name : cli_retriever_name(dense, namebuf, sizeof namebuf), pos[0], (size_t)top_k,
                             filters, hits, &n);
        if (!rc) write_hits(pos[0], hits, n);
        goto done;
    }
    if ((rc = docstore_open(&ds, store, DOCSTORE_READONLY)) || (rc = bm25_index_open(&ix, bm25))) goto done;
    if ((rc = docstore_count(ds, NULL, &count))) goto done;
    if ((unsigned long long)count != bm25_index_num_docs(ix))
        log_warn("%s holds %lld documents but its BM25 index %u: rebuild it with `needle index --store %s`", store, count,
                 bm25_index_num_docs(ix), store);
    if ((rc = search_store_bm25(ds, ix, pos[0], (size_t)top_k, filters, NULL, hits, &n))) goto done;
    write_hits(pos[0], hits, n);
done:
    if (rc) rc = cli_fail();
    search_hits_free(hits, n);
    free(hits);
    free(bm25);
    bm25_index_close(ix);
    docstore_close(ds);
    return rc;
}
