/* checkpoint.h — the trainer-state file: everything a training run needs to continue exactly
 * where it stopped (parameters, AdamW moments and step count, the optimiser step, the data
 * order and position, both random generators, the early-stopping state).
 *
 * Layout (little-endian): a fixed 512-byte header — magic "NDLTRAIN", u32 version, u32 header
 * size, u64 file size, u64 payload checksum, then the fields of ckpt_state at fixed offsets —
 * followed by, for each model, its parameter block, AdamW m and v (float32, n_floats each), and
 * finally the current epoch's example order (int32 × n_examples). The file size in the header
 * catches truncation, the checksum any other damage; files are written with atomic_file, so a
 * kill or a full disk leaves the previous checkpoint intact. Named step-<step>.ckpt inside a
 * run's checkpoints/ folder, of which the trainer keeps the newest K. */
#ifndef NEEDLE_CHECKPOINT_H
#define NEEDLE_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "needle/adamw.h"
#include "needle/model.h"
#include "needle/rng.h"

#define CKPT_VERSION 1
#define CKPT_MAX_MODELS 8

typedef struct {
    char task[32];              /* the task's name ("reader") */
    long long step;             /* optimiser steps done */
    long long total_steps;
    long long epoch;            /* epochs completed (0-based index of the current one) */
    long long micro;            /* micro-batches of the current epoch already consumed */
    long long n_examples;
    int batch_size, grad_accum, shuffle, n_models;
    uint64_t seed;
    rng data_rng;               /* shuffles each epoch's order */
    rng train_rng;              /* handed to the task (dropout, masking) */
    long long adam_step;
    int has_best, evals_since_best;
    double best_metric;
    long long best_step;
    uint64_t n_floats[CKPT_MAX_MODELS]; /* per model: parameter-block size (= AdamW moments) */
} ckpt_state;

/* Write a checkpoint atomically: st's fields, each model's parameters and moments (opt[i] has
 * models[i]->n_floats floats), and order[st->n_examples]. */
int checkpoint_write(const char *path, const ckpt_state *st, model *const *models, const adamw_state *opt,
                     const int32_t *order);
/* Read only the header (to check it against the run before touching any model). */
int checkpoint_read_header(const char *path, ckpt_state *st);
/* Read the whole file into the models, moments and order; the header must agree with the models
 * given (counts and sizes), and the checksum with the payload. */
int checkpoint_read(const char *path, ckpt_state *st, model *const *models, adamw_state *opt, int32_t *order);

/* The newest checkpoint (highest step) in `dir`: *path malloc'ed, or NULL when there is none.
 * Removes temporary files left by a write that was killed. */
int checkpoint_latest(const char *dir, char **path);
/* Delete all but the `keep` newest checkpoints in `dir` (keep <= 0: keep all). */
int checkpoint_prune(const char *dir, int keep);
/* "<dir>/step-<step>.ckpt", malloc'ed. */
char *checkpoint_path(const char *dir, long long step);

#endif
