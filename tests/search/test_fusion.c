/* test_fusion.c — hybrid fusion against values computed by hand from the definitions in
 * fusion.h (reciprocal rank fusion of Cormack et al. with k = 60; min-max normalised scores
 * summed with weights divided by their sum). */
#include "../test.h"
#include "needle/fusion.h"

static const fusion_hit A[] = {{"d1", 10}, {"d2", 6}, {"d3", 2}};
static const fusion_hit B[] = {{"d3", 0.9}, {"d1", 0.5}, {"d4", 0.1}};

TEST(fusion_rrf_by_hand) {
    const fusion_hit *lists[2] = {A, B};
    size_t lens[2] = {3, 3}, n;
    fusion_hit out[4];
    CHECK_OK(fusion_merge(FUSION_RRF, 2, lists, lens, NULL, 4, out, &n));
    CHECK_INT(n, 4);
    CHECK_STR(out[0].id, "d1");
    CHECK_NEAR(out[0].score, 1.0 / 61 + 1.0 / 62, 1e-15);
    CHECK_STR(out[1].id, "d3");
    CHECK_NEAR(out[1].score, 1.0 / 63 + 1.0 / 61, 1e-15);
    CHECK_STR(out[2].id, "d2");
    CHECK_NEAR(out[2].score, 1.0 / 62, 1e-15);
    CHECK_STR(out[3].id, "d4");
    CHECK_NEAR(out[3].score, 1.0 / 63, 1e-15);
    /* a cut at k = 2 */
    CHECK_OK(fusion_merge(FUSION_RRF, 2, lists, lens, NULL, 2, out, &n));
    CHECK_INT(n, 2);
    CHECK_STR(out[0].id, "d1");
    CHECK_STR(out[1].id, "d3");
}

TEST(fusion_weighted_min_max_by_hand) {
    /* A normalised: d1 1, d2 0.5, d3 0; B: d3 1, d1 0.5, d4 0. Weights 0.3 / 0.7:
     * d3 0.7, d1 0.3 + 0.35 = 0.65, d2 0.15, d4 0. */
    const fusion_hit *lists[2] = {A, B};
    size_t lens[2] = {3, 3}, n;
    double w[2] = {0.3, 0.7};
    fusion_hit out[4];
    CHECK_OK(fusion_merge(FUSION_WEIGHTED, 2, lists, lens, w, 4, out, &n));
    CHECK_INT(n, 4);
    CHECK_STR(out[0].id, "d3");
    CHECK_NEAR(out[0].score, 0.7, 1e-12);
    CHECK_STR(out[1].id, "d1");
    CHECK_NEAR(out[1].score, 0.65, 1e-12);
    CHECK_STR(out[2].id, "d2");
    CHECK_NEAR(out[2].score, 0.15, 1e-12);
    CHECK_STR(out[3].id, "d4");
    CHECK_NEAR(out[3].score, 0, 1e-12);
    /* weights are divided by their sum: 3 and 7 rank as 0.3 and 0.7 */
    double w2[2] = {3, 7};
    CHECK_OK(fusion_merge(FUSION_WEIGHTED, 2, lists, lens, w2, 4, out, &n));
    CHECK_STR(out[1].id, "d1");
    CHECK_NEAR(out[1].score, 0.65, 1e-12);
    /* a list whose scores are all equal normalises to 1; equal fused scores keep first-seen order */
    const fusion_hit C[] = {{"z", 3}, {"y", 3}}, D[] = {{"x", 1}};
    const fusion_hit *l2[2] = {C, D};
    size_t len2[2] = {2, 1};
    CHECK_OK(fusion_merge(FUSION_WEIGHTED, 2, l2, len2, NULL, 4, out, &n));
    CHECK_INT(n, 3);
    CHECK_STR(out[0].id, "z");
    CHECK_STR(out[1].id, "y");
    CHECK_STR(out[2].id, "x");
    CHECK_NEAR(out[2].score, 0.5, 1e-15);
    fusion_method m;
    CHECK_OK(fusion_method_parse("weighted", &m));
    CHECK_INT(m, FUSION_WEIGHTED);
    CHECK_ERR(fusion_method_parse("max", &m), NEEDLE_EINVAL, "use rrf or weighted");
}

TEST(fusion_runs_rank_each_query) {
    trec_run a, b, out;
    trec_run_init(&a), trec_run_init(&b), trec_run_init(&out);
    /* run a, query 1: d2 (5) then d1 (5): equal scores rank by docno descending, so d2 first */
    CHECK_OK(trec_run_add(&a, "1", "d1", 5));
    CHECK_OK(trec_run_add(&a, "1", "d2", 5));
    CHECK_OK(trec_run_add(&b, "1", "d1", 1));
    CHECK_OK(trec_run_add(&b, "2", "d9", 1));
    const trec_run *runs[2] = {&a, &b};
    CHECK_OK(fusion_runs(FUSION_RRF, 2, runs, NULL, 10, &out));
    CHECK_INT(out.qids.count, 2);
    uint32_t q;
    CHECK(strtab_find(&out.qids, "1", 1, &q));
    CHECK_INT(out.q[q].n, 2);
    /* d1: 1/62 + 1/61, d2: 1/61 */
    for (size_t i = 0; i < out.q[q].n; i++) {
        const char *doc = strtab_str(&out.docs, out.q[q].r[i].doc);
        CHECK_NEAR(out.q[q].r[i].score, !strcmp(doc, "d1") ? 1.0 / 62 + 1.0 / 61 : 1.0 / 61, 1e-15);
    }
    CHECK(strtab_find(&out.qids, "2", 1, &q));
    CHECK_INT(out.q[q].n, 1);
    trec_run_free(&a), trec_run_free(&b), trec_run_free(&out);
}
