/* train_log.h — reading a trainer's JSON-lines log (trainer.h's format) back into curves for
 * reports: per optimiser step {"step", "loss", "lr", "grad_norm", ...} and per evaluation
 * {"step", "eval": {metric: value, ...}, "best"}.
 *
 * Each numeric field of a step line among loss, lr and grad_norm becomes a series of
 * (step, value); each numeric member m of an "eval" object becomes the series "eval.m". Lines
 * without a numeric "step" (other tools' metric lines) are skipped and counted; a file with no
 * step at all is an error, as is a malformed line (named with its line number). */
#ifndef NEEDLE_TRAIN_LOG_H
#define NEEDLE_TRAIN_LOG_H

#include <stddef.h>

typedef struct {
    char *name;           /* "loss", "lr", "grad_norm", "eval.f1", ... */
    double *step, *value; /* n points, in file order */
    size_t n, cap;
} train_series;

typedef struct {
    char *path;
    train_series *series; /* in order of first appearance */
    size_t n, cap;
    size_t skipped;       /* lines without a step */
} train_log;

int train_log_read(const char *path, train_log *log);
void train_log_free(train_log *log);
/* The series named `name`, or NULL. */
const train_series *train_log_series(const train_log *log, const char *name);

#endif
