/* fusion.h — hybrid retrieval for evaluation: one ranking from the rankings of several
 * retrievers (BM25 and a dense retriever), query by query, on top of the pipeline's
 * JoinDocuments arithmetic (join_documents.h), so evaluation and pipelines fuse alike.
 *
 * Two methods, each over lists given best first:
 *   FUSION_RRF       reciprocal rank fusion (Cormack et al. 2009, k = 60): a document scores
 *                    Σ_lists 1 / (60 + rank), rank counted from 1 in each list that holds it
 *                    (Haystack 1.x's JoinDocuments: 1 / (61 + 0-based rank)); no weights;
 *   FUSION_WEIGHTED  weighted sum of normalised scores: each list's scores are min-max
 *                    normalised over that list, (s − min) / (max − min) (1 for every document
 *                    when max = min), then joined by JoinDocuments' merge: Σ_lists w_l × score,
 *                    weights divided by their sum, a document absent from a list getting 0
 *                    from it. BM25 scores are unbounded and dense ones are not on BM25's scale,
 *                    so raw scores cannot be added; min-max over each query's retrieved list
 *                    puts both on [0, 1].
 * Equal fused scores keep first-seen order (the first list top to bottom, then the next). */
#ifndef NEEDLE_FUSION_H
#define NEEDLE_FUSION_H

#include <stddef.h>

#include "needle/trec.h"

typedef enum { FUSION_RRF = 0, FUSION_WEIGHTED = 1 } fusion_method;

typedef struct {
    const char *id;
    double score;
} fusion_hit;

/* "rrf" or "weighted". */
int fusion_method_parse(const char *s, fusion_method *m);

/* Fuse n_lists ranked lists (lists[l] has lens[l] hits, best first; weights NULL = equal;
 * weighted fusion only) into out (room for k hits; ids point into the inputs), best first. */
int fusion_merge(fusion_method method, int n_lists, const fusion_hit *const *lists, const size_t *lens,
                 const double *weights, size_t k, fusion_hit *out, size_t *n_out);

/* Fuse whole runs query by query (each query's results ranked as trec_eval ranks them: score
 * descending, then docno descending); `out` (initialised by the caller) receives the top k of
 * every query present in any run. */
int fusion_runs(fusion_method method, int n_runs, const trec_run *const *runs, const double *weights, size_t k,
                trec_run *out);

#endif
