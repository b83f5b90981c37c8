/* train_cli.h — what the training commands share (mlm train, and the reader commands as they
 * move to it): the trainer's options with one spelling and one help text everywhere, and the
 * run with its report (interrupted runs exit 128 + the signal and say how to resume). Option
 * tables are filled by appending entries to the caller's array, so each command lists its own
 * options first and the shared ones after. (The same interface as the distill branch's
 * train_cli.h, whose reader-data part is a superset: the two merge by keeping that one.) */
#ifndef NEEDLE_TRAIN_CLI_H
#define NEEDLE_TRAIN_CLI_H

#include "cli.h"
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
/* Train and report on stderr. Returns the exit status: 0, 1 (error printed), or 128 + the
 * signal that interrupted the run (a checkpoint was written; --resume continues it). */
int train_cli_run(const trainer_task *task, const train_cli_args *a, const char *save_dir);

#endif
