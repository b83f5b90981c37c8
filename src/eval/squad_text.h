/* squad_text.h — the evaluator's internal interface to normalised answers: normalising into
 * reusable buffers and scoring normalised answers against each other, so that evaluating a
 * whole dataset (or ranking candidates for top-n accuracy) allocates once, not per answer. */
#ifndef NEEDLE_SQUAD_TEXT_H
#define NEEDLE_SQUAD_TEXT_H

#include <stdint.h>

#include "needle/squad.h"
#include "needle/strbuf.h"

/* Code-point scratch space for normalisation. */
typedef struct {
    uint32_t *a, *b;
    size_t cap;
} squad_norm_scratch;

int squad_normalize_into(squad_norm_scratch *s, const char *text, size_t n, strbuf *out);
void squad_norm_scratch_free(squad_norm_scratch *s);

/* A normalised answer and its tokens, sorted (bytewise) for multiset intersection. */
typedef struct {
    const char *s;
    size_t len;
} squad_token;

typedef struct {
    strbuf text;
    squad_token *toks;
    size_t n_toks, cap_toks;
} squad_norm_answer;

typedef struct {
    squad_norm_scratch scratch;
    squad_norm_answer pred, gold;
} squad_scorer;

void squad_scorer_init(squad_scorer *sc);
void squad_scorer_free(squad_scorer *sc);
/* Normalise `text` into `a` and tokenise it. */
int squad_scorer_prepare(squad_scorer *sc, squad_norm_answer *a, const char *text);
/* EM and F1 of two prepared answers. */
double squad_exact_of(const squad_norm_answer *pred, const squad_norm_answer *gold);
double squad_f1_of(const squad_norm_answer *pred, const squad_norm_answer *gold, squad_version version);
/* The maximum over golds, with v2.0's gold filtering; the prediction is prepared here. */
int squad_scorer_question(squad_scorer *sc, const char *pred, const char *const *golds, size_t n_golds,
                          squad_version version, double *em, double *f1);

#endif
