/* cmd_retriever.c — `needle retriever eval`: evaluate a retriever on a BEIR data set and
 * print trec_eval measures (plus MRR@10) as one JSON object. The retriever is BM25 (--bm25,
 * Lucene/Anserini scoring), a dense retriever over the whole corpus (--model DIR), or both
 * fused (--hybrid: reciprocal rank fusion or a weighted sum of min-max normalised scores,
 * fusion.h). Each produces a run; one function scores and reports any run. */
#include "cli.h"
#include "needle/biencoder.h"
#include "needle/bm25_beir.h"
#include "needle/error.h"
#include "needle/file.h"
#include "needle/fusion.h"
#include "needle/json.h"
#include "needle/log.h"
#include "needle/progress.h"
#include "needle/retrieval_eval.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    const char *corpus, *queries, *qrels, *run_out, *metrics_log;
    int top_k;
    const char *fields, *index_path; /* bm25 */
    double k1, b;
    const char *model;               /* dense */
    int batch;
    const char *layout, *pooling, *similarity, *passage_input;
    int max_query_len, max_passage_len;
    const char *fusion;              /* hybrid */
    double alpha;
} eval_args;

/* What a report adds after the measures: the retriever's settings. */
typedef void (*settings_fn)(jsonw *w, const eval_args *a, const void *ctx);

/* Score `run`; print the measures, MRR@10 and the settings as one JSON object (appended to
 * --metrics-log too); save the run if asked. */
static int report(const eval_args *a, const trec_qrels *qrels, const trec_run *run, const char *tag, settings_fn settings,
                  const void *ctx) {
    trec_summary s;
    double mrr10;
    int rc = trec_evaluate(qrels, run, &s);
    if (!rc) rc = retrieval_mrr_at_10(qrels, run, &mrr10);
    if (rc) return rc;
    strbuf out;
    strbuf_init(&out);
    jsonw w;
    jsonw_init(&w, &out);
    jsonw_object_begin(&w);
    trec_summary_json(&s, &w);
    jsonw_key(&w, "mrr_10"), jsonw_double(&w, mrr10);
    jsonw_key(&w, "top_k"), jsonw_int(&w, a->top_k);
    settings(&w, a, ctx);
    jsonw_object_end(&w);
    if (w.err) rc = error_set(NEEDLE_ENOMEM, "out of memory");
    if (!rc && a->run_out) {
        strbuf text;
        strbuf_init(&text);
        rc = trec_run_format(run, tag, &text);
        if (!rc) rc = file_write_atomic(a->run_out, text.data ? text.data : "", text.len);
        strbuf_free(&text);
    }
    if (!rc && a->metrics_log) {
        metrics_log ml;
        rc = metrics_log_open(&ml, a->metrics_log, 1);
        if (!rc) {
            rc = metrics_log_write(&ml, out.data);
            metrics_log_close(&ml);
        }
    }
    if (!rc) printf("%s\n", out.data);
    strbuf_free(&out);
    return rc;
}

/* ---------------------------------------------------------------- BM25 */

static void bm25_settings(jsonw *w, const eval_args *a, const void *ctx) {
    const bm25_index *ix = ctx;
    jsonw_key(w, "retriever"), jsonw_string(w, "bm25");
    jsonw_key(w, "fields"), jsonw_string(w, a->fields);
    jsonw_key(w, "k1"), jsonw_double(w, a->k1);
    jsonw_key(w, "b"), jsonw_double(w, a->b);
    jsonw_key(w, "num_docs"), jsonw_int(w, bm25_index_num_docs(ix));
    jsonw_key(w, "num_terms"), jsonw_int(w, (long long)bm25_index_num_terms(ix));
    for (int f = 0; f < bm25_index_num_fields(ix); f++) {
        uint32_t dc;
        uint64_t total;
        char key[64];
        bm25_index_field_stats(ix, f, &dc, &total);
        snprintf(key, sizeof key, "%s_total_terms", bm25_index_field_name(ix, f));
        jsonw_key(w, key), jsonw_int(w, (long long)total);
    }
}

/* The BM25 run of the queries of the qrels; *ix stays open for the report. */
static int run_bm25(const eval_args *a, const trec_qrels *qrels, bm25_index **ix, trec_run *run) {
    int multifield;
    if (!strcmp(a->fields, "flat")) multifield = 0;
    else if (!strcmp(a->fields, "title,text")) multifield = 1;
    else return error_set(NEEDLE_EINVAL, "--fields: '%s'; use flat (title + text in one field) or title,text", a->fields);
    char tmp[512] = "";
    const char *index_path = a->index_path;
    if (!index_path) {
        const char *dir = getenv("TMPDIR");
        snprintf(tmp, sizeof tmp, "%s/needle-bm25-%ld.idx", dir && *dir ? dir : "/tmp", (long)getpid());
        index_path = tmp;
    }
    size_t n_docs, nq = 0;
    beir_query *queries = NULL;
    int rc = bm25_beir_index(a->corpus, multifield, index_path, &n_docs);
    if (!rc) rc = bm25_index_open(ix, index_path);
    if (tmp[0]) unlink(tmp); /* the mapping stays valid until closed */
    if (!rc) rc = beir_queries_read(a->queries, &queries, &nq);
    bm25_query_opts o;
    bm25_query_opts_default(&o);
    o.k1 = a->k1;
    o.b = a->b;
    strbuf text;
    strbuf_init(&text);
    if (!rc) rc = bm25_beir_run(*ix, queries, nq, qrels, (size_t)a->top_k, &o, 1, "needle-bm25", &text);
    if (!rc) rc = trec_run_parse(text.data ? text.data : "", text.len, "the BM25 run", run);
    strbuf_free(&text);
    beir_queries_free(queries, nq);
    return rc;
}

/* ---------------------------------------------------------------- dense */

typedef struct {
    const biencoder *b;
    double seconds;
} dense_info;

static void dense_settings(jsonw *w, const eval_args *a, const void *ctx) {
    const dense_info *d = ctx;
    jsonw_key(w, "retriever"), jsonw_string(w, "dense");
    jsonw_key(w, "model"), jsonw_string(w, a->model);
    jsonw_key(w, "layout"), jsonw_string(w, bienc_layout_name(d->b->cfg.layout));
    jsonw_key(w, "pooling"), jsonw_string(w, bienc_pooling_name(d->b->cfg.pooling));
    jsonw_key(w, "similarity"), jsonw_string(w, bienc_similarity_name(d->b->cfg.similarity));
    jsonw_key(w, "max_query_length"), jsonw_int(w, d->b->cfg.max_query_len);
    jsonw_key(w, "max_passage_length"), jsonw_int(w, d->b->cfg.max_passage_len);
    jsonw_key(w, "seconds"), jsonw_double(w, d->seconds);
}

static int run_dense(const eval_args *a, biencoder *b, trec_run *run, double *seconds) {
    retrieval_eval_opts o = {(size_t)a->top_k, a->batch};
    retrieval_eval *e = NULL;
    cJSON *metrics = NULL;
    double t0 = clock_seconds();
    int rc = retrieval_eval_open(&e, a->corpus, a->queries, a->qrels, &o);
    if (!rc) rc = retrieval_eval_run(e, b, &metrics, run);
    *seconds = clock_seconds() - t0;
    cJSON_Delete(metrics);
    retrieval_eval_free(e);
    return rc;
}

/* ---------------------------------------------------------------- hybrid */

typedef struct {
    const trec_qrels *qrels;
    const trec_run *bm25, *dense;
    dense_info dense_info;
    fusion_method method;
} hybrid_info;

/* The headline measures of one component run, as a nested object. */
static void component(jsonw *w, const char *key, const trec_qrels *qrels, const trec_run *run) {
    cJSON *m = NULL;
    if (retrieval_metrics(qrels, run, &m)) return;
    char *text = cJSON_PrintUnformatted(m);
    if (text) jsonw_key(w, key), jsonw_raw(w, text);
    free(text);
    cJSON_Delete(m);
}

static void hybrid_settings(jsonw *w, const eval_args *a, const void *ctx) {
    const hybrid_info *h = ctx;
    jsonw_key(w, "retriever"), jsonw_string(w, "hybrid");
    jsonw_key(w, "fusion"), jsonw_string(w, h->method == FUSION_RRF ? "rrf" : "weighted");
    if (h->method == FUSION_RRF) jsonw_key(w, "rrf_k"), jsonw_int(w, 60);
    else jsonw_key(w, "alpha"), jsonw_double(w, a->alpha);
    jsonw_key(w, "model"), jsonw_string(w, a->model);
    jsonw_key(w, "fields"), jsonw_string(w, a->fields);
    component(w, "bm25", h->qrels, h->bm25);
    component(w, "dense", h->qrels, h->dense);
}

/* ---------------------------------------------------------------- the command */

static int evaluate(const eval_args *a, int bm25, int hybrid) {
    trec_qrels qrels;
    trec_run br, dr, fused;
    trec_run_init(&br), trec_run_init(&dr), trec_run_init(&fused);
    bm25_index *ix = NULL;
    biencoder b;
    int have_b = 0;
    int rc = trec_qrels_read(a->qrels, &qrels);
    if (rc) return rc;
    if (bm25 || hybrid) rc = run_bm25(a, &qrels, &ix, &br);
    dense_info di = {&b, 0};
    bienc_config want = {0};
    want.max_query_len = a->max_query_len, want.max_passage_len = a->max_passage_len;
    if (!rc && a->layout) rc = bienc_layout_parse(a->layout, &want.layout);
    if (!rc && a->pooling) rc = bienc_pooling_parse(a->pooling, &want.pooling);
    if (!rc && a->similarity) rc = bienc_similarity_parse(a->similarity, &want.similarity);
    if (!rc && a->passage_input) rc = bienc_input_parse(a->passage_input, &want.passage_input);
    if (!rc && a->model && !(rc = biencoder_open(&b, a->model, &want, 0))) {
        have_b = 1;
        rc = run_dense(a, &b, &dr, &di.seconds);
    }
    if (!rc && hybrid) {
        hybrid_info h = {&qrels, &br, &dr, di, FUSION_RRF};
        double w[2] = {1, 1};
        rc = fusion_method_parse(a->fusion, &h.method);
        if (!rc && h.method == FUSION_WEIGHTED) w[0] = 1 - a->alpha, w[1] = a->alpha;
        const trec_run *runs[2] = {&br, &dr};
        if (!rc) rc = fusion_runs(h.method, 2, runs, w, (size_t)a->top_k, &fused);
        if (!rc) rc = report(a, &qrels, &fused, "needle-hybrid", hybrid_settings, &h);
    } else if (!rc && bm25) {
        rc = report(a, &qrels, &br, "needle-bm25", bm25_settings, ix);
    } else if (!rc) {
        rc = report(a, &qrels, &dr, "needle-dense", dense_settings, &di);
    }
    if (have_b) biencoder_free(&b);
    bm25_index_close(ix);
    trec_run_free(&br), trec_run_free(&dr), trec_run_free(&fused);
    trec_qrels_free(&qrels);
    tokenizer_thread_cleanup();
    return rc;
}

int cmd_retriever_eval(int argc, char **argv) {
    eval_args a = {0};
    a.top_k = 1000, a.fields = "flat", a.k1 = 0.9, a.b = 0.4, a.batch = 32, a.fusion = "rrf", a.alpha = 0.5;
    int bm25 = 0, hybrid = 0;
    const cli_opt opts[] = {
        {"bm25", OPT_FLAG, &bm25, "evaluate BM25 (Lucene/Anserini scoring)", 0},
        {"model", OPT_STRING, &a.model, "evaluate this dense retriever (DPR, sentence-transformers or needle directory)", 0},
        {"hybrid", OPT_FLAG, &hybrid, "fuse BM25 and --model (see --fusion)", 0},
        {"corpus", OPT_STRING, &a.corpus, "BEIR corpus.jsonl", 1},
        {"queries", OPT_STRING, &a.queries, "BEIR queries.jsonl (only queries in the qrels are run)", 1},
        {"qrels", OPT_STRING, &a.qrels, "BEIR qrels tsv (with header) or TREC qrels", 1},
        {"top-k", OPT_INT, &a.top_k, "documents retrieved per query (by each retriever, and after fusion)", 0},
        {"run-out", OPT_STRING, &a.run_out, "also write the run (TREC form) to this file", 0},
        {"metrics-log", OPT_STRING, &a.metrics_log, "append the JSON result as one line to this file", 0},
        {"k1", OPT_DOUBLE, &a.k1, "BM25 k1", 0},
        {"b", OPT_DOUBLE, &a.b, "BM25 b", 0},
        {"fields", OPT_STRING, &a.fields, "BM25 fields: flat (title + \" \" + text, one field) or title,text (multifield)", 0},
        {"index", OPT_STRING, &a.index_path, "keep the BM25 index at this path (default: a temporary file)", 0},
        {"batch", OPT_INT, &a.batch, "dense: texts per embedding batch", 0},
        {"encoders", OPT_STRING, &a.layout, "dense: override the model's layout, dpr or shared (e.g. to evaluate a plain "
                                            "checkpoint as it will be fine-tuned)", 0},
        {"pooling", OPT_STRING, &a.pooling, "dense: override the pooling (cls, mean, pooler)", 0},
        {"similarity", OPT_STRING, &a.similarity, "dense: override the similarity (dot, cosine)", 0},
        {"passage-input", OPT_STRING, &a.passage_input, "dense: override the passage input (pair, concat)", 0},
        {"max-query-len", OPT_INT, &a.max_query_len, "dense: override the query length in tokens", 0},
        {"max-passage-len", OPT_INT, &a.max_passage_len, "dense: override the passage length in tokens", 0},
        {"fusion", OPT_STRING, &a.fusion, "hybrid: rrf (reciprocal rank fusion, 1/(60 + rank)) or weighted (min-max "
                                          "normalised scores, (1 - alpha) x BM25 + alpha x dense)", 0},
        {"alpha", OPT_DOUBLE, &a.alpha, "hybrid: the dense weight of the weighted fusion", 0},
        {NULL, 0, NULL, NULL, 0},
    };
    const cli_spec spec = {"needle retriever eval (--bm25 | --model DIR [--hybrid]) --corpus FILE --queries FILE --qrels FILE "
                           "[options]",
                           "Evaluate a retriever on a BEIR data set as Anserini's regressions do (hits 1000, the query's own\n"
                           "id removed from its results) and print trec_eval measures (trec_eval -c) and MRR@10 as JSON.\n"
                           "--model embeds the whole corpus and searches it exactly; --hybrid also runs BM25 and fuses the\n"
                           "two rankings (the JSON then holds each component's measures too).",
                           opts, 0, 0};
    char *pos[1];
    int npos, rc = cli_parse(&spec, argc, argv, pos, &npos);
    if (rc) return cli_parse_exit(rc);
    if (bm25 + (a.model != NULL) != 1 && !(hybrid && a.model)) {
        fprintf(stderr, "needle: error: choose the retriever to evaluate: --bm25, --model DIR, or --model DIR --hybrid\n");
        return 2;
    }
    if (hybrid && !a.model) {
        fprintf(stderr, "needle: error: --hybrid needs --model DIR\n");
        return 2;
    }
    if (a.top_k < 1 || a.batch < 1 || a.alpha < 0 || a.alpha > 1) {
        fprintf(stderr, "needle: error: --top-k and --batch must be at least 1, --alpha in [0, 1]\n");
        return 2;
    }
    return evaluate(&a, bm25 && !hybrid, hybrid) ? cli_fail() : 0;
}
