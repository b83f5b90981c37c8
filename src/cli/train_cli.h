/* train_cli.h — the options and the ending every training command shares (reader, mlm, ...),
 * so that all of them accept the trainer's settings under the same names with the same help,
 * and report an interrupted or finished run in the same words. */
#ifndef NEEDLE_TRAIN_CLI_H
#define NEEDLE_TRAIN_CLI_H

#include "cli.h"
#include "needle/trainer.h"

typedef struct {
    const char *save_dir, *log, *metric;
    double lr, warmup_proportion, weight_decay, max_grad_norm;
    int warmup_steps, batch, accum, epochs, max_steps, decay_all, no_shuffle, seed, eval_every, patience,
        ckpt_every, keep, resume, threads;
} train_cli;

enum { TRAIN_CLI_N_OPTS = 22 }; /* entries train_cli_opts writes */

/* HF Trainer's defaults (trainer_defaults) with the command's batch size, epochs and lr. */
train_cli train_cli_defaults(int batch, int epochs, double lr);
/* Write the trainer's option entries (--save-dir ... --threads) into opts[0..TRAIN_CLI_N_OPTS).
 * `unit` names a training example in the help ("windows"), `seed_help` says what the seed
 * drives, `metric_help` names the default evaluation metric. */
void train_cli_opts(train_cli *a, cli_opt *opts, const char *unit, const char *seed_help, const char *metric_help);
/* After parsing: apply --threads and check the options' consistency. Returns 0, or the exit
 * status of a usage error (2) after printing it. */
int train_cli_check(const train_cli *a);
/* Run the task with these options and print the outcome. Returns the exit status: 0, 1 on an
 * error (left in error_message for the caller's cli_fail), 128 + the signal when interrupted
 * (the checkpoint is written, and the message says how to resume). */
int train_cli_run(const trainer_task *task, const train_cli *a);

#endif
