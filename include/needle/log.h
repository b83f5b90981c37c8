/* log.h — human-facing messages on stderr, and machine-facing metric logs as JSON lines.
 *
 * Human messages have a level (NEEDLE_LOG=debug|info|warn|error, default info). Metric logs
 * hold one JSON object per line (a training step, an evaluation) so users can plot them;
 * each line is flushed as written so that a killed run keeps every line it reported. */
#ifndef NEEDLE_LOG_H
#define NEEDLE_LOG_H

#include <stdio.h>

enum { LOG_DEBUG = 0, LOG_INFO = 1, LOG_WARN = 2, LOG_ERROR = 3, LOG_QUIET = 4 };

void log_set_level(int level);
/* The level in force on this thread: the global one, raised by log_thread_level. */
int log_level(void);
/* Raise this thread's level to at least `level` (LOG_DEBUG: no raise) and return the previous
 * setting, to restore. A pipeline node answering one query calls library functions made for
 * batch work (progress bars, info lines) and silences them this way, per thread, without
 * touching what other threads (a training run, other requests) print. Progress follows too. */
int log_thread_level(int level);
void log_message(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_debug(...) log_message(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_message(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_message(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_message(LOG_ERROR, __VA_ARGS__)

typedef struct {
    FILE *fp;
    char *path;
} metrics_log;

/* Open `path` for JSON lines; `append` keeps existing lines (a resumed run). */
int metrics_log_open(metrics_log *ml, const char *path, int append);
/* Write one serialised JSON object followed by a newline, and flush. */
int metrics_log_write(metrics_log *ml, const char *json_object);
void metrics_log_close(metrics_log *ml);
/* Before appending to the log of a resumed run: keep only the lines that are complete JSON
 * objects whose numeric field `key` is at most `max_value` (so the steps redone after the
 * resume point are not logged twice, and a line torn by a kill is dropped). Rewrites the file
 * atomically; a missing file is not an error. */
int metrics_log_truncate(const char *path, const char *key, double max_value);

#endif
