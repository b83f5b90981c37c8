/* test_pipeline_dense.c — the EmbeddingRetriever, DensePassageRetriever and
 * SentenceTransformersRanker nodes.
 * References: each dense node's ranking and scores against brute-force similarities computed
 * here in double precision from the vectors stored in the store (docstore_embedding_get) and
 * the query's embedding, with Haystack's scale_score worked here ((cos + 1) / 2 for cosine,
 * expit(dot / 100) for dot products); the ranker's order and scores against the cross-encoder
 * run here one (query, passage) pair at a time (cross_encoder_score, checked against
 * transformers in tests/train/test_reranker.c) and Haystack's expit; errors checked for the
 * file, line and component they must name. Models are tests/fixtures/reader/tiny-bert-qa's
 * encoder (random weights: rankings are arbitrary but fixed, which is all these need). */
#include "../test.h"
#include "needle/biencoder.h"
#include "needle/cross_encoder.h"
#include "needle/file.h"
#include "needle/log.h"
#include "needle/pipeline.h"
#include "needle/trainer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define TINY FIXTURES "/reader/tiny-bert-qa"

static const char *const texts[][3] = {
    {"a", "Zebras live on the African savanna in large herds.", "{\"lang\": \"en\"}"},
    {"b", "Penguins live in the southern hemisphere, mostly in Antarctica.", "{\"lang\": \"en\"}"},
    {"c", "Les zèbres vivent dans la savane africaine.", "{\"lang\": \"fr\"}"},
    {"d", "Camels store fat in their humps and cross deserts.", "{\"lang\": \"en\"}"},
    {"e", "Les manchots vivent dans l'hémisphère sud.", "{\"lang\": \"fr\"}"},
    {"f", "Zebra stripes may keep biting flies away.", "{\"lang\": \"en\"}"},
};
#define N_TEXTS 6

/* The store dense.db with the texts, and two retrievers saved beside it (st: a shared
 * encoder, mean pooling, cosine; dpr: query and passage encoders, dot), each of whose
 * passage embeddings is stored under its directory's name. */
static void world(void) {
    char store[512], dir[512];
    snprintf(store, sizeof store, "%s/dense.db", test_tmpdir());
    if (file_exists(store)) return;
    docstore *ds = NULL;
    CHECK_OK(docstore_open(&ds, store, DOCSTORE_CREATE));
    const char *ids[N_TEXTS], *contents[N_TEXTS];
    for (int i = 0; i < N_TEXTS; i++) {
        docstore_doc d;
        docstore_doc_init(&d);
        d.id = ids[i] = texts[i][0];
        d.content = contents[i] = texts[i][1];
        d.meta_json = texts[i][2];
        CHECK_OK(docstore_add(ds, &d, 1, DOCSTORE_DUP_FAIL, NULL));
    }
    const bienc_config cfgs[2] = {{BIENC_SHARED, BIENC_POOL_MEAN, BIENC_SIM_COSINE, 20, 32, 64, BIENC_INPUT_CONCAT},
                                  {BIENC_DPR, BIENC_POOL_CLS, BIENC_SIM_DOT, 1, 32, 64, BIENC_INPUT_PAIR}};
    const char *names[2] = {"st", "dpr"};
    for (int k = 0; k < 2; k++) {
        biencoder b;
        snprintf(dir, sizeof dir, "%s/%s", test_tmpdir(), names[k]);
        CHECK_OK(biencoder_open(&b, TINY, &cfgs[k], 7));
        CHECK_OK(biencoder_save(&b, dir));
        int D = biencoder_dim(&b);
        float *v = malloc((size_t)N_TEXTS * D * sizeof *v);
        CHECK_OK(biencoder_embed(&b, BIENC_PASSAGE, N_TEXTS, NULL, contents, 4, v, NULL));
        CHECK_OK(docstore_embeddings_put(ds, names[k], ids, v, N_TEXTS, D));
        free(v);
        biencoder_free(&b);
    }
    const float small[3] = {1, 2, 3};
    CHECK_OK(docstore_embeddings_put(ds, "small", ids, small, 1, 3));
    docstore_close(ds);
}

static char *write_yaml(const char *name, const char *text) {
    char *path = path_join(test_tmpdir(), name);
    CHECK_OK(file_write_atomic(path, text, strlen(text)));
    return path;
}

/* Brute force: every stored vector of `emb` against the query's embedding by the retriever
 * saved in `dir`, over the texts whose lang is `lang` (NULL: all); ids and scores best first
 * (ties: the text listed first). Returns how many. */
static int brute_force(const char *dir, const char *emb, const char *query, const char *lang, int *order, double *score) {
    biencoder b;
    CHECK_OK(biencoder_open(&b, dir, NULL, 0));
    int D = biencoder_dim(&b), n = 0;
    float *q = malloc((size_t)D * sizeof *q), *v = malloc((size_t)D * sizeof *v);
    CHECK_OK(biencoder_embed(&b, BIENC_QUERY, 1, NULL, &query, 1, q, NULL));
    char store[512];
    snprintf(store, sizeof store, "%s/dense.db", test_tmpdir());
    docstore *ds = NULL;
    CHECK_OK(docstore_open(&ds, store, DOCSTORE_READONLY));
    for (int i = 0; i < N_TEXTS; i++) {
        if (lang && !strstr(texts[i][2], lang)) continue;
        CHECK_OK(docstore_embedding_get(ds, emb, texts[i][0], v, D));
        double dot = 0, nq = 0, nv = 0;
        for (int j = 0; j < D; j++) dot += (double)q[j] * v[j], nq += (double)q[j] * q[j], nv += (double)v[j] * v[j];
        double s = b.cfg.similarity == BIENC_SIM_COSINE ? dot / sqrt(nq * nv) : dot;
        int at = n++;
        while (at > 0 && score[at - 1] < s) {
            score[at] = score[at - 1], order[at] = order[at - 1];
            at--;
        }
        score[at] = s, order[at] = i;
    }
    docstore_close(ds);
    biencoder_free(&b);
    free(q), free(v);
    return n;
}

static void check_ranking(pipeline *p, const char *query, const char *params_json, const char *dir, const char *emb,
                          const char *lang, int k, int scaled) {
    cJSON *params = params_json ? cJSON_Parse(params_json) : NULL;
    pipeline_result r;
    CHECK_OK(pipeline_query(p, query, params, &r));
    cJSON_Delete(params);
    int order[N_TEXTS];
    double want[N_TEXTS];
    int n = brute_force(dir, emb, query, lang, order, want);
    if (n > k) n = k;
    CHECK_INT(r.final ? (long long)r.final->n_docs : -1, n);
    int cosine = !strcmp(emb, "st");
    for (int i = 0; r.final && i < n && i < (int)r.final->n_docs; i++) {
        CHECK_STR(r.final->docs[i].id, texts[order[i]][0]);
        double s = want[i];
        if (scaled) s = cosine ? (s + 1) / 2 : 1 / (1 + exp(-s / 100));
        CHECK_NEAR(r.final->docs[i].score, s, 1e-5);
    }
    pipeline_result_free(&r);
}

TEST(pipeline_embedding_retriever_matches_brute_force_cosine) {
    int level = log_level();
    log_set_level(LOG_WARN);
    world();
    char dir[512];
    snprintf(dir, sizeof dir, "%s/st", test_tmpdir());
    char *yaml = write_yaml("st.yaml",
                            "components:\n"
                            "  - {name: DocumentStore, type: SQLiteDocumentStore, params: {path: dense.db}}\n"
                            "  - {name: Dense, type: EmbeddingRetriever, params: {embedding_model: st, top_k: 4}}\n"
                            "pipelines:\n"
                            "  - {name: query, nodes: [{name: Dense, inputs: [Query]}]}\n");
    pipeline *p = NULL;
    CHECK_OK(pipeline_open_file(&p, yaml, NULL));
    if (p) {
        CHECK_STR(pipeline_node_type(p, 0), "EmbeddingRetriever");
        check_ranking(p, "Where do zebras live?", NULL, dir, "st", NULL, 4, 1);
        check_ranking(p, "penguins", "{\"Dense\": {\"scale_score\": false, \"top_k\": 6}}", dir, "st", NULL, 6, 0);
        /* filters: the top k among the matching documents only */
        check_ranking(p, "zebras", "{\"filters\": {\"lang\": \"fr\"}}", dir, "st", "\"fr\"", 4, 1);
    }
    pipeline_close(p);
    free(yaml);
    log_set_level(level);
}

TEST(pipeline_dpr_retriever_matches_brute_force_dot) {
    int level = log_level();
    log_set_level(LOG_ERROR); /* use_gpu is ignored with a warning */
    world();
    char dir[512];
    snprintf(dir, sizeof dir, "%s/dpr", test_tmpdir());
    char *yaml = write_yaml("dpr.yaml",
                            "components:\n"
                            "  - {name: DocumentStore, type: SQLiteDocumentStore, params: {path: dense.db}}\n"
                            "  - name: DPR\n"
                            "    type: DensePassageRetriever\n"
                            "    params:\n"
                            "      query_embedding_model: dpr/query_encoder\n"
                            "      passage_embedding_model: dpr/passage_encoder/\n"
                            "      top_k: 3\n"
                            "      use_gpu: false\n"
                            "pipelines:\n"
                            "  - {name: query, nodes: [{name: DPR, inputs: [Query]}]}\n");
    pipeline *p = NULL;
    CHECK_OK(pipeline_open_file(&p, yaml, NULL));
    if (p) {
        check_ranking(p, "Which animal crosses deserts?", NULL, dir, "dpr", NULL, 3, 1);
        check_ranking(p, "stripes", "{\"top_k\": 5, \"scale_score\": false}", dir, "dpr", NULL, 5, 0);
    }
    pipeline_close(p);
    free(yaml);
    log_set_level(level);
}

/* A cross-encoder saved beside the store: tiny-bert-qa's encoder with a fresh one-label head. */
static void cross_encoder_dir(char *dir, size_t cap) {
    snprintf(dir, cap, "%s/ce", test_tmpdir());
    if (file_exists(dir)) return;
    model m;
    int n;
    CHECK_OK(model_load(&m, TINY, MODEL_HEAD_CLS, 1, 5));
    CHECK_OK(dir_make(dir));
    CHECK_OK(model_save(&m, dir));
    CHECK_OK(hf_copy_tokenizer_files(TINY, dir, &n));
    model_free(&m);
}

TEST(pipeline_ranker_orders_by_cross_encoder_scores) {
    int level = log_level();
    log_set_level(LOG_WARN);
    world();
    char ce[512];
    cross_encoder_dir(ce, sizeof ce);
    char *yaml = write_yaml("rank.yaml",
                            "components:\n"
                            "  - {name: DocumentStore, type: SQLiteDocumentStore, params: {path: dense.db}}\n"
                            "  - {name: Retriever, type: BM25Retriever, params: {top_k: 5}}\n"
                            "  - {name: Ranker, type: SentenceTransformersRanker, params: {model_name_or_path: ce, top_k: 3, "
                            "batch_size: 2}}\n"
                            "pipelines:\n"
                            "  - {name: query, nodes: [{name: Retriever, inputs: [Query]}, {name: Ranker, inputs: [Retriever]}]}\n");
    pipeline *p = NULL;
    CHECK_OK(pipeline_open_file(&p, yaml, NULL));
    model m;
    tokenizer *tk = NULL;
    pair_batch pb;
    CHECK_OK(model_load(&m, ce, MODEL_HEAD_AUTO, 0, 0));
    CHECK_OK(tokenizer_load(ce, &tk));
    CHECK_OK(pair_batch_init(&pb, 1, 512, &m));
    CHECK_OK(model_alloc(&m, 1, 512, MODEL_INFER));
    const char *query = "zebras live savanna stripes";
    for (int pass = 0; p && tk && pass < 2; pass++) {
        cJSON *params = pass ? cJSON_Parse("{\"Ranker\": {\"top_k\": 5}}") : NULL;
        pipeline_result r;
        CHECK_OK(pipeline_query(p, query, params, &r));
        cJSON_Delete(params);
        CHECK_INT(r.n, 2);
        if (r.n != 2) continue;
        const pipeline_output *in = &r.nodes[0], *out = &r.nodes[1];
        CHECK(in->n_docs >= 3);
        /* each input document scored alone; the expected order sorted here (ties: input order) */
        double s[N_TEXTS];
        int order[N_TEXTS];
        for (size_t i = 0; i < in->n_docs; i++) {
            float f;
            const char *text = in->docs[i].content;
            CHECK_OK(cross_encoder_score(&m, tk, &pb, query, &text, 1, &f));
            s[i] = f;
            size_t at = i;
            while (at > 0 && s[order[at - 1]] < s[i]) order[at] = order[at - 1], at--;
            order[at] = (int)i;
        }
        size_t want_n = in->n_docs < (size_t)(pass ? 5 : 3) ? in->n_docs : (size_t)(pass ? 5 : 3);
        CHECK_INT(out->n_docs, want_n);
        for (size_t i = 0; i < out->n_docs && i < want_n; i++) {
            CHECK_STR(out->docs[i].id, in->docs[order[i]].id);
            CHECK_NEAR(out->docs[i].score, 1 / (1 + exp(-s[order[i]])), 1e-5);
        }
        pipeline_result_free(&r);
    }
    pair_batch_free(&pb);
    tokenizer_free(tk);
    model_free(&m);
    pipeline_close(p);
    free(yaml);
    log_set_level(level);
}

static void expect_error(const char *name, const char *text, int code, const char *want) {
    char *yaml = write_yaml(name, text);
    pipeline *p = NULL;
    int rc = pipeline_open_file(&p, yaml, NULL);
    if (rc != code) test_fail(__FILE__, __LINE__, "[%s] returned %d (%s), expected %d", want, rc, error_message(), code);
    else if (!strstr(error_message(), want)) test_fail(__FILE__, __LINE__, "message \"%s\" lacks \"%s\"", error_message(), want);
    pipeline_close(p);
    free(yaml);
}

TEST(pipeline_dense_and_ranker_errors_name_file_line_and_component) {
    int level = log_level();
    log_set_level(LOG_ERROR);
    world();
    char want[1024];
#define HEAD "components:\n  - {name: DocumentStore, type: SQLiteDocumentStore, params: {path: dense.db}}\n"
#define TAIL "pipelines:\n  - {name: query, nodes: [{name: R, inputs: [Query]}]}\n"
    /* embeddings that were never made: the store, the name and the command that makes them */
    snprintf(want, sizeof want, "%s/e1.yaml:3: component 'R' (EmbeddingRetriever): the store %s/dense.db has no embeddings "
             "named 'other': fill them with `needle retriever embed --store %s/dense.db --model %s/st --name other`",
             test_tmpdir(), test_tmpdir(), test_tmpdir(), test_tmpdir());
    expect_error("e1.yaml", HEAD "  - {name: R, type: EmbeddingRetriever, params: {embedding_model: st, embedding_name: other}}\n" TAIL,
                 NEEDLE_ENOTFOUND, want);
    /* vectors of another size under the name asked for */
    snprintf(want, sizeof want, "%s/e7.yaml:3: component 'R' (EmbeddingRetriever): the store %s/dense.db holds "
             "3-dimensional embeddings named 'small' but %s/st embeds into", test_tmpdir(), test_tmpdir(), test_tmpdir());
    expect_error("e7.yaml", HEAD "  - {name: R, type: EmbeddingRetriever, params: {embedding_model: st, embedding_name: small}}\n" TAIL,
                 NEEDLE_EINVAL, want);
    snprintf(want, sizeof want, "%s/e2.yaml:3: component 'R' (EmbeddingRetriever): params.embedding_model: missing (required)",
             test_tmpdir());
    expect_error("e2.yaml", HEAD "  - name: R\n    type: EmbeddingRetriever\n" TAIL, NEEDLE_EFORMAT, want);
    snprintf(want, sizeof want, "%s/e3.yaml:7: component 'R' (DensePassageRetriever): params.passage_embedding_model: "
             "needle loads a DPR retriever saved as DIR/query_encoder and DIR/passage_encoder", test_tmpdir());
    expect_error("e3.yaml", HEAD "  - name: R\n    type: DensePassageRetriever\n    params:\n"
                 "      query_embedding_model: dpr/query_encoder\n      passage_embedding_model: st\n" TAIL,
                 NEEDLE_EINVAL, want);
    snprintf(want, sizeof want, "%s/e4.yaml:3: component 'R' (EmbeddingRetriever): params.top_k: should be an integer",
             test_tmpdir());
    expect_error("e4.yaml", HEAD "  - {name: R, type: EmbeddingRetriever, params: {embedding_model: st, top_k: 0}}\n" TAIL,
                 NEEDLE_EFORMAT, want);
    snprintf(want, sizeof want, "%s/e5.yaml:5: node 'K' (SentenceTransformersRanker): takes documents, not the Query",
             test_tmpdir());
    expect_error("e5.yaml", HEAD "  - {name: K, type: SentenceTransformersRanker, params: {model_name_or_path: ce}}\n"
                 "pipelines:\n  - {name: query, nodes: [{name: K, inputs: [Query]}]}\n", NEEDLE_EFORMAT, want);
    snprintf(want, sizeof want, "%s/e6.yaml:4: component 'K' (SentenceTransformersRanker): %s/st: ", test_tmpdir(),
             test_tmpdir());
    expect_error("e6.yaml", HEAD "  - {name: R, type: BM25Retriever}\n"
                 "  - {name: K, type: SentenceTransformersRanker, params: {model_name_or_path: st}}\n"
                 "pipelines:\n  - {name: query, nodes: [{name: R, inputs: [Query]}, {name: K, inputs: [R]}]}\n",
                 NEEDLE_EINVAL, want);
    snprintf(want, sizeof want, "%s/e8.yaml:3: component 'R' (EmbeddingRetriever): params.embedding_model: %s/dpr holds a "
             "DPR retriever", test_tmpdir(), test_tmpdir());
    expect_error("e8.yaml", HEAD "  - {name: R, type: EmbeddingRetriever, params: {embedding_model: dpr}}\n" TAIL,
                 NEEDLE_EINVAL, want);
#undef HEAD
#undef TAIL
    log_set_level(level);
}
