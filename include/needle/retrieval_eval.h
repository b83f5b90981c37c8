/* retrieval_eval.h — dense retrieval over a whole corpus and its evaluation: embed every
 * passage with the passage encoder, every query with the query encoder, search exactly
 * (every query against every passage, vector_exact_search), and score the ranking with
 * trec_eval's measures (trec.h).
 *
 * This is the retriever's evaluation during training (the trainer's eval hook: early
 * stopping and best-model selection on it), after training (`needle retriever eval
 * --model`), and the dense half of hybrid evaluation and of dense hard-negative mining.
 *
 * Metrics (a JSON object of numbers): every measure of trec.h (map, recip_rank, P_5, P_10,
 * recall_10, recall_100, recall_1000, ndcg_cut_10, ndcg_cut_100) over the run of the top
 * `top_k` passages per query, plus mrr_10 (trec_eval's recip_rank over the top 10 only) and
 * num_q. As in BEIR's EvaluateRetrieval and Anserini's -removeQuery, a passage whose id
 * equals the query's id is dropped from that query's results. */
#ifndef NEEDLE_RETRIEVAL_EVAL_H
#define NEEDLE_RETRIEVAL_EVAL_H

#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "needle/beir.h"
#include "needle/biencoder.h"
#include "needle/strtab.h"
#include "needle/trec.h"

/* ---------------------------------------------------------------- a corpus embedded */

typedef struct {
    strtab ids;        /* passage ids, row i = id i */
    size_t n;
    int dim;
    float *vectors;    /* [n, dim] */
} dense_corpus;

void dense_corpus_init(dense_corpus *dc);
void dense_corpus_free(dense_corpus *dc);
/* Embed a BEIR corpus.jsonl (streamed in blocks: only ids and vectors stay in memory). */
int dense_corpus_embed_beir(dense_corpus *dc, biencoder *b, const char *corpus, int batch);
/* Embed passages given in memory (titles may be NULL). */
int dense_corpus_embed(dense_corpus *dc, biencoder *b, size_t n, const char *const *ids, const char *const *titles,
                       const char *const *texts, int batch);

/* The best k passages for each of nq query texts: out_rows [nq, k] (row numbers of the
 * corpus, -1 past its end) and out_scores [nq, k], best first (ties to the lower row). The
 * similarity is the retriever's (cosine or dot; the scale does not change the order). */
int dense_search(biencoder *b, const dense_corpus *dc, size_t nq, const char *const *queries, int k, int batch,
                 int64_t *out_rows, float *out_scores);

/* ---------------------------------------------------------------- evaluation */

typedef struct {
    size_t top_k;      /* passages per query in the run (default 100) */
    int batch;         /* embedding batch (default 32) */
} retrieval_eval_opts;

void retrieval_eval_opts_default(retrieval_eval_opts *o);

typedef struct retrieval_eval retrieval_eval;

/* Read the queries (only those in the qrels are run) and the qrels; the corpus is streamed
 * at every evaluation. */
int retrieval_eval_open(retrieval_eval **out, const char *corpus, const char *queries, const char *qrels,
                        const retrieval_eval_opts *o);
void retrieval_eval_free(retrieval_eval *e);
const trec_qrels *retrieval_eval_qrels(const retrieval_eval *e);
/* Evaluate b: *metrics as above (caller frees); run (may be NULL, initialised by the
 * caller) receives the ranking. Leaves b's models with inference buffers. */
int retrieval_eval_run(retrieval_eval *e, biencoder *b, cJSON **metrics, trec_run *run);

/* MRR@10: trec_eval's recip_rank over each query's 10 best results (ranked as trec_eval
 * ranks: score descending, then docno descending). */
int retrieval_mrr_at_10(const trec_qrels *qrels, const trec_run *run, double *mrr);
/* The metrics object of any run against qrels (used for BM25 and hybrid runs too). */
int retrieval_metrics(const trec_qrels *qrels, const trec_run *run, cJSON **metrics);

#endif
