/* schedule.h — the learning-rate schedule of every training task: linear warm-up from 0 to the
 * base rate, then linear decay to 0 at the last step (Hugging Face's
 * get_linear_schedule_with_warmup driven by the Trainer).
 *
 * The Trainer reads the scheduler BEFORE advancing it, so optimiser step k (1-based) uses
 *   lr_k = base × λ(k − 1),  λ(s) = s / max(1, W)                      for s < W,
 *                            λ(s) = max(0, (total − s) / max(1, total − W)) otherwise,
 * and step 1 runs with lr 0 whenever there is a warm-up. A warm-up given as a proportion of the
 * total is W = ceil(total × proportion) (TrainingArguments.get_warmup_steps). Computed in
 * double, as Python floats are. */
#ifndef NEEDLE_SCHEDULE_H
#define NEEDLE_SCHEDULE_H

typedef struct {
    double base_lr;
    long total;   /* optimiser steps in the whole run */
    long warmup;  /* W */
} lr_schedule;

/* warmup_steps >= 0 gives W directly; otherwise W = ceil(total × warmup_proportion), with
 * the proportion in [0, 1]. Fails (NEEDLE_EINVAL) on a negative rate or total, or W > total. */
int lr_schedule_init(lr_schedule *s, double base_lr, long total, long warmup_steps, double warmup_proportion);
/* The rate optimiser step `step` (1-based) uses. */
double lr_schedule_at(const lr_schedule *s, long step);

#endif
