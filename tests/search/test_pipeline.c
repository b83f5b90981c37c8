/* test_pipeline.c — pipeline files and the graph they describe.
 * References: the layout and params routing of Haystack 1.x's Pipeline.load_from_yaml and
 * Pipeline.run (a key naming a node is its own, other keys go to every node taking them,
 * anything else is an error); BM25 rankings compared with search_store_bm25 (the store's BM25
 * search, tested on its own against Lucene's arithmetic) and Haystack's score scaling
 * expit(score / 8) computed here; Docs2Answers' answers as Haystack builds them; every error
 * checked for the file, line and component it must name (lines counted by hand). */
#include "../test.h"
#include "needle/file.h"
#include "needle/pipeline.h"
#include "needle/search_store.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static const char *const docs_text[][3] = {
    {"d1", "The capital of France is Paris, a city on the Seine.", "{\"title\": \"France\", \"lang\": \"en\"}"},
    {"d2", "Berlin is the capital of Germany.", "{\"title\": \"Germany\", \"lang\": \"en\"}"},
    {"d3", "Paris has many museums; the Louvre is the largest.", "{\"title\": \"Museums\", \"lang\": \"fr\"}"},
    {"d4", "What is the capital of Italy?", "{\"answer\": \"Rome\"}"},
};

/* A store in the test's directory holding docs_text[first, first + n). */
static char *make_store(const char *name, size_t first, size_t n) {
    char *path = path_join(test_tmpdir(), name);
    remove(path);
    docstore *ds;
    CHECK_OK(docstore_open(&ds, path, DOCSTORE_CREATE));
    for (size_t i = first; i < first + n; i++) {
        docstore_doc d;
        docstore_doc_init(&d);
        d.id = docs_text[i][0];
        d.content = docs_text[i][1];
        d.meta_json = docs_text[i][2];
        CHECK_OK(docstore_add(ds, &d, 1, DOCSTORE_DUP_FAIL, NULL));
    }
    docstore_close(ds);
    return path;
}

static char *write_file(const char *name, const char *text) {
    char *path = path_join(test_tmpdir(), name);
    CHECK_OK(file_write_atomic(path, text, strlen(text)));
    return path;
}

static const char *const bm25_yaml =
    "version: '1.0'\n"
    "components:\n"
    "  - name: DocumentStore\n"
    "    type: SQLiteDocumentStore\n"
    "    params:\n"
    "      path: p1.db\n"
    "  - name: Retriever\n"
    "    type: BM25Retriever\n"
    "    params:\n"
    "      document_store: DocumentStore\n"
    "      top_k: 3\n"
    "  - name: FAQ\n"
    "    type: Docs2Answers\n"
    "pipelines:\n"
    "  - name: query\n"
    "    nodes:\n"
    "      - name: Retriever\n"
    "        inputs: [Query]\n"
    "      - name: FAQ\n"
    "        inputs: [Retriever]\n";

TEST(pipeline_bm25_matches_store_search_and_scales_scores) {
    char *store = make_store("p1.db", 0, 4);
    char *yaml = write_file("p1.yaml", bm25_yaml);
    pipeline *p = NULL;
    CHECK_OK(pipeline_open_file(&p, yaml, NULL));
    if (!p) return;
    CHECK_INT(pipeline_node_count(p), 2);
    CHECK_STR(pipeline_node_name(p, 1), "FAQ");
    CHECK_STR(pipeline_node_type(p, 0), "BM25Retriever");
    CHECK(pipeline_node_gives_answers(p, 1) && !pipeline_node_gives_answers(p, 0));

    /* the reference: the store's own BM25 index and search */
    docstore *ds;
    bm25_index *ix;
    char *ixpath = path_join(test_tmpdir(), "p1.bm25");
    CHECK_OK(docstore_open(&ds, store, DOCSTORE_READONLY));
    CHECK_OK(search_store_build_bm25(ds, ixpath));
    CHECK_OK(bm25_index_open(&ix, ixpath));
    search_hit hits[3];
    size_t n_ref = 0;
    CHECK_OK(search_store_bm25(ds, ix, "capital Paris", 3, NULL, NULL, hits, &n_ref));
    CHECK_INT(n_ref, 3);

    pipeline_result r;
    CHECK_OK(pipeline_query(p, "capital Paris", NULL, &r));
    CHECK_INT(r.n, 2);
    CHECK_STR(r.nodes[0].node, "Retriever");
    CHECK(r.final == &r.nodes[1]);
    CHECK_INT(r.nodes[0].n_docs, n_ref);
    for (size_t i = 0; i < n_ref && i < r.nodes[0].n_docs; i++) {
        CHECK_STR(r.nodes[0].docs[i].id, hits[i].doc.id);
        CHECK_NEAR(r.nodes[0].docs[i].score, 1.0 / (1.0 + exp(-hits[i].score / 8.0)), 1e-12);
    }
    /* Docs2Answers: the FAQ document's answer comes from its meta, the others are "" with the content as context */
    CHECK_INT(r.final->n_answers, 3);
    CHECK_INT(r.final->n_docs, 3);
    for (size_t i = 0; i < r.final->n_answers; i++) {
        const pipeline_answer *a = &r.final->answers[i];
        CHECK_STR(a->type, "other");
        CHECK_STR(a->document_id, r.final->docs[i].id);
        CHECK_NEAR(a->score, r.final->docs[i].score, 0);
        if (!strcmp(a->document_id, "d4")) {
            CHECK_STR(a->answer, "Rome");
            CHECK_STR(a->context, "Rome");
            CHECK_INT(a->context_start, 0);
            CHECK_INT(a->context_end, 4);
            CHECK_STR(a->meta_json, "{\"answer\":\"Rome\",\"query\":\"What is the capital of Italy?\"}");
        } else {
            CHECK_STR(a->answer, "");
            CHECK_STR(a->context, r.final->docs[i].content);
            CHECK_INT(a->context_start, -1);
        }
    }
    pipeline_result_free(&r);

    /* params: per node, global, filters; raw scores without scaling */
    cJSON *params = cJSON_Parse("{\"Retriever\": {\"top_k\": 1, \"scale_score\": false}}");
    CHECK_OK(pipeline_query(p, "capital Paris", params, &r));
    CHECK_INT(r.nodes[0].n_docs, 1);
    if (r.nodes[0].n_docs) CHECK_NEAR(r.nodes[0].docs[0].score, hits[0].score, 1e-6);
    pipeline_result_free(&r);
    cJSON_Delete(params);
    params = cJSON_Parse("{\"top_k\": 2, \"filters\": {\"lang\": \"fr\"}}");
    CHECK_OK(pipeline_query(p, "capital Paris", params, &r));
    CHECK_INT(r.nodes[0].n_docs, 1);
    if (r.nodes[0].n_docs) CHECK_STR(r.nodes[0].docs[0].id, "d3");
    pipeline_result_free(&r);
    cJSON_Delete(params);

    /* Haystack's refusals, and the page's Reader params on a pipeline without a reader */
    params = cJSON_Parse("{\"Ranker\": {}}");
    CHECK_ERR(pipeline_query(p, "x", params, &r), NEEDLE_EINVAL, "no node or global parameter named \"Ranker\"");
    cJSON_Delete(params);
    params = cJSON_Parse("{\"Retriever\": {\"top_n\": 3}}");
    CHECK_ERR(pipeline_query(p, "x", params, &r), NEEDLE_EINVAL, "params.Retriever: unknown parameter \"top_n\"");
    cJSON_Delete(params);
    params = cJSON_Parse("{\"top_k\": 0}");
    CHECK_ERR(pipeline_query(p, "x", params, &r), NEEDLE_EINVAL, "params.Retriever.top_k should be an integer in 1..1000");
    cJSON_Delete(params);
    params = cJSON_Parse("{\"filters\": {\"a\": {\"$regex\": \"b\"}}}");
    CHECK_ERR(pipeline_query(p, "x", params, &r), NEEDLE_EINVAL, "$regex");
    cJSON_Delete(params);
    params = cJSON_Parse("{\"Reader\": {\"top_k\": 3}}");
    CHECK_OK(pipeline_query(p, "Paris", params, &r));
    pipeline_result_free(&r);
    cJSON_Delete(params);

    /* isolated: FAQ on given documents */
    pipeline_doc given = {-1, "g1", "a question", "{\"answer\": \"an answer\"}", NULL, -1, -1, -1, 0.5};
    CHECK_OK(pipeline_query_from(p, "FAQ", "q", &given, 1, NULL, &r));
    CHECK_INT(r.n, 1);
    CHECK(r.final && r.final->n_answers == 1);
    if (r.final && r.final->n_answers) CHECK_STR(r.final->answers[0].answer, "an answer");
    pipeline_result_free(&r);
    CHECK_ERR(pipeline_query_from(p, "Retriever", "q", &given, 1, NULL, &r), NEEDLE_EINVAL, "reads the Query");

    /* the JSON response */
    strbuf sb;
    strbuf_init(&sb);
    jsonw w;
    jsonw_init(&w, &sb);
    jsonw_object_begin(&w);
    CHECK_OK(pipeline_run(p, "Italy", NULL, &w));
    jsonw_object_end(&w);
    cJSON *j = cJSON_Parse(sb.data);
    CHECK(j != NULL);
    const cJSON *ans = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "answers"), 0);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(ans, "answer")), "Rome");
    CHECK_STR(cJSON_GetStringValue(cJSON_GetArrayItem(cJSON_GetObjectItem(ans, "document_ids"), 0)), "d4");
    CHECK_INT(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(ans, "offsets_in_context"), 0), "end")->valueint, 4);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "documents"), 0), "id")), "d4");
    cJSON_Delete(j);
    strbuf_free(&sb);

    search_hits_free(hits, n_ref);
    bm25_index_close(ix);
    docstore_close(ds);
    pipeline_close(p);
    free(ixpath);
    free(yaml);
    free(store);
}

TEST(pipeline_hybrid_join_over_two_stores) {
    char *a = make_store("ja.db", 0, 2), *b = make_store("jb.db", 1, 2);
    char *yaml = write_file("join.yaml",
                            "components:\n"
                            "  - {name: A, type: SQLiteDocumentStore, params: {path: ja.db}}\n"
                            "  - {name: B, type: SQLiteDocumentStore, params: {path: jb.db}}\n"
                            "  - {name: RA, type: BM25Retriever, params: {document_store: A}}\n"
                            "  - {name: RB, type: BM25Retriever, params: {document_store: B}}\n"
                            "  - {name: Join, type: JoinDocuments, params: {join_mode: reciprocal_rank_fusion}}\n"
                            "pipelines:\n"
                            "  - name: hybrid\n"
                            "    nodes:\n"
                            "      - {name: RA, inputs: [Query]}\n"
                            "      - {name: RB, inputs: [Query]}\n"
                            "      - {name: Join, inputs: [RA, RB]}\n");
    pipeline *p = NULL;
    CHECK_OK(pipeline_open_file(&p, yaml, NULL));
    if (!p) return;
    pipeline_result r;
    CHECK_OK(pipeline_query(p, "capital", NULL, &r));
    CHECK_INT(r.n, 3);
    /* each store ranks its documents; d2 is in both lists */
    const pipeline_output *ra = &r.nodes[0], *rb = &r.nodes[1];
    CHECK_INT(ra->n_docs, 2);
    CHECK_INT(rb->n_docs, 1); /* d3 has no "capital" */
    CHECK_INT(r.final->n_docs, 2);
    /* RRF by hand: a document at 0-based rank i of a list gets 1/(61 + i) */
    for (size_t i = 0; i < r.final->n_docs; i++) {
        const pipeline_doc *d = &r.final->docs[i];
        double want = 0;
        for (size_t k = 0; k < ra->n_docs; k++)
            if (!strcmp(ra->docs[k].id, d->id)) want += 1.0 / (61.0 + (double)k);
        for (size_t k = 0; k < rb->n_docs; k++)
            if (!strcmp(rb->docs[k].id, d->id)) want += 1.0 / (61.0 + (double)k);
        CHECK_NEAR(d->score, want, 1e-15);
    }
    if (r.final->n_docs == 2) CHECK(r.final->docs[0].score >= r.final->docs[1].score);
    pipeline_result_free(&r);
    cJSON *params = cJSON_Parse("{\"top_k_join\": 1}");
    CHECK_OK(pipeline_query(p, "capital", params, &r));
    CHECK_INT(r.final->n_docs, 1);
    pipeline_result_free(&r);
    cJSON_Delete(params);
    /* the server's store is the first one the pipeline opened */
    long long n = 0;
    CHECK_OK(docstore_count(pipeline_docstore(p), NULL, &n));
    CHECK_INT(n, 2);
    pipeline_close(p);
    free(yaml);
    free(a);
    free(b);
}

/* Open a pipeline file written from `text` and expect an error whose message holds `want`. */
static void expect_error(const char *text, int code, const char *want) {
    char *yaml = write_file("bad.yaml", text);
    pipeline *p = NULL;
    int rc = pipeline_open_file(&p, yaml, NULL);
    if (rc != code) test_fail(__FILE__, __LINE__, "[%s] returned %d (%s), expected %d", want, rc, error_message(), code);
    else if (!strstr(error_message(), want)) test_fail(__FILE__, __LINE__, "message \"%s\" lacks \"%s\"", error_message(), want);
    pipeline_close(p);
    free(yaml);
}

TEST(pipeline_file_errors_name_file_line_and_component) {
    char *store = make_store("e.db", 0, 1);
    char where[600];
    snprintf(where, sizeof where, "%s/bad.yaml", test_tmpdir());
#define HEAD "components:\n  - {name: DocumentStore, type: SQLiteDocumentStore, params: {path: e.db}}\n"
#define TAIL "pipelines:\n  - name: query\n    nodes:\n      - {name: R, inputs: [Query]}\n"
    char want[800];
    snprintf(want, sizeof want, "%s:3:1: YAML syntax error", where);
    expect_error("components:\n  - name: [x\n", NEEDLE_EFORMAT, want);
    snprintf(want, sizeof want, "%s:3: component 'R': unknown type 'BM42Retriever'", where);
    expect_error(HEAD "  - {name: R, type: BM42Retriever}\n" TAIL, NEEDLE_EFORMAT, want);
    snprintf(want, sizeof want, "%s:3: component 'R' (DensePassageRetriever): params.query_embedding_model: missing (required)",
             where);
    expect_error(HEAD "  - {name: R, type: DensePassageRetriever}\n" TAIL, NEEDLE_EFORMAT, want);
    snprintf(want, sizeof want, "%s:10: node 'J': input 'Retriever' is not Query nor a node listed before it", where);
    expect_error(HEAD "  - {name: R, type: BM25Retriever}\n  - {name: J, type: JoinDocuments}\n"
                 "pipelines:\n  - name: query\n    nodes:\n      - name: J\n        inputs:\n          - Retriever\n"
                 "      - {name: R, inputs: [Query]}\n", NEEDLE_EFORMAT, want);
    snprintf(want, sizeof want, "%s:6: component 'R' (BM25Retriever): params.topk: unknown parameter", where);
    expect_error(HEAD "  - name: R\n    type: BM25Retriever\n    params:\n      topk: 3\n" TAIL, NEEDLE_EFORMAT, want);
    snprintf(want, sizeof want, "%s:3: component 'R' (BM25Retriever): params.top_k: should be an integer in 1..1000", where);
    expect_error(HEAD "  - {name: R, type: BM25Retriever, params: {top_k: 1e-5}}\n" TAIL, NEEDLE_EFORMAT, want);
    snprintf(want, sizeof want, "%s:3: component 'R' (BM25Retriever): params.document_store: no component named 'Store'", where);
    expect_error(HEAD "  - {name: R, type: BM25Retriever, params: {document_store: Store}}\n" TAIL, NEEDLE_EFORMAT, want);
    expect_error("components:\n  - {name: DocumentStore, type: SQLiteDocumentStore, params: {path: missing.db}}\n"
                 "  - {name: R, type: BM25Retriever}\n" TAIL, NEEDLE_ENOTFOUND, "params.path: no document store at");
    snprintf(want, sizeof want, "%s:3: component 'R' is defined twice (first at line 2)", where);
    expect_error("components:\n  - {name: R, type: BM25Retriever}\n  - {name: R, type: BM25Retriever}\n" TAIL,
                 NEEDLE_EFORMAT, want);
    snprintf(want, sizeof want, "%s:9: node 'R' (BM25Retriever): a retriever takes the Query as its input, not R2", where);
    expect_error(HEAD "  - {name: R, type: BM25Retriever}\n  - {name: R2, type: BM25Retriever}\n"
                 "pipelines:\n  - name: query\n    nodes:\n      - {name: R2, inputs: [Query]}\n      - {name: R, inputs: [R2]}\n",
                 NEEDLE_EFORMAT, want);
    expect_error(HEAD "  - {name: R, type: BM25Retriever}\n  - {name: R2, type: BM25Retriever}\n"
                 "pipelines:\n  - name: query\n    nodes:\n      - {name: R2, inputs: [Query]}\n      - {name: R, inputs: [Query]}\n",
                 NEEDLE_EFORMAT, "ends in several nodes ('R2', 'R')");
    expect_error(HEAD "  - {name: R, type: BM25Retriever}\n  - {name: J, type: JoinDocuments}\n"
                 "pipelines:\n  - name: query\n    nodes:\n      - {name: R, inputs: [Query]}\n      - {name: J, inputs: [R]}\n",
                 NEEDLE_EFORMAT, "node 'J' (JoinDocuments): joins two or more document lists");
    expect_error(HEAD "  - {name: R, type: BM25Retriever}\n  - {name: R2, type: BM25Retriever}\n"
                 "  - {name: J, type: JoinDocuments, params: {weights: [1, 2]}}\n"
                 "pipelines:\n  - name: query\n    nodes:\n      - {name: R, inputs: [Query]}\n"
                 "      - {name: R2, inputs: [Query]}\n      - {name: J, inputs: [R, R2]}\n",
                 NEEDLE_EINVAL, "params.weights: weights apply to join_mode merge only");
    expect_error(HEAD "  - {name: R, type: BM25Retriever}\n  - {name: R2, type: BM25Retriever}\n"
                 "  - {name: J, type: JoinDocuments, params: {join_mode: merge, weights: [1]}}\n"
                 "pipelines:\n  - name: query\n    nodes:\n      - {name: R, inputs: [Query]}\n"
                 "      - {name: R2, inputs: [Query]}\n      - {name: J, inputs: [R, R2]}\n",
                 NEEDLE_EINVAL, "should be a list of 2 numbers, one per input");
    expect_error(HEAD "  - {name: R, type: BM25Retriever}\n" "pipelines:\n  - {name: a, nodes: [{name: R, inputs: [Query]}]}\n"
                 "  - {name: b, nodes: [{name: R, inputs: [Query]}]}\n", NEEDLE_EFORMAT,
                 "several pipelines ('a', 'b') and none is named 'query'");
    expect_error(HEAD "  - {name: R, type: BM25Retriever}\n" "pipelines:\n  - {name: q, nodes: [{name: R, inputs: [File]}]}\n",
                 NEEDLE_EFORMAT, "indexing pipeline");
    expect_error(HEAD "  - {name: R, type: BM25Retriever}\n" TAIL "extra: 1\n", NEEDLE_EFORMAT, "pipeline file: unknown key \"extra\"");
#undef HEAD
#undef TAIL
    pipeline *p = NULL;
    CHECK_ERR(pipeline_open_file(&p, "tests/fixtures/none.yaml", NULL), NEEDLE_ENOTFOUND, "tests/fixtures/none.yaml");
    free(store);
}
