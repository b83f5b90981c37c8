/* log.c — levelled messages on stderr and flushed JSON-lines metric logs (see log.h). */
#include "needle/log.h"
#include "needle/error.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static int current_level = -1;

static int level_from_env(void) {
    const char *e = getenv("NEEDLE_LOG");
    if (!e) return LOG_INFO;
    if (!strcmp(e, "debug")) return LOG_DEBUG;
    if (!strcmp(e, "warn")) return LOG_WARN;
    if (!strcmp(e, "error")) return LOG_ERROR;
    if (!strcmp(e, "quiet")) return LOG_QUIET;
    return LOG_INFO;
}

void log_set_level(int level) { current_level = level; }

int log_level(void) {
    if (current_level < 0) current_level = level_from_env();
    return current_level;
}

void log_message(int level, const char *fmt, ...) {
    if (level < log_level()) return;
    static const char *names[] = {"debug: ", "", "warning: ", "error: "};
    fprintf(stderr, "needle: %s", names[level]);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int metrics_log_open(metrics_log *ml, const char *path, int append) {
    ml->fp = fopen(path, append ? "ab" : "wb");
    ml->path = NULL;
    if (!ml->fp) return error_errno(NEEDLE_EIO, "%s: cannot open log file", path);
    ml->path = strdup(path);
    return 0;
}

int metrics_log_write(metrics_log *ml, const char *json_object) {
    if (!ml->fp) return 0;
    if (fputs(json_object, ml->fp) < 0 || fputc('\n', ml->fp) < 0 || fflush(ml->fp) != 0)
        return error_errno(NEEDLE_EIO, "%s: cannot write log line", ml->path);
    return 0;
}

void metrics_log_close(metrics_log *ml) {
    if (ml->fp) fclose(ml->fp);
    free(ml->path);
    ml->fp = NULL;
    ml->path = NULL;
}
