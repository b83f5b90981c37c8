/* train_cli.c — the options, data and reporting the training commands share (see train_cli.h). */
#include "train_cli.h"
#include "needle/docstore.h"
#include "needle/error.h"
#include "needle/log.h"

#include <omp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

void train_cli_defaults(train_cli_args *a, int batch, int epochs, double lr, double warmup_proportion) {
    memset(a, 0, sizeof *a);
    trainer_options o = trainer_defaults();
    a->batch = batch, a->accum = o.grad_accum, a->epochs = epochs, a->lr = lr;
    a->warmup_proportion = a->default_warmup = warmup_proportion;
    a->warmup_steps = -1, a->max_grad_norm = o.max_grad_norm, a->seed = (int)o.seed, a->keep = o.keep_checkpoints;
}

int train_cli_options(train_cli_args *a, const char *unit, const char *metric, cli_opt *o) {
    static char batch_help[96], metric_help[160];
    snprintf(batch_help, sizeof batch_help, "%s per micro-batch", unit);
    snprintf(metric_help, sizeof metric_help,
             "dev metric for early stopping and best/ (default %s; names with \"loss\" are minimised)", metric);
    const cli_opt t[] = {
        {"batch-size", OPT_INT, &a->batch, batch_help, 0},
        {"grad-accum", OPT_INT, &a->accum, "micro-batches per optimiser step", 0},
        {"epochs", OPT_INT, &a->epochs, "passes over the training data", 0},
        {"max-steps", OPT_INT, &a->max_steps, "optimiser steps in all (overrides --epochs; 0: off)", 0},
        {"lr", OPT_DOUBLE, &a->lr, "peak learning rate (AdamW, betas 0.9/0.999, eps 1e-8)", 0},
        {"warmup-proportion", OPT_DOUBLE, &a->warmup_proportion, "linear warm-up over ceil(this x total) steps, then linear decay to 0", 0},
        {"warmup-steps", OPT_INT, &a->warmup_steps, "warm-up steps (overrides --warmup-proportion; -1: off)", 0},
        {"weight-decay", OPT_DOUBLE, &a->weight_decay, "decoupled weight decay (not on biases and LayerNorm unless --decay-all)", 0},
        {"decay-all", OPT_FLAG, &a->decay_all, "apply weight decay to every parameter", 0},
        {"max-grad-norm", OPT_DOUBLE, &a->max_grad_norm, "clip the global gradient norm to this (0: no clipping)", 0},
        {"no-shuffle", OPT_FLAG, &a->no_shuffle, "keep the training data in file order every epoch", 0},
        {"seed", OPT_INT, &a->seed, "seed of shuffling, dropout, new heads and the dev split", 0},
        {"eval-every", OPT_INT, &a->eval_every, "evaluate on the dev set every N steps (0: at the end only)", 0},
        {"early-stopping-metric", OPT_STRING, &a->metric, metric_help, 0},
        {"patience", OPT_INT, &a->patience, "stop after this many evaluations without improvement (0: never)", 0},
        {"checkpoint-every", OPT_INT, &a->ckpt_every, "write a trainer checkpoint every N steps (0: only on SIGTERM/SIGINT)", 0},
        {"keep-checkpoints", OPT_INT, &a->keep, "keep the newest K checkpoints (0: all)", 0},
        {"log", OPT_STRING, &a->log, "JSON lines: one object per optimiser step and per evaluation", 0},
        {"resume", OPT_FLAG, &a->resume, "continue from the newest checkpoint in --save-dir", 0},
        {"threads", OPT_INT, &a->threads, "threads (0: all cores); resume with the same number for bitwise results", 0},
    };
    memcpy(o, t, sizeof t);
    return (int)(sizeof t / sizeof t[0]);
}

int train_cli_check(const train_cli_args *a) {
    if (a->threads < 0) {
        fprintf(stderr, "needle: error: --threads must be 0 (all cores) or more\n");
        return 2;
    }
    if (a->warmup_steps >= 0 && a->warmup_proportion != a->default_warmup) {
        fprintf(stderr, "needle: error: give --warmup-steps or --warmup-proportion, not both\n");
        return 2;
    }
    if (a->threads > 0) omp_set_num_threads(a->threads);
    return 0;
}

int train_cli_run(const trainer_task *task, const train_cli_args *a, const char *save_dir, trainer_result *res_out) {
    trainer_options o = trainer_defaults();
    o.batch_size = a->batch;
    o.grad_accum = a->accum;
    o.epochs = a->epochs;
    o.max_steps = a->max_steps;
    o.lr = a->lr;
    o.warmup_steps = a->warmup_steps;
    o.warmup_proportion = a->warmup_proportion;
    o.weight_decay = a->weight_decay;
    o.decay_all = a->decay_all;
    o.max_grad_norm = a->max_grad_norm;
    o.shuffle = !a->no_shuffle;
    o.seed = (uint64_t)a->seed;
    o.eval_every = a->eval_every;
    o.metric = a->metric;
    o.patience = a->patience;
    o.checkpoint_every = a->ckpt_every;
    o.keep_checkpoints = a->keep;
    o.save_dir = save_dir;
    o.log_path = a->log;
    o.resume = a->resume;
    log_info("training on %d threads (a resumed run must use the same number to continue bitwise)", omp_get_max_threads());
    trainer_result res = {0};
    int rc = trainer_run(task, &o, &res);
    if (res_out) *res_out = res;
    if (rc) return cli_fail();
    if (res.interrupted) {
        fprintf(stderr, "needle: interrupted by %s after step %ld of %ld; checkpoint written to %s/checkpoints. "
                        "Run the same command with --resume to continue.\n",
                res.interrupted == SIGTERM ? "SIGTERM" : res.interrupted == SIGINT ? "SIGINT" : "a signal", res.steps,
                res.total_steps, save_dir);
        return 128 + res.interrupted;
    }
    fprintf(stderr, "needle: trained %ld steps (last loss %.4f)%s; model saved to %s", res.steps, res.last_loss,
            res.stopped_early ? ", stopped early" : "", save_dir);
    if (res.has_best)
        fprintf(stderr, "; best %s %.4f at step %ld in %s/best", a->metric ? a->metric : task->default_metric,
                res.best_metric, res.best_step, save_dir);
    fputc('\n', stderr);
    return 0;
}

/* ---- SQuAD data for the reader commands ---------------------------------------------- */

void reader_cli_data_defaults(reader_cli_data *d) {
    memset(d, 0, sizeof *d);
    d->data = reader_data_defaults();
    reader_predict_opts p = reader_predict_defaults();
    d->n_best = p.decode.n_best, d->max_answer_len = p.decode.max_answer_len, d->top_k = p.top_k;
}

int reader_cli_data_options(reader_cli_data *d, int train_optional, cli_opt *o) {
    const cli_opt t[] = {
        {"train", OPT_STRING, &d->train, "SQuAD-format training file (v1.1 or v2.0)", !train_optional},
        {"dev", OPT_STRING, &d->dev, "SQuAD-format dev file, evaluated with the official EM/F1", 0},
        {"dev-fraction", OPT_DOUBLE, &d->dev_fraction, "without --dev: carve this fraction of --train out as dev (by article, --seed)", 0},
        {"max-seq-len", OPT_INT, &d->data.max_seq_len, "tokens per window, special tokens included", 0},
        {"stride", OPT_INT, &d->data.stride, "context tokens shared by consecutive windows (HF doc_stride)", 0},
        {"max-query-len", OPT_INT, &d->data.max_query_len, "questions cut to this many tokens (0: whole)", 0},
        {"n-best", OPT_INT, &d->n_best, "dev evaluation: start/end candidates per window", 0},
        {"max-answer-len", OPT_INT, &d->max_answer_len, "dev evaluation: longest answer, in tokens", 0},
        {"top-k", OPT_INT, &d->top_k, "dev evaluation: answers per question for top-n accuracy", 0},
    };
    memcpy(o, t, sizeof t);
    return (int)(sizeof t / sizeof t[0]);
}

void reader_cli_sets_init(reader_cli_sets *s, const reader_cli_data *d) {
    memset(s, 0, sizeof *s);
    squad_dataset_init(&s->tr);
    squad_dataset_init(&s->dv);
    qa_features_init(&s->ftr, d->data.max_seq_len);
    qa_features_init(&s->fdv, d->data.max_seq_len);
}

void reader_cli_sets_free(reader_cli_sets *s) {
    qa_features_free(&s->ftr);
    qa_features_free(&s->fdv);
    squad_dataset_free(&s->tr);
    squad_dataset_free(&s->dv);
}

/* The training examples: the --train file, then the user feedback of d->feedback's store
 * (converted as /export-feedback converts it), or either alone. */
static int load_training(const reader_cli_data *d, squad_dataset *all) {
    squad_load_opts fix = {SQUAD_OFFSETS_FIX, 0};
    squad_dataset_init(all);
    int rc = d->train ? squad_load(d->train, &fix, all) : 0;
    if (rc || !d->feedback) return rc;
    docstore *ds = NULL;
    feedback_squad_stats st;
    size_t before = all->n_questions;
    if (!(rc = docstore_open(&ds, d->feedback, DOCSTORE_READONLY))) rc = feedback_squad_append(ds, &d->fb, all, &st);
    docstore_close(ds);
    if (rc) return rc;
    log_info("%s: %zu feedback examples (%zu labels with a right document and a wrong answer left out, %zu skipped)",
             d->feedback, all->n_questions - before, st.left_out, st.skipped);
    if (all->n_questions == before)
        return error_set(NEEDLE_EINVAL, "%s: no user feedback to train on (POST /feedback labels it)", d->feedback);
    return 0;
}

/* Training and dev data: the dev file, or a split of the training data, or none. */
static int load_data(reader_cli_sets *s, const reader_cli_data *d, uint64_t seed) {
    squad_load_opts keep = {SQUAD_OFFSETS_KEEP, 0};
    const char *name = d->train ? d->train : d->feedback;
    if (d->dev || d->dev_fraction <= 0) {
        int rc = load_training(d, &s->tr);
        if (!rc && d->dev && !(rc = squad_load(d->dev, &keep, &s->dv))) s->has_dev = 1;
        return rc;
    }
    squad_dataset all;
    int rc = load_training(d, &all);
    if (!rc) rc = squad_split(&all, d->dev_fraction, seed, &s->tr, &s->dv);
    squad_dataset_free(&all);
    if (rc) return error_prefix(rc, "%s: --dev-fraction %g: ", name, d->dev_fraction);
    s->has_dev = 1;
    log_info("%s: dev split of %.0f%% (seed %llu): %zu training and %zu dev questions", name, 100 * d->dev_fraction,
             (unsigned long long)seed, s->tr.n_questions, s->dv.n_questions);
    return 0;
}

int reader_cli_load(reader_cli_sets *s, const reader_cli_data *d, const tokenizer *tk, uint64_t seed) {
    const char *name = d->train ? d->train : d->feedback;
    int rc = load_data(s, d, seed);
    reader_data_stats st;
    if (!rc) rc = reader_featurize(&s->tr, tk, &d->data, name, &s->ftr, &st);
    if (!rc && !s->ftr.n)
        rc = error_set(NEEDLE_EINVAL, "%s: no training windows (no question is left after the answer checks)", name);
    if (!rc && s->has_dev) rc = reader_featurize(&s->dv, tk, &d->data, d->dev ? d->dev : "dev split", &s->fdv, &st);
    return rc;
}

reader_eval *reader_cli_eval(reader_cli_sets *s, const reader_cli_data *d, const model *m, int batch) {
    if (!s->has_dev) return NULL;
    s->ev.w = reader_pred_windows_of(&s->fdv, m);
    s->ev.ds = &s->dv;
    s->ev.opt = reader_predict_defaults();
    s->ev.opt.batch_size = batch;
    s->ev.opt.decode.n_best = d->n_best;
    s->ev.opt.decode.max_answer_len = d->max_answer_len;
    s->ev.opt.top_k = d->top_k;
    s->ev.opt.decode.version_2 = s->dv.version == SQUAD_V2;
    return &s->ev;
}
