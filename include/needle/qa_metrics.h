/* qa_metrics.h — the per-question metrics of a question-answering pipeline evaluation, as
 * Haystack 1.x's EvaluationResult computes them, for every cut-off k = 1..K from one ranked
 * list (so a report can plot each metric against k from a single run).
 *
 * Documents. A question has labels (Haystack's MultiLabel): each a gold document id (or none)
 * and a gold answer text, or a no-answer label. With Haystack's default
 * document_relevance_criterion "document_id_or_answer", a retrieved document matches a label
 * when its id is the label's document id, or its content contains the label's answer
 * (case-sensitive substring; an empty answer never matches); it is relevant when it matches a
 * label. Over the first k retrieved documents (schema.py, _build_document_metrics_df):
 *   num_labels        = labels that are not no-answer labels
 *   matched           = labels matched by some relevant document
 *   num_relevants     = distinct ids of the relevant documents + (num_labels - matched)
 *   recall_multi_hit  = matched / num_labels
 *   recall_single_hit = 1 when a relevant document was retrieved
 *   precision         = relevant retrieved / retrieved (retrieved = min(k, list length))
 *   mrr               = 1 / rank of the first relevant
 *   map               = sum over relevant ranks r of (relevant within the first r) / r,
 *                       divided by num_relevants
 *   ndcg              = sum over relevant ranks r of 1 / log2(r + 1), divided by
 *                       sum_{r=1..num_relevants} 1 / log2(r + 1)
 * with every metric 0 when nothing relevant was retrieved, and every metric 1 for a question
 * with no answerable label (Haystack: "the retriever cannot improve the pipeline").
 * With labels that are document ids only and distinct, these are trec_eval's recall, P (over
 * the retrieved, not k), recip_rank, map and ndcg at the cut-off.
 *
 * Answers. Over the first k predicted answers: exact_match and f1 are the maxima, over those
 * answers, of the official SQuAD EM and F1 against the question's gold answers
 * (squad_eval.h's normalisation; v2.0's rules score "" against a question without answers). */
#ifndef NEEDLE_QA_METRICS_H
#define NEEDLE_QA_METRICS_H

#include <stddef.h>

#include "needle/squad.h"

typedef struct {
    const char *document_id; /* NULL: no document id */
    const char *answer;      /* NULL or "": no answer text */
    int no_answer;           /* a no-answer label (left out of the document metrics) */
} qa_label;

typedef struct {
    const char *id;
    const char *content;
} qa_retrieved;

enum { QA_RECALL_SINGLE_HIT, QA_RECALL_MULTI_HIT, QA_PRECISION, QA_MRR, QA_MAP, QA_NDCG, QA_N_DOC_METRICS };
extern const char *const qa_doc_metric_names[QA_N_DOC_METRICS];

enum { QA_EXACT_MATCH, QA_F1, QA_N_ANSWER_METRICS };
extern const char *const qa_answer_metric_names[QA_N_ANSWER_METRICS];

/* Whether docs[i] is relevant (relevant may be NULL) and the document metrics at every cut-off
 * k = 1..K into at_k[(k - 1) * QA_N_DOC_METRICS + metric]; cut-offs beyond n see all n. */
int qa_doc_metrics(const qa_retrieved *docs, size_t n, const qa_label *labels, size_t n_labels, size_t K,
                   unsigned char *relevant, double *at_k);

/* Top-k exact match and F1 (0..1) of the ranked predictions at every k = 1..K into
 * at_k[(k - 1) * QA_N_ANSWER_METRICS + metric]. No prediction scores as "" would. */
int qa_answer_metrics(const char *const *predictions, size_t n, const char *const *golds, size_t n_golds,
                      squad_version version, size_t K, double *at_k);

#endif
