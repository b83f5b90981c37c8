/* test_qa_metrics.c — pipeline evaluation metrics.
 * References: Haystack 1.x's _build_document_metrics_df (schema.py) worked by hand on a
 * question whose labels match by id or by answer text; trec_eval's definitions (trec.h,
 * itself checked against trec_eval) on random id-only cases, where Haystack's recall_multi_hit,
 * mrr, map and ndcg must equal trec_eval's recall, recip_rank, map and ndcg_cut; the official
 * SQuAD EM/F1 (squad_eval.h) maximised over the top k predictions, worked by hand. */
#include "../test.h"
#include "needle/qa_metrics.h"
#include "needle/rng.h"
#include "needle/trec.h"

#include <stdio.h>

#define AT(a, k, m) (a)[((k) - 1) * QA_N_DOC_METRICS + (m)]

TEST(qa_doc_metrics_haystack_by_hand) {
    /* Labels: L0 (document A, answer "Rome"), L1 (document B, answer "Roma"). Retrieved: X (no
     * match), C (contains "Rome": matches L0 by answer), A (matches L0 by id and answer), D. */
    const qa_label labels[] = {{"A", "Rome", 0}, {"B", "Roma", 0}};
    const qa_retrieved docs[] = {{"X", "Paris is in France."}, {"C", "Rome is old."}, {"A", "In Rome."}, {"D", "rome"}};
    double at[5 * QA_N_DOC_METRICS];
    unsigned char rel[4];
    CHECK_OK(qa_doc_metrics(docs, 4, labels, 2, 5, rel, at));
    CHECK(!rel[0] && rel[1] && rel[2] && !rel[3]); /* "rome" is not "Rome": case matters */
    /* k = 1: nothing relevant */
    for (int m = 0; m < QA_N_DOC_METRICS; m++) CHECK_NEAR(AT(at, 1, m), 0, 0);
    /* k = 2: C at rank 2 matches L0; L1 missing: num_relevants = 1 + 1 */
    CHECK_NEAR(AT(at, 2, QA_RECALL_SINGLE_HIT), 1, 0);
    CHECK_NEAR(AT(at, 2, QA_RECALL_MULTI_HIT), 0.5, 1e-15);
    CHECK_NEAR(AT(at, 2, QA_PRECISION), 0.5, 1e-15);
    CHECK_NEAR(AT(at, 2, QA_MRR), 0.5, 1e-15);
    CHECK_NEAR(AT(at, 2, QA_MAP), (1.0 / 2) / 2, 1e-15);
    CHECK_NEAR(AT(at, 2, QA_NDCG), (1 / log2(3.0)) / (1 + 1 / log2(3.0)), 1e-15);
    /* k = 4: relevant at 2 and 3 (distinct ids C, A), matched {L0}, num_relevants = 2 + 1 */
    CHECK_NEAR(AT(at, 4, QA_RECALL_MULTI_HIT), 0.5, 1e-15);
    CHECK_NEAR(AT(at, 4, QA_PRECISION), 2.0 / 4, 1e-15);
    CHECK_NEAR(AT(at, 4, QA_MRR), 0.5, 1e-15);
    CHECK_NEAR(AT(at, 4, QA_MAP), (1.0 / 2 + 2.0 / 3) / 3, 1e-15);
    CHECK_NEAR(AT(at, 4, QA_NDCG), (1 / log2(3.0) + 1 / log2(4.0)) / (1 + 1 / log2(3.0) + 1 / log2(4.0)), 1e-15);
    /* k = 5 beyond the list: as k = 4 (precision divides by the 4 retrieved) */
    for (int m = 0; m < QA_N_DOC_METRICS; m++) CHECK_NEAR(AT(at, 5, m), AT(at, 4, m), 0);

    /* both labels found: B by id at rank 1 */
    const qa_retrieved docs2[] = {{"B", "nothing"}, {"A", "x"}};
    CHECK_OK(qa_doc_metrics(docs2, 2, labels, 2, 2, NULL, at));
    CHECK_NEAR(AT(at, 2, QA_RECALL_MULTI_HIT), 1, 0);
    CHECK_NEAR(AT(at, 2, QA_MAP), 1, 1e-15);
    CHECK_NEAR(AT(at, 2, QA_NDCG), 1, 1e-15);

    /* three annotators' answers in one passage (SQuAD dev): one document matches all three */
    const qa_label same[] = {{"P", "Denver Broncos", 0}, {"P", "Broncos", 0}, {"P", "Denver", 0}};
    const qa_retrieved one[] = {{"Q", "Carolina Panthers"}, {"P", "the Denver Broncos won"}};
    CHECK_OK(qa_doc_metrics(one, 2, same, 3, 2, NULL, at));
    CHECK_NEAR(AT(at, 2, QA_RECALL_MULTI_HIT), 1, 0);
    CHECK_NEAR(AT(at, 2, QA_MAP), 0.5, 1e-15);
    CHECK_NEAR(AT(at, 2, QA_NDCG), 1 / log2(3.0), 1e-15);

    /* a no-answer question: every metric is 1, whatever was retrieved */
    const qa_label none[] = {{"A", "", 1}};
    CHECK_OK(qa_doc_metrics(docs, 4, none, 1, 2, NULL, at));
    for (int m = 0; m < QA_N_DOC_METRICS; m++) CHECK_NEAR(AT(at, 2, m), 1, 0);
    /* nothing retrieved */
    CHECK_OK(qa_doc_metrics(NULL, 0, labels, 2, 1, NULL, at));
    for (int m = 0; m < QA_N_DOC_METRICS; m++) CHECK_NEAR(AT(at, 1, m), 0, 0);
}

TEST(qa_doc_metrics_equal_trec_eval_on_id_labels) {
    rng r;
    rng_seed(&r, 7);
    for (int t = 0; t < 200; t++) {
        char ids[20][8];
        for (int i = 0; i < 20; i++) snprintf(ids[i], sizeof ids[i], "d%d", i);
        int perm[20];
        for (int i = 0; i < 20; i++) perm[i] = i;
        rng_shuffle(&r, perm, 20);
        size_t n_gold = 1 + rng_below(&r, 5), n_ret = 1 + rng_below(&r, 10);
        qa_label labels[5];
        qa_retrieved docs[10];
        trec_qrels q;
        trec_run run;
        trec_qrels_init(&q);
        trec_run_init(&run);
        /* gold: a random 5-subset's first n_gold; retrieved: another shuffle of the 20 */
        for (size_t j = 0; j < n_gold; j++) {
            labels[j] = (qa_label){ids[perm[j]], NULL, 0};
            CHECK_OK(trec_qrels_add(&q, "q", ids[perm[j]], 1, "test"));
        }
        CHECK_OK(trec_qrels_finish(&q, "test"));
        rng_shuffle(&r, perm, 20);
        for (size_t i = 0; i < n_ret; i++) {
            docs[i] = (qa_retrieved){ids[perm[i]], ""};
            CHECK_OK(trec_run_add(&run, "q", ids[perm[i]], 100.0 - (double)i));
        }
        double at[10 * QA_N_DOC_METRICS];
        trec_summary s;
        CHECK_OK(qa_doc_metrics(docs, n_ret, labels, n_gold, 10, NULL, at));
        CHECK_OK(trec_evaluate(&q, &run, &s));
        CHECK_NEAR(AT(at, 10, QA_RECALL_MULTI_HIT), s.value[TREC_RECALL_10], 1e-12);
        CHECK_NEAR(AT(at, 10, QA_MRR), s.value[TREC_RECIP_RANK], 1e-12);
        CHECK_NEAR(AT(at, 10, QA_MAP), s.value[TREC_MAP], 1e-12);
        CHECK_NEAR(AT(at, 10, QA_NDCG), s.value[TREC_NDCG_CUT_10], 1e-12);
        CHECK_NEAR(AT(at, 10, QA_RECALL_SINGLE_HIT), s.num_rel_ret > 0, 0);
        trec_qrels_free(&q);
        trec_run_free(&run);
    }
}

TEST(qa_answer_metrics_top_k_by_hand) {
    /* "in London" misses; "Paris, France" vs "Paris": P 1/2, R 1, F1 2/3; "the Paris" is EM
     * (articles dropped) */
    const char *preds[] = {"in London", "Paris, France", "the Paris"}, *golds[] = {"Paris", "Lyon"};
    double at[4 * QA_N_ANSWER_METRICS];
    CHECK_OK(qa_answer_metrics(preds, 3, golds, 2, SQUAD_V1, 4, at));
    CHECK_NEAR(at[0], 0, 0);
    CHECK_NEAR(at[1], 0, 0);
    CHECK_NEAR(at[2], 0, 0);
    CHECK_NEAR(at[3], 2.0 / 3, 1e-15);
    CHECK_NEAR(at[4], 1, 0);
    CHECK_NEAR(at[5], 1, 0);
    CHECK_NEAR(at[6], 1, 0); /* k = 4: as k = 3 */
    CHECK_NEAR(at[7], 1, 0);
    /* no prediction: "" scores 0 against answers (v1.1), 1 for a no-answer question (v2.0) */
    CHECK_OK(qa_answer_metrics(NULL, 0, golds, 2, SQUAD_V1, 1, at));
    CHECK(at[0] == 0 && at[1] == 0);
    CHECK_OK(qa_answer_metrics(NULL, 0, NULL, 0, SQUAD_V2, 1, at));
    CHECK(at[0] == 1 && at[1] == 1);
    const char *na[] = {"Rome", ""};
    CHECK_OK(qa_answer_metrics(na, 2, NULL, 0, SQUAD_V2, 2, at));
    CHECK(at[0] == 0 && at[2] == 1 && at[3] == 1);
}
