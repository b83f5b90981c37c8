/* squad_score.c — exact match and token F1 of normalised answers, the per-question maximum
 * over gold answers, and each version's rules for empty answers (see squad_eval.h).
 *
 * The arithmetic is Python's, operation for operation (P = same/len(pred), R = same/len(gold),
 * 2PR/(P+R) in doubles), so per-question scores are bitwise those of the official scripts.
 * Counter intersection is computed on sorted token lists, O(n log n) per pair. */
#include "needle/array.h"
#include "needle/error.h"
#include "needle/squad_eval.h"
#include "squad_text.h"

#include <stdlib.h>
#include <string.h>

void squad_scorer_init(squad_scorer *sc) { memset(sc, 0, sizeof *sc); }

static void answer_free(squad_norm_answer *a) {
    strbuf_free(&a->text);
    free(a->toks);
    memset(a, 0, sizeof *a);
}

void squad_scorer_free(squad_scorer *sc) {
    squad_norm_scratch_free(&sc->scratch);
    answer_free(&sc->pred);
    answer_free(&sc->gold);
}

static int token_cmp(const void *x, const void *y) {
    const squad_token *a = x, *b = y;
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->s, b->s, n);
    if (c) return c;
    return (a->len > b->len) - (a->len < b->len);
}

int squad_scorer_prepare(squad_scorer *sc, squad_norm_answer *a, const char *text) {
    strbuf_clear(&a->text);
    a->n_toks = 0;
    int rc = squad_normalize_into(&sc->scratch, text, strlen(text), &a->text);
    if (rc) return rc;
    const char *s = a->text.data;
    size_t n = a->text.len;
    for (size_t i = 0; i < n;) {
        size_t e = i;
        while (e < n && s[e] != ' ') e++;
        if ((rc = array_grow((void **)&a->toks, &a->cap_toks, a->n_toks, sizeof *a->toks))) return rc;
        a->toks[a->n_toks++] = (squad_token){s + i, e - i};
        i = e + 1;
    }
    qsort(a->toks, a->n_toks, sizeof *a->toks, token_cmp);
    return 0;
}

double squad_exact_of(const squad_norm_answer *pred, const squad_norm_answer *gold) {
    return pred->text.len == gold->text.len && !memcmp(pred->text.data, gold->text.data, pred->text.len);
}

double squad_f1_of(const squad_norm_answer *pred, const squad_norm_answer *gold, squad_version version) {
    size_t np = pred->n_toks, ng = gold->n_toks;
    if (version == SQUAD_V2 && (np == 0 || ng == 0)) return np == ng;
    size_t same = 0, i = 0, j = 0;
    while (i < np && j < ng) {
        int c = token_cmp(&pred->toks[i], &gold->toks[j]);
        if (c == 0) { same++; i++; j++; }
        else if (c < 0) i++;
        else j++;
    }
    if (same == 0) return 0;
    double precision = 1.0 * (double)same / (double)np;
    double recall = 1.0 * (double)same / (double)ng;
    return (2 * precision * recall) / (precision + recall);
}

int squad_scorer_question(squad_scorer *sc, const char *pred, const char *const *golds, size_t n_golds,
                          squad_version version, double *em, double *f1) {
    *em = *f1 = 0;
    int rc = squad_scorer_prepare(sc, &sc->pred, pred);
    if (rc) return rc;
    size_t used = 0;
    for (size_t g = 0; g < n_golds; g++) {
        if ((rc = squad_scorer_prepare(sc, &sc->gold, golds[g]))) return rc;
        if (version == SQUAD_V2 && sc->gold.text.len == 0) continue; /* v2 drops empty golds */
        double e = squad_exact_of(&sc->pred, &sc->gold), f = squad_f1_of(&sc->pred, &sc->gold, version);
        if (!used || e > *em) *em = e;
        if (!used || f > *f1) *f1 = f;
        used++;
    }
    if (!used && version == SQUAD_V2) {
        if ((rc = squad_scorer_prepare(sc, &sc->gold, ""))) return rc;
        *em = squad_exact_of(&sc->pred, &sc->gold);
        *f1 = squad_f1_of(&sc->pred, &sc->gold, version);
    }
    return 0;
}

int squad_score_pair(const char *pred, const char *gold, squad_version version, double *em, double *f1) {
    squad_scorer sc;
    squad_scorer_init(&sc);
    int rc = squad_scorer_prepare(&sc, &sc.pred, pred);
    if (!rc) rc = squad_scorer_prepare(&sc, &sc.gold, gold);
    if (!rc) {
        *em = squad_exact_of(&sc.pred, &sc.gold);
        *f1 = squad_f1_of(&sc.pred, &sc.gold, version);
    }
    squad_scorer_free(&sc);
    return rc;
}

int squad_score_question(const char *pred, const char *const *golds, size_t n_golds, squad_version version,
                         double *em, double *f1) {
    squad_scorer sc;
    squad_scorer_init(&sc);
    int rc = squad_scorer_question(&sc, pred, golds, n_golds, version, em, f1);
    squad_scorer_free(&sc);
    return rc;
}
