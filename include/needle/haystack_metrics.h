/* haystack_metrics.h — Haystack 1.x document-retrieval metrics for one query, as
 * EvaluationResult._build_document_metrics_df computes them (haystack/schema.py), so that
 * pipeline evaluations report the numbers Haystack users know:
 *   a retrieved document is relevant when its id is among the gold ids (duplicates in the
 *   retrieved list count each time, as Haystack's per-row sum does);
 *   num_relevants = number of distinct gold ids;
 *   recall_multi_hit  = relevant retrieved / num_relevants      (0 when no gold ids)
 *   recall_single_hit = 1 if any relevant was retrieved, else 0
 *   precision         = relevant retrieved / retrieved            (0 when none retrieved)
 *   mrr               = 1 / rank of the first relevant            (0 when none)
 *   map               = sum over relevant ranks r of (relevant within top r) / r,
 *                       divided by num_relevants                  (0 when no gold ids)
 *   ndcg              = sum over relevant ranks of 1/log2(r + 1), divided by
 *                       sum_{r=1..num_relevants} 1/log2(r + 1)    (0 when no gold ids)
 * The retrieved list is already cut to the retriever's top k. */
#ifndef NEEDLE_HAYSTACK_METRICS_H
#define NEEDLE_HAYSTACK_METRICS_H

#include <stddef.h>

typedef struct {
    double recall_single_hit, recall_multi_hit, precision, mrr, map, ndcg;
} haystack_doc_metrics;

/* Metrics of one query from `retrieved` ids (best first) and `gold` ids. Returns 0 or
 * NEEDLE_ENOMEM. */
int haystack_doc_metrics_compute(const char *const *retrieved, size_t n_retrieved, const char *const *gold,
                                 size_t n_gold, haystack_doc_metrics *out);

#endif
