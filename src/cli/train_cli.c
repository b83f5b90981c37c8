/* train_cli.c — the trainer's options and outcome as every `needle ... train` command spells
 * them (the same names as `needle reader train`: --batch-size, --grad-accum, --epochs,
 * --max-steps, --lr, --warmup-*, --weight-decay, --decay-all, --max-grad-norm, --no-shuffle,
 * --seed, --eval-every, --early-stopping-metric, --patience, --checkpoint-every,
 * --keep-checkpoints, --log, --resume, --threads), so that a training command only adds its
 * own options and a task. */
#include "cli.h"
#include "needle/error.h"
#include "needle/log.h"

#include <omp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

int train_cli_opts(train_cli *t, cli_opt *opts, int n) {
    const cli_opt mine[] = {
        {"save-dir", OPT_STRING, &t->save_dir, "output: the final model, best/, checkpoints/", 1},
        {"batch-size", OPT_INT, &t->batch, "examples per micro-batch", 0},
        {"grad-accum", OPT_INT, &t->accum, "micro-batches per optimiser step", 0},
        {"epochs", OPT_INT, &t->epochs, "passes over the training data", 0},
        {"max-steps", OPT_INT, &t->max_steps, "optimiser steps in all (overrides --epochs; 0: off)", 0},
        {"lr", OPT_DOUBLE, &t->lr, "peak learning rate (AdamW, betas 0.9/0.999, eps 1e-8)", 0},
        {"warmup-proportion", OPT_DOUBLE, &t->warmup_proportion, "linear warm-up over ceil(this x total) steps, then linear decay to 0", 0},
        {"warmup-steps", OPT_INT, &t->warmup_steps, "warm-up steps (overrides --warmup-proportion; -1: off)", 0},
        {"weight-decay", OPT_DOUBLE, &t->weight_decay, "decoupled weight decay (not on biases and LayerNorm unless --decay-all)", 0},
        {"decay-all", OPT_FLAG, &t->decay_all, "apply weight decay to every parameter", 0},
        {"max-grad-norm", OPT_DOUBLE, &t->max_grad_norm, "clip the global gradient norm to this (0: no clipping)", 0},
        {"no-shuffle", OPT_FLAG, &t->no_shuffle, "keep the examples in their order every epoch", 0},
        {"seed", OPT_INT, &t->seed, "seed of shuffling, sampling and dropout", 0},
        {"eval-every", OPT_INT, &t->eval_every, "evaluate on the dev set every N steps (0: at the end only)", 0},
        {"early-stopping-metric", OPT_STRING, &t->metric, "dev metric for early stopping and best/ (names with \"loss\" are minimised)", 0},
        {"patience", OPT_INT, &t->patience, "stop after this many evaluations without improvement (0: never)", 0},
        {"checkpoint-every", OPT_INT, &t->ckpt_every, "write a trainer checkpoint every N steps (0: only on SIGTERM/SIGINT)", 0},
        {"keep-checkpoints", OPT_INT, &t->keep, "keep the newest K checkpoints (0: all)", 0},
        {"log", OPT_STRING, &t->log, "JSON lines: one object per optimiser step and per evaluation", 0},
        {"resume", OPT_FLAG, &t->resume, "continue from the newest checkpoint in --save-dir", 0},
        {"threads", OPT_INT, &t->threads, "threads (0: all cores); resume with the same number for bitwise results", 0},
    };
    int k = (int)(sizeof mine / sizeof mine[0]);
    memcpy(opts + n, mine, sizeof mine);
    return n + k;
}

int train_cli_check(const train_cli *t) {
    if (t->threads < 0) {
        fprintf(stderr, "needle: error: --threads must be 0 (all cores) or more\n");
        return 2;
    }
    if (t->warmup_steps >= 0 && t->warmup_proportion > 0) {
        fprintf(stderr, "needle: error: give --warmup-steps or --warmup-proportion, not both\n");
        return 2;
    }
    if (t->threads > 0) omp_set_num_threads(t->threads);
    return 0;
}

trainer_options train_cli_options(const train_cli *t) {
    trainer_options o = trainer_defaults();
    o.batch_size = t->batch;
    o.grad_accum = t->accum;
    o.epochs = t->epochs;
    o.max_steps = t->max_steps;
    o.lr = t->lr;
    o.warmup_steps = t->warmup_steps;
    o.warmup_proportion = t->warmup_proportion;
    o.weight_decay = t->weight_decay;
    o.decay_all = t->decay_all;
    o.max_grad_norm = t->max_grad_norm;
    o.shuffle = !t->no_shuffle;
    o.seed = (uint64_t)t->seed;
    o.eval_every = t->eval_every;
    o.metric = t->metric;
    o.patience = t->patience;
    o.checkpoint_every = t->ckpt_every;
    o.keep_checkpoints = t->keep;
    o.save_dir = t->save_dir;
    o.log_path = t->log;
    o.resume = t->resume;
    return o;
}

int train_cli_run(const trainer_task *task, const train_cli *t, trainer_result *res) {
    trainer_options o = train_cli_options(t);
    log_info("training on %d threads (a resumed run must use the same number to continue bitwise)", omp_get_max_threads());
    if (trainer_run(task, &o, res)) return cli_fail();
    if (res->interrupted) {
        fprintf(stderr, "needle: interrupted by %s after step %ld of %ld; checkpoint written to %s/checkpoints. "
                        "Run the same command with --resume to continue.\n",
                res->interrupted == SIGTERM ? "SIGTERM" : res->interrupted == SIGINT ? "SIGINT" : "a signal", res->steps,
                res->total_steps, t->save_dir);
        return 128 + res->interrupted;
    }
    fprintf(stderr, "needle: trained %ld steps (last loss %.4f)%s; model saved to %s", res->steps, res->last_loss,
            res->stopped_early ? ", stopped early" : "", t->save_dir);
    if (res->has_best)
        fprintf(stderr, "; best %s %.4f at step %ld in %s/best", t->metric ? t->metric : task->default_metric,
                res->best_metric, res->best_step, t->save_dir);
    fputc('\n', stderr);
    return 0;
}
