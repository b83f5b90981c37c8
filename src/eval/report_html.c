/* report_html.c — the HTML report of a pipeline evaluation (pipeline_report.h).
 *
 * One page with everything inline, so it can be mailed, archived or opened on a machine
 * without network: CSS in a <style> element, charts as inline SVG (svg_chart.h), no script.
 * The page is written as XHTML-clean markup (every element closed, attributes quoted, only
 * the five XML entities), so any XML parser can check it and tools can read numbers back. */
#include "needle/error.h"
#include "needle/pipeline_report.h"
#include "needle/qa_metrics.h"
#include "needle/svg_chart.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    strbuf *sb;
    int err;
} page;

static void put(page *p, const char *s) {
    if (strbuf_puts(p->sb, s)) p->err = NEEDLE_ENOMEM;
}

static void putf(page *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(page *p, const char *fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    put(p, buf);
}

static void text(page *p, const char *s) {
    if (xml_escape_append(p->sb, s ? s : "")) p->err = NEEDLE_ENOMEM;
}

static double num(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static const char *str(const cJSON *o, const char *k) {
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
    return s ? s : "";
}

static void cell_num(page *p, double v) {
    if (isnan(v)) put(p, "<td class=\"n\">–</td>");
    else putf(p, "<td class=\"n\">%.4f</td>", v);
}

static const char *const css =
    "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:72em;color:#222;padding:0 1em}"
    "h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ccc}"
    "table{border-collapse:collapse;margin:1em 0}th,td{padding:.3em .7em;border-bottom:1px solid #ddd;text-align:left}"
    "td.n{text-align:right;font-variant-numeric:tabular-nums}.meta{color:#555}"
    ".charts{display:flex;flex-wrap:wrap;gap:1em}.chart{border:1px solid #eee;background:#fff}"
    ".chart-title{font-size:14px;font-weight:bold}.tick,.legend{font-size:11px}.axis{font-size:12px}"
    ".relevant{color:#1a7f37;font-weight:bold}.q{margin-bottom:1.5em}.ctx{color:#555;font-size:.9em}";

/* One curve of a chart: a JSON array of values at k = 1, 2, ... and its legend. */
typedef struct {
    const cJSON *values;
    char label[160];
} curve;

static void chart(page *p, const char *title, const char *x_label, const curve *c, size_t n) {
    svg_series s[32];
    double *mem[32] = {0};
    size_t ns = 0;
    for (size_t i = 0; i < n && ns < 32; i++) {
        int len = cJSON_GetArraySize(c[i].values);
        if (!cJSON_IsArray(c[i].values) || len <= 0) continue;
        double *xy = malloc(2 * (size_t)len * sizeof *xy);
        if (!xy) {
            p->err = NEEDLE_ENOMEM;
            break;
        }
        for (int k = 0; k < len; k++) {
            const cJSON *v = cJSON_GetArrayItem(c[i].values, k);
            xy[k] = k + 1;
            xy[len + k] = cJSON_IsNumber(v) ? v->valuedouble : NAN;
        }
        mem[ns] = xy;
        s[ns] = (svg_series){c[i].label, xy, xy + len, (size_t)len};
        ns++;
    }
    if (ns && !p->err) {
        svg_chart_opts o;
        svg_chart_opts_default(&o);
        o.title = title;
        o.x_label = x_label;
        o.y_label = "score";
        o.y_min = 0;
        o.y_max = 1;
        o.x_integer = 1;
        if (svg_chart_line(p->sb, &o, s, ns)) p->err = NEEDLE_ENOMEM;
    }
    for (size_t i = 0; i < ns; i++) free(mem[i]);
}

static const cJSON *nodes_of(const pipeline_report_run *run) { return cJSON_GetObjectItemCaseSensitive(run->result, "nodes"); }

/* The legend of a node's curve: "[run: ]node[ mode]". */
static void curve_label(curve *c, const pipeline_report_run *run, const cJSON *n, int with_mode) {
    snprintf(c->label, sizeof c->label, "%s%s%s%s%s", run->label ? run->label : "", run->label ? ": " : "", str(n, "node"),
             with_mode ? " " : "", with_mode ? str(n, "mode") : "");
}

static void table_row_start(page *p, const pipeline_report_run *run, const cJSON *n, int with_run) {
    put(p, "<tr>");
    if (with_run) {
        put(p, "<td>");
        text(p, run->label);
        put(p, "</td>");
    }
    put(p, "<td>");
    text(p, str(n, "node"));
    put(p, "</td><td>");
    text(p, str(n, "type"));
    put(p, "</td><td>");
    text(p, str(n, "mode"));
    putf(p, "</td><td class=\"n\">%.0f</td>", num(n, "k"));
}

static int has_kind(const pipeline_report_run *runs, size_t n_runs, const char *kind) {
    const cJSON *n;
    for (size_t r = 0; r < n_runs; r++)
        cJSON_ArrayForEach(n, nodes_of(&runs[r])) if (!strcmp(str(n, "kind"), kind)) return 1;
    return 0;
}

static void retrieval(page *p, const pipeline_report_run *runs, size_t n_runs) {
    if (!has_kind(runs, n_runs, "documents")) return;
    int multi = n_runs > 1;
    const cJSON *n;
    put(p, multi ? "<h2>Retrieval</h2><table><tr><th>run</th><th>node</th>" : "<h2>Retrieval</h2><table><tr><th>node</th>");
    put(p, "<th>type</th><th>mode</th><th>k</th>");
    for (int m = 0; m < QA_N_DOC_METRICS; m++) putf(p, "<th>%s</th>", qa_doc_metric_names[m]);
    put(p, "</tr>");
    for (size_t r = 0; r < n_runs; r++)
        cJSON_ArrayForEach(n, nodes_of(&runs[r])) {
            if (strcmp(str(n, "kind"), "documents")) continue;
            table_row_start(p, &runs[r], n, multi);
            const cJSON *m = cJSON_GetObjectItemCaseSensitive(n, "metrics");
            for (int i = 0; i < QA_N_DOC_METRICS; i++) cell_num(p, num(m, qa_doc_metric_names[i]));
            put(p, "</tr>");
        }
    put(p, "</table><div class=\"charts\">");
    curve c[32];
    char title[256];
    if (!multi) { /* one chart per node, every metric */
        cJSON_ArrayForEach(n, nodes_of(&runs[0])) {
            if (strcmp(str(n, "kind"), "documents")) continue;
            const cJSON *at = cJSON_GetObjectItemCaseSensitive(n, "at_k");
            for (int i = 0; i < QA_N_DOC_METRICS; i++) {
                c[i].values = cJSON_GetObjectItemCaseSensitive(at, qa_doc_metric_names[i]);
                snprintf(c[i].label, sizeof c[i].label, "%s", qa_doc_metric_names[i]);
            }
            snprintf(title, sizeof title, "%s (%s, %s): metrics at k", str(n, "node"), str(n, "type"), str(n, "mode"));
            chart(p, title, "k (documents retrieved)", c, QA_N_DOC_METRICS);
        }
    } else { /* one chart per metric, the runs' nodes compared */
        for (int i = 0; i < QA_N_DOC_METRICS; i++) {
            size_t nc = 0;
            for (size_t r = 0; r < n_runs; r++)
                cJSON_ArrayForEach(n, nodes_of(&runs[r])) {
                    if (strcmp(str(n, "kind"), "documents") || nc == 32) continue;
                    c[nc].values = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(n, "at_k"), qa_doc_metric_names[i]);
                    curve_label(&c[nc++], &runs[r], n, 0);
                }
            snprintf(title, sizeof title, "%s at k", qa_doc_metric_names[i]);
            chart(p, title, "k (documents retrieved)", c, nc);
        }
    }
    put(p, "</div>");
}

static void reading(page *p, const pipeline_report_run *runs, size_t n_runs) {
    if (!has_kind(runs, n_runs, "answers")) return;
    int multi = n_runs > 1;
    const cJSON *n;
    put(p, multi ? "<h2>Reading</h2><table><tr><th>run</th><th>node</th>" : "<h2>Reading</h2><table><tr><th>node</th>");
    put(p, "<th>type</th><th>mode</th><th>k</th><th>EM@1</th><th>F1@1</th><th>EM@k</th><th>F1@k</th></tr>");
    for (size_t r = 0; r < n_runs; r++)
        cJSON_ArrayForEach(n, nodes_of(&runs[r])) {
            if (strcmp(str(n, "kind"), "answers")) continue;
            table_row_start(p, &runs[r], n, multi);
            const cJSON *m = cJSON_GetObjectItemCaseSensitive(n, "metrics");
            cell_num(p, num(m, "exact_match"));
            cell_num(p, num(m, "f1"));
            cell_num(p, num(m, "exact_match_top_k"));
            cell_num(p, num(m, "f1_top_k"));
            put(p, "</tr>");
        }
    put(p, "</table><div class=\"charts\">");
    curve c[32];
    for (int i = 0; i < QA_N_ANSWER_METRICS; i++) {
        const char *metric = qa_answer_metric_names[i];
        size_t nc = 0, nr = 0;
        curve ret[32];
        for (size_t r = 0; r < n_runs; r++)
            cJSON_ArrayForEach(n, nodes_of(&runs[r])) {
                if (strcmp(str(n, "kind"), "answers")) continue;
                if (nc < 32) {
                    c[nc].values = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(n, "at_k"), metric);
                    curve_label(&c[nc++], &runs[r], n, 1);
                }
                const cJSON *by_ret = cJSON_GetObjectItemCaseSensitive(n, "at_retriever_k");
                if (by_ret && nr < 32) {
                    ret[nr].values = cJSON_GetObjectItemCaseSensitive(by_ret, metric);
                    curve_label(&ret[nr++], &runs[r], n, 0);
                }
            }
        char title[128];
        snprintf(title, sizeof title, "%s of the best of the top k answers", i ? "F1" : "exact match");
        chart(p, title, "k (answers)", c, nc);
        snprintf(title, sizeof title, "%s of the top answer from the first k documents", i ? "F1" : "exact match");
        chart(p, title, "k (documents read)", ret, nr);
    }
    put(p, "</div>");
}

static void training(page *p, const train_log *logs, size_t n_logs) {
    if (!n_logs) return;
    put(p, "<h2>Training</h2>");
    for (size_t i = 0; i < n_logs; i++) {
        const train_log *log = &logs[i];
        put(p, "<h3>");
        text(p, log->path);
        put(p, "</h3><div class=\"charts\">");
        for (size_t s = 0; s < log->n && !p->err; s++) {
            const train_series *ts = &log->series[s];
            svg_series one = {ts->name, ts->step, ts->value, ts->n};
            svg_chart_opts o;
            svg_chart_opts_default(&o);
            const char *title = !strcmp(ts->name, "loss") ? "training loss"
                              : !strcmp(ts->name, "lr") ? "learning rate"
                              : !strcmp(ts->name, "grad_norm") ? "gradient norm (before clipping)" : ts->name;
            o.title = title;
            o.x_label = "step";
            o.y_label = ts->name;
            o.x_integer = 1;
            if (svg_chart_line(p->sb, &o, &one, 1)) p->err = NEEDLE_ENOMEM;
        }
        put(p, "</div>");
    }
}

/* A run's worst questions, folded (the last run's open). */
static void worst(page *p, const pipeline_report_run *run, int open) {
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(run->result, "worst");
    if (!cJSON_GetArraySize(list)) return;
    const cJSON *w = cJSON_GetArrayItem(list, 0);
    put(p, open ? "<details open=\"open\"><summary>" : "<details><summary>");
    if (run->label) {
        text(p, run->label);
        put(p, ": ");
    }
    put(p, "lowest ");
    text(p, str(w, "metric"));
    put(p, " at ");
    text(p, str(w, "node"));
    put(p, " (integrated)</summary><ol>");
    cJSON_ArrayForEach(w, list) {
        put(p, "<li class=\"q\"><p><b>");
        text(p, str(w, "question"));
        put(p, "</b> <span class=\"meta\">[");
        text(p, str(w, "id"));
        putf(p, "] %s %.3f</span></p><p>gold: ", str(w, "metric"), num(w, "value"));
        const cJSON *g;
        int first = 1;
        cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(w, "gold_answers")) {
            put(p, first ? "“" : "; “");
            text(p, cJSON_GetStringValue(g));
            put(p, "”");
            first = 0;
        }
        put(p, "</p>");
        const cJSON *a, *answers = cJSON_GetObjectItemCaseSensitive(w, "answers");
        if (cJSON_GetArraySize(answers)) {
            put(p, "<p>answers:</p><ol>");
            cJSON_ArrayForEach(a, answers) {
                put(p, "<li>“");
                text(p, str(a, "answer"));
                putf(p, "” <span class=\"meta\">score %.3f, document ", num(a, "score"));
                text(p, str(a, "document_id"));
                put(p, "</span><div class=\"ctx\">");
                text(p, str(a, "context"));
                put(p, "</div></li>");
            }
            put(p, "</ol>");
        }
        put(p, "<p>documents:</p><ol>");
        const cJSON *d;
        cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(w, "documents")) {
            int rel = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d, "relevant"));
            put(p, rel ? "<li><span class=\"relevant\">relevant</span> " : "<li>");
            text(p, str(d, "id"));
            putf(p, " <span class=\"meta\">score %.3f</span><div class=\"ctx\">", num(d, "score"));
            text(p, str(d, "content"));
            put(p, "</div></li>");
        }
        put(p, "</ol></li>");
    }
    put(p, "</ol></details>");
}

static void run_meta(page *p, const pipeline_report_run *run) {
    const cJSON *r = run->result;
    put(p, "<p class=\"meta\">");
    if (run->label) {
        put(p, "<b>");
        text(p, run->label);
        put(p, "</b>: ");
    }
    if (*str(r, "pipeline")) {
        put(p, "pipeline ");
        text(p, str(r, "pipeline"));
        if (*str(r, "pipeline_name")) {
            put(p, " (");
            text(p, str(r, "pipeline_name"));
            put(p, ")");
        }
        put(p, "; ");
    }
    if (*str(r, "labels")) {
        put(p, "labels ");
        text(p, str(r, "labels"));
        put(p, "; ");
    }
    putf(p, "%.0f questions (SQuAD %s); %.1f s, %.2f questions/s.</p>", num(r, "questions"), str(r, "squad_version"),
         num(r, "seconds"), num(r, "questions_per_second"));
}

int pipeline_report_html(const pipeline_report_run *runs, size_t n_runs, const train_log *logs, size_t n_logs, strbuf *out) {
    for (size_t r = 0; r < n_runs; r++)
        if (!cJSON_IsObject(runs[r].result) || !cJSON_IsArray(nodes_of(&runs[r])))
            return error_set(NEEDLE_EFORMAT, "%s: not a pipeline evaluation (no \"nodes\" list)",
                             runs[r].label ? runs[r].label : "result");
    page p = {out, 0};
    put(&p, "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\"><head><meta charset=\"utf-8\"/>"
            "<title>needle: pipeline evaluation</title><style>");
    put(&p, css);
    put(&p, "</style></head><body><h1>Pipeline evaluation</h1>");
    for (size_t r = 0; r < n_runs; r++) run_meta(&p, &runs[r]);
    retrieval(&p, runs, n_runs);
    reading(&p, runs, n_runs);
    training(&p, logs, n_logs);
    int any = 0;
    for (size_t r = 0; r < n_runs; r++) any |= cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(runs[r].result, "worst")) > 0;
    if (any) put(&p, "<h2>Worst questions</h2>");
    for (size_t r = 0; r < n_runs; r++) worst(&p, &runs[r], r + 1 == n_runs);
    put(&p, "</body></html>\n");
    return p.err ? error_set(NEEDLE_ENOMEM, "out of memory writing the HTML report") : 0;
}
