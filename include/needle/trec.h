/* trec.h — relevance judgements (qrels), ranked runs, and trec_eval's measures.
 *
 * Qrels are read in TREC form ("qid iter docno rel", whitespace-separated) or BEIR's tsv
 * form ("query-id<TAB>corpus-id<TAB>score" after a header line); the form is detected from
 * the first line. Runs are read and written in TREC form ("qid Q0 docno rank score tag").
 *
 * The measures follow trec_eval 9.x (usnistgov/trec_eval) with -c:
 *  - a query's results are ranked by score, descending, ties by docno descending (strcmp);
 *    the rank column of the file is ignored; a document twice in one query is an error,
 *    as trec_eval refuses it;
 *  - relevant = judged rel >= 1; rel 0 is judged non-relevant; a negative rel counts as
 *    unjudged; documents absent from the qrels are non-relevant;
 *  - P_k divides by k even when fewer were retrieved; recall_k, map divide by the number of
 *    relevant documents (0 when there are none); recip_rank is 1/rank of the first relevant;
 *    ndcg_cut_k uses gain = rel, discount log2(rank + 1), ideal ranking from the qrels;
 *  - the mean is over every query in the qrels (trec_eval -c): queries without results
 *    count as 0 and so do queries whose judgements hold no relevant document; queries
 *    only in the run are ignored. */
#ifndef NEEDLE_TREC_H
#define NEEDLE_TREC_H

#include <stddef.h>

#include "needle/json.h"
#include "needle/strbuf.h"
#include "needle/strtab.h"

typedef struct {
    uint32_t doc; /* id in the qrels' doc table */
    int rel;
} trec_judgement;

typedef struct {
    trec_judgement *j; /* sorted by doc id once finished */
    size_t n, cap;
} trec_qrels_query;

typedef struct {
    strtab qids, docs;
    trec_qrels_query *q; /* [qid id] */
    size_t cap;
} trec_qrels;

typedef struct {
    uint32_t doc;        /* id in the run's doc table */
    double score;
} trec_result;

typedef struct {
    trec_result *r;
    size_t n, cap;
} trec_run_query;

typedef struct {
    strtab qids, docs;
    trec_run_query *q; /* [qid id] */
    size_t cap;
} trec_run;

int trec_qrels_read(const char *path, trec_qrels *qrels);
void trec_qrels_free(trec_qrels *qrels);
/* Add one judgement (for callers that build qrels in memory). `origin` names the source
 * in error messages. A document judged twice for a query is an error. */
int trec_qrels_add(trec_qrels *qrels, const char *qid, const char *docno, int rel, const char *origin);
/* Sort each query's judgements by docno and check for duplicates; the readers call it. */
int trec_qrels_finish(trec_qrels *qrels, const char *origin);

void trec_run_init(trec_run *run);
void trec_qrels_init(trec_qrels *qrels);
int trec_run_read(const char *path, trec_run *run);
/* Parse a run from memory; `origin` names it in errors. */
int trec_run_parse(const char *text, size_t len, const char *origin, trec_run *run);
int trec_run_add(trec_run *run, const char *qid, const char *docno, double score);
/* Query q's results (q an id of run->qids) in trec_eval's order — score descending, then
 * docno descending — as a malloc'ed copy of run->q[q].n results. */
int trec_run_ranked(const trec_run *run, uint32_t q, trec_result **out);
void trec_run_free(trec_run *run);
/* Append one result line in TREC form: "qid Q0 docno rank score tag\n", score with %.6f
 * as Anserini writes it. */
int trec_run_format_line(strbuf *out, const char *qid, const char *docno, int rank, double score, const char *tag);
/* Append the whole run in TREC form, each query's results in trec_eval's order with ranks from 1. */
int trec_run_format(const trec_run *run, const char *tag, strbuf *out);

/* The measures `needle eval trec` reports, in this order. */
enum {
    TREC_MAP, TREC_RECIP_RANK, TREC_P_5, TREC_P_10, TREC_RECALL_10, TREC_RECALL_100, TREC_RECALL_1000,
    TREC_NDCG_CUT_10, TREC_NDCG_CUT_100, TREC_N_MEASURES
};
extern const char *const trec_measure_names[TREC_N_MEASURES];

typedef struct {
    double value[TREC_N_MEASURES]; /* means over the qrels' queries */
    size_t num_q;                  /* queries averaged over */
    size_t num_ret, num_rel, num_rel_ret;
} trec_summary;

/* Sort results of `run` in place into trec_eval's ranking (score descending, ties by docno
 * descending): the order the measures, and a reranker, read a query's results in. */
void trec_run_rank(const trec_run *run, trec_result *results, size_t n);
/* Measures for one query: `results` (any order), `judged` that query's judgements (or
 * NULL when the qrels lack the query). */
int trec_eval_query(const trec_run *run, const trec_run_query *results, const trec_qrels *qrels,
                    const trec_qrels_query *judged, double value[TREC_N_MEASURES], size_t *num_rel_ret);
/* Evaluate a run against qrels. Fails when no query of the qrels has results. */
int trec_evaluate(const trec_qrels *qrels, const trec_run *run, trec_summary *out);
/* The summary's members ("map": ..., ..., "num_q": N, ...) into an object open in w, so
 * that callers can add their own members around them. */
void trec_summary_json(const trec_summary *s, jsonw *w);

#endif
