/* cmd_reranker.c — `needle reranker train` and `needle reranker eval`: cross-encoder
 * rerankers (sentence-transformers' CrossEncoder, Haystack's SentenceTransformersRanker).
 *
 * train: a sequence-classification model (a one-label head is added to a checkpoint without
 * one) on (query, passage, label) triples or on BEIR qrels with negatives mined from a
 * first-stage run, with binary cross-entropy or listwise softmax cross-entropy, through the
 * shared trainer (checkpoints, --resume, warm-up, clipping, accumulation); with --dev-qrels
 * and --dev-run it reranks that run at each evaluation and keeps the best nDCG@10.
 * eval: reranks each query's top-k of a first-stage run (TREC form: BM25 or dense, e.g. from
 * `needle retriever eval --run-out`) and prints trec_eval's measures before (the first-stage
 * top-k as given) and after, as JSON. */
#include "train_cli.h"
#include "needle/cross_encoder.h"
#include "needle/error.h"
#include "needle/file.h"
#include "needle/json.h"
#include "needle/log.h"
#include "needle/progress.h"
#include "needle/rerank_task.h"
#include "needle/reranker.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the candidates of a first-stage run, reranked and evaluated ----------------------- */

typedef struct {
    trec_qrels qrels;
    trec_run first, top;     /* the run as read; its top-k per query of the qrels */
    rerank_set cands;
    int top_k;
} first_stage;

static void first_stage_free(first_stage *b) {
    trec_qrels_free(&b->qrels);
    trec_run_free(&b->first);
    trec_run_free(&b->top);
    rerank_set_free(&b->cands);
}

static int first_stage_load(first_stage *b, const char *corpus, const char *queries, const char *qrels, const char *run, int top_k) {
    memset(b, 0, sizeof *b);
    trec_qrels_init(&b->qrels);
    trec_run_init(&b->first);
    trec_run_init(&b->top);
    rerank_set_init(&b->cands);
    b->top_k = top_k;
    int rc = trec_qrels_read(qrels, &b->qrels);
    if (!rc) rc = trec_run_read(run, &b->first);
    if (!rc) rc = rerank_set_from_run(corpus, queries, &b->qrels, &b->first, top_k, &b->cands, &b->top);
    if (!rc) log_info("%s: %zu candidates (top %d of %u queries) to rerank", run, b->cands.n_pairs, top_k, b->cands.qkeys.count);
    return rc;
}

/* Rerank the candidates with m and evaluate; `reranked` receives the run (caller frees). */
static int first_stage_rerank(first_stage *b, model *m, const tokenizer *tk, pair_batch *pb, trec_run *reranked, trec_summary *s) {
    trec_run_init(reranked);
    int rc = rerank_run(m, tk, pb, &b->cands, reranked);
    return rc ? rc : trec_evaluate(&b->qrels, reranked, s);
}

/* ---- train ------------------------------------------------------------------------------ */

typedef struct {
    const char *model_dir, *tokenizer_dir, *save_dir, *triples, *corpus, *queries, *qrels, *neg_run, *loss;
    const char *dev_qrels, *dev_run;
    int negatives, depth, max_len, dev_top_k;
    train_cli_args t;
} train_args;

typedef struct {
    first_stage fs;
    const tokenizer *tk;
    pair_batch *pb;
} dev_eval;

static int dev_evaluate(void *ctx, model *m, cJSON **metrics) {
    dev_eval *d = ctx;
    trec_run run;
    trec_summary s;
    int rc = first_stage_rerank(&d->fs, m, d->tk, d->pb, &run, &s);
    trec_run_free(&run);
    if (rc) return rc;
    *metrics = cJSON_CreateObject();
    for (int k = 0; *metrics && k < TREC_N_MEASURES; k++) cJSON_AddNumberToObject(*metrics, trec_measure_names[k], s.value[k]);
    return *metrics ? 0 : error_set(NEEDLE_ENOMEM, "out of memory");
}

/* The model to train: the checkpoint's classification head, or a new one-label head. */
static int load_cross_encoder(model *m, const char *dir, uint64_t seed) {
    model_config c;
    char *path = path_join(dir, "config.json");
    int rc = path ? model_config_load(&c, path) : error_set(NEEDLE_ENOMEM, "out of memory");
    free(path);
    if (rc) return rc;
    int has_cls = c.head == MODEL_HEAD_CLS;
    model_config_free(&c);
    if ((rc = model_load(m, dir, MODEL_HEAD_CLS, has_cls ? 0 : 1, seed))) return rc;
    if ((rc = cross_encoder_check(m, dir))) model_free(m);
    return rc;
}

static int train(train_args *a) {
    tokenizer *tk = NULL;
    model m;
    rerank_set set;
    rerank_examples ex;
    rerank_task rt;
    dev_eval dev;
    trec_qrels qrels;
    trec_run neg;
    int status = -1, model_ok = 0, dev_ok = 0; /* -1: failed, message not printed yet */
    memset(&ex, 0, sizeof ex);
    memset(&rt, 0, sizeof rt);
    rerank_set_init(&set);
    trec_qrels_init(&qrels);
    trec_run_init(&neg);
    if (tokenizer_load(a->tokenizer_dir, &tk)) goto done;
    if (load_cross_encoder(&m, a->model_dir, (uint64_t)a->t.seed)) goto done;
    model_ok = 1;
    if (a->triples) {
        if (rerank_set_read_triples(a->triples, &set)) goto done;
    } else {
        if (trec_qrels_read(a->qrels, &qrels)) goto done;
        if (a->neg_run && trec_run_read(a->neg_run, &neg)) goto done;
        if (rerank_set_from_beir(a->corpus, a->queries, &qrels, a->neg_run ? &neg : NULL, a->depth, &set)) goto done;
    }
    rerank_kind kind = !strcmp(a->loss, "listwise") ? RERANK_LISTWISE : RERANK_POINTWISE;
    if (rerank_examples_build(&set, kind, a->negatives, (uint64_t)a->t.seed, &ex)) goto done;
    log_info("%zu %s examples of %d passage%s", ex.n, kind == RERANK_LISTWISE ? "listwise" : "pointwise", ex.group,
             ex.group > 1 ? "s" : "");
    int positions = m.cfg.P - m.cfg.pos_offset, len = a->max_len < positions ? a->max_len : positions;
    if (rerank_task_init(&rt, &m, tk, &set, &ex, a->t.batch, len, a->tokenizer_dir)) goto done;
    if (a->dev_qrels) {
        if (first_stage_load(&dev.fs, a->corpus, a->queries, a->dev_qrels, a->dev_run, a->dev_top_k)) goto done;
        dev_ok = 1;
        dev.tk = tk;
        dev.pb = &rt.pb;
        rt.evaluate = dev_evaluate;
        rt.eval_ctx = &dev;
    }
    trainer_task task = rerank_task_bind(&rt);
    status = train_cli_run(&task, &a->t, a->save_dir, NULL);
done:
    if (status < 0) status = cli_fail();
    if (dev_ok) first_stage_free(&dev.fs);
    rerank_task_free(&rt);
    rerank_examples_free(&ex);
    rerank_set_free(&set);
    trec_qrels_free(&qrels);
    trec_run_free(&neg);
    if (model_ok) model_free(&m);
    tokenizer_free(tk);
    tokenizer_thread_cleanup();
    return status;
}

int cmd_reranker_train(int argc, char **argv) {
    train_args a;
    memset(&a, 0, sizeof a);
    train_cli_defaults(&a.t, 16, 1, 2e-5, 0.1);
    a.t.weight_decay = 0.01;
    a.loss = "bce", a.depth = 30, a.max_len = 512, a.dev_top_k = 100;
    cli_opt opts[64];
    int n = 0;
    const cli_opt own[] = {
        {"model", OPT_STRING, &a.model_dir, "HF model directory to start from (a one-label classification head is added if missing)", 1},
        {"tokenizer", OPT_STRING, &a.tokenizer_dir, "tokenizer directory or tokenizer.json (default: --model)", 0},
        {"save-dir", OPT_STRING, &a.save_dir, "output: the final model (HF layout + tokenizer), best/, checkpoints/", 1},
        {"train", OPT_STRING, &a.triples, "(query, passage, label) triples: TSV query<TAB>passage<TAB>label or JSON lines", 0},
        {"corpus", OPT_STRING, &a.corpus, "BEIR corpus.jsonl (training from --qrels, and the dev evaluation)", 0},
        {"queries", OPT_STRING, &a.queries, "BEIR queries.jsonl", 0},
        {"qrels", OPT_STRING, &a.qrels, "BEIR training qrels: rel >= 1 are the positives", 0},
        {"negatives-run", OPT_STRING, &a.neg_run, "first-stage run (TREC form) of the training queries: negatives are mined from it", 0},
        {"negatives-depth", OPT_INT, &a.depth, "mine a query's negatives among its top N results not judged relevant", 0},
        {"negatives", OPT_INT, &a.negatives, "negatives drawn per positive (0: pointwise on every judged pair; listwise needs >= 1)", 0},
        {"loss", OPT_STRING, &a.loss, "bce (binary cross-entropy with logits, pointwise) or listwise (softmax CE over positive + negatives)", 0},
        {"max-seq-len", OPT_INT, &a.max_len, "tokens per (query, passage) pair, longest text truncated first (capped by the model)", 0},
        {"dev-qrels", OPT_STRING, &a.dev_qrels, "dev qrels: evaluate by reranking --dev-run (needs --corpus, --queries)", 0},
        {"dev-run", OPT_STRING, &a.dev_run, "first-stage run of the dev queries (TREC form)", 0},
        {"dev-top-k", OPT_INT, &a.dev_top_k, "dev evaluation: results reranked per query", 0},
    };
    memcpy(opts, own, sizeof own);
    n = (int)(sizeof own / sizeof own[0]);
    n += train_cli_options(&a.t, "examples (pairs, or groups for listwise)", "ndcg_cut_10", opts + n);
    opts[n] = (cli_opt){NULL, 0, NULL, NULL, 0};
    static const char summary[] =
        "Train a cross-encoder reranker as sentence-transformers' CrossEncoder.fit does (num_labels 1,\n"
        "BCEWithLogitsLoss; defaults: batch 16, 1 epoch, lr 2e-5, 10% warm-up, weight decay 0.01), or with a\n"
        "listwise softmax cross-entropy over a positive and N negatives. Data: --train triples, or BEIR --corpus\n"
        "--queries --qrels with negatives mined from --negatives-run (e.g. a BM25 run of the training queries:\n"
        "needle retriever eval --bm25 ... --qrels train.tsv --run-out FILE). Pairs are tokenized as\n"
        "tokenizer(query, passage, truncation=longest_first). Checkpoints and --resume as in needle reader train.";
    const cli_spec spec = {"needle reranker train --model DIR --save-dir DIR (--train TRIPLES | --corpus F --queries F "
                           "--qrels F [--negatives-run RUN]) [options]",
                           summary, opts, 0, 0};
    char *pos[1];
    int npos, rc = cli_parse(&spec, argc, argv, pos, &npos);
    if (rc) return cli_parse_exit(rc);
    if ((rc = train_cli_check(&a.t))) return rc;
    const char *problem = NULL;
    if (!a.triples == !a.qrels) problem = "give either --train (triples) or --qrels (with --corpus and --queries)";
    else if (a.qrels && (!a.corpus || !a.queries)) problem = "--qrels needs --corpus and --queries";
    else if (strcmp(a.loss, "bce") && strcmp(a.loss, "listwise")) problem = "--loss: use bce or listwise";
    else if (!strcmp(a.loss, "listwise") && a.negatives < 1) problem = "--loss listwise needs --negatives N (N >= 1)";
    else if (a.negatives < 0 || a.depth < 1 || a.max_len < 3 || a.dev_top_k < 1) problem = "--negatives, --negatives-depth, --max-seq-len and --dev-top-k must be positive";
    else if (!a.dev_qrels != !a.dev_run) problem = "--dev-qrels and --dev-run go together";
    else if (a.dev_qrels && (!a.corpus || !a.queries)) problem = "the dev evaluation needs --corpus and --queries";
    if (problem) {
        fprintf(stderr, "needle: error: %s\n", problem);
        return 2;
    }
    if (!a.tokenizer_dir) a.tokenizer_dir = a.model_dir;
    return train(&a);
}

/* ---- eval ------------------------------------------------------------------------------- */

static void summary_object(jsonw *w, const char *key, const trec_summary *s) {
    jsonw_key(w, key);
    jsonw_object_begin(w);
    trec_summary_json(s, w);
    jsonw_object_end(w);
}

int cmd_reranker_eval(int argc, char **argv) {
    const char *model_dir = NULL, *tok_dir = NULL, *corpus = NULL, *queries = NULL, *qrels = NULL, *run = NULL,
               *run_out = NULL, *log_path = NULL;
    int top_k = 100, threads = 0;
    reranker_opts ro = reranker_defaults();
    const cli_opt opts[] = {
        {"model", OPT_STRING, &model_dir, "cross-encoder: HF sequence-classification directory (1 or 2 labels)", 1},
        {"tokenizer", OPT_STRING, &tok_dir, "tokenizer directory or tokenizer.json (default: --model)", 0},
        {"corpus", OPT_STRING, &corpus, "BEIR corpus.jsonl", 1},
        {"queries", OPT_STRING, &queries, "BEIR queries.jsonl", 1},
        {"qrels", OPT_STRING, &qrels, "BEIR qrels tsv (with header) or TREC qrels", 1},
        {"run", OPT_STRING, &run, "first-stage run to rerank (TREC form: qid Q0 docno rank score tag)", 1},
        {"top-k", OPT_INT, &top_k, "results reranked per query (the first stage's top k)", 0},
        {"batch-size", OPT_INT, &ro.batch_size, "(query, passage) pairs per forward pass", 0},
        {"max-seq-len", OPT_INT, &ro.max_len, "tokens per pair, longest text truncated first (capped by the model)", 0},
        {"run-out", OPT_STRING, &run_out, "also write the reranked run (TREC form) to this file", 0},
        {"metrics-log", OPT_STRING, &log_path, "append the JSON result as one line to this file", 0},
        {"threads", OPT_INT, &threads, "threads (0: all cores)", 0},
        {NULL, 0, NULL, NULL, 0},
    };
    const cli_spec spec = {"needle reranker eval --model DIR --corpus F --queries F --qrels F --run FIRST_STAGE.trec [--top-k 100]",
                           "Rerank each query's top k results of a first-stage run with a cross-encoder and print trec_eval's\n"
                           "measures (trec_eval -c) of the first stage's top k (\"before\") and of the reranked list (\"after\") as\n"
                           "JSON. Passages are title + \" \" + text, as BEIR's reranking joins them.",
                           opts, 0, 0};
    char *pos[1];
    int npos, rc = cli_parse(&spec, argc, argv, pos, &npos);
    if (rc) return cli_parse_exit(rc);
    if (top_k < 1 || ro.batch_size < 1 || ro.max_len < 3 || threads < 0) {
        fprintf(stderr, "needle: error: --top-k, --batch-size and --max-seq-len must be positive, --threads 0 or more\n");
        return 2;
    }
    if (threads > 0) omp_set_num_threads(threads);
    model m;
    tokenizer *tk = NULL;
    pair_batch pb;
    first_stage b;
    trec_run reranked;
    trec_summary before, after;
    strbuf out, runtext;
    memset(&pb, 0, sizeof pb);
    trec_run_init(&reranked);
    strbuf_init(&out);
    strbuf_init(&runtext);
    int model_ok = 0;
    double t0 = 0, secs = 0;
    if ((rc = first_stage_load(&b, corpus, queries, qrels, run, top_k))) goto done;
    if ((rc = model_load(&m, model_dir, MODEL_HEAD_AUTO, 0, 0))) goto done;
    model_ok = 1;
    int positions = m.cfg.P - m.cfg.pos_offset, len = ro.max_len < positions ? ro.max_len : positions;
    if ((rc = cross_encoder_check(&m, model_dir)) || (rc = tokenizer_load(tok_dir ? tok_dir : model_dir, &tk)) ||
        (rc = pair_batch_init(&pb, ro.batch_size, len, &m)) || (rc = model_alloc(&m, ro.batch_size, len, MODEL_INFER)))
        goto done;
    if ((rc = trec_evaluate(&b.qrels, &b.top, &before))) goto done;
    t0 = clock_seconds();
    trec_run_free(&reranked);
    if ((rc = first_stage_rerank(&b, &m, tk, &pb, &reranked, &after))) goto done;
    secs = clock_seconds() - t0;
    jsonw w;
    jsonw_init(&w, &out);
    jsonw_object_begin(&w);
    summary_object(&w, "before", &before);
    summary_object(&w, "after", &after);
    jsonw_key(&w, "reranker");
    jsonw_string(&w, "cross-encoder");
    jsonw_key(&w, "model");
    jsonw_string(&w, model_dir);
    jsonw_key(&w, "top_k");
    jsonw_int(&w, top_k);
    jsonw_key(&w, "max_seq_len");
    jsonw_int(&w, len);
    jsonw_key(&w, "num_pairs");
    jsonw_int(&w, (long long)b.cands.n_pairs);
    jsonw_key(&w, "seconds");
    jsonw_double(&w, secs);
    jsonw_key(&w, "pairs_per_s");
    jsonw_double(&w, secs > 0 ? b.cands.n_pairs / secs : 0);
    jsonw_key(&w, "threads");
    jsonw_int(&w, omp_get_max_threads());
    jsonw_object_end(&w);
    if (w.err) rc = error_set(NEEDLE_ENOMEM, "out of memory");
    if (!rc && run_out && !(rc = trec_run_format(&reranked, "needle-rerank", &runtext)))
        rc = file_write_atomic(run_out, runtext.data ? runtext.data : "", runtext.len);
    if (!rc && log_path) {
        metrics_log ml;
        if (!(rc = metrics_log_open(&ml, log_path, 1))) {
            rc = metrics_log_write(&ml, out.data);
            metrics_log_close(&ml);
        }
    }
    if (!rc) printf("%s\n", out.data);
done:
    first_stage_free(&b);
    trec_run_free(&reranked);
    pair_batch_free(&pb);
    if (model_ok) model_free(&m);
    tokenizer_free(tk);
    tokenizer_thread_cleanup();
    strbuf_free(&out);
    strbuf_free(&runtext);
    return rc ? cli_fail() : 0;
}
