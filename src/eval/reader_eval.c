/* reader_eval.c — a reader's score on a dev set: predict, then the official evaluation of the
 * predictions (the same code as `needle eval squad`), Haystack's top-n accuracy over the
 * ranked answers, and the dev loss. The trainer calls this for every evaluation; `needle
 * reader eval` prints it.
 *
 * v2.0: the predictions are already thresholded (span_decode's null_threshold), so the main
 * exact/f1 are scored without a no-answer probability (the script's 0.0 for every question);
 * the null odds are passed only to find the best thresholds (best_*), with an infinite
 * na_prob_thresh so they cannot change the main figures. */
#include "needle/error.h"
#include "needle/json.h"
#include "needle/reader_predict.h"

#include <math.h>
#include <stdlib.h>

/* Top-n accuracy by EM and by F1 > 0 over each question's first top_k answers. */
static int topn(const reader_predictions *p, const squad_dataset *ds, int top_k, double *acc_f1, double *acc_em) {
    size_t nq = 0;
    for (size_t q = 0; q < p->n; q++) nq += p->q[q].n > 0;
    squad_ranked *rk = calloc(nq ? nq : 1, sizeof *rk);
    strbuf *texts = calloc(nq * (size_t)top_k + 1, sizeof *texts);
    const char **cand = calloc(nq * (size_t)top_k + 1, sizeof *cand);
    size_t n_golds = 0;
    for (size_t q = 0; q < p->n; q++) n_golds += p->q[q].n ? ds->questions[q].n_answers : 0;
    const char **golds = calloc(n_golds + 1, sizeof *golds);
    int rc = 0;
    if (!rk || !texts || !cand || !golds) {
        rc = error_set(NEEDLE_ENOMEM, "out of memory for top-n accuracy");
        goto done;
    }
    size_t k = 0, t = 0, g = 0;
    for (size_t q = 0; q < p->n && !rc; q++) {
        const span_result *r = &p->q[q];
        if (!r->n) continue;
        const squad_question *qu = &ds->questions[q];
        rk[k].candidates = cand + t;
        rk[k].golds = golds + g;
        rk[k].n_golds = qu->n_answers;
        for (size_t a = 0; a < qu->n_answers; a++) golds[g++] = ds->answers[qu->first_answer + a].text;
        for (int i = 0; i < r->n && i < top_k && !rc; i++, t++) {
            strbuf_init(&texts[t]);
            rc = reader_answer_text(ds, q, &r->answers[i], &texts[t]);
            cand[t] = texts[t].data ? texts[t].data : "";
            rk[k].n_candidates++;
        }
        k++;
    }
    if (!rc) rc = squad_topn_accuracy(rk, nq, (size_t)top_k, SQUAD_MATCH_F1, 0.0, acc_f1);
    if (!rc) rc = squad_topn_accuracy(rk, nq, (size_t)top_k, SQUAD_MATCH_EXACT, 0.0, acc_em);
done:
    for (size_t i = 0; texts && i < nq * (size_t)top_k; i++) strbuf_free(&texts[i]);
    free(texts);
    free(cand);
    free(golds);
    free(rk);
    return rc;
}

int reader_eval_score(const reader_eval *e, const reader_predictions *p, cJSON **metrics) {
    *metrics = NULL;
    squad_predictions preds;
    squad_na_probs na;
    squad_eval_result res = {0};
    strbuf json;
    squad_predictions_init(&preds);
    squad_na_probs_init(&na);
    strbuf_init(&json);
    int v2 = p->version_2;
    double acc_f1 = 0, acc_em = 0;
    squad_eval_opts eo = {v2 ? SQUAD_V2 : SQUAD_V1, INFINITY};
    int rc = reader_predictions_official(p, e->ds, &preds, v2 ? &na : NULL);
    if (!rc) rc = squad_evaluate(e->ds, &preds, v2 ? &na : NULL, &eo, &res);
    if (!rc) rc = squad_eval_to_json(&res, &json);
    if (!rc) rc = topn(p, e->ds, e->opt.top_k, &acc_f1, &acc_em);
    if (!rc) rc = json_parse(json.data, json.len, "evaluation", metrics);
    if (!rc) {
        cJSON_AddNumberToObject(*metrics, "top_n", e->opt.top_k);
        cJSON_AddNumberToObject(*metrics, "top_n_accuracy", 100.0 * acc_f1);
        cJSON_AddNumberToObject(*metrics, "top_n_em", 100.0 * acc_em);
        if (p->has_loss) cJSON_AddNumberToObject(*metrics, "loss", p->loss);
    }
    squad_eval_result_free(&res);
    squad_predictions_free(&preds);
    squad_na_probs_free(&na);
    strbuf_free(&json);
    return rc;
}

int reader_eval_run(reader_eval *e, model *m, cJSON **metrics) {
    reader_predictions p;
    *metrics = NULL;
    int rc = reader_predict(m, &e->w, e->ds, &e->opt, &p);
    if (rc) return rc;
    rc = reader_eval_score(e, &p, metrics);
    reader_predictions_free(&p);
    return rc;
}
