/* cmd_retriever.c — the `needle retriever ...` commands. `retriever eval` evaluates a
 * retriever on a BEIR data set and prints trec_eval measures as JSON; the retriever is
 * chosen by a flag (--bm25 today), each with its own function, over shared options. */
#include "cli.h"
#include "needle/bm25_beir.h"
#include "needle/error.h"
#include "needle/file.h"
#include "needle/json.h"
#include "needle/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    const char *corpus, *queries, *qrels, *run_out, *metrics_log;
    int top_k;
} retriever_eval_args;

typedef struct {
    const char *fields;
    double k1, b;
    const bm25_index *ix;
} bm25_settings;

/* Evaluate the run text against the qrels; print the measures and the retriever's settings
 * as one JSON object (also appended to --metrics-log), and save the run if asked. */
static int report(const retriever_eval_args *a, const trec_qrels *qrels, const strbuf *run_text, const bm25_settings *bs) {
    trec_run run;
    int rc = trec_run_parse(run_text->data ? run_text->data : "", run_text->len, "the run", &run);
    if (rc) return rc;
    trec_summary s;
    strbuf out;
    strbuf_init(&out);
    rc = trec_evaluate(qrels, &run, &s);
    if (!rc) {
        jsonw w;
        jsonw_init(&w, &out);
        jsonw_object_begin(&w);
        trec_summary_json(&s, &w);
        jsonw_key(&w, "retriever");
        jsonw_string(&w, "bm25");
        jsonw_key(&w, "fields");
        jsonw_string(&w, bs->fields);
        jsonw_key(&w, "k1");
        jsonw_double(&w, bs->k1);
        jsonw_key(&w, "b");
        jsonw_double(&w, bs->b);
        jsonw_key(&w, "top_k");
        jsonw_int(&w, a->top_k);
        jsonw_key(&w, "num_docs");
        jsonw_int(&w, bm25_index_num_docs(bs->ix));
        jsonw_key(&w, "num_terms");
        jsonw_int(&w, (long long)bm25_index_num_terms(bs->ix));
        for (int f = 0; f < bm25_index_num_fields(bs->ix); f++) {
            uint32_t dc;
            uint64_t total;
            char key[64];
            bm25_index_field_stats(bs->ix, f, &dc, &total);
            snprintf(key, sizeof key, "%s_total_terms", bm25_index_field_name(bs->ix, f));
            jsonw_key(&w, key);
            jsonw_int(&w, (long long)total);
        }
        jsonw_object_end(&w);
        if (w.err) rc = error_set(NEEDLE_ENOMEM, "out of memory");
    }
    if (!rc && a->run_out) rc = file_write_atomic(a->run_out, run_text->data ? run_text->data : "", run_text->len);
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
    trec_run_free(&run);
    return rc;
}

static int eval_bm25(const retriever_eval_args *a, const trec_qrels *qrels, const beir_query *queries, size_t nq,
                     double k1, double b, const char *fields, const char *index_path) {
    int multifield;
    if (!strcmp(fields, "flat")) multifield = 0;
    else if (!strcmp(fields, "title,text")) multifield = 1;
    else return error_set(NEEDLE_EINVAL, "--fields: '%s'; use flat (title + text in one field) or title,text", fields);
    char tmp[512] = "";
    if (!index_path) {
        const char *dir = getenv("TMPDIR");
        snprintf(tmp, sizeof tmp, "%s/needle-bm25-%ld.idx", dir && *dir ? dir : "/tmp", (long)getpid());
        index_path = tmp;
    }
    size_t n_docs;
    int rc = bm25_beir_index(a->corpus, multifield, index_path, &n_docs);
    bm25_index *ix = NULL;
    if (!rc) rc = bm25_index_open(&ix, index_path);
    if (tmp[0]) unlink(tmp); /* the mapping stays valid until closed */
    if (rc) return rc;
    bm25_query_opts o;
    bm25_query_opts_default(&o);
    o.k1 = k1;
    o.b = b;
    strbuf run;
    strbuf_init(&run);
    rc = bm25_beir_run(ix, queries, nq, qrels, (size_t)a->top_k, &o, 1, "needle-bm25", &run);
    if (!rc) {
        bm25_settings bs = {multifield ? "title,text" : "flat", k1, b, ix};
        rc = report(a, qrels, &run, &bs);
    }
    strbuf_free(&run);
    bm25_index_close(ix);
    return rc;
}

int cmd_retriever_eval(int argc, char **argv) {
    retriever_eval_args a = {NULL, NULL, NULL, NULL, NULL, 1000};
    int bm25 = 0;
    double k1 = 0.9, b = 0.4;
    const char *fields = "flat", *index_path = NULL;
    const cli_opt opts[] = {
        {"bm25", OPT_FLAG, &bm25, "evaluate BM25 (Lucene/Anserini scoring)", 0},
        {"corpus", OPT_STRING, &a.corpus, "BEIR corpus.jsonl", 1},
        {"queries", OPT_STRING, &a.queries, "BEIR queries.jsonl (only queries in the qrels are run)", 1},
        {"qrels", OPT_STRING, &a.qrels, "BEIR qrels tsv (with header) or TREC qrels", 1},
        {"top-k", OPT_INT, &a.top_k, "documents retrieved per query", 0},
        {"run-out", OPT_STRING, &a.run_out, "also write the run (TREC form) to this file", 0},
        {"metrics-log", OPT_STRING, &a.metrics_log, "append the JSON result as one line to this file", 0},
        {"k1", OPT_DOUBLE, &k1, "BM25 k1", 0},
        {"b", OPT_DOUBLE, &b, "BM25 b", 0},
        {"fields", OPT_STRING, &fields, "flat (title + \" \" + text, one field) or title,text (multifield)", 0},
        {"index", OPT_STRING, &index_path, "keep the BM25 index at this path (default: a temporary file)", 0},
        {NULL, 0, NULL, NULL, 0},
    };
    const cli_spec spec = {"needle retriever eval --bm25 --corpus FILE --queries FILE --qrels FILE [options]",
                           "Evaluate a retriever on a BEIR data set as Anserini's regressions do (hits 1000, the query's own\n"
                           "id removed from its results) and print trec_eval measures (trec_eval -c) as JSON.",
                           opts, 0, 0};
    char *pos[1];
    int npos, rc = cli_parse(&spec, argc, argv, pos, &npos);
    if (rc) return cli_parse_exit(rc);
    if (!bm25) {
        fprintf(stderr, "needle: error: choose the retriever to evaluate: --bm25\n");
        return 2;
    }
    if (a.top_k < 1) {
        fprintf(stderr, "needle: error: --top-k must be at least 1\n");
        return 2;
    }
    trec_qrels qrels;
    if (trec_qrels_read(a.qrels, &qrels)) return cli_fail();
    beir_query *queries = NULL;
    size_t nq = 0;
    rc = beir_queries_read(a.queries, &queries, &nq);
    if (!rc) rc = eval_bm25(&a, &qrels, queries, nq, k1, b, fields, index_path);
    beir_queries_free(queries, nq);
    trec_qrels_free(&qrels);
    return rc ? cli_fail() : 0;
}
