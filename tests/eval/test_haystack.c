/* test_haystack.c — Haystack 1.x document metrics on cases worked out by hand from the
 * formulas of haystack/schema.py (_build_document_metrics_df). */
#include "../test.h"
#include "needle/haystack_metrics.h"

TEST(haystack_metrics_hand_computed) {
    const char *retrieved[] = {"a", "b", "c", "d"}, *gold[] = {"b", "d", "e", "b"};
    haystack_doc_metrics m;
    CHECK_OK(haystack_doc_metrics_compute(retrieved, 4, gold, 4, &m));
    /* relevant at ranks 2 and 4; 3 distinct gold ids */
    CHECK_NEAR(m.recall_single_hit, 1.0, 1e-12);
    CHECK_NEAR(m.recall_multi_hit, 2.0 / 3, 1e-12);
    CHECK_NEAR(m.precision, 2.0 / 4, 1e-12);
    CHECK_NEAR(m.mrr, 1.0 / 2, 1e-12);
    CHECK_NEAR(m.map, (1.0 / 2 + 2.0 / 4) / 3, 1e-12);
    CHECK_NEAR(m.ndcg, (1 / log2(3.0) + 1 / log2(5.0)) / (1 / log2(2.0) + 1 / log2(3.0) + 1 / log2(4.0)), 1e-12);

    const char *none[] = {"x", "y"};
    CHECK_OK(haystack_doc_metrics_compute(none, 2, gold, 4, &m));
    CHECK(m.recall_single_hit == 0 && m.recall_multi_hit == 0 && m.mrr == 0 && m.map == 0 && m.ndcg == 0 && m.precision == 0);
    CHECK_OK(haystack_doc_metrics_compute(retrieved, 4, gold, 0, &m));
    CHECK(m.recall_multi_hit == 0 && m.map == 0 && m.ndcg == 0);
    CHECK_OK(haystack_doc_metrics_compute(retrieved, 0, gold, 4, &m));
    CHECK(m.precision == 0 && m.recall_single_hit == 0);
    const char *first[] = {"e"};
    CHECK_OK(haystack_doc_metrics_compute(first, 1, gold, 4, &m));
    CHECK_NEAR(m.ndcg, 1.0 / (1 / log2(2.0) + 1 / log2(3.0) + 1 / log2(4.0)), 1e-12);
    CHECK_NEAR(m.mrr, 1.0, 1e-12);
}
