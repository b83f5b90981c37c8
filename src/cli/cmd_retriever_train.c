/* cmd_retriever_train.c — `needle retriever train`: fine-tune a dense retriever (DPR's two
 * encoders or one shared sentence encoder) on DPR-format data or BEIR qrels, with in-batch
 * negatives, hard negatives, the gradient cache, full-corpus evaluation on a BEIR dev set,
 * checkpoints and resume, on the shared trainer. Prints a JSON summary on stdout (steps, loss,
 * best metric, peak resident memory). */
#include "train_cli.h"
#include "needle/biencoder.h"
#include "needle/error.h"
#include "needle/json.h"
#include "needle/log.h"
#include "needle/proc.h"
#include "needle/retriever_task.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *save_dir, *init, *train, *train_corpus, *train_queries, *train_qrels, *dev_corpus, *dev_queries, *dev_qrels;
    const char *layout, *pooling, *similarity, *passage_input, *loss, *score_field;
    double scale;
    int max_query_len, max_passage_len, num_positives, num_hard, num_other, shuffle_positives, no_shuffle_negatives;
    int chunk, shuffle_buffer, eval_top_k, eval_batch;
} retr_args;

/* The bi-encoder settings asked for on the command line (unset ones come from --init). */
static int wanted_config(const retr_args *a, bienc_config *c, rloss_kind *loss) {
    memset(c, 0, sizeof *c);
    int rc = 0;
    if (a->layout) rc = bienc_layout_parse(a->layout, &c->layout);
    if (!rc && a->pooling) rc = bienc_pooling_parse(a->pooling, &c->pooling);
    if (!rc && a->similarity) rc = bienc_similarity_parse(a->similarity, &c->similarity);
    if (!rc && a->passage_input) rc = bienc_input_parse(a->passage_input, &c->passage_input);
    if (rc) return rc;
    c->scale = a->scale;
    c->max_query_len = a->max_query_len;
    c->max_passage_len = a->max_passage_len;
    if (!strcmp(a->loss, "nll")) *loss = RLOSS_NLL;
    else if (!strcmp(a->loss, "margin-mse")) *loss = RLOSS_MARGIN_MSE;
    else if (!strcmp(a->loss, "mnrl")) { /* sentence-transformers' MultipleNegativesRankingLoss */
        *loss = RLOSS_NLL;
        if (!c->similarity) c->similarity = BIENC_SIM_COSINE;
        if (!(c->scale > 0)) c->scale = 20.0;
    } else {
        return error_set(NEEDLE_EINVAL, "--loss '%s': use nll, mnrl or margin-mse", a->loss);
    }
    return 0;
}

static void print_summary(const trainer_result *res, const biencoder *b, size_t examples) {
    strbuf sb;
    strbuf_init(&sb);
    jsonw w;
    jsonw_init(&w, &sb);
    jsonw_object_begin(&w);
    jsonw_key(&w, "steps"), jsonw_int(&w, res->steps);
    jsonw_key(&w, "examples"), jsonw_int(&w, (long long)examples);
    jsonw_key(&w, "last_loss"), jsonw_double(&w, res->last_loss);
    jsonw_key(&w, "layout"), jsonw_string(&w, bienc_layout_name(b->cfg.layout));
    jsonw_key(&w, "pooling"), jsonw_string(&w, bienc_pooling_name(b->cfg.pooling));
    jsonw_key(&w, "similarity"), jsonw_string(&w, bienc_similarity_name(b->cfg.similarity));
    jsonw_key(&w, "scale"), jsonw_double(&w, b->cfg.scale);
    if (res->has_best) {
        jsonw_key(&w, "best_metric"), jsonw_double(&w, res->best_metric);
        jsonw_key(&w, "best_step"), jsonw_int(&w, res->best_step);
    }
    jsonw_key(&w, "stopped_early"), jsonw_bool(&w, res->stopped_early);
    jsonw_key(&w, "peak_rss_kb"), jsonw_int(&w, proc_peak_rss_kb());
    jsonw_object_end(&w);
    if (!w.err) printf("%s\n", sb.data);
    strbuf_free(&sb);
}

static int train(const retr_args *a, const train_cli_args *t) {
    biencoder b;
    bienc_config want;
    retriever_task_opts o;
    retriever_task rt;
    dpr_record **records = NULL;
    size_t n_records = 0;
    trec_qrels qrels;
    int status = 1, have_b = 0, ran = 0;
    memset(&rt, 0, sizeof rt);
    trec_qrels_init(&qrels);
    retriever_task_opts_default(&o);
    if (wanted_config(a, &want, &o.loss)) goto done;
    if (biencoder_open(&b, a->init, &want, (uint64_t)t->seed)) goto done;
    have_b = 1;
    o.num_positives = a->num_positives;
    o.num_hard_negatives = a->num_hard;
    o.num_other_negatives = a->num_other;
    o.shuffle_positives = a->shuffle_positives;
    o.shuffle_negatives = !a->no_shuffle_negatives;
    o.max_batch = t->batch;
    o.chunk = a->chunk;
    o.shuffle_buffer = (size_t)a->shuffle_buffer;
    o.score_field = a->score_field;
    o.seed = (uint64_t)t->seed;
    if (a->train) {
        if (retriever_task_init_stream(&rt, &b, a->train, &o)) goto done;
    } else {
        if (trec_qrels_read(a->train_qrels, &qrels)) goto done;
        if (dpr_records_from_beir(a->train_corpus, a->train_queries, &qrels, &records, &n_records)) goto done;
        log_info("%s: %zu training queries with relevant documents", a->train_qrels, n_records);
        if (retriever_task_init_records(&rt, &b, records, n_records, &o)) goto done;
    }
    if (a->dev_corpus) {
        retrieval_eval_opts eo;
        retrieval_eval_opts_default(&eo);
        eo.top_k = (size_t)a->eval_top_k;
        eo.batch = a->eval_batch;
        if (retrieval_eval_open(&rt.eval, a->dev_corpus, a->dev_queries, a->dev_qrels, &eo)) goto done;
    }
    log_info("retriever: %s encoders, %s pooling, %s x %g, queries <= %d tokens, passages <= %d tokens (%s), %s loss, "
             "%d positives + %d hard + %d other negatives per question, gradient-cache chunk %d",
             bienc_layout_name(b.cfg.layout), bienc_pooling_name(b.cfg.pooling), bienc_similarity_name(b.cfg.similarity),
             b.cfg.scale, b.cfg.max_query_len, b.cfg.max_passage_len, bienc_input_name(b.cfg.passage_input), a->loss,
             o.num_positives, o.num_hard_negatives, o.num_other_negatives, o.chunk);
    size_t bytes = 0;
    for (int i = 0; i < rt.n_models; i++) bytes += model_bytes(rt.models[i]);
    log_info("retriever: %.2f GB for parameters, gradients and training activations (+ AdamW moments: 2 x parameters); "
             "--chunk N bounds the activations to N rows per side", bytes / 1e9);
    trainer_task task = retriever_task_bind(&rt);
    trainer_result res;
    status = train_cli_run(&task, t, a->save_dir, &res);
    ran = 1;
    if (status == 0) print_summary(&res, &b, rt.n_records);
done:
    if (!ran) status = cli_fail();
    retrieval_eval_free(rt.eval);
    rt.eval = NULL;
    retriever_task_free(&rt);
    dpr_records_free(records, n_records);
    trec_qrels_free(&qrels);
    if (have_b) biencoder_free(&b);
    tokenizer_thread_cleanup();
    return status;
}

int cmd_retriever_train(int argc, char **argv) {
    retr_args a;
    memset(&a, 0, sizeof a);
    a.loss = "nll", a.score_field = "score";
    a.num_positives = 1, a.num_hard = 1, a.shuffle_buffer = 10000, a.eval_top_k = 100, a.eval_batch = 32;
    train_cli_args t;
    train_cli_defaults(&t, 16, 3, 2e-5, 0.1);
    t.weight_decay = 0.01;
    cli_opt opts[64] = {
        {"save-dir", OPT_STRING, &a.save_dir, "output: the final model, best/, checkpoints/", 1},
        {"init", OPT_STRING, &a.init, "model to start from: an HF model directory, a DPR retriever (query_encoder/ + "
                                      "passage_encoder/) or a sentence-transformers directory", 1},
        {"train", OPT_STRING, &a.train, "DPR training data: a JSON array or JSON lines, read as a stream", 0},
        {"train-corpus", OPT_STRING, &a.train_corpus, "or BEIR training pairs: corpus.jsonl ...", 0},
        {"train-queries", OPT_STRING, &a.train_queries, "... queries.jsonl ...", 0},
        {"train-qrels", OPT_STRING, &a.train_qrels, "... and qrels (every document judged relevant is a positive)", 0},
        {"dev-corpus", OPT_STRING, &a.dev_corpus, "BEIR dev set for full-corpus evaluation: corpus.jsonl ...", 0},
        {"dev-queries", OPT_STRING, &a.dev_queries, "... queries.jsonl ...", 0},
        {"dev-qrels", OPT_STRING, &a.dev_qrels, "... and qrels", 0},
        {"encoders", OPT_STRING, &a.layout, "dpr (separate query and passage encoders) or shared (default: as --init has it; dpr "
                                            "for a plain model)", 0},
        {"pooling", OPT_STRING, &a.pooling, "cls, mean or pooler (default: pooler for dpr = DPR's [CLS] output, mean for shared)", 0},
        {"similarity", OPT_STRING, &a.similarity, "dot or cosine (default: dot for dpr, cosine for shared)", 0},
        {"scale", OPT_DOUBLE, &a.scale, "similarity scale in the loss (default: 1 for dot, 20 for cosine)", 0},
        {"passage-input", OPT_STRING, &a.passage_input, "pair ([CLS] title [SEP] text [SEP], DPR) or concat (title + \" \" + text)", 0},
        {"max-query-len", OPT_INT, &a.max_query_len, "query tokens (default 64)", 0},
        {"max-passage-len", OPT_INT, &a.max_passage_len, "passage tokens (default 256)", 0},
        {"loss", OPT_STRING, &a.loss, "nll (in-batch + hard negatives), mnrl (nll with cosine x 20) or margin-mse", 0},
        {"num-positives", OPT_INT, &a.num_positives, "positives per question", 0},
        {"num-hard-negatives", OPT_INT, &a.num_hard, "hard negatives per question", 0},
        {"num-other-negatives", OPT_INT, &a.num_other, "negatives per question from negative_ctxs (DPR's other negatives)", 0},
        {"shuffle-positives", OPT_FLAG, &a.shuffle_positives, "random positives each epoch (default: the first ones)", 0},
        {"no-shuffle-negatives", OPT_FLAG, &a.no_shuffle_negatives, "the first negatives (default: random ones each epoch)", 0},
        {"score-field", OPT_STRING, &a.score_field, "passage member holding the teacher score for margin-mse", 0},
        {"chunk", OPT_INT, &a.chunk, "gradient cache: rows per forward/backward chunk (0: whole batch at once)", 0},
        {"shuffle-buffer", OPT_INT, &a.shuffle_buffer, "records held by the stream's shuffle buffer", 0},
        {"eval-top-k", OPT_INT, &a.eval_top_k, "evaluation: passages retrieved per query", 0},
        {"eval-batch", OPT_INT, &a.eval_batch, "evaluation: texts per embedding batch", 0},
    };
    int n = 0;
    while (opts[n].name) n++;
    n += train_cli_options(&t, "questions", "ndcg_cut_10", opts + n);
    opts[n] = (cli_opt){NULL, 0, NULL, NULL, 0};
    static const char summary[] =
        "Fine-tune a dense retriever on DPR-format data (--train: question, positive_ctxs, hard_negative_ctxs; a JSON\n"
        "array or JSON lines of any size, streamed through a shuffle buffer) or on BEIR qrels (--train-corpus/-queries/\n"
        "-qrels). Every question is scored against every passage of the batch (in-batch negatives) plus its hard\n"
        "negatives; --chunk bounds memory for large batches (gradient cache). With a BEIR dev set the whole corpus is\n"
        "embedded and searched at each evaluation (recall@k, MRR@10, nDCG@10), for early stopping and best/. Saves\n"
        "query_encoder/ + passage_encoder/ (DPR) or a sentence-transformers directory (shared encoder).";
    const cli_spec spec = {"needle retriever train --init DIR (--train FILE | --train-corpus F --train-queries F --train-qrels F) "
                           "--save-dir DIR [options]",
                           summary, opts, 0, 0};
    char *pos[1];
    int npos, rc = cli_parse(&spec, argc, argv, pos, &npos);
    if (rc) return cli_parse_exit(rc);
    if ((rc = train_cli_check(&t))) return rc;
    int beir = a.train_corpus || a.train_queries || a.train_qrels, dev = a.dev_corpus || a.dev_queries || a.dev_qrels;
    if (!a.train == !beir || (beir && !(a.train_corpus && a.train_queries && a.train_qrels)) ||
        (dev && !(a.dev_corpus && a.dev_queries && a.dev_qrels))) {
        fprintf(stderr, "needle: error: give --train FILE, or all of --train-corpus, --train-queries and --train-qrels; "
                        "a dev set needs all three --dev-* files\n");
        return 2;
    }
    if (a.chunk < 0 || a.shuffle_buffer < 1 || a.eval_top_k < 1 || a.eval_batch < 1) {
        fprintf(stderr, "needle: error: --chunk must be >= 0, --shuffle-buffer, --eval-top-k and --eval-batch >= 1\n");
        return 2;
    }
    return train(&a, &t);
}
