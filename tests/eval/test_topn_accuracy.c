/* test_topn_accuracy.c — Haystack's top-n accuracy on hand-made questions, expected values
 * worked out by hand from the definition in squad_eval.h (official EM, or official token F1
 * strictly above a threshold, over the first n candidates; v2.0 rules for no-answer). */
#include "../test.h"
#include "needle/squad_eval.h"

/* Q1 right at rank 2 ("the Denver Broncos" normalises to the gold); Q2 only overlaps
 * ("Paris, France" vs "Paris": P 1/2, R 1, F1 2/3); Q3, Q4 no-answer questions with "" at
 * rank 1 and 2; Q5 no candidates; Q6 gold "the" is dropped (empty), "" misses "Moon". */
static const char *c1[] = {"Carolina", "the Denver Broncos", "x"}, *g1[] = {"Denver Broncos"};
static const char *c2[] = {"Paris, France", "Lyon"}, *g2[] = {"Paris"};
static const char *c3[] = {"", "Rome"};
static const char *c4[] = {"Rome", ""};
static const char *g5[] = {"big red dog"};
static const char *c6[] = {""}, *g6[] = {"the", "Moon"};
static const squad_ranked qs[] = {
    {c1, 3, g1, 1}, {c2, 2, g2, 1}, {c3, 2, NULL, 0}, {c4, 2, NULL, 0}, {NULL, 0, g5, 1}, {c6, 1, g6, 2},
};

static double acc(size_t n, squad_match m, double thr) {
    double a = -1;
    CHECK_OK(squad_topn_accuracy(qs, 6, n, m, thr, &a));
    return a;
}

TEST(topn_accuracy_exact_match) {
    CHECK_NEAR(acc(1, SQUAD_MATCH_EXACT, 0), 1.0 / 6.0, 1e-15);  /* Q3 */
    CHECK_NEAR(acc(2, SQUAD_MATCH_EXACT, 0), 3.0 / 6.0, 1e-15);  /* Q1, Q3, Q4 */
    CHECK_NEAR(acc(10, SQUAD_MATCH_EXACT, 0), 3.0 / 6.0, 1e-15); /* n beyond the candidates */
}

TEST(topn_accuracy_f1_threshold) {
    CHECK_NEAR(acc(1, SQUAD_MATCH_F1, 0), 2.0 / 6.0, 1e-15);     /* Q2 (2/3), Q3 (1) */
    CHECK_NEAR(acc(2, SQUAD_MATCH_F1, 0), 4.0 / 6.0, 1e-15);     /* + Q1, Q4 */
    CHECK_NEAR(acc(2, SQUAD_MATCH_F1, 0.7), 3.0 / 6.0, 1e-15);   /* Q2's 2/3 is not above 0.7 */
    CHECK_NEAR(acc(1, SQUAD_MATCH_F1, 2.0 / 3.0), 1.0 / 6.0, 1e-15); /* strictly above */
}

TEST(topn_accuracy_rejects_bad_arguments) {
    double a;
    CHECK_ERR(squad_topn_accuracy(qs, 6, 0, SQUAD_MATCH_EXACT, 0, &a), NEEDLE_EINVAL, "n >= 1");
    CHECK_ERR(squad_topn_accuracy(qs, 0, 1, SQUAD_MATCH_EXACT, 0, &a), NEEDLE_EINVAL, "no questions");
}
