/* squad_eval.h — SQuAD evaluation with the official scripts' semantics (evaluate-v1.1.py and
 * evaluate-v2.0.py), prediction and no-answer-probability files, and Haystack's top-n accuracy.
 *
 * Normalisation (both versions, as the scripts run under Python 3):
 *   1. lower-case with Python's str.lower(): full Unicode lowercase mapping, including
 *      U+0130 -> "i" U+0307 and Greek capital sigma -> final ς at the end of a word;
 *   2. delete every character of Python's string.punctuation — ASCII only
 *      (!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~); Unicode punctuation such as “ ” – « stays;
 *   3. replace the regex \b(a|an|the)\b by a space, where \b is Python 3's Unicode word
 *      boundary: \w is a character of general category L* or N*, or "_" (checked against
 *      Python's re for every code point: combining marks, Mn/Mc, are NOT word characters);
 *      so "theater" and "thé" keep their letters, "the\u0301" loses "the";
 *   4. split on Python's str.split() whitespace (Unicode White_Space minus U+180E, plus
 *      U+001C..U+001F) and join with single spaces.
 * EM compares normalised strings. F1 splits them on spaces and counts the multiset overlap
 * (Python's Counter &): P = same/len(pred), R = same/len(gold), F1 = 2PR/(P+R).
 * v1.1: F1 is 0 when nothing overlaps (even when both are empty); golds are all the answers.
 * v2.0: golds whose normalised text is empty are dropped, and a question left with none has
 * the single gold "" (no answer); F1 is 1 when both token lists are empty, 0 when one is.
 * Each question scores the maximum over its golds.
 * The Unicode tables are utf8proc's (Unicode 15.0 in Debian 12); Python 3.11 uses 14.0, so the
 * two can differ only on characters new in 15.0. */
#ifndef NEEDLE_SQUAD_EVAL_H
#define NEEDLE_SQUAD_EVAL_H

#include <stddef.h>

#include "needle/squad.h"
#include "needle/strbuf.h"

/* Python's str.lower() of UTF-8 text, appended to out (invalid bytes read as U+FFFD). */
int squad_lower(const char *s, size_t n, strbuf *out);
/* The official normalize_answer(), appended to out. */
int squad_normalize(const char *s, size_t n, strbuf *out);
/* One prediction against one gold answer: EM (0 or 1) and token F1 under `version`'s rules. */
int squad_score_pair(const char *pred, const char *gold, squad_version version, double *em, double *f1);
/* One prediction against a question's gold answers: the maximum over the golds, after v2.0's
 * filtering of golds (n_golds may be 0: v2.0 then scores against "", v1.1 gives 0). */
int squad_score_question(const char *pred, const char *const *golds, size_t n_golds, squad_version version,
                         double *em, double *f1);

/* Predictions: the official file is a JSON object {question id: answer text}. A repeated id
 * keeps its last value (as Python's json.load does). */
typedef struct {
    char *id;
    char *text;
} squad_prediction;

typedef struct {
    squad_prediction *items;
    size_t n, cap;
} squad_predictions;

void squad_predictions_init(squad_predictions *p);
void squad_predictions_free(squad_predictions *p);
int squad_predictions_add(squad_predictions *p, const char *id, const char *text);
int squad_predictions_load(const char *path, squad_predictions *p);
int squad_predictions_write(const squad_predictions *p, const char *path);

/* No-answer probabilities, {question id: number}, kept in file order: the best-threshold
 * search walks them sorted by value with ties in file order, as Python's stable sort does. */
typedef struct {
    char *id;
    double prob;
} squad_na_prob;

typedef struct {
    squad_na_prob *items;
    size_t n, cap;
} squad_na_probs;

void squad_na_probs_init(squad_na_probs *p);
void squad_na_probs_free(squad_na_probs *p);
int squad_na_probs_add(squad_na_probs *p, const char *id, double prob);
int squad_na_probs_load(const char *path, squad_na_probs *p);
int squad_na_probs_write(const squad_na_probs *p, const char *path);

typedef struct {
    int version;            /* 0: the dataset's version; 1 or 2: force */
    double na_prob_thresh;  /* v2.0: a prediction whose no-answer probability is above this
                               counts as "no answer" (the official default is 1.0) */
} squad_eval_opts;

/* The official scripts' output. Scores are percentages (0..100).
 * v1.1: every question counts in `total`; one without a prediction scores 0.
 * v2.0: questions without a prediction are left out ("Missing prediction"), and `total`
 * counts the others. HasAns/NoAns split by whether the file gives the question answers. The
 * official script stops with a KeyError when a HasAns/NoAns question lacks a prediction;
 * here the split counts only the questions that have one (documented divergence). A repeated
 * question id counts once, with its last occurrence, as the script's dicts do. The best_*
 * fields (with no-answer probabilities) follow find_best_thresh: start from the score of
 * answering "no answer" everywhere, walk questions by increasing probability, and keep the
 * first threshold that reaches the highest score. */
typedef struct {
    squad_version version;
    double exact, f1;                  /* v1.1's exact_match and f1; v2.0's exact and f1 */
    size_t total;
    int has_ans_split, no_ans_split;   /* whether the HasAns_ / NoAns_ keys are printed */
    double has_ans_exact, has_ans_f1, no_ans_exact, no_ans_f1;
    size_t has_ans_total, no_ans_total;
    int has_best;                      /* a no-answer probability file was given (v2.0) */
    double best_exact, best_exact_thresh, best_f1, best_f1_thresh;
    size_t *missing;                   /* indices into ds->questions without a prediction */
    size_t n_missing;
    size_t unknown_predictions;        /* predictions for ids not in the dataset (ignored) */
} squad_eval_result;

/* Evaluate. na_probs may be NULL (then v2.0 uses 0.0 for every question, as the script does).
 * Fails when a scored v2.0 question has no probability in na_probs, or nothing is scored. */
int squad_evaluate(const squad_dataset *ds, const squad_predictions *preds, const squad_na_probs *na_probs,
                   const squad_eval_opts *opts, squad_eval_result *out);
void squad_eval_result_free(squad_eval_result *r);
/* The JSON the official script prints for this version (same keys, same order). */
int squad_eval_to_json(const squad_eval_result *r, strbuf *out);

/* Haystack's top-n accuracy, for pipeline evaluation. One question's ranked candidates (best
 * first; "" is the no-answer candidate) and its gold texts (none: a no-answer question). A
 * question counts as correct when any of its first top_n candidates matches a gold:
 *   SQUAD_MATCH_EXACT — the official EM (Haystack's top_k_em, EvalAnswers);
 *   SQUAD_MATCH_F1    — the official token F1 strictly above f1_threshold (0 gives FARM's
 *                       top_n_accuracy rule, "any overlap").
 * Scoring follows v2.0's rules, so a no-answer question matches exactly the "" candidate.
 * *accuracy is the fraction of questions (0..1). */
typedef struct {
    const char *const *candidates;
    size_t n_candidates;
    const char *const *golds;
    size_t n_golds;
} squad_ranked;

typedef enum { SQUAD_MATCH_EXACT = 0, SQUAD_MATCH_F1 = 1 } squad_match;

int squad_topn_accuracy(const squad_ranked *questions, size_t n_questions, size_t top_n, squad_match match,
                        double f1_threshold, double *accuracy);

#endif
