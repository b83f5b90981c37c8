/* test_squad_metrics.c — each rule of the official SQuAD semantics as its own case, with the
 * expected value worked out by hand from the rule (evaluate-v1.1.py / evaluate-v2.0.py under
 * Python 3; /work/shared/data/squad-v1.1/SOURCE.md describes them): ASCII-only punctuation,
 * articles as whole words with Unicode word boundaries, Python's whitespace and lower(),
 * Counter-overlap F1, max over golds, empty answers, each version's missing-prediction rule,
 * v2's empty golds, repeated ids, and find_best_thresh. */
#include "../test.h"
#include "needle/squad.h"
#include "needle/squad_eval.h"

#include <stdlib.h>

static void check_norm(const char *in, const char *want, const char *file, int line) {
    strbuf sb;
    strbuf_init(&sb);
    int rc = squad_normalize(in, strlen(in), &sb);
    if (rc || strcmp(sb.data, want))
        test_fail(file, line, "normalize(\"%s\") == \"%s\", expected \"%s\"", in, rc ? "(error)" : sb.data, want);
    strbuf_free(&sb);
}
#define NORM(in, want) check_norm(in, want, __FILE__, __LINE__)

static void pair(const char *pred, const char *gold, squad_version v, double *em, double *f1) {
    CHECK_OK(squad_score_pair(pred, gold, v, em, f1));
}

TEST(squad_norm_ascii_punctuation_removed_unicode_kept) {
    NORM("Hello, World!", "hello world");
    NORM("$1,000 (50%)", "1000 50");
    /* “ ” — … are not in string.punctuation */
    NORM("\xe2\x80\x9cHello\xe2\x80\x9d \xe2\x80\x94 world\xe2\x80\xa6",
         "\xe2\x80\x9chello\xe2\x80\x9d \xe2\x80\x94 world\xe2\x80\xa6");
    double em, f1;
    pair("\xe2\x80\x9cParis\xe2\x80\x9d", "Paris", SQUAD_V1, &em, &f1);
    CHECK_NEAR(em, 0, 0);
    CHECK_NEAR(f1, 0, 0);
    pair("\"Paris\"", "Paris", SQUAD_V1, &em, &f1);
    CHECK_NEAR(em, 1, 0);
}

TEST(squad_norm_articles_are_whole_words_only) {
    NORM("The cat and a dog an owl", "cat and dog owl");
    NORM("theater anthem then", "theater anthem then");
    /* punctuation goes first, so "a.b" and "the-man" are single words by then */
    NORM("a.b the-man", "ab theman");
    NORM("_the_", "");           /* "_" is punctuation: what is left is the article */
    NORM("A AN THE", "");
}

TEST(squad_norm_article_boundaries_are_unicode) {
    NORM("th\xc3\xa9", "th\xc3\xa9");                       /* é is a letter: "thé" is one word */
    NORM("\xc3\xa9t\xc3\xa9 the", "\xc3\xa9t\xc3\xa9");
    NORM("the\xcc\x81 cat", "\xcc\x81 cat");                /* U+0301 is Mn: not \w in Python */
    NORM("the\xe2\x91\xa0", "the\xe2\x91\xa0");             /* ① is No: \w */
    NORM("the\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80");        /* 😀 is So: a boundary */
    NORM("the\xca\xb0", "the\xca\xb0");                     /* ʰ is Lm: \w */
}

TEST(squad_norm_python_whitespace) {
    NORM("x\xe3\x80\x80\xe3\x80\x80y\tz\n", "x y z");       /* U+3000 ideographic space */
    NORM("\x1c" "fs\x1f", "fs");                              /* U+001C..1F split in Python */
    NORM("p\xe1\x9a\x80q", "p q");                            /* U+1680 */
    NORM("x\xe2\x80\x8by", "x\xe2\x80\x8by");                 /* U+200B is not whitespace */
    NORM("x\xe1\xa0\x8ey", "x\xe1\xa0\x8ey");                 /* nor U+180E */
    NORM("   ", "");
}

TEST(squad_norm_python_lower) {
    strbuf sb;
    strbuf_init(&sb);
    CHECK_OK(squad_lower("\xc4\xb0stanbul", 9, &sb));       /* İ -> i + U+0307 */
    CHECK_STR(sb.data, "i\xcc\x87stanbul");
    strbuf_clear(&sb);
    CHECK_OK(squad_lower("\xce\x9f\xce\x94\xce\x9f\xce\xa3 \xce\xa3", 11, &sb)); /* ΟΔΟΣ Σ */
    CHECK_STR(sb.data, "\xce\xbf\xce\xb4\xce\xbf\xcf\x82 \xcf\x83");              /* οδος σ */
    strbuf_clear(&sb);
    CHECK_OK(squad_lower("A\xce\xa3'B \xce\x91\xce\xa3.", 11, &sb));              /* AΣ'B ΑΣ. */
    CHECK_STR(sb.data, "a\xcf\x83'b \xce\xb1\xcf\x82.");                          /* aσ'b ας. */
    strbuf_free(&sb);
    double em, f1;
    pair("\xc4\xb0stanbul", "istanbul", SQUAD_V1, &em, &f1);
    CHECK_NEAR(em, 0, 0);
    pair("\xce\x9f\xce\x94\xce\x9f\xce\xa3", "\xce\xbf\xce\xb4\xce\xbf\xcf\x82", SQUAD_V1, &em, &f1);
    CHECK_NEAR(em, 1, 0);
    pair("\xce\x9f\xce\x94\xce\x9f\xce\xa3", "\xce\xbf\xce\xb4\xce\xbf\xcf\x83", SQUAD_V1, &em, &f1);
    CHECK_NEAR(em, 0, 0);
    pair("\xe2\x84\xaa", "k", SQUAD_V1, &em, &f1);           /* KELVIN SIGN lowers to k */
    CHECK_NEAR(em, 1, 0);
    pair("STRASSE", "stra\xc3\x9f" "e", SQUAD_V1, &em, &f1); /* lower, not casefold */
    CHECK_NEAR(em, 0, 0);
}

TEST(squad_f1_counts_token_multisets) {
    double em, f1;
    pair("x y y z", "y y y w", SQUAD_V1, &em, &f1);   /* overlap {y: 2}: P = R = 2/4 */
    CHECK_NEAR(f1, 0.5, 1e-15);
    pair("x x", "x", SQUAD_V1, &em, &f1);             /* overlap 1: P = 1/2, R = 1, F1 = 2/3 */
    CHECK_NEAR(f1, 2.0 / 3.0, 1e-15);
    pair("big red dog", "red dog", SQUAD_V2, &em, &f1); /* P = 2/3, R = 1: F1 = 0.8 */
    CHECK_NEAR(f1, 0.8, 1e-15);
    CHECK_NEAR(em, 0, 0);
}

TEST(squad_max_over_golds) {
    const char *golds[] = {"Broncos", "Denver Broncos", "the Broncos team"};
    double em, f1;
    CHECK_OK(squad_score_question("Denver Broncos", golds, 3, SQUAD_V1, &em, &f1));
    CHECK_NEAR(em, 1, 0);
    CHECK_NEAR(f1, 1, 0);
    const char *two[] = {"Denver Broncos", "Carolina Panthers"};
    CHECK_OK(squad_score_question("Broncos team", two, 2, SQUAD_V1, &em, &f1)); /* 0.5 and 0 */
    CHECK_NEAR(em, 0, 0);
    CHECK_NEAR(f1, 0.5, 1e-15);
}

TEST(squad_empty_prediction_per_version) {
    double em, f1;
    pair("", "Paris", SQUAD_V1, &em, &f1);
    CHECK_NEAR(em, 0, 0);
    CHECK_NEAR(f1, 0, 0);
    pair("", "", SQUAD_V1, &em, &f1);   /* v1.1: "" == "" but no overlap */
    CHECK_NEAR(em, 1, 0);
    CHECK_NEAR(f1, 0, 0);
    pair("", "", SQUAD_V2, &em, &f1);   /* v2.0: both empty -> F1 1 */
    CHECK_NEAR(em, 1, 0);
    CHECK_NEAR(f1, 1, 0);
    pair("the", "", SQUAD_V2, &em, &f1); /* normalises to nothing too */
    CHECK_NEAR(f1, 1, 0);
    pair("", "Paris", SQUAD_V2, &em, &f1);
    CHECK_NEAR(f1, 0, 0);
}

TEST(squad_v2_drops_empty_golds) {
    double em, f1;
    const char *empty[] = {"", "the", "!!"};
    CHECK_OK(squad_score_question("", empty, 3, SQUAD_V2, &em, &f1));   /* gold becomes [""] */
    CHECK_NEAR(em, 1, 0);
    CHECK_NEAR(f1, 1, 0);
    CHECK_OK(squad_score_question("x", empty, 3, SQUAD_V2, &em, &f1));
    CHECK_NEAR(em, 0, 0);
    CHECK_NEAR(f1, 0, 0);
    const char *mixed[] = {"the", "Paris"};
    CHECK_OK(squad_score_question("", mixed, 2, SQUAD_V2, &em, &f1));   /* only "Paris" is left */
    CHECK_NEAR(em, 0, 0);
    CHECK_OK(squad_score_question("", mixed, 2, SQUAD_V1, &em, &f1));   /* v1.1 keeps "the" */
    CHECK_NEAR(em, 1, 0);
    CHECK_NEAR(f1, 0, 0);
    CHECK_OK(squad_score_question("", NULL, 0, SQUAD_V2, &em, &f1));
    CHECK_NEAR(f1, 1, 0);
}

/* A dataset with one paragraph and questions (id, gold or NULL for none). */
static void dataset(squad_dataset *ds, const char *const *ids, const char *const *golds, size_t n) {
    squad_dataset_init(ds);
    CHECK_OK(squad_add_article(ds, "t"));
    CHECK_OK(squad_add_paragraph(ds, "Paris London Berlin Rome big red dog"));
    for (size_t i = 0; i < n; i++) {
        CHECK_OK(squad_add_question(ds, ids[i], "q", golds[i] == NULL));
        if (golds[i]) CHECK_OK(squad_add_answer(ds, golds[i], -1, 0));
    }
    ds->version = squad_detect_version(ds);
}

static void predictions(squad_predictions *p, const char *const *kv, size_t n) {
    squad_predictions_init(p);
    for (size_t i = 0; i < n; i++) CHECK_OK(squad_predictions_add(p, kv[2 * i], kv[2 * i + 1]));
}

TEST(squad_missing_prediction_rule_per_version) {
    /* q1 "paris" vs "Paris": 1/1; q2 "red dog" vs "big red dog": EM 0, F1 0.8; q3 missing */
    const char *ids[] = {"q1", "q2", "q3"}, *golds[] = {"Paris", "big red dog", "Rome"};
    const char *kv[] = {"q1", "paris", "q2", "red dog", "stray", "x"};
    squad_dataset ds;
    squad_predictions p;
    dataset(&ds, ids, golds, 3);
    predictions(&p, kv, 3);
    squad_eval_result r;
    CHECK_OK(squad_evaluate(&ds, &p, NULL, NULL, &r));   /* v1.1: q3 scores 0 and counts */
    CHECK_INT(r.version, SQUAD_V1);
    CHECK_INT(r.total, 3);
    CHECK_NEAR(r.exact, 100.0 / 3.0, 1e-12);
    CHECK_NEAR(r.f1, 60.0, 1e-12);
    CHECK_INT(r.n_missing, 1);
    CHECK_INT(r.missing[0], 2);
    CHECK_INT(r.unknown_predictions, 1);
    squad_eval_result_free(&r);
    squad_eval_opts v2 = {2, 1.0};
    CHECK_OK(squad_evaluate(&ds, &p, NULL, &v2, &r));    /* v2.0: q3 is skipped */
    CHECK_INT(r.total, 2);
    CHECK_NEAR(r.exact, 50.0, 1e-12);
    CHECK_NEAR(r.f1, 90.0, 1e-12);
    CHECK_INT(r.has_ans_split, 1);
    CHECK_INT(r.no_ans_split, 0);
    CHECK_INT(r.has_ans_total, 2);
    CHECK_NEAR(r.has_ans_f1, 90.0, 1e-12);
    CHECK_INT(r.n_missing, 1);
    strbuf sb;
    strbuf_init(&sb);
    CHECK_OK(squad_eval_to_json(&r, &sb));
    CHECK_STR(sb.data, "{\"exact\":50,\"f1\":90,\"total\":2,\"HasAns_exact\":50,\"HasAns_f1\":90,\"HasAns_total\":2}");
    squad_eval_result_free(&r);
    CHECK_OK(squad_evaluate(&ds, &p, NULL, NULL, &r));
    strbuf_clear(&sb);
    CHECK_OK(squad_eval_to_json(&r, &sb));
    CHECK(!strncmp(sb.data, "{\"exact_match\":33.33333333333333", 31));
    squad_eval_result_free(&r);
    strbuf_free(&sb);
    squad_predictions_free(&p);
    squad_dataset_free(&ds);
}

TEST(squad_repeated_ids_count_like_python_dicts) {
    /* the same id twice, golds "Paris" then "Rome"; prediction "Rome" */
    const char *ids[] = {"d", "d"}, *golds[] = {"Paris", "Rome"};
    const char *kv[] = {"d", "Paris", "d", "Rome"};     /* the last prediction wins */
    squad_dataset ds;
    squad_predictions p;
    dataset(&ds, ids, golds, 2);
    predictions(&p, kv, 2);
    squad_eval_result r;
    CHECK_OK(squad_evaluate(&ds, &p, NULL, NULL, &r));  /* v1.1 walks every question */
    CHECK_INT(r.total, 2);
    CHECK_NEAR(r.exact, 50.0, 1e-12);
    squad_eval_result_free(&r);
    squad_eval_opts v2 = {2, 1.0};
    CHECK_OK(squad_evaluate(&ds, &p, NULL, &v2, &r));   /* v2.0: one entry, the last gold */
    CHECK_INT(r.total, 1);
    CHECK_NEAR(r.exact, 100.0, 1e-12);
    squad_eval_result_free(&r);
    squad_predictions_free(&p);
    squad_dataset_free(&ds);
}

TEST(squad_v2_no_answer_thresholds) {
    /* h1 "Paris"=Paris (1), h2 "Berlin"!=London (0), n3 "" on a no-answer question (1),
     * n4 "Rome" on a no-answer question (0). Walk by probability from 2 (all "no answer"):
     * h1 0.1 -> 3 (best, 0.1); n4 0.3 -> 2; h2 0.6 -> 2; n3 0.9 -> 2. best 3/4. */
    const char *ids[] = {"h1", "h2", "n3", "n4"}, *golds[] = {"Paris", "London", NULL, NULL};
    const char *kv[] = {"h1", "Paris", "h2", "Berlin", "n3", "", "n4", "Rome"};
    squad_dataset ds;
    squad_predictions p;
    squad_na_probs na;
    dataset(&ds, ids, golds, 4);
    CHECK_INT(ds.version, SQUAD_V2);
    predictions(&p, kv, 4);
    squad_na_probs_init(&na);
    CHECK_OK(squad_na_probs_add(&na, "n3", 0.9));
    CHECK_OK(squad_na_probs_add(&na, "h2", 0.6));
    CHECK_OK(squad_na_probs_add(&na, "h1", 0.1));
    CHECK_OK(squad_na_probs_add(&na, "n4", 0.3));
    squad_eval_result r;
    CHECK_OK(squad_evaluate(&ds, &p, &na, NULL, &r));
    CHECK_NEAR(r.exact, 50.0, 1e-12);
    CHECK_NEAR(r.has_ans_exact, 50.0, 1e-12);
    CHECK_NEAR(r.no_ans_exact, 50.0, 1e-12);
    CHECK_INT(r.has_best, 1);
    CHECK_NEAR(r.best_exact, 75.0, 1e-12);
    CHECK_NEAR(r.best_exact_thresh, 0.1, 0);
    CHECK_NEAR(r.best_f1, 75.0, 1e-12);
    CHECK_NEAR(r.best_f1_thresh, 0.1, 0);
    squad_eval_result_free(&r);
    /* --na-prob-thresh 0.2: n4 (0.3), h2 (0.6), n3 (0.9) count as "no answer": 1+0+1+1 */
    squad_eval_opts t = {0, 0.2};
    CHECK_OK(squad_evaluate(&ds, &p, &na, &t, &r));
    CHECK_NEAR(r.exact, 75.0, 1e-12);
    CHECK_NEAR(r.has_ans_exact, 50.0, 1e-12);
    CHECK_NEAR(r.no_ans_exact, 100.0, 1e-12);
    squad_eval_result_free(&r);
    /* a scored question without a probability is an error, as in the script (KeyError) */
    squad_na_probs_free(&na);
    squad_na_probs_init(&na);
    CHECK_OK(squad_na_probs_add(&na, "h1", 0.1));
    CHECK_ERR(squad_evaluate(&ds, &p, &na, NULL, &r), NEEDLE_EINVAL, "no no-answer probability for question h2");
    squad_na_probs_free(&na);
    squad_predictions_free(&p);
    squad_dataset_free(&ds);
}

TEST(squad_v2_threshold_ties_follow_file_order) {
    /* h (answerable, right) and n (no answer, predicted "x") both at 0.5; one no-answer
     * question, so the walk starts at 1. h first: 1 -> 2 (best, 0.5) -> 1: 100%, 0.5.
     * n first: 1 -> 0 -> 1, never above 1: 50%, threshold 0.0. */
    const char *ids[] = {"h", "n"}, *golds[] = {"Paris", NULL};
    const char *kv[] = {"h", "Paris", "n", "x"};
    squad_dataset ds;
    squad_predictions p;
    squad_na_probs na;
    dataset(&ds, ids, golds, 2);
    predictions(&p, kv, 2);
    squad_eval_result r;
    squad_na_probs_init(&na);
    CHECK_OK(squad_na_probs_add(&na, "h", 0.5));
    CHECK_OK(squad_na_probs_add(&na, "n", 0.5));
    CHECK_OK(squad_evaluate(&ds, &p, &na, NULL, &r));
    CHECK_NEAR(r.best_exact, 100.0, 1e-12);
    CHECK_NEAR(r.best_exact_thresh, 0.5, 0);
    squad_eval_result_free(&r);
    squad_na_probs_free(&na);
    squad_na_probs_init(&na);
    CHECK_OK(squad_na_probs_add(&na, "n", 0.5));
    CHECK_OK(squad_na_probs_add(&na, "h", 0.5));
    CHECK_OK(squad_evaluate(&ds, &p, &na, NULL, &r));
    CHECK_NEAR(r.best_exact, 50.0, 1e-12);
    CHECK_NEAR(r.best_exact_thresh, 0.0, 0);
    squad_eval_result_free(&r);
    /* a repeated id keeps its first place and takes its last value (json.load into a dict):
     * h at 0.5 then n at 0.5 then h again at 0.9 -> order n (0.5), h (0.9): 50%, 0.0 */
    squad_na_probs_free(&na);
    squad_na_probs_init(&na);
    CHECK_OK(squad_na_probs_add(&na, "h", 0.5));
    CHECK_OK(squad_na_probs_add(&na, "n", 0.5));
    CHECK_OK(squad_na_probs_add(&na, "h", 0.9));
    CHECK_OK(squad_evaluate(&ds, &p, &na, NULL, &r));
    CHECK_NEAR(r.best_exact, 50.0, 1e-12);
    CHECK_NEAR(r.best_exact_thresh, 0.0, 0);
    squad_eval_result_free(&r);
    squad_na_probs_free(&na);
    squad_predictions_free(&p);
    squad_dataset_free(&ds);
}

TEST(squad_eval_rejects_nothing_to_score) {
    const char *ids[] = {"h", "n"}, *golds[] = {"Paris", NULL};
    squad_dataset ds;
    squad_predictions p;
    dataset(&ds, ids, golds, 2);
    squad_predictions_init(&p);
    squad_eval_result r;
    CHECK_ERR(squad_evaluate(&ds, &p, NULL, NULL, &r), NEEDLE_EINVAL, "no question of the dataset has a prediction");
    squad_predictions_free(&p);
    squad_dataset_free(&ds);
}
