/* qa_metrics.c — Haystack 1.x's per-question document and answer metrics at every cut-off
 * (see qa_metrics.h). The label matches of each retrieved document are computed once; each
 * cut-off then walks the first k documents (K is a retriever's top_k: tens, so K^2 work per
 * question is nothing next to running the pipeline). */
#include "needle/qa_metrics.h"
#include "needle/error.h"
#include "needle/squad_eval.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const qa_doc_metric_names[QA_N_DOC_METRICS] = {"recall_single_hit", "recall_multi_hit", "precision",
                                                           "mrr", "map", "ndcg"};
const char *const qa_answer_metric_names[QA_N_ANSWER_METRICS] = {"exact_match", "f1"};

static int label_matches(const qa_retrieved *d, const qa_label *l) {
    if (l->no_answer) return 0;
    if (l->document_id && d->id && !strcmp(l->document_id, d->id)) return 1;
    return l->answer && l->answer[0] && d->content && strstr(d->content, l->answer) != NULL;
}

/* Metrics over docs[0, n) given match[i * n_labels + j]. */
static void metrics_at(const qa_retrieved *docs, size_t n, const unsigned char *match, size_t n_labels, size_t num_labels,
                       const unsigned char *rel, unsigned char *label_hit, double out[QA_N_DOC_METRICS]) {
    memset(out, 0, QA_N_DOC_METRICS * sizeof *out);
    if (!num_labels) {
        for (int m = 0; m < QA_N_DOC_METRICS; m++) out[m] = 1.0;
        return;
    }
    memset(label_hit, 0, n_labels);
    size_t n_rel = 0, distinct = 0, matched = 0, first = 0;
    double ap = 0, dcg = 0;
    for (size_t i = 0; i < n; i++) {
        if (!rel[i]) continue;
        n_rel++;
        size_t rank = i + 1;
        if (!first) first = rank;
        ap += (double)n_rel / (double)rank;
        dcg += 1.0 / log2((double)rank + 1.0);
        int seen = 0;
        for (size_t k = 0; k < i && !seen; k++) seen = rel[k] && !strcmp(docs[k].id, docs[i].id);
        distinct += !seen;
        for (size_t j = 0; j < n_labels; j++)
            if (match[i * n_labels + j] && !label_hit[j]) {
                label_hit[j] = 1;
                matched++;
            }
    }
    if (!n_rel) return;
    size_t num_relevants = distinct + (num_labels - matched);
    double idcg = 0;
    for (size_t r = 1; r <= num_relevants; r++) idcg += 1.0 / log2((double)r + 1.0);
    out[QA_RECALL_SINGLE_HIT] = 1.0;
    out[QA_RECALL_MULTI_HIT] = (double)matched / (double)num_labels;
    out[QA_PRECISION] = (double)n_rel / (double)n;
    out[QA_MRR] = 1.0 / (double)first;
    out[QA_MAP] = ap / (double)num_relevants;
    out[QA_NDCG] = dcg / idcg;
}

int qa_doc_metrics(const qa_retrieved *docs, size_t n, const qa_label *labels, size_t n_labels, size_t K,
                   unsigned char *relevant, double *at_k) {
    unsigned char *match = calloc(n * n_labels + 1, 1), *rel = calloc(n + 1, 1), *hit = calloc(n_labels + 1, 1);
    if (!match || !rel || !hit) {
        free(match);
        free(rel);
        free(hit);
        return error_set(NEEDLE_ENOMEM, "out of memory computing document metrics");
    }
    size_t num_labels = 0;
    for (size_t j = 0; j < n_labels; j++) num_labels += !labels[j].no_answer;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n_labels; j++)
            if ((match[i * n_labels + j] = (unsigned char)label_matches(&docs[i], &labels[j]))) rel[i] = 1;
    for (size_t k = 1; k <= K; k++)
        metrics_at(docs, k < n ? k : n, match, n_labels, num_labels, rel, hit, at_k + (k - 1) * QA_N_DOC_METRICS);
    if (relevant) memcpy(relevant, rel, n);
    free(match);
    free(rel);
    free(hit);
    return 0;
}

int qa_answer_metrics(const char *const *predictions, size_t n, const char *const *golds, size_t n_golds,
                      squad_version version, size_t K, double *at_k) {
    double best_em = 0, best_f1 = 0;
    if (!n) {
        int rc = squad_score_question("", golds, n_golds, version, &best_em, &best_f1);
        if (rc) return rc;
    }
    for (size_t k = 1; k <= K; k++) {
        if (k <= n) {
            double em, f1;
            int rc = squad_score_question(predictions[k - 1], golds, n_golds, version, &em, &f1);
            if (rc) return rc;
            if (k == 1 || em > best_em) best_em = em;
            if (k == 1 || f1 > best_f1) best_f1 = f1;
        }
        at_k[(k - 1) * QA_N_ANSWER_METRICS + QA_EXACT_MATCH] = best_em;
        at_k[(k - 1) * QA_N_ANSWER_METRICS + QA_F1] = best_f1;
    }
    return 0;
}
