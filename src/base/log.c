/* log.c — levelled messages on stderr and flushed JSON-lines metric logs (see log.h). */
#include "needle/log.h"
#include "needle/error.h"
#include "needle/file.h"
#include "needle/strbuf.h"

#include <cJSON.h>

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static int current_level = -1;
static _Thread_local int thread_floor = LOG_DEBUG; /* this thread's minimum level (log_thread_level) */

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
    return current_level > thread_floor ? current_level : thread_floor;
}

int log_thread_level(int level) {
    int prev = thread_floor;
    thread_floor = level;
    return prev;
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

/* Whether a log line is a complete JSON object whose `key` is a number <= max_value. */
static int line_kept(const char *line, size_t len, const char *key, double max_value) {
    cJSON *o = cJSON_ParseWithLength(line, len);
    const cJSON *v = o ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
    int keep = cJSON_IsObject(o) && cJSON_IsNumber(v) && v->valuedouble <= max_value;
    cJSON_Delete(o);
    return keep;
}

int metrics_log_truncate(const char *path, const char *key, double max_value) {
    char *text;
    size_t len;
    int rc = file_read_all(path, &text, &len);
    if (rc == NEEDLE_ENOTFOUND) return 0;
    if (rc) return rc;
    strbuf out;
    strbuf_init(&out);
    for (size_t pos = 0; pos < len && !rc;) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        if (nl && line_kept(text + pos, end - pos, key, max_value)) /* an unterminated last line was torn */
            rc = strbuf_append(&out, text + pos, end - pos + 1);
        pos = end + 1;
    }
    if (rc) rc = error_set(rc, "%s: out of memory", path);
    else if (out.len != len) rc = file_write_atomic(path, out.data ? out.data : "", out.len);
    strbuf_free(&out);
    free(text);
    return rc;
}
