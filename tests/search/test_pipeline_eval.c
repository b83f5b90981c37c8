/* test_pipeline_eval.c — `needle eval pipeline`'s engine on two small worlds whose expected
 * numbers are worked by hand from Haystack 1.x's rules (qa_metrics.h):
 *  - animals.json indexed as four passages, asked through BM25 (top_k 3) and Docs2Answers:
 *    q1 retrieves [gold, other], q2-q4 their gold passage alone, q5 nothing, q6 a passage that is
 *    not its gold one but contains the answer (relevant under document_id_or_answer); so at
 *    k = 1 every document metric is 5/6, and at k = 2 precision is (1/2 + 1 + 1 + 1 + 0 + 1) / 6;
 *    the answers are "" (no FAQ answers): EM and F1 0, and the worst questions are the first
 *    five in file order, q1 q4 q6 q2 q5 (ties keep question order);
 *  - FAQ documents whose meta holds the answers: Docs2Answers answers qa and qc exactly and qb
 *    with "In Berlin, next to the station." against "In Berlin" (F1 4/7), so EM@1 2/3 and
 *    F1@1 (1 + 4/7 + 1) / 3; the answers are not in the documents and the labels are not in the
 *    store, so no document is relevant. (BM25 rankings checked with needle query when the
 *    fixture was written; see tests/fixtures/pipeline/SOURCE.md.) */
#include "../test.h"
#include "needle/file.h"
#include "needle/ingest.h"
#include "needle/pipeline_eval.h"

#include <stdio.h>
#include <stdlib.h>

static pipeline *open_world(const char *name, const char *input, doc_format fmt) {
    char store[512], yaml_path[512], yaml[1024];
    snprintf(store, sizeof store, "%s/%s.db", test_tmpdir(), name);
    remove(store);
    docstore *ds = NULL;
    CHECK_OK(docstore_open(&ds, store, DOCSTORE_CREATE));
    ingest_opts o;
    ingest_opts_default(&o);
    o.pre.split_by = SPLIT_NONE;
    ingest_stats st = {0};
    CHECK_OK(ingest_file(ds, &o, input, fmt, &st));
    docstore_close(ds);
    snprintf(yaml, sizeof yaml,
             "components:\n"
             "  - {name: DocumentStore, type: SQLiteDocumentStore, params: {path: %s.db}}\n"
             "  - {name: Retriever, type: BM25Retriever, params: {top_k: 3}}\n"
             "  - {name: Answers, type: Docs2Answers}\n"
             "pipelines:\n"
             "  - {name: query, nodes: [{name: Retriever, inputs: [Query]}, {name: Answers, inputs: [Retriever]}]}\n",
             name);
    snprintf(yaml_path, sizeof yaml_path, "%s/%s.yaml", test_tmpdir(), name);
    CHECK_OK(file_write_atomic(yaml_path, yaml, strlen(yaml)));
    pipeline *p = NULL;
    CHECK_OK(pipeline_open_file(&p, yaml_path, NULL));
    return p;
}

static const cJSON *node(const cJSON *r, int i) { return cJSON_GetArrayItem(cJSON_GetObjectItem(r, "nodes"), i); }
static double metric(const cJSON *n, const char *m) { return cJSON_GetObjectItem(cJSON_GetObjectItem(n, "metrics"), m)->valuedouble; }
static double at_k(const cJSON *n, const char *m, int k) {
    return cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(n, "at_k"), m), k - 1)->valuedouble;
}

TEST(pipeline_eval_animals_by_hand) {
    pipeline *p = open_world("animals", FIXTURES "/pipeline/animals.json", DOCFMT_SQUAD);
    if (!p) return;
    squad_dataset ds;
    squad_load_opts lo = {SQUAD_OFFSETS_KEEP, 0};
    CHECK_OK(squad_load(FIXTURES "/pipeline/animals.json", &lo, &ds));
    pipeline_eval_opts o;
    pipeline_eval_opts_default(&o);
    cJSON *r = NULL;
    CHECK_OK(pipeline_eval(p, &ds, &o, &r));
    if (!r) return;
    CHECK_INT(cJSON_GetObjectItem(r, "questions")->valueint, 6);
    CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(r, "nodes")), 3);
    const cJSON *ret = node(r, 0), *ans = node(r, 1), *iso = node(r, 2);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(ret, "kind")), "documents");
    CHECK_INT(cJSON_GetObjectItem(ret, "k")->valueint, 2);
    const char *names[] = {"recall_single_hit", "recall_multi_hit", "precision", "mrr", "map", "ndcg"};
    for (int m = 0; m < 6; m++) CHECK_NEAR(at_k(ret, names[m], 1), 5.0 / 6, 1e-12);
    CHECK_NEAR(at_k(ret, "precision", 2), (0.5 + 1 + 1 + 1 + 0 + 1) / 6, 1e-12);
    CHECK_NEAR(metric(ret, "precision"), 0.75, 1e-12);
    CHECK_NEAR(metric(ret, "recall_single_hit"), 5.0 / 6, 1e-12);
    CHECK_NEAR(metric(ret, "map"), 5.0 / 6, 1e-12);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(ans, "mode")), "integrated");
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(iso, "mode")), "isolated");
    CHECK(metric(ans, "exact_match") == 0 && metric(ans, "f1_top_k") == 0 && metric(iso, "f1") == 0);
    const cJSON *worst = cJSON_GetObjectItem(r, "worst");
    CHECK_INT(cJSON_GetArraySize(worst), 5);
    const char *ids[] = {"q1", "q4", "q6", "q2", "q5"}; /* file order */
    for (int i = 0; i < 5; i++) CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(worst, i), "id")), ids[i]);
    const cJSON *docs = cJSON_GetObjectItem(cJSON_GetArrayItem(worst, 0), "documents");
    CHECK_INT(cJSON_GetArraySize(docs), 2);
    CHECK(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetArrayItem(docs, 0), "relevant")));
    CHECK(cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetArrayItem(docs, 1), "relevant")));
    cJSON_Delete(r);

    /* --top-k-retriever 1: the curve stops at k = 1; --limit 4: q1 q4 q6 q2, all found at rank 1 */
    o.top_k_retriever = 1;
    o.limit = 4;
    o.isolated = 0;
    CHECK_OK(pipeline_eval(p, &ds, &o, &r));
    CHECK_INT(cJSON_GetObjectItem(node(r, 0), "k")->valueint, 1);
    CHECK_NEAR(metric(node(r, 0), "ndcg"), 1, 1e-12);
    CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(r, "nodes")), 2);
    cJSON_Delete(r);
    squad_dataset_free(&ds);
    pipeline_close(p);
}

TEST(pipeline_eval_faq_answers_by_hand) {
    pipeline *p = open_world("faq", FIXTURES "/pipeline/faq.jsonl", DOCFMT_JSONL);
    if (!p) return;
    squad_dataset ds;
    squad_load_opts lo = {SQUAD_OFFSETS_KEEP, 0};
    CHECK_OK(squad_load(FIXTURES "/pipeline/faq_labels.json", &lo, &ds));
    pipeline_eval_opts o;
    pipeline_eval_opts_default(&o);
    cJSON *r = NULL;
    CHECK_OK(pipeline_eval(p, &ds, &o, &r));
    if (!r) return;
    const cJSON *ret = node(r, 0), *ans = node(r, 1), *iso = node(r, 2);
    CHECK(metric(ret, "recall_single_hit") == 0 && metric(ret, "mrr") == 0);
    CHECK_NEAR(metric(ans, "exact_match"), 2.0 / 3, 1e-12);
    CHECK_NEAR(metric(ans, "f1"), (1 + 4.0 / 7 + 1) / 3, 1e-12);
    CHECK_NEAR(metric(ans, "f1_top_k"), (1 + 4.0 / 7 + 1) / 3, 1e-12);
    const cJSON *by_ret = cJSON_GetObjectItem(cJSON_GetObjectItem(ans, "at_retriever_k"), "exact_match");
    CHECK_NEAR(cJSON_GetArrayItem(by_ret, 0)->valuedouble, 2.0 / 3, 1e-12);
    /* isolated: the gold passage is the SQuAD paragraph, which has no FAQ answer */
    CHECK(metric(iso, "exact_match") == 0);
    /* the worst question is qb (F1 4/7 < 1) */
    const cJSON *w = cJSON_GetArrayItem(cJSON_GetObjectItem(r, "worst"), 0);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(w, "id")), "qb");
    CHECK_NEAR(cJSON_GetObjectItem(w, "value")->valuedouble, 4.0 / 7, 1e-12);
    cJSON_Delete(r);
    o.integrated = 0;
    o.isolated = 0;
    CHECK_ERR(pipeline_eval(p, &ds, &o, &r), NEEDLE_EINVAL, "no mode");
    squad_dataset_free(&ds);
    pipeline_close(p);
}
