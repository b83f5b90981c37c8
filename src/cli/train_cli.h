/* train_cli.h — what the training commands share (reader train, reader distill, reranker
 * train, retriever train): the trainer's options with one spelling and one help text everywhere, the run with its
 * report (interrupted runs exit 128 + the signal and say how to resume), and for the reader
 * commands the SQuAD data options, loading (a dev file, a dev split or none) and the dev
 * evaluation. Option tables are filled by appending entries to the caller's array, so each
 * command lists its own options first and the shared ones after. */
#ifndef NEEDLE_TRAIN_CLI_H
#define NEEDLE_TRAIN_CLI_H

#include "cli.h"
#include "needle/feedback_squad.h"
#include "needle/reader_data.h"
#include "needle/reader_predict.h"
#include "needle/trainer.h"

typedef struct {
    const char *log, *metric;
    double lr, warmup_proportion, weight_decay, max_grad_norm;
    double default_warmup;       /* the command's default --warmup-proportion (--warmup-steps overrides it) */
    int warmup_steps, batch, accum, epochs, max_steps, decay_all, no_shuffle, seed, eval_every, patience, ckpt_every,
        keep, resume, threads;
} train_cli_args;

/* The trainer's defaults with the command's batch size, epochs, learning rate and warm-up. */
void train_cli_defaults(train_cli_args *a, int batch, int epochs, double lr, double warmup_proportion);
/* Append the trainer's options to o (`unit` names an example: "windows", "pairs"); returns
 * how many were written. `metric` names the default early-stopping metric in the help. */
int train_cli_options(train_cli_args *a, const char *unit, const char *metric, cli_opt *o);
/* After parsing: the thread count applied; 0, or exit status 2 after printing the problem. */
int train_cli_check(const train_cli_args *a);
/* Train and report on stderr; the outcome also goes to *res unless res is NULL. Returns the
 * exit status: 0, 1 (error printed), or 128 + the signal that interrupted the run (a
 * checkpoint was written; --resume continues it). */
int train_cli_run(const trainer_task *task, const train_cli_args *a, const char *save_dir, trainer_result *res);

/* ---- SQuAD data for the reader commands ---------------------------------------------- */

typedef struct {
    const char *train, *dev;
    const char *feedback;        /* a document store whose user feedback is trained on (reader train) */
    feedback_squad_opts fb;      /* how feedback becomes examples */
    double dev_fraction;
    reader_data_opts data;
    int n_best, max_answer_len, top_k;
} reader_cli_data;

typedef struct {
    squad_dataset tr, dv;
    qa_features ftr, fdv;
    int has_dev;
    reader_eval ev;
} reader_cli_sets;

void reader_cli_data_defaults(reader_cli_data *d);
/* Empty sets (so that reader_cli_sets_free is safe whatever happens next). */
void reader_cli_sets_init(reader_cli_sets *s, const reader_cli_data *d);
/* Append --train (required unless `train_optional`), --dev, --dev-fraction, the window options
 * and the dev-evaluation options. */
int reader_cli_data_options(reader_cli_data *d, int train_optional, cli_opt *o);
/* Read the training data (the --train file with answers re-located, then the feedback of
 * d->feedback's store when set) and the dev data (the dev file, or a split of the training
 * data by article with `seed`, or none), and featurise both with tk. */
int reader_cli_load(reader_cli_sets *s, const reader_cli_data *d, const tokenizer *tk, uint64_t seed);
/* The dev evaluation of model m (NULL when there is no dev data). */
reader_eval *reader_cli_eval(reader_cli_sets *s, const reader_cli_data *d, const model *m, int batch);
void reader_cli_sets_free(reader_cli_sets *s);

#endif
