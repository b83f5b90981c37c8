/* topn_accuracy.c — Haystack's top-n accuracy of a reader or pipeline: the fraction of
 * questions for which any of the n best-ranked candidate answers matches a gold answer, by the
 * official EM or by token F1 above a threshold (see squad_eval.h). Haystack's EvalAnswers
 * reports the EM form as top_k_em; FARM's top_n_accuracy is the F1 form with threshold 0 (any
 * overlap). Scoring uses v2.0's rules so that no-answer questions and "" candidates are
 * handled the way the v2.0 script handles them. */
#include "needle/error.h"
#include "needle/squad_eval.h"
#include "squad_text.h"

int squad_topn_accuracy(const squad_ranked *questions, size_t n_questions, size_t top_n, squad_match match,
                        double f1_threshold, double *accuracy) {
    if (n_questions == 0) return error_set(NEEDLE_EINVAL, "top-n accuracy of no questions");
    if (top_n == 0) return error_set(NEEDLE_EINVAL, "top-n accuracy needs n >= 1");
    if (match != SQUAD_MATCH_EXACT && match != SQUAD_MATCH_F1)
        return error_set(NEEDLE_EINVAL, "unknown top-n match rule %d", (int)match);
    squad_scorer sc;
    squad_scorer_init(&sc);
    size_t correct = 0;
    int rc = 0;
    for (size_t q = 0; q < n_questions && !rc; q++) {
        const squad_ranked *r = &questions[q];
        size_t n = r->n_candidates < top_n ? r->n_candidates : top_n;
        for (size_t c = 0; c < n; c++) {
            double em, f1;
            if ((rc = squad_scorer_question(&sc, r->candidates[c], r->golds, r->n_golds, SQUAD_V2, &em, &f1))) break;
            if (match == SQUAD_MATCH_EXACT ? em == 1.0 : f1 > f1_threshold) {
                correct++;
                break;
            }
        }
    }
    squad_scorer_free(&sc);
    if (!rc) *accuracy = (double)correct / (double)n_questions;
    return rc;
}
