/* train_log.c — a trainer's JSON-lines log as curves (see train_log.h). Lines are read with
 * the code base's one JSON-lines reader, so a bad line is reported as everywhere else. */
#include "needle/train_log.h"
#include "needle/array.h"
#include "needle/error.h"
#include "needle/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int series_add(train_log *log, const char *name, double step, double value) {
    size_t i = 0;
    while (i < log->n && strcmp(log->series[i].name, name)) i++;
    if (i == log->n) {
        if (array_grow((void **)&log->series, &log->cap, log->n, sizeof *log->series)) return NEEDLE_ENOMEM;
        memset(&log->series[i], 0, sizeof log->series[i]);
        if (!(log->series[i].name = strdup(name))) return error_set(NEEDLE_ENOMEM, "out of memory");
        log->n++;
    }
    train_series *s = &log->series[i];
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 64;
        double *st = realloc(s->step, cap * sizeof *st);
        if (st) s->step = st;
        double *v = st ? realloc(s->value, cap * sizeof *v) : NULL;
        if (!v) return error_set(NEEDLE_ENOMEM, "out of memory reading a training log");
        s->value = v;
        s->cap = cap;
    }
    s->step[s->n] = step;
    s->value[s->n++] = value;
    return 0;
}

static int on_line(void *ctx, const cJSON *obj, const char *origin) {
    static const char *const step_fields[] = {"loss", "lr", "grad_norm"};
    train_log *log = ctx;
    const cJSON *step = cJSON_GetObjectItemCaseSensitive(obj, "step");
    if (!cJSON_IsNumber(step)) {
        log->skipped++;
        return 0;
    }
    int rc = 0;
    const cJSON *eval = cJSON_GetObjectItemCaseSensitive(obj, "eval");
    if (cJSON_IsObject(eval)) {
        char name[160];
        for (const cJSON *m = eval->child; m && !rc; m = m->next) {
            if (!cJSON_IsNumber(m)) continue;
            snprintf(name, sizeof name, "eval.%s", m->string);
            rc = series_add(log, name, step->valuedouble, m->valuedouble);
        }
    } else {
        for (size_t i = 0; i < sizeof step_fields / sizeof step_fields[0] && !rc; i++) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, step_fields[i]);
            if (cJSON_IsNumber(v)) rc = series_add(log, step_fields[i], step->valuedouble, v->valuedouble);
        }
    }
    return rc ? error_prefix(rc, "%s: ", origin) : 0;
}

int train_log_read(const char *path, train_log *log) {
    memset(log, 0, sizeof *log);
    if (!(log->path = strdup(path))) return error_set(NEEDLE_ENOMEM, "out of memory");
    int rc = json_lines_read(path, NULL, on_line, log);
    if (!rc && !log->n) rc = error_set(NEEDLE_EFORMAT, "%s: no training steps (lines with \"step\" and loss, lr, grad_norm "
                                                       "or \"eval\") in this log", path);
    if (rc) train_log_free(log);
    return rc;
}

void train_log_free(train_log *log) {
    for (size_t i = 0; i < log->n; i++) {
        free(log->series[i].name);
        free(log->series[i].step);
        free(log->series[i].value);
    }
    free(log->series);
    free(log->path);
    memset(log, 0, sizeof *log);
}

const train_series *train_log_series(const train_log *log, const char *name) {
    for (size_t i = 0; i < log->n; i++)
        if (!strcmp(log->series[i].name, name)) return &log->series[i];
    return NULL;
}
