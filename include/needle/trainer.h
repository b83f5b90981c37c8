/* trainer.h — the training loop every task shares (reader, DPR retriever, MLM, distillation,
 * cross-encoder): AdamW with decay groups, linear warm-up and decay, global-norm clipping,
 * gradient accumulation, epochs or a step budget, seeded shuffling, periodic evaluation with
 * early stopping and the best model kept, checkpoints with exact resume, a progress bar, and
 * one JSON line per optimiser step and per evaluation.
 *
 * A task owns its data and its models and tells the trainer only what the loop needs: how many
 * training examples there are, which models are trained, how to run forward + backward on a
 * micro-batch of example indices, how to evaluate, how to save. A task may own several models
 * (query and passage encoders) and models it does not train (a teacher): the trainer clips,
 * steps and checkpoints exactly the ones listed.
 *
 * Order of one optimiser step (Hugging Face Trainer's; docs/reader-replica.md):
 *   for each of the step's micro-batches (grad_accum of them; fewer at the end of an epoch
 *   whose micro-batches do not divide evenly): micro_step(examples, scale = 1/micro-batches),
 *   gradients summing in the models' gradient blocks;
 *   loss = mean of the micro-batch losses; grad_norm = global L2 norm over every trained
 *   parameter (logged before clipping); gradients × min(1, max_norm / (norm + 1e-6));
 *   AdamW at lr_k (schedule.h: step 1 of a warm-up has lr 0); zero the gradients.
 * Micro-batch m of an epoch holds examples order[m·B, (m+1)·B) (the last one may be short);
 * steps per epoch = ceil(ceil(N / B) / grad_accum).
 *
 * Determinism: with a fixed thread count a run is a pure function of its inputs and options;
 * a run resumed from a checkpoint (after SIGTERM, SIGINT, SIGKILL or a crash) ends with
 * bitwise the parameters of an uninterrupted run. SIGTERM/SIGINT during trainer_run finish the
 * current optimiser step, write a checkpoint and return with result.interrupted set.
 *
 * Files under save_dir: the final model (task->save), best/ (the best evaluation's model),
 * checkpoints/step-<n>.ckpt (checkpoint.h). The log (one JSON object per line): per optimiser
 * step {"step", "epoch", "loss", "lr", "grad_norm", "clip", "tokens", "tokens_per_s",
 * "examples_per_s", "step_s", "cpu_s" (process CPU seconds of the step), "elapsed_s"}; per evaluation {"step", "epoch", "eval": {metrics...},
 * "best": bool}. Resuming truncates the log after the checkpoint's step and appends. */
#ifndef NEEDLE_TRAINER_H
#define NEEDLE_TRAINER_H

#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "needle/model.h"
#include "needle/rng.h"

typedef struct {
    const char *name;            /* kept in checkpoints, which refuse another task's state */
    void *ctx;
    size_t n_examples;           /* the unit of shuffling and batching */
    model **models;              /* trained models: parameters, gradients, optimiser state */
    int n_models;
    const char *default_metric;  /* evaluation metric for early stopping / the best model ("f1") */
    /* Forward + backward on examples[0..n): gradients of (loss × grad_scale) ADD into the
     * models' gradient blocks. Returns the micro-batch's loss (unscaled) and the tokens the
     * models processed. `train_rng` drives dropout (and any other randomness of the task); it
     * is saved in checkpoints. */
    int (*micro_step)(void *ctx, const int32_t *examples, int n, float grad_scale, rng *train_rng, double *loss,
                      size_t *tokens);
    /* Evaluate the current parameters: a JSON object of numeric metrics (caller frees). NULL:
     * the task has no evaluation data. Must not change any training state. */
    int (*evaluate)(void *ctx, cJSON **metrics);
    /* Write the trained model(s) into `dir` (created by the trainer). */
    int (*save)(void *ctx, const char *dir);
    /* Optional, for tasks that read their examples as a stream in their own order rather than
     * by index (a multi-GB file through a shuffle buffer): called before the first micro-batch
     * of every epoch with (epoch, 0), and before the first micro-batch after a resume with the
     * checkpoint's epoch and the number of that epoch's examples already consumed, so that the
     * task can restart its stream and skip to the same place. NULL for indexed tasks. */
    int (*seek)(void *ctx, long long epoch, long long consumed);
} trainer_task;

typedef struct {
    int batch_size, grad_accum;
    int epochs;
    long max_steps;              /* > 0: run exactly this many steps (cycling epochs); overrides epochs */
    double lr;
    long warmup_steps;           /* >= 0: explicit; < 0: ceil(total × warmup_proportion) */
    double warmup_proportion;
    double weight_decay;
    int decay_all;               /* 1: decay biases and LayerNorm too (torch's default); 0: HF's groups */
    double max_grad_norm;        /* <= 0: no clipping */
    double beta1, beta2, adam_eps;
    int shuffle;
    uint64_t seed;               /* shuffling and the task's training rng */
    long eval_every;             /* evaluate every N steps (0: only at the end) */
    const char *metric;          /* NULL: task->default_metric; lower is better when it contains "loss" */
    int patience;                /* stop after this many evaluations without improvement (0: never) */
    long checkpoint_every;       /* 0: only when interrupted */
    int keep_checkpoints;        /* newest K kept (<= 0: all) */
    const char *save_dir;        /* required */
    const char *log_path;        /* NULL: no log file */
    int resume;                  /* continue from the newest checkpoint in save_dir/checkpoints */
    int save_final;              /* write the final model into save_dir (default 1) */
} trainer_options;

typedef struct {
    long steps, total_steps;
    double last_loss;
    int evaluations;
    int has_best;
    double best_metric;
    long best_step;
    int stopped_early;           /* patience ran out */
    int interrupted;             /* the signal number that stopped the run (0: none) */
    long resumed_from;           /* the checkpoint's step when resuming, else -1 */
} trainer_result;

/* HF Trainer's defaults: batch 8, accumulation 1, 3 epochs, lr 5e-5, no warm-up, weight decay
 * 0, HF decay groups, clipping at 1.0, betas 0.9/0.999, eps 1e-8, shuffling with seed 42, keep
 * 3 checkpoints, save the final model. */
trainer_options trainer_defaults(void);
/* Optimiser steps a run of these options takes over n_examples. */
long trainer_total_steps(const trainer_options *opt, size_t n_examples);
/* Train. Returns 0 (also when interrupted by a signal: see result->interrupted) or an error. */
int trainer_run(const trainer_task *task, const trainer_options *opt, trainer_result *result);

/* Copy the tokenizer files of an HF model directory that exist (tokenizer.json,
 * tokenizer_config.json, special_tokens_map.json, vocab.txt, vocab.json, merges.txt) into
 * another, so a saved model loads with its tokenizer. Returns how many were copied in *n. */
int hf_copy_tokenizer_files(const char *src_dir, const char *dst_dir, int *n);
/* Save m into dir (model_save) with the tokenizer files of tokenizer_dir (none when NULL):
 * what a training task's save hook writes. */
int hf_save_with_tokenizer(const model *m, const char *tokenizer_dir, const char *dir);

#endif
