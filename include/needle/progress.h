/* progress.h — progress of long work on stderr: a redrawn bar on a terminal, plain lines at
 * most every few seconds otherwise (logs, CI). Quiet when the log level is above info. */
#ifndef NEEDLE_PROGRESS_H
#define NEEDLE_PROGRESS_H

#include <stddef.h>

typedef struct {
    char label[48];
    size_t total, done;
    double start, last_draw;
    int tty;
} progress;

/* `total` 0 means unknown (a counter without a bar). */
void progress_start(progress *p, const char *label, size_t total);
/* Set the amount done; `status` (may be NULL) is shown after the bar, e.g. "loss 1.23". */
void progress_update(progress *p, size_t done, const char *status);
/* Draw the final state and end the line. */
void progress_finish(progress *p, const char *status);

/* Monotonic seconds, for rates and timings. */
double clock_seconds(void);
/* CPU seconds used by the whole process (all threads): with clock_seconds, how many cores a
 * stretch of work kept busy, and a cost figure that time-sharing with other processes inflates
 * far less than wall time. */
double clock_cpu_seconds(void);

#endif
