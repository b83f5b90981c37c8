/* test_pipeline_reader.c — the FARMReader node.
 * References: the ranking across documents worked by hand from FARM's rules and Haystack's
 * BaseReader._calc_no_answer (no-answer score = best span score - largest per-document gap);
 * the node's answers checked against the reader itself (reader_featurize + reader_predict on
 * the same question and passage with the node's window settings), and each answer against its
 * document: the text at offsets_in_document, the context holding it at offsets_in_context. The
 * model is tests/fixtures/reader/tiny-bert-qa (random weights: the answers are arbitrary spans,
 * which is all these checks need). */
#include "../test.h"
#include "needle/file.h"
#include "needle/ingest.h"
#include "needle/kernels.h"
#include "needle/pipeline.h"
#include "needle/reader_data.h"
#include "needle/reader_predict.h"
#include "needle/utf8.h"
#include "search/pipeline_internal.h"

#include <math.h>
#include <omp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static span_answer span_of(float score) { return (span_answer){SPAN_TEXT, 0, 1, 0, 0, 0, 0, 0, score, 0}; }

TEST(reader_rank_across_documents_by_hand) {
    span_answer a0[] = {span_of(5), span_of(3), {SPAN_NULL, 0, 0, 0, 0, 0, 0, 0, 2, 0}, span_of(1)};
    span_answer a1[] = {span_of(4)};
    span_result docs[3];
    memset(docs, 0, sizeof docs);
    docs[0].answers = a0, docs[0].n = 4, docs[0].null_score = 2;
    docs[1].answers = a1, docs[1].n = 1, docs[1].null_score = 6;
    docs[2].null_score = 0; /* no candidate: no gap */
    reader_pick *p;
    size_t n;
    /* gaps 5-2 = 3 and 4-6 = -2: no answer at 5 - 3 = 2, after the spans 5, 4, 3 */
    CHECK_OK(pipeline_reader_rank(docs, 3, 2, 0.0, 1, 0, &p, &n));
    CHECK_INT(n, 4);
    const double want[] = {5, 4, 3, 2};
    for (size_t i = 0; i < n; i++) CHECK_NEAR(p[i].score, want[i], 0);
    CHECK(p[0].doc == 0 && p[0].rank == 0 && p[1].doc == 1 && p[2].doc == 0 && p[2].rank == 1 && p[3].no_answer);
    free(p);
    /* boost 4: gaps -1 and -6, no answer at 5 + 1 = 6 first; top 2 */
    CHECK_OK(pipeline_reader_rank(docs, 3, 2, 4.0, 1, 2, &p, &n));
    CHECK_INT(n, 2);
    CHECK(p[0].no_answer && p[0].score == 6 && p[1].score == 5);
    free(p);
    /* boost 2: gaps 1 and -4, no answer at 4: after the span of equal score */
    CHECK_OK(pipeline_reader_rank(docs, 3, 2, 2.0, 1, 0, &p, &n));
    CHECK(n == 4 && p[1].doc == 1 && p[2].no_answer && p[2].score == 4);
    free(p);
    /* no no-answer asked; one span per document */
    CHECK_OK(pipeline_reader_rank(docs, 3, 1, 0.0, 0, 0, &p, &n));
    CHECK(n == 2 && p[0].score == 5 && p[1].score == 4);
    free(p);
}

static char *world(const char *reader_params) {
    char store[512], path[512], yaml[2048], cwd[1024];
    if (!getcwd(cwd, sizeof cwd)) snprintf(cwd, sizeof cwd, ".");
    snprintf(store, sizeof store, "%s/reader.db", test_tmpdir());
    if (!file_exists(store)) {
        docstore *ds = NULL;
        CHECK_OK(docstore_open(&ds, store, DOCSTORE_CREATE));
        ingest_opts o;
        ingest_opts_default(&o);
        o.pre.split_by = SPLIT_NONE;
        ingest_stats st = {0};
        CHECK_OK(ingest_file(ds, &o, FIXTURES "/pipeline/animals.json", DOCFMT_SQUAD, &st));
        docstore_close(ds);
    }
    snprintf(yaml, sizeof yaml,
             "components:\n"
             "  - {name: DocumentStore, type: SQLiteDocumentStore, params: {path: reader.db}}\n"
             "  - {name: Retriever, type: BM25Retriever, params: {top_k: 3}}\n"
             "  - name: Reader\n"
             "    type: FARMReader\n"
             "    params: {model_name_or_path: %s/" FIXTURES "/reader/tiny-bert-qa, doc_stride: 8, %s}\n"
             "pipelines:\n"
             "  - {name: query, nodes: [{name: Retriever, inputs: [Query]}, {name: Reader, inputs: [Retriever]}]}\n",
             cwd, reader_params);
    snprintf(path, sizeof path, "%s/reader.yaml", test_tmpdir());
    CHECK_OK(file_write_atomic(path, yaml, strlen(yaml)));
    return strdup(path);
}

/* The chars [s, e) of text, as a new string. */
static char *chars(const char *text, long long s, long long e) {
    size_t n = strlen(text), b0 = utf8_byte_offset(text, n, (size_t)s), b1 = utf8_byte_offset(text, n, (size_t)e);
    return strndup(text + b0, b1 - b0);
}

TEST(reader_node_answers_come_from_the_documents) {
    char *yaml = world("max_seq_len: 48, top_k: 5, context_window_size: 20");
    pipeline *p = NULL;
    CHECK_OK(pipeline_open_file(&p, yaml, NULL));
    if (!p) return;
    pipeline_result r;
    CHECK_OK(pipeline_query(p, "Where do zebras live?", NULL, &r));
    const pipeline_output *f = r.final;
    CHECK(f && f->gives_answers && f->n_answers == 5 && f->n_docs == 2);
    for (size_t i = 0; f && i < f->n_answers; i++) {
        const pipeline_answer *a = &f->answers[i];
        const pipeline_doc *d = NULL;
        for (size_t k = 0; k < f->n_docs; k++)
            if (!strcmp(f->docs[k].id, a->document_id)) d = &f->docs[k];
        CHECK(d != NULL);
        if (!d) continue;
        char *at = chars(d->content, a->document_start, a->document_end), *in_ctx = chars(a->context, a->context_start, a->context_end);
        CHECK_STR(at, a->answer);
        CHECK_STR(in_ctx, a->answer);
        CHECK(strstr(d->content, a->context) != NULL);
        CHECK(a->score > 0 && a->score < 1);
        if (i) CHECK(a->score <= f->answers[i - 1].score);
        free(at);
        free(in_ctx);
    }
    /* the node's best answer on one passage is the reader's own best span for it */
    pipeline_doc one;
    CHECK_OK(pipeline_doc_copy(&one, &f->docs[0]));
    pipeline_result_free(&r);
    CHECK_OK(pipeline_query_from(p, "Reader", "Where do zebras live?", &one, 1, NULL, &r));
    tokenizer *tk = NULL;
    model m;
    CHECK_OK(tokenizer_load(FIXTURES "/reader/tiny-bert-qa", &tk));
    CHECK_OK(model_load(&m, FIXTURES "/reader/tiny-bert-qa", MODEL_HEAD_AUTO, 0, 0));
    CHECK_OK(model_alloc(&m, 8, 48, MODEL_INFER));
    squad_dataset ds;
    squad_dataset_init(&ds);
    CHECK_OK(squad_add_article(&ds, NULL));
    CHECK_OK(squad_add_paragraph(&ds, one.content));
    CHECK_OK(squad_add_question(&ds, "0", "Where do zebras live?", 0));
    reader_data_opts dopt = reader_data_defaults();
    dopt.max_seq_len = 48;
    dopt.stride = 8;
    qa_features feats;
    reader_data_stats st;
    CHECK_OK(reader_featurize(&ds, tk, &dopt, "test", &feats, &st));
    reader_predict_opts popt = reader_predict_defaults();
    popt.decode.version_2 = 1;
    reader_predictions preds;
    reader_pred_windows pw = reader_pred_windows_of(&feats, &m);
    CHECK_OK(reader_predict(&m, &pw, &ds, &popt, &preds));
    const span_answer *best = NULL;
    for (int i = 0; i < preds.q[0].n && !best; i++)
        if (preds.q[0].answers[i].kind == SPAN_TEXT) best = &preds.q[0].answers[i];
    CHECK(best && r.final->n_answers > 0);
    if (best && r.final->n_answers) {
        CHECK_INT(r.final->answers[0].document_start, best->start);
        CHECK_INT(r.final->answers[0].document_end, best->end);
        CHECK_NEAR(r.final->answers[0].score, 1 / (1 + exp(-best->score / 8.0)), 1e-12);
    }
    reader_predictions_free(&preds);
    qa_features_free(&feats);
    squad_dataset_free(&ds);
    model_free(&m);
    tokenizer_free(tk);
    pipeline_doc_free(&one);
    pipeline_result_free(&r);
    pipeline_close(p);
    free(yaml);

    /* no_ans_boost: a large boost puts "no answer" first, with no document */
    yaml = world("max_seq_len: 48, top_k: 2, return_no_answer: true, no_ans_boost: 1000");
    CHECK_OK(pipeline_open_file(&p, yaml, NULL));
    if (p) {
        CHECK_OK(pipeline_query(p, "Where do zebras live?", NULL, &r));
        CHECK(r.final->n_answers == 2 && !strcmp(r.final->answers[0].answer, "") && !r.final->answers[0].document_id);
        pipeline_result_free(&r);
        pipeline_close(p);
    }
    free(yaml);
    yaml = world("max_seq_len: 100000");
    CHECK_ERR(pipeline_open_file(&p, yaml, NULL), NEEDLE_EFORMAT, "params.max_seq_len: should be an integer in 16..4096");
    free(yaml);
    yaml = world("max_seq_len: 1024");
    CHECK_ERR(pipeline_open_file(&p, yaml, NULL), NEEDLE_EINVAL, "params.max_seq_len: 1024 exceeds the model's 512 positions");
    free(yaml);
}

/* Concurrent queries on one reader (cpu_policy parallel and adaptive: one core each on replicas
 * of the activations) answer exactly as the same queries asked one after another. */
typedef struct {
    pipeline *p;
    const char *q;
    pipeline_result r;
    int rc;
} asked;

static void *ask(void *arg) {
    asked *a = arg;
    a->rc = pipeline_query(a->p, a->q, NULL, &a->r);
    return NULL;
}

static void concurrent_matches_sequential(const char *policy) {
    static const char *const qs[] = {"Where do zebras live?", "What do lions eat?", "How fast is a cheetah?",
                                     "Where do penguins live?"};
    char params[128];
    snprintf(params, sizeof params, "max_seq_len: 48, top_k: 3, cpu_policy: %s", policy);
    char *yaml = world(params);
    pipeline *p = NULL;
    CHECK_OK(pipeline_open_file(&p, yaml, NULL));
    free(yaml);
    if (!p) return;
    asked seq[4], par[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        seq[i] = (asked){p, qs[i], {0}, 0};
        ask(&seq[i]);
        par[i] = (asked){p, qs[i], {0}, 0};
    }
    for (int i = 0; i < 4; i++) pthread_create(&th[i], NULL, ask, &par[i]);
    for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < 4; i++) {
        CHECK_OK(seq[i].rc);
        CHECK_OK(par[i].rc);
        if (seq[i].rc || par[i].rc) continue;
        const pipeline_output *a = seq[i].r.final, *b = par[i].r.final;
        CHECK_INT(b->n_answers, a->n_answers);
        for (size_t k = 0; k < a->n_answers && k < b->n_answers; k++) {
            CHECK_STR(b->answers[k].answer, a->answers[k].answer);
            CHECK_NEAR(b->answers[k].score, a->answers[k].score, 1e-6);
        }
    }
    for (int i = 0; i < 4; i++) {
        pipeline_result_free(&seq[i].r);
        pipeline_result_free(&par[i].r);
    }
    pipeline_close(p);
}

TEST(reader_node_concurrent_queries) {
    int threads = omp_get_max_threads();
    concurrent_matches_sequential("parallel");
    concurrent_matches_sequential("adaptive");
    concurrent_matches_sequential("serial");
    kernels_set_threads(threads);
    char *yaml = world("cpu_policy: fastest");
    pipeline *p = NULL;
    CHECK_ERR(pipeline_open_file(&p, yaml, NULL), NEEDLE_EINVAL, "params.cpu_policy: 'fastest' is not adaptive, serial or parallel");
    free(yaml);
}
