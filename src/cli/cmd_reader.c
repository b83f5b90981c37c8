/* cmd_reader.c — `needle reader train`: fine-tune an extractive reader on SQuAD-format data.
 *
 * The command wires the library together: the tokenizer and model of an HF directory (a span
 * head is added when the checkpoint has none), SQuAD files read with answer re-location,
 * windows as Hugging Face's run_qa makes them, the reader task and the shared trainer. A run
 * interrupted by SIGTERM/SIGINT leaves a checkpoint and exits with 128 + the signal number;
 * the same command with --resume continues it exactly. */
#include "cli.h"
#include "needle/error.h"
#include "needle/log.h"
#include "needle/reader.h"
#include "needle/reader_data.h"
#include "needle/reader_predict.h"
#include "needle/trainer.h"

#include <omp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static int reader_cli_threads(int threads) {
    if (threads < 0) {
        fprintf(stderr, "needle: error: --threads must be 0 (all cores) or more\n");
        return 2;
    }
    if (threads > 0) omp_set_num_threads(threads);
    return 0;
}

/* Training and dev data: the dev file, or a split of the training file, or none. */
static int load_data(const char *train_path, const char *dev_path, double dev_fraction, uint64_t seed,
                     squad_dataset *train, squad_dataset *dev, int *has_dev) {
    squad_load_opts fix = {SQUAD_OFFSETS_FIX, 0}, keep = {SQUAD_OFFSETS_KEEP, 0};
    *has_dev = 0;
    squad_dataset_init(train);
    squad_dataset_init(dev);
    if (dev_path) {
        int rc = squad_load(train_path, &fix, train);
        if (!rc && !(rc = squad_load(dev_path, &keep, dev))) *has_dev = 1;
        return rc;
    }
    if (dev_fraction <= 0) return squad_load(train_path, &fix, train);
    squad_dataset all;
    int rc = squad_load(train_path, &fix, &all);
    if (rc) return rc;
    rc = squad_split(&all, dev_fraction, seed, train, dev);
    squad_dataset_free(&all);
    if (rc) return error_prefix(rc, "%s: --dev-fraction %g: ", train_path, dev_fraction);
    *has_dev = 1;
    log_info("%s: dev split of %.0f%% (seed %llu): %zu training and %zu dev questions", train_path, 100 * dev_fraction,
             (unsigned long long)seed, train->n_questions, dev->n_questions);
    return 0;
}

typedef struct {
    const char *model_dir, *tokenizer_dir, *train, *dev, *save_dir, *log, *metric;
    double dev_fraction, lr, warmup_proportion, weight_decay, max_grad_norm;
    int warmup_steps, batch, accum, epochs, max_steps, decay_all, no_shuffle, seed, eval_every, patience,
        ckpt_every, keep, resume, threads, n_best, max_answer_len, top_k;
    reader_data_opts data;
} train_args;

static int train(const train_args *a) {
    tokenizer *tk = NULL;
    model m;
    squad_dataset tr, dv;
    qa_features ftr, fdv;
    reader_task rt;
    reader_eval ev;
    int has_dev = 0, status = 1, model_ok = 0;
    memset(&rt, 0, sizeof rt);
    qa_features_init(&ftr, a->data.max_seq_len);
    qa_features_init(&fdv, a->data.max_seq_len);
    squad_dataset_init(&tr);
    squad_dataset_init(&dv);
    if (tokenizer_load(a->tokenizer_dir, &tk)) goto done;
    if (model_load(&m, a->model_dir, MODEL_HEAD_SPAN, 0, (uint64_t)a->seed)) goto done;
    model_ok = 1;
    if (a->data.max_seq_len > m.cfg.P) {
        error_set(NEEDLE_EINVAL, "--max-seq-len %d exceeds the model's %d positions", a->data.max_seq_len, m.cfg.P);
        goto done;
    }
    if (load_data(a->train, a->dev, a->dev_fraction, (uint64_t)a->seed, &tr, &dv, &has_dev)) goto done;
    reader_data_stats st;
    if (reader_featurize(&tr, tk, &a->data, a->train, &ftr, &st)) goto done;
    if (!ftr.n) {
        error_set(NEEDLE_EINVAL, "%s: no training windows (no question is left after the answer checks)", a->train);
        goto done;
    }
    if (has_dev && reader_featurize(&dv, tk, &a->data, a->dev ? a->dev : "dev split", &fdv, &st)) goto done;
    reader_windows view = reader_windows_of(&ftr, &m);
    if (reader_task_init(&rt, &m, &view, a->batch, a->tokenizer_dir)) goto done;
    if (has_dev) {
        ev.w = reader_pred_windows_of(&fdv, &m);
        ev.ds = &dv;
        ev.opt = reader_predict_defaults();
        ev.opt.batch_size = a->batch;
        ev.opt.decode.n_best = a->n_best;
        ev.opt.decode.max_answer_len = a->max_answer_len;
        ev.opt.top_k = a->top_k;
        ev.opt.decode.version_2 = dv.version == SQUAD_V2;
        rt.eval = &ev;
    }
    trainer_task task = reader_task_bind(&rt);
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
    o.save_dir = a->save_dir;
    o.log_path = a->log;
    o.resume = a->resume;
    log_info("training on %d threads (a resumed run must use the same number to continue bitwise)", omp_get_max_threads());
    trainer_result res;
    if (trainer_run(&task, &o, &res)) goto done;
    if (res.interrupted) {
        fprintf(stderr, "needle: interrupted by %s after step %ld of %ld; checkpoint written to %s/checkpoints. "
                        "Run the same command with --resume to continue.\n",
                res.interrupted == SIGTERM ? "SIGTERM" : res.interrupted == SIGINT ? "SIGINT" : "a signal", res.steps,
                res.total_steps, a->save_dir);
        status = 128 + res.interrupted;
        goto done;
    }
    fprintf(stderr, "needle: trained %ld steps (last loss %.4f)%s; model saved to %s", res.steps, res.last_loss,
            res.stopped_early ? ", stopped early" : "", a->save_dir);
    if (res.has_best)
        fprintf(stderr, "; best %s %.4f at step %ld in %s/best", a->metric ? a->metric : "f1", res.best_metric,
                res.best_step, a->save_dir);
    fputc('\n', stderr);
    status = 0;
done:
    if (status == 1) cli_fail();
    reader_task_free(&rt);
    qa_features_free(&ftr);
    qa_features_free(&fdv);
    squad_dataset_free(&tr);
    squad_dataset_free(&dv);
    if (model_ok) model_free(&m);
    tokenizer_free(tk);
    tokenizer_thread_cleanup();
    return status;
}

int cmd_reader_train(int argc, char **argv) {
    train_args a;
    memset(&a, 0, sizeof a);
    a.data = reader_data_defaults();
    a.batch = 12, a.accum = 1, a.epochs = 2, a.lr = 3e-5, a.warmup_steps = -1, a.max_grad_norm = 1.0, a.seed = 42;
    a.keep = 3, a.n_best = 20, a.max_answer_len = 30, a.top_k = 5;
    const cli_opt opts[] = {
        {"model", OPT_STRING, &a.model_dir, "Hugging Face model directory to start from (a span head is added if missing)", 1},
        {"tokenizer", OPT_STRING, &a.tokenizer_dir, "tokenizer directory or tokenizer.json (default: --model)", 0},
        {"train", OPT_STRING, &a.train, "SQuAD-format training file (v1.1 or v2.0)", 1},
        {"dev", OPT_STRING, &a.dev, "SQuAD-format dev file, evaluated with the official EM/F1", 0},
        {"dev-fraction", OPT_DOUBLE, &a.dev_fraction, "without --dev: carve this fraction of --train out as dev (by article, --seed)", 0},
        {"save-dir", OPT_STRING, &a.save_dir, "output: the final model (HF layout + tokenizer), best/, checkpoints/", 1},
        {"max-seq-len", OPT_INT, &a.data.max_seq_len, "tokens per window, special tokens included", 0},
        {"stride", OPT_INT, &a.data.stride, "context tokens shared by consecutive windows (HF doc_stride)", 0},
        {"max-query-len", OPT_INT, &a.data.max_query_len, "questions cut to this many tokens (0: whole)", 0},
        {"batch-size", OPT_INT, &a.batch, "windows per micro-batch", 0},
        {"grad-accum", OPT_INT, &a.accum, "micro-batches per optimiser step", 0},
        {"epochs", OPT_INT, &a.epochs, "passes over the training windows", 0},
        {"max-steps", OPT_INT, &a.max_steps, "optimiser steps in all (overrides --epochs; 0: off)", 0},
        {"lr", OPT_DOUBLE, &a.lr, "peak learning rate (AdamW, betas 0.9/0.999, eps 1e-8)", 0},
        {"warmup-proportion", OPT_DOUBLE, &a.warmup_proportion, "linear warm-up over ceil(this x total) steps, then linear decay to 0", 0},
        {"warmup-steps", OPT_INT, &a.warmup_steps, "warm-up steps (overrides --warmup-proportion; -1: off)", 0},
        {"weight-decay", OPT_DOUBLE, &a.weight_decay, "decoupled weight decay (not on biases and LayerNorm unless --decay-all)", 0},
        {"decay-all", OPT_FLAG, &a.decay_all, "apply weight decay to every parameter", 0},
        {"max-grad-norm", OPT_DOUBLE, &a.max_grad_norm, "clip the global gradient norm to this (0: no clipping)", 0},
        {"no-shuffle", OPT_FLAG, &a.no_shuffle, "keep the windows in file order every epoch", 0},
        {"seed", OPT_INT, &a.seed, "seed of shuffling, dropout, a new span head and the dev split", 0},
        {"eval-every", OPT_INT, &a.eval_every, "evaluate on the dev set every N steps (0: at the end only)", 0},
        {"early-stopping-metric", OPT_STRING, &a.metric, "dev metric for early stopping and best/ (default f1; "
                                                         "names with \"loss\" are minimised)", 0},
        {"patience", OPT_INT, &a.patience, "stop after this many evaluations without improvement (0: never)", 0},
        {"checkpoint-every", OPT_INT, &a.ckpt_every, "write a trainer checkpoint every N steps (0: only on SIGTERM/SIGINT)", 0},
        {"keep-checkpoints", OPT_INT, &a.keep, "keep the newest K checkpoints (0: all)", 0},
        {"log", OPT_STRING, &a.log, "JSON lines: one object per optimiser step and per evaluation", 0},
        {"resume", OPT_FLAG, &a.resume, "continue from the newest checkpoint in --save-dir", 0},
        {"threads", OPT_INT, &a.threads, "threads (0: all cores); resume with the same number for bitwise results", 0},
        {"n-best", OPT_INT, &a.n_best, "dev evaluation: start/end candidates per window", 0},
        {"max-answer-len", OPT_INT, &a.max_answer_len, "dev evaluation: longest answer, in tokens", 0},
        {"top-k", OPT_INT, &a.top_k, "dev evaluation: answers per question for top-n accuracy", 0},
        {NULL, 0, NULL, NULL, 0},
    };
    static const char summary[] =
        "Fine-tune an extractive reader (BERT, RoBERTa, DistilBERT, ELECTRA, ...) on SQuAD-format data with\n"
        "Hugging Face Trainer's semantics: windows as run_qa makes them (a window without the whole answer is\n"
        "labelled [CLS]), AdamW, linear warm-up and decay, clipping, accumulation. Dropout comes from the model's\n"
        "config. Writes a model Hugging Face loads, with its tokenizer files. SIGTERM/SIGINT finish the step,\n"
        "write a checkpoint and exit; --resume continues bitwise as if never interrupted.";
    const cli_spec spec = {"needle reader train --model DIR --train FILE [--dev FILE] --save-dir DIR [options]", summary,
                           opts, 0, 0};
    char *pos[1];
    int npos, rc = cli_parse(&spec, argc, argv, pos, &npos);
    if (rc) return cli_parse_exit(rc);
    if ((rc = reader_cli_threads(a.threads))) return rc;
    a.data.threads = a.threads;
    if (!a.tokenizer_dir) a.tokenizer_dir = a.model_dir;
    if (a.warmup_steps >= 0 && a.warmup_proportion > 0) {
        fprintf(stderr, "needle: error: give --warmup-steps or --warmup-proportion, not both\n");
        return 2;
    }
    return train(&a);
}
