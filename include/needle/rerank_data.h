/* rerank_data.h — training data for cross-encoder rerankers: judged (query, passage) pairs,
 * and the examples a loss trains on.
 *
 * Sources:
 *  - a file of (query, passage, label) triples, as sentence-transformers' CrossEncoder trains
 *    on (InputExample(texts=[query, passage], label=...)): TSV "query<TAB>passage<TAB>label"
 *    (an optional header line whose label field reads "label") or JSON lines
 *    {"query": ..., "passage": ..., "label": ...}; labels in [0, 1] (1 relevant, 0 not;
 *    graded values allowed), a label > 0 makes the passage a positive;
 *  - a BEIR data set: the queries and documents of the qrels (rel >= 1: positives with label
 *    1), with negatives mined from a first-stage run (BM25 or dense, TREC form, e.g. written by
 *    `needle retriever eval --run-out`): each query's top `depth` results that its qrels do not
 *    judge relevant. A passage's text is title + " " + text, stripped (as BEIR's reranking
 *    code joins them).
 * Queries and passages are interned (by text in a triples file, by id in BEIR), so each text is
 * held once however many pairs use it; only the documents some pair uses are read.
 *
 * Examples (what the trainer shuffles and batches):
 *  - pointwise (binary cross-entropy): every judged pair, or with negatives = N > 0, each
 *    positive pair followed by N of its query's negatives drawn at random (seeded, fixed for the
 *    whole run; fewer when the query has fewer);
 *  - listwise (softmax cross-entropy over a group): for each positive, a group of the positive
 *    and N distinct negatives of its query drawn at random; a positive whose query has fewer
 *    than N negatives is left out (and counted). */
#ifndef NEEDLE_RERANK_DATA_H
#define NEEDLE_RERANK_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "needle/strtab.h"
#include "needle/trec.h"

typedef struct {
    uint32_t query, passage;
    float label;
} rerank_pair;

typedef struct {
    strtab qkeys, pkeys;       /* query and passage keys (texts, or BEIR ids) -> dense ids */
    char **qtext, **ptext;     /* [id] texts when the keys are ids (BEIR); NULL when the keys are the texts */
    size_t qcap, pcap;
    rerank_pair *pairs;        /* in input order */
    size_t n_pairs, cap;
} rerank_set;

void rerank_set_init(rerank_set *s);
/* The texts of query / passage id. */
const char *rerank_query_text(const rerank_set *s, uint32_t id);
const char *rerank_passage_text(const rerank_set *s, uint32_t id);
void rerank_set_free(rerank_set *s);
/* Read a triples file (.tsv, or JSON lines when the first non-blank character is '{').
 * Errors name the file and line. */
int rerank_set_read_triples(const char *path, rerank_set *s);
/* Build from BEIR files: qrels (already read), queries.jsonl, corpus.jsonl and, optionally, a
 * run whose top `depth` unjudged-relevant results per query become negatives (label 0). A
 * judged or retrieved document missing from the corpus, or a query missing from the queries
 * file, is an error naming it. */
int rerank_set_from_beir(const char *corpus, const char *queries, const trec_qrels *qrels, const trec_run *negatives,
                         int depth, rerank_set *s);

/* BEIR's passage text for a reranker: (title + " " + text) stripped, malloc'ed. */
int rerank_passage_join(const char *title, const char *text, char **out);

/* The candidates a reranker scores: for each query of the qrels that the run answers, its
 * top_k results (trec_eval's order) as pairs, in that order, with the texts of the BEIR files;
 * `top` (may be NULL) receives those results with their first-stage scores. */
int rerank_set_from_run(const char *corpus, const char *queries, const trec_qrels *qrels, const trec_run *run, int top_k,
                        rerank_set *s, trec_run *top);

typedef enum { RERANK_POINTWISE = 0, RERANK_LISTWISE = 1 } rerank_kind;

typedef struct {
    rerank_kind kind;
    int group;                 /* passages per example: 1 (pointwise) or 1 + N (listwise) */
    size_t n;                  /* examples */
    uint32_t *query;           /* [n] */
    uint32_t *passage;         /* [n * group]: listwise, the positive first */
    float *label;              /* [n * group] */
    size_t skipped;            /* listwise: positives without enough negatives */
} rerank_examples;

/* Examples of `kind` from the set with N = negatives (see above); `seed` draws the negatives. */
int rerank_examples_build(const rerank_set *s, rerank_kind kind, int negatives, uint64_t seed, rerank_examples *ex);
void rerank_examples_free(rerank_examples *ex);

#endif
