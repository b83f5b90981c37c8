/* progress.c — terminal progress bars and plain progress lines (see progress.h). */
#include "needle/progress.h"
#include "needle/log.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

double clock_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double clock_cpu_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void progress_start(progress *p, const char *label, size_t total) {
    memset(p, 0, sizeof *p);
    snprintf(p->label, sizeof p->label, "%s", label);
    p->total = total;
    p->start = clock_seconds();
    p->last_draw = 0;
    p->tty = isatty(STDERR_FILENO);
}

static void format_duration(char *buf, size_t n, double s) {
    long t = (long)(s + 0.5);
    if (t >= 3600) snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else snprintf(buf, n, "%ld:%02ld", t / 60, t % 60);
}

static void draw(progress *p, const char *status, int final) {
    double now = clock_seconds(), elapsed = now - p->start;
    char el[48], eta[48] = "?";
    format_duration(el, sizeof el, elapsed);
    if (p->total && p->done) format_duration(eta, sizeof eta, elapsed * (double)(p->total - p->done) / (double)p->done);
    const char *st = status ? status : "";
    if (p->tty) {
        char bar[31];
        int fill = p->total ? (int)(30.0 * (double)p->done / (double)p->total) : 0;
        for (int i = 0; i < 30; i++) bar[i] = i < fill ? '#' : '.';
        bar[30] = 0;
        if (p->total)
            fprintf(stderr, "\r\033[K%s [%s] %zu/%zu %s<%s %s", p->label, bar, p->done, p->total, el, eta, st);
        else
            fprintf(stderr, "\r\033[K%s %zu %s %s", p->label, p->done, el, st);
        if (final) fputc('\n', stderr);
    } else if (p->total) {
        fprintf(stderr, "%s: %zu/%zu (%.0f%%) elapsed %s eta %s %s\n", p->label, p->done, p->total,
                100.0 * (double)p->done / (double)p->total, el, eta, st);
    } else {
        fprintf(stderr, "%s: %zu elapsed %s %s\n", p->label, p->done, el, st);
    }
    fflush(stderr);
    p->last_draw = now;
}

void progress_update(progress *p, size_t done, const char *status) {
    p->done = done;
    if (log_level() > LOG_INFO) return;
    double gap = p->tty ? 0.1 : 5.0;
    if (clock_seconds() - p->last_draw >= gap) draw(p, status, 0);
}

void progress_finish(progress *p, const char *status) {
    if (log_level() > LOG_INFO) return;
    draw(p, status, 1);
}
