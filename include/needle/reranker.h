/* reranker.h — cross-encoder reranking: what the search pipeline's reranker node calls (score
 * and order a query's passages, as Haystack 1.x's SentenceTransformersRanker.predict does), and
 * the reranking of a whole first-stage run for evaluation (`needle reranker eval`, and the dev
 * evaluation of `needle reranker train`).
 *
 * A reranker owns a cross-encoder (an HF sequence-classification directory with 1 or 2 labels,
 * cross_encoder.h for the score) and its tokenizer; it scores in evaluation mode, batch pairs
 * per forward pass, the model's own threads on all cores. It holds activation buffers, so one
 * reranker serves one thread at a time (a server keeps one per worker, or a lock). */
#ifndef NEEDLE_RERANKER_H
#define NEEDLE_RERANKER_H

#include <stddef.h>

#include "needle/model.h"
#include "needle/pair_batch.h"
#include "needle/rerank_data.h"
#include "needle/tokenizer.h"
#include "needle/trec.h"

typedef struct {
    int batch_size;   /* pairs per forward pass */
    int max_len;      /* tokens per (query, passage) pair; capped by the model's positions */
} reranker_opts;

/* 32 pairs of at most 512 tokens (sentence-transformers' CrossEncoder defaults: batch 32,
 * the model's maximum length). */
reranker_opts reranker_defaults(void);

typedef struct reranker reranker;

/* Load the model in `dir` and the tokenizer in tokenizer_dir (NULL: dir). */
int reranker_load(reranker **out, const char *dir, const char *tokenizer_dir, const reranker_opts *o);
void reranker_free(reranker *r);
/* The model's labels (1 or 2): how its score becomes a probability (cross_encoder.h). */
int reranker_num_labels(const reranker *r);
/* Score passages[0..n) for the query: scores[i] (may be NULL) is passage i's score,
 * order[0..n) (may be NULL) the passage indices by descending score (ties: lower index first).
 * cross_encoder_probability(score) is the probability of relevance. */
int reranker_rank(reranker *r, const char *query, const char *const *passages, int n, float *scores, int *order);

/* Score every candidate pair of `cands` (rerank_set_from_run: each query's candidates
 * contiguous) with model m, pb->cap pairs per pass, and add them to `out` as a run with the
 * cross-encoder's scores. Shows progress. */
int rerank_run(model *m, const tokenizer *tk, pair_batch *pb, const rerank_set *cands, trec_run *out);

#endif
