/* trec_metrics.c — trec_eval's measures (see trec.h for the rules), computed per query from
 * the ranked relevance list exactly as trec_eval's form_res_rels.c and m_*.c do, then
 * averaged over the queries of the qrels (trec_eval -c). */
#define _GNU_SOURCE /* qsort_r */
#include "needle/error.h"
#include "needle/json.h"
#include "needle/trec.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const trec_measure_names[TREC_N_MEASURES] = {
    "map", "recip_rank", "P_5", "P_10", "recall_10", "recall_100", "recall_1000", "ndcg_cut_10", "ndcg_cut_100",
};

/* trec_eval's comp_sim_docno: score descending, then docno descending. */
static int cmp_rank(const void *a, const void *b, void *run) {
    const trec_result *x = a, *y = b;
    const strtab *docs = &((const trec_run *)run)->docs;
    if (x->score > y->score) return -1;
    if (x->score < y->score) return 1;
    return strcmp(strtab_str(docs, y->doc), strtab_str(docs, x->doc));
}

void trec_run_rank(const trec_run *run, trec_result *results, size_t n) {
    qsort_r(results, n, sizeof *results, cmp_rank, (void *)run);
}

int trec_run_ranked(const trec_run *run, uint32_t q, trec_result **out) {
    size_t n = run->q[q].n;
    *out = malloc((n ? n : 1) * sizeof **out);
    if (!*out) return error_set(NEEDLE_ENOMEM, "trec: out of memory");
    memcpy(*out, run->q[q].r, n * sizeof **out);
    trec_run_rank(run, *out, n);
    return 0;
}

/* The judgement of a document (a string of the run) in a query's sorted judgements:
 * rel >= 0 judged, -2 in the qrels but negative (unjudged), -1 absent. */
static int relevance(const trec_qrels *qrels, const trec_qrels_query *judged, const char *docno) {
    uint32_t id;
    if (!judged || !strtab_find(&qrels->docs, docno, strlen(docno), &id)) return -1;
    size_t lo = 0, hi = judged->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (judged->j[mid].doc < id) lo = mid + 1;
        else hi = mid;
    }
    if (lo == judged->n || judged->j[lo].doc != id) return -1;
    return judged->j[lo].rel >= 0 ? judged->j[lo].rel : -2;
}

static int cmp_int_desc(const void *a, const void *b) { return *(const int *)b - *(const int *)a; }

/* Discounted cumulative gain of gains[0..n) cut at k: gain / log2(rank + 1), as
 * trec_eval 9.x's m_ndcg_cut.c (older releases discounted by log2(rank) from rank 2). */
static double dcg(const int *gains, size_t n, size_t k) {
    double sum = 0;
    for (size_t i = 0; i < n && i < k; i++)
        if (gains[i] > 0) sum += gains[i] / log2((double)(i + 2));
    return sum;
}

int trec_eval_query(const trec_run *run, const trec_run_query *results, const trec_qrels *qrels,
                    const trec_qrels_query *judged, double v[TREC_N_MEASURES], size_t *num_rel_ret) {
    memset(v, 0, TREC_N_MEASURES * sizeof *v);
    *num_rel_ret = 0;
    size_t n = results ? results->n : 0, num_rel = 0, n_ideal = 0;
    trec_result *ranked = malloc(n * sizeof *ranked + 1);
    int *gains = malloc(n * sizeof *gains + 1), *ideal = malloc((judged ? judged->n : 0) * sizeof *ideal + 1);
    if (!ranked || !gains || !ideal) {
        free(ranked);
        free(gains);
        free(ideal);
        return error_set(NEEDLE_ENOMEM, "trec: out of memory");
    }
    for (size_t i = 0; judged && i < judged->n; i++) {
        if (judged->j[i].rel >= 1) num_rel++;
        if (judged->j[i].rel > 0) ideal[n_ideal++] = judged->j[i].rel;
    }
    qsort(ideal, n_ideal, sizeof *ideal, cmp_int_desc);
    if (n) memcpy(ranked, results->r, n * sizeof *ranked);
    trec_run_rank(run, ranked, n);
    size_t rel_ret = 0;
    double ap = 0;
    for (size_t i = 0; i < n; i++) {
        int rel = relevance(qrels, judged, strtab_str(&run->docs, ranked[i].doc));
        gains[i] = rel;
        if (rel >= 1) {
            rel_ret++;
            ap += (double)rel_ret / (double)(i + 1);
            if (rel_ret == 1) v[TREC_RECIP_RANK] = 1.0 / (double)(i + 1);
        }
        if (i + 1 == 5) v[TREC_P_5] = rel_ret / 5.0;
        if (i + 1 == 10) v[TREC_P_10] = rel_ret / 10.0;
        if (i + 1 == 10) v[TREC_RECALL_10] = (double)rel_ret;
        if (i + 1 == 100) v[TREC_RECALL_100] = (double)rel_ret;
        if (i + 1 == 1000) v[TREC_RECALL_1000] = (double)rel_ret;
    }
    /* cutoffs beyond the number retrieved see every retrieved document */
    if (n < 5) v[TREC_P_5] = rel_ret / 5.0;
    if (n < 10) v[TREC_P_10] = rel_ret / 10.0;
    if (n < 10) v[TREC_RECALL_10] = (double)rel_ret;
    if (n < 100) v[TREC_RECALL_100] = (double)rel_ret;
    if (n < 1000) v[TREC_RECALL_1000] = (double)rel_ret;
    if (num_rel) {
        v[TREC_MAP] = ap / (double)num_rel;
        v[TREC_RECALL_10] /= (double)num_rel;
        v[TREC_RECALL_100] /= (double)num_rel;
        v[TREC_RECALL_1000] /= (double)num_rel;
    } else {
        v[TREC_RECALL_10] = v[TREC_RECALL_100] = v[TREC_RECALL_1000] = 0;
    }
    static const size_t cuts[2] = {10, 100};
    for (int c = 0; c < 2; c++) {
        double ideal_dcg = dcg(ideal, n_ideal, cuts[c]), got = dcg(gains, n, cuts[c]);
        v[c ? TREC_NDCG_CUT_100 : TREC_NDCG_CUT_10] = ideal_dcg > 0 ? got / ideal_dcg : got;
    }
    *num_rel_ret = rel_ret;
    free(ranked);
    free(gains);
    free(ideal);
    return 0;
}

int trec_evaluate(const trec_qrels *qrels, const trec_run *run, trec_summary *out) {
    memset(out, 0, sizeof *out);
    size_t with_results = 0;
    for (uint32_t qi = 0; qi < qrels->qids.count; qi++) {
        const char *qid = strtab_str(&qrels->qids, qi);
        uint32_t ri;
        const trec_run_query *results = strtab_find(&run->qids, qid, strlen(qid), &ri) ? &run->q[ri] : NULL;
        if (results && results->n) with_results++;
        double v[TREC_N_MEASURES];
        size_t rel_ret;
        int rc = trec_eval_query(run, results, qrels, &qrels->q[qi], v, &rel_ret);
        if (rc) return rc;
        for (int m = 0; m < TREC_N_MEASURES; m++) out->value[m] += v[m];
        out->num_ret += results ? results->n : 0;
        out->num_rel_ret += rel_ret;
        for (size_t j = 0; j < qrels->q[qi].n; j++) out->num_rel += qrels->q[qi].j[j].rel >= 1;
    }
    if (!with_results) return error_set(NEEDLE_EINVAL, "trec: no query of the qrels has results in the run");
    out->num_q = qrels->qids.count;
    for (int m = 0; m < TREC_N_MEASURES; m++) out->value[m] /= (double)out->num_q;
    return 0;
}

void trec_summary_json(const trec_summary *s, jsonw *w) {
    for (int m = 0; m < TREC_N_MEASURES; m++) {
        jsonw_key(w, trec_measure_names[m]);
        jsonw_double(w, s->value[m]);
    }
    jsonw_key(w, "num_q");
    jsonw_int(w, (long long)s->num_q);
    jsonw_key(w, "num_ret");
    jsonw_int(w, (long long)s->num_ret);
    jsonw_key(w, "num_rel");
    jsonw_int(w, (long long)s->num_rel);
    jsonw_key(w, "num_rel_ret");
    jsonw_int(w, (long long)s->num_rel_ret);
}
