/* search_store.h — BM25 over the document store: build the index from every stored document
 * and search it with metadata filters.
 *
 * The index lives next to the store (FILE.bm25) and names documents by their store id. It
 * has one field, "contents": the title from the metadata (when there is one), a space, and the
 * content — Anserini's flat BEIR convention. Filters are evaluated by the store and handed to
 * the BM25 search as the set of allowed documents, so top-k is exact under filters. */
#ifndef NEEDLE_SEARCH_STORE_H
#define NEEDLE_SEARCH_STORE_H

#include <stddef.h>

#include "needle/bm25.h"
#include "needle/docstore.h"

/* "<store>.bm25" (malloc'ed). */
char *search_store_bm25_path(const char *store);

/* Index every document of the store (in seq order), written atomically to `path`. Runs
 * inside the caller's transaction if one is open, so it sees the documents being added. */
int search_store_build_bm25(docstore *ds, const char *path);

typedef struct {
    float score;
    docstore_record doc; /* owned: docstore_record_free, or search_hits_free */
} search_hit;

/* The best k documents for `query` among those matching `filters` (NULL: all), best first.
 * Hits whose document left the store since the index was built are skipped. `hits` holds k. */
int search_store_bm25(docstore *ds, const bm25_index *ix, const char *query, size_t k, const char *filters,
                      const bm25_query_opts *opts, search_hit *hits, size_t *n);
/* The same with the caller's searcher over `ix` (a pool of them serves concurrent queries). */
int search_store_bm25_with(docstore *ds, const bm25_index *ix, bm25_searcher *s, const char *query, size_t k,
                           const char *filters, const bm25_query_opts *opts, search_hit *hits, size_t *n);
void search_hits_free(search_hit *hits, size_t n);

#endif
