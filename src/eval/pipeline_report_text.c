/* pipeline_report_text.c — the plain-text report of pipeline evaluations (pipeline_report.h):
 * fixed-width tables a terminal or a log shows as they are, one row per run, node and mode,
 * and each run's worst questions. */
#include "needle/error.h"
#include "needle/pipeline_report.h"
#include "needle/qa_metrics.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static double num(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static const char *str(const cJSON *o, const char *k) {
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
    return s ? s : "";
}

/* One line of text at most `max` bytes (UTF-8 kept whole), newlines as spaces. */
static void put_line(strbuf *sb, const char *s, size_t max) {
    size_t n = strlen(s);
    size_t cut = n <= max ? n : max;
    while (cut < n && cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80) cut--;
    for (size_t i = 0; i < cut; i++) strbuf_putc(sb, s[i] == '\n' || s[i] == '\r' || s[i] == '\t' ? ' ' : s[i]);
    if (cut < n) strbuf_puts(sb, "…");
}

static void header(strbuf *sb, const pipeline_report_run *run) {
    const cJSON *r = run->result;
    strbuf_puts(sb, "Pipeline evaluation");
    if (run->label) strbuf_printf(sb, " [%s]", run->label);
    if (*str(r, "pipeline")) strbuf_printf(sb, " of %s", str(r, "pipeline"));
    if (*str(r, "pipeline_name")) strbuf_printf(sb, " (pipeline '%s')", str(r, "pipeline_name"));
    if (*str(r, "labels")) strbuf_printf(sb, " on %s", str(r, "labels"));
    strbuf_printf(sb, ": %.0f questions (SQuAD %s), %.1f s (%.2f questions/s)\n", num(r, "questions"),
                  str(r, "squad_version"), num(r, "seconds"), num(r, "questions_per_second"));
}

/* "label: node (type)" as the first column. */
static void row_name(char *buf, size_t size, const pipeline_report_run *run, const cJSON *n) {
    if (run->label) snprintf(buf, size, "%s: %s (%s)", run->label, str(n, "node"), str(n, "type"));
    else snprintf(buf, size, "%s (%s)", str(n, "node"), str(n, "type"));
}

static void tables(strbuf *sb, const pipeline_report_run *runs, size_t n_runs) {
    int any_docs = 0, any_answers = 0;
    const cJSON *n;
    for (size_t r = 0; r < n_runs; r++) {
        cJSON_ArrayForEach(n, cJSON_GetObjectItemCaseSensitive(runs[r].result, "nodes")) {
            if (!strcmp(str(n, "kind"), "documents")) any_docs = 1;
            else any_answers = 1;
        }
    }
    char name[256];
    if (any_docs) {
        strbuf_printf(sb, "\n%-40s %-11s %4s", "Documents", "mode", "k");
        for (int m = 0; m < QA_N_DOC_METRICS; m++) strbuf_printf(sb, " %17s", qa_doc_metric_names[m]);
        strbuf_putc(sb, '\n');
        for (size_t r = 0; r < n_runs; r++) {
            cJSON_ArrayForEach(n, cJSON_GetObjectItemCaseSensitive(runs[r].result, "nodes")) {
                if (strcmp(str(n, "kind"), "documents")) continue;
                row_name(name, sizeof name, &runs[r], n);
                strbuf_printf(sb, "%-40s %-11s %4.0f", name, str(n, "mode"), num(n, "k"));
                const cJSON *m = cJSON_GetObjectItemCaseSensitive(n, "metrics");
                for (int i = 0; i < QA_N_DOC_METRICS; i++) strbuf_printf(sb, " %17.4f", num(m, qa_doc_metric_names[i]));
                strbuf_putc(sb, '\n');
            }
        }
    }
    if (any_answers) {
        strbuf_printf(sb, "\n%-40s %-11s %4s %8s %8s %8s %8s\n", "Answers", "mode", "k", "EM@1", "F1@1", "EM@k", "F1@k");
        for (size_t r = 0; r < n_runs; r++) {
            cJSON_ArrayForEach(n, cJSON_GetObjectItemCaseSensitive(runs[r].result, "nodes")) {
                if (strcmp(str(n, "kind"), "answers")) continue;
                row_name(name, sizeof name, &runs[r], n);
                const cJSON *m = cJSON_GetObjectItemCaseSensitive(n, "metrics");
                strbuf_printf(sb, "%-40s %-11s %4.0f %8.4f %8.4f %8.4f %8.4f\n", name, str(n, "mode"), num(n, "k"),
                              num(m, "exact_match"), num(m, "f1"), num(m, "exact_match_top_k"), num(m, "f1_top_k"));
            }
        }
    }
}

static void worst(strbuf *sb, const pipeline_report_run *run) {
    int i = 0;
    const cJSON *w;
    cJSON_ArrayForEach(w, cJSON_GetObjectItemCaseSensitive(run->result, "worst")) {
        if (!i) {
            strbuf_puts(sb, "\nWorst questions");
            if (run->label) strbuf_printf(sb, " [%s]", run->label);
            strbuf_printf(sb, " (lowest %s at %s):\n", str(w, "metric"), str(w, "node"));
        }
        strbuf_printf(sb, "%2d. [%s] ", ++i, str(w, "id"));
        put_line(sb, str(w, "question"), 200);
        strbuf_printf(sb, "   %s %.3f\n    gold:", str(w, "metric"), num(w, "value"));
        const cJSON *g;
        cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(w, "gold_answers")) {
            strbuf_puts(sb, " \"");
            put_line(sb, cJSON_GetStringValue(g) ? cJSON_GetStringValue(g) : "", 120);
            strbuf_puts(sb, "\"");
        }
        strbuf_putc(sb, '\n');
        int k = 0;
        const cJSON *a;
        cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(w, "answers")) {
            if (k >= 5) break;
            strbuf_printf(sb, "    answer %d: \"", ++k);
            put_line(sb, str(a, "answer"), 120);
            strbuf_printf(sb, "\" score %.3f document %s\n", num(a, "score"), str(a, "document_id"));
        }
        k = 0;
        const cJSON *d;
        cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(w, "documents")) {
            if (k >= 5) break;
            strbuf_printf(sb, "    document %d: %s score %.3f%s: ", ++k, str(d, "id"), num(d, "score"),
                          cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d, "relevant")) ? " RELEVANT" : "");
            put_line(sb, str(d, "content"), 100);
            strbuf_putc(sb, '\n');
        }
    }
}

int pipeline_report_text(const pipeline_report_run *runs, size_t n_runs, strbuf *out) {
    for (size_t r = 0; r < n_runs; r++)
        if (!cJSON_IsObject(runs[r].result) || !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(runs[r].result, "nodes")))
            return error_set(NEEDLE_EFORMAT, "%s: not a pipeline evaluation (no \"nodes\" list)",
                             runs[r].label ? runs[r].label : "result");
    size_t before = out->len;
    for (size_t r = 0; r < n_runs; r++) header(out, &runs[r]);
    tables(out, runs, n_runs);
    for (size_t r = 0; r < n_runs; r++) worst(out, &runs[r]);
    if (!out->data || out->len == before) return error_set(NEEDLE_ENOMEM, "out of memory writing the report");
    return 0;
}
