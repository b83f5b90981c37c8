/* train_cli.c — shared options and outcome of the training commands (train_cli.h). */
#include "train_cli.h"
#include "needle/log.h"

#include <omp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

train_cli train_cli_defaults(int batch, int epochs, double lr) {
    trainer_options d = trainer_defaults();
    train_cli a;
    memset(&a, 0, sizeof a);
    a.batch = batch, a.accum = d.grad_accum, a.epochs = epochs, a.lr = lr, a.warmup_steps = -1;
    a.max_grad_norm = d.max_grad_norm, a.weight_decay = d.weight_decay, a.seed = (int)d.seed;
    a.keep = d.keep_checkpoints;
    return a;
}

void train_cli_opts(train_cli *a, cli_opt *o, const char *unit, const char *seed_help, const char *metric_help) {
    static char batch_help[96], epochs_help[96], shuffle_help[96];
    snprintf(batch_help, sizeof batch_help, "%s per micro-batch", unit);
    snprintf(epochs_help, sizeof epochs_help, "passes over the training %s", unit);
    snprintf(shuffle_help, sizeof shuffle_help, "keep the %s in their order every epoch", unit);
    const cli_opt opts[TRAIN_CLI_N_OPTS] = {
        {"save-dir", OPT_STRING, &a->save_dir, "output: the final model (HF layout + tokenizer), best/, checkpoints/", 1},
        {"batch-size", OPT_INT, &a->batch, batch_help, 0},
        {"grad-accum", OPT_INT, &a->accum, "micro-batches per optimiser step", 0},
        {"epochs", OPT_INT, &a->epochs, epochs_help, 0},
        {"max-steps", OPT_INT, &a->max_steps, "optimiser steps in all (overrides --epochs; 0: off)", 0},
        {"lr", OPT_DOUBLE, &a->lr, "peak learning rate (AdamW, betas 0.9/0.999, eps 1e-8)", 0},
        {"warmup-proportion", OPT_DOUBLE, &a->warmup_proportion, "linear warm-up over ceil(this x total) steps, then linear decay to 0", 0},
        {"warmup-steps", OPT_INT, &a->warmup_steps, "warm-up steps (overrides --warmup-proportion; -1: off)", 0},
        {"weight-decay", OPT_DOUBLE, &a->weight_decay, "decoupled weight decay (not on biases and LayerNorm unless --decay-all)", 0},
        {"decay-all", OPT_FLAG, &a->decay_all, "apply weight decay to every parameter", 0},
        {"max-grad-norm", OPT_DOUBLE, &a->max_grad_norm, "clip the global gradient norm to this (0: no clipping)", 0},
        {"no-shuffle", OPT_FLAG, &a->no_shuffle, shuffle_help, 0},
        {"seed", OPT_INT, &a->seed, seed_help, 0},
        {"eval-every", OPT_INT, &a->eval_every, "evaluate on the dev set every N steps (0: at the end only)", 0},
        {"early-stopping-metric", OPT_STRING, &a->metric, metric_help, 0},
        {"patience", OPT_INT, &a->patience, "stop after this many evaluations without improvement (0: never)", 0},
        {"checkpoint-every", OPT_INT, &a->ckpt_every, "write a trainer checkpoint every N steps (0: only on SIGTERM/SIGINT)", 0},
        {"keep-checkpoints", OPT_INT, &a->keep, "keep the newest K checkpoints (0: all)", 0},
        {"log", OPT_STRING, &a->log, "JSON lines: one object per optimiser step and per evaluation", 0},
        {"resume", OPT_FLAG, &a->resume, "continue from the newest checkpoint in --save-dir", 0},
        {"threads", OPT_INT, &a->threads, "threads (0: all cores); resume with the same number for bitwise results", 0},
        {NULL, 0, NULL, NULL, 0},
    };
    memcpy(o, opts, sizeof opts);
}

int train_cli_check(const train_cli *a) {
    if (a->threads < 0) {
        fprintf(stderr, "needle: error: --threads must be 0 (all cores) or more\n");
        return 2;
    }
    if (a->warmup_steps >= 0 && a->warmup_proportion > 0) {
        fprintf(stderr, "needle: error: give --warmup-steps or --warmup-proportion, not both\n");
        return 2;
    }
    if (a->threads > 0) omp_set_num_threads(a->threads);
    return 0;
}

int train_cli_run(const trainer_task *task, const train_cli *a) {
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
    if (trainer_run(task, &o, &res)) return 1;
    if (res.interrupted) {
        fprintf(stderr, "needle: interrupted by %s after step %ld of %ld; checkpoint written to %s/checkpoints. "
                        "Run the same command with --resume to continue.\n",
                res.interrupted == SIGTERM ? "SIGTERM" : res.interrupted == SIGINT ? "SIGINT" : "a signal", res.steps,
                res.total_steps, a->save_dir);
        return 128 + res.interrupted;
    }
    fprintf(stderr, "needle: trained %ld steps (last loss %.4f)%s; model saved to %s", res.steps, res.last_loss,
            res.stopped_early ? ", stopped early" : "", a->save_dir);
    if (res.has_best)
        fprintf(stderr, "; best %s %.4f at step %ld in %s/best", a->metric ? a->metric : task->default_metric,
                res.best_metric, res.best_step, a->save_dir);
    fputc('\n', stderr);
    return 0;
}
