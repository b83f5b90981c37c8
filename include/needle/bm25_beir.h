/* bm25_beir.h — BM25 over a BEIR data set, the way Anserini's BEIR regressions run it:
 * index corpus.jsonl either "flat" (one field "contents" = title + " " + text) or
 * "multifield" (fields "title" and "contents", each with its own statistics, scores summed),
 * then search each query and write a TREC run (Anserini's -removeQuery drops a document
 * whose id equals the query's id from that query's results). */
#ifndef NEEDLE_BM25_BEIR_H
#define NEEDLE_BM25_BEIR_H

#include <stddef.h>

#include "needle/beir.h"
#include "needle/bm25.h"
#include "needle/strbuf.h"
#include "needle/trec.h"

/* Build and atomically write the index of a BEIR corpus; shows progress. */
int bm25_beir_index(const char *corpus_path, int multifield, const char *index_path, size_t *n_docs);

/* Search each query (only those present in `only`, when not NULL) for its top k and append
 * the results to `run` in TREC form, tagged `tag`. */
int bm25_beir_run(const bm25_index *ix, const beir_query *queries, size_t n_queries, const trec_qrels *only, size_t k,
                  const bm25_query_opts *opts, int remove_query, const char *tag, strbuf *run);

#endif
