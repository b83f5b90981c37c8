/* search_dense.h — dense search of a document store: a retriever's query encoder embeds the
 * question and the store's embeddings of that retriever (filled by `needle retriever embed`)
 * are searched exactly, as `needle query --dense` does and the pipeline can.
 *
 * The embeddings are loaded by the caller with docstore_embeddings_load — with the query's
 * metadata filters, so the top k is exact under the filters — and may be kept across queries.
 * The similarity is the retriever's (cosine or dot). */
#ifndef NEEDLE_SEARCH_DENSE_H
#define NEEDLE_SEARCH_DENSE_H

#include <stddef.h>

#include "needle/biencoder.h"
#include "needle/docstore.h"
#include "needle/search_store.h"

/* The best k documents of `e` for `query`, best first, read back from the store (documents
 * deleted since they were loaded are skipped). `hits` holds k. */
int search_store_dense(docstore *ds, biencoder *b, const docstore_embeddings *e, const char *query, size_t k,
                       search_hit *hits, size_t *n);

#endif
