/* test_trec.c — trec_eval's measures on small cases whose expected values are worked out by
 * hand from trec_eval 9's definitions (m_map.c, m_recip_rank.c, m_P.c, m_recall.c,
 * m_ndcg_cut.c, form_res_rels.c, trec_eval.c with -c): ties ranked by docno descending,
 * relevance 0 and negative judgements, a qrels query without results, one without relevant
 * documents, P@k with fewer than k retrieved, graded nDCG gains, duplicates refused. */
#include "../test.h"
#include "needle/file.h"
#include "needle/trec.h"

#include <stdlib.h>

static char *write_tmp(const char *name, const char *text) {
    char *path = path_join(test_tmpdir(), name);
    file_write_atomic(path, text, strlen(text));
    return path;
}

static const char *qrels_text = "q1 0 d1 1\n"
                                "q1 0 d2 2\n"
                                "q1 0 d3 0\n"
                                "q1 0 d4 -1\n"
                                "q1 0 d5 1\n"
                                "# a comment line\n"
                                "q2 0 x1 0\n"
                                "q3 0 y1 1\n";

static const char *run_text = "q1 Q0 d3 1 5.0 t\n"
                              "q1 Q0 d1 2 4.0 t\n"
                              "q1 Q0 d9 3 4.0 t\n"
                              "q1 Q0 d2 4 3.0 t\n"
                              "q1 Q0 d4 5 2.0 t\n"
                              "q9 Q0 d1 1 1.0 t\n"
                              "q2 Q0 x1 1 1.0 t\n";

TEST(trec_eval_hand_computed_query) {
    char *qp = write_tmp("q.qrels", qrels_text);
    trec_qrels qrels;
    trec_run run;
    CHECK_OK(trec_qrels_read(qp, &qrels));
    CHECK_OK(trec_run_parse(run_text, strlen(run_text), "run", &run));
    /* q1 ranked: d3 (5.0, rel 0), d9 (4.0, not judged: docno "d9" > "d1" ranks first on the
     * tie), d1 (4.0, rel 1), d2 (3.0, rel 2), d4 (2.0, unjudged). Relevant: d1, d2, d5. */
    uint32_t qi, ri;
    CHECK(strtab_find(&qrels.qids, "q1", 2, &qi) && strtab_find(&run.qids, "q1", 2, &ri));
    double v[TREC_N_MEASURES];
    size_t rel_ret;
    CHECK_OK(trec_eval_query(&run, &run.q[ri], &qrels, &qrels.q[qi], v, &rel_ret));
    CHECK_INT(rel_ret, 2);
    CHECK_NEAR(v[TREC_MAP], (1.0 / 3 + 2.0 / 4) / 3, 1e-12);
    CHECK_NEAR(v[TREC_RECIP_RANK], 1.0 / 3, 1e-12);
    CHECK_NEAR(v[TREC_P_5], 2.0 / 5, 1e-12);
    CHECK_NEAR(v[TREC_P_10], 2.0 / 10, 1e-12);
    CHECK_NEAR(v[TREC_RECALL_10], 2.0 / 3, 1e-12);
    CHECK_NEAR(v[TREC_RECALL_1000], 2.0 / 3, 1e-12);
    double ndcg = (1 / log2(4.0) + 2 / log2(5.0)) / (2 / log2(2.0) + 1 / log2(3.0) + 1 / log2(4.0));
    CHECK_NEAR(v[TREC_NDCG_CUT_10], ndcg, 1e-12);
    CHECK_NEAR(v[TREC_NDCG_CUT_100], ndcg, 1e-12);

    /* means over the 3 qrels queries: q2 (no relevant docs) and q3 (no results) count 0; q9
     * (not in the qrels) is ignored */
    trec_summary s;
    CHECK_OK(trec_evaluate(&qrels, &run, &s));
    CHECK_INT(s.num_q, 3);
    CHECK_NEAR(s.value[TREC_MAP], (1.0 / 3 + 2.0 / 4) / 3 / 3, 1e-12);
    CHECK_NEAR(s.value[TREC_P_5], 2.0 / 5 / 3, 1e-12);
    CHECK_NEAR(s.value[TREC_RECALL_100], 2.0 / 3 / 3, 1e-12);
    CHECK_NEAR(s.value[TREC_NDCG_CUT_10], ndcg / 3, 1e-12);
    CHECK_INT(s.num_rel, 4);
    CHECK_INT(s.num_ret, 6);
    strbuf js;
    strbuf_init(&js);
    jsonw w;
    jsonw_init(&w, &js);
    jsonw_object_begin(&w);
    trec_summary_json(&s, &w);
    jsonw_object_end(&w);
    CHECK(!w.err);
    CHECK(strstr(js.data, "\"ndcg_cut_10\":") && strstr(js.data, "\"recip_rank\":") && strstr(js.data, "\"P_5\":"));
    strbuf_free(&js);
    trec_run_free(&run);
    trec_qrels_free(&qrels);
    free(qp);
}

TEST(trec_eval_cutoffs_and_graded_ideal) {
    /* 12 results, relevant at ranks 1 and 11 (rel 3 and 1), one relevant never retrieved */
    trec_qrels q;
    trec_qrels_init(&q);
    CHECK_OK(trec_qrels_add(&q, "a", "r1", 3, "t"));
    CHECK_OK(trec_qrels_add(&q, "a", "r11", 1, "t"));
    CHECK_OK(trec_qrels_add(&q, "a", "missing", 2, "t"));
    CHECK_OK(trec_qrels_finish(&q, "t"));
    trec_run run;
    trec_run_init(&run);
    char doc[16];
    for (int i = 1; i <= 12; i++) {
        snprintf(doc, sizeof doc, i == 1 ? "r1" : i == 11 ? "r11" : "n%02d", i);
        CHECK_OK(trec_run_add(&run, "a", doc, 100.0 - i));
    }
    double v[TREC_N_MEASURES];
    size_t rel_ret;
    CHECK_OK(trec_eval_query(&run, &run.q[0], &q, &q.q[0], v, &rel_ret));
    CHECK_NEAR(v[TREC_P_10], 1.0 / 10, 1e-12);
    CHECK_NEAR(v[TREC_RECALL_10], 1.0 / 3, 1e-12);
    CHECK_NEAR(v[TREC_RECALL_100], 2.0 / 3, 1e-12);
    CHECK_NEAR(v[TREC_MAP], (1.0 / 1 + 2.0 / 11) / 3, 1e-12);
    double ideal = 3 / log2(2.0) + 2 / log2(3.0) + 1 / log2(4.0);
    CHECK_NEAR(v[TREC_NDCG_CUT_10], 3.0 / ideal, 1e-12);
    CHECK_NEAR(v[TREC_NDCG_CUT_100], (3.0 + 1 / log2(12.0)) / ideal, 1e-12);
    trec_run_free(&run);
    trec_qrels_free(&q);
}

TEST(trec_files_forms_and_errors) {
    char *beir = write_tmp("b.tsv", "query-id\tcorpus-id\tscore\n1\tdA\t1\n1\tdB\t2\n2\tdC\t1\n");
    trec_qrels q;
    CHECK_OK(trec_qrels_read(beir, &q));
    CHECK_INT(q.qids.count, 2);
    uint32_t id;
    CHECK(strtab_find(&q.qids, "1", 1, &id) && q.q[id].n == 2);
    trec_qrels_free(&q);
    char *bad = write_tmp("bad.qrels", "q1 0 d1 1\nq1 0 d2 x\n");
    CHECK_ERR(trec_qrels_read(bad, &q), NEEDLE_EFORMAT, "bad.qrels:2: expected");
    char *dupq = write_tmp("dup.qrels", "q1 0 d1 1\nq1 0 d1 0\n");
    CHECK_ERR(trec_qrels_read(dupq, &q), NEEDLE_EFORMAT, "judges document d1 twice");
    trec_run run;
    const char *dup = "q1 Q0 d1 1 2.0 t\nq1 Q0 d1 2 1.0 t\n";
    CHECK_ERR(trec_run_parse(dup, strlen(dup), "r.run", &run), NEEDLE_EFORMAT, "lists document d1 twice");
    const char *short_line = "q1 Q0 d1 1 2.0 t\nq1 Q0 d2 2\n";
    CHECK_ERR(trec_run_parse(short_line, strlen(short_line), "r.run", &run), NEEDLE_EFORMAT, "r.run:2:");
    const char *nan_score = "q1 Q0 d1 1 abc t\n";
    CHECK_ERR(trec_run_parse(nan_score, strlen(nan_score), "r.run", &run), NEEDLE_EFORMAT, "numeric score");
    strbuf sb;
    strbuf_init(&sb);
    CHECK_OK(trec_run_format_line(&sb, "7", "doc", 3, 13.5653f, "tag"));
    CHECK_STR(sb.data, "7 Q0 doc 3 13.565300 tag\n");
    strbuf_free(&sb);
    free(beir);
    free(bad);
    free(dupq);
}
