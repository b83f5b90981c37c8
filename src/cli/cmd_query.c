/* cmd_query.c — `needle query`: BM25 search of a document store with metadata filters,
 * printed as JSON (id, score, content, meta of each hit). */
#include "cli.h"
#include "needle/error.h"
#include "needle/json.h"
#include "needle/log.h"
#include "needle/search_store.h"

#include <stdio.h>
#include <stdlib.h>

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

int cmd_query(int argc, char **argv) {
    const char *store = NULL, *filters = NULL;
    int top_k = 10;
    const cli_opt opts[] = {
        {"store", OPT_STRING, &store, "the document store file (its BM25 index is FILE.bm25)", 1},
        {"top-k", OPT_INT, &top_k, "number of documents to return", 0},
        {"filters", OPT_STRING, &filters, "metadata filters, Haystack syntax, e.g. '{\"year\": {\"$gte\": 2020}}'", 0},
        {NULL, 0, NULL, NULL, 0}};
    const cli_spec spec = {"needle query --store FILE \"QUESTION\" [--top-k N] [--filters JSON]",
                           "Search the store's BM25 index (built by needle index) for the best documents, restricted to those "
                           "matching the filters, and print them as JSON: id, score, content, meta.",
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
    char *bm25 = search_store_bm25_path(store);
    long long count;
    if (!hits || !bm25) { rc = error_set(NEEDLE_ENOMEM, "out of memory"); goto done; }
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
