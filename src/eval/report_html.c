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

/* A chart of the arrays at_k[name] for the given names, against k = 1.. . */
static void chart_curves(page *p, const char *title, const char *x_label, const cJSON *const *objs,
                         const char *const *labels, const char *const *names, size_t n) {
    svg_series s[16];
    double *mem[16] = {0};
    size_t ns = 0;
    for (size_t i = 0; i < n && ns < 16; i++) {
        const cJSON *a = objs[i] ? cJSON_GetObjectItemCaseSensitive(objs[i], names[i]) : NULL;
        int len = cJSON_GetArraySize(a);
        if (!cJSON_IsArray(a) || len <= 0) continue;
        double *xy = malloc(2 * (size_t)len * sizeof *xy);
        if (!xy) {
            p->err = NEEDLE_ENOMEM;
            break;
        }
        for (int k = 0; k < len; k++) {
            const cJSON *v = cJSON_GetArrayItem(a, k);
            xy[k] = k + 1;
            xy[len + k] = cJSON_IsNumber(v) ? v->valuedouble : NAN;
        }
        mem[ns] = xy;
        s[ns] = (svg_series){labels[i], xy, xy + len, (size_t)len};
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

static void summary_tables(page *p, const cJSON *nodes) {
    const cJSON *n;
    int docs = 0, answers = 0;
    cJSON_ArrayForEach(n, nodes) {
        if (!strcmp(str(n, "kind"), "documents")) docs = 1;
        else answers = 1;
    }
    if (docs) {
        put(p, "<h2>Retrieval</h2><table><tr><th>node</th><th>type</th><th>mode</th><th>k</th>");
        for (int m = 0; m < QA_N_DOC_METRICS; m++) putf(p, "<th>%s</th>", qa_doc_metric_names[m]);
        put(p, "</tr>");
        cJSON_ArrayForEach(n, nodes) {
            if (strcmp(str(n, "kind"), "documents")) continue;
            put(p, "<tr><td>");
            text(p, str(n, "node"));
            put(p, "</td><td>");
            text(p, str(n, "type"));
            put(p, "</td><td>");
            text(p, str(n, "mode"));
            putf(p, "</td><td class=\"n\">%.0f</td>", num(n, "k"));
            const cJSON *m = cJSON_GetObjectItemCaseSensitive(n, "metrics");
            for (int i = 0; i < QA_N_DOC_METRICS; i++) cell_num(p, num(m, qa_doc_metric_names[i]));
            put(p, "</tr>");
        }
        put(p, "</table><div class=\"charts\">");
        cJSON_ArrayForEach(n, nodes) {
            if (strcmp(str(n, "kind"), "documents")) continue;
            const cJSON *at = cJSON_GetObjectItemCaseSensitive(n, "at_k"), *objs[QA_N_DOC_METRICS];
            for (int i = 0; i < QA_N_DOC_METRICS; i++) objs[i] = at;
            char title[256];
            snprintf(title, sizeof title, "%s (%s, %s): metrics at k", str(n, "node"), str(n, "type"), str(n, "mode"));
            chart_curves(p, title, "k (documents retrieved)", objs, qa_doc_metric_names, qa_doc_metric_names, QA_N_DOC_METRICS);
        }
        put(p, "</div>");
    }
    if (!answers) return;
    put(p, "<h2>Reading</h2><table><tr><th>node</th><th>type</th><th>mode</th><th>k</th><th>EM@1</th><th>F1@1</th>"
           "<th>EM@k</th><th>F1@k</th></tr>");
    cJSON_ArrayForEach(n, nodes) {
        if (strcmp(str(n, "kind"), "answers")) continue;
        put(p, "<tr><td>");
        text(p, str(n, "node"));
        put(p, "</td><td>");
        text(p, str(n, "type"));
        put(p, "</td><td>");
        text(p, str(n, "mode"));
        putf(p, "</td><td class=\"n\">%.0f</td>", num(n, "k"));
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(n, "metrics");
        cell_num(p, num(m, "exact_match"));
        cell_num(p, num(m, "f1"));
        cell_num(p, num(m, "exact_match_top_k"));
        cell_num(p, num(m, "f1_top_k"));
        put(p, "</tr>");
    }
    put(p, "</table><div class=\"charts\">");
    /* one chart per answer node: EM and F1 at top-k, integrated and isolated together */
    const cJSON *a;
    cJSON_ArrayForEach(a, nodes) {
        if (strcmp(str(a, "kind"), "answers")) continue;
        int first = 1;
        const cJSON *b;
        cJSON_ArrayForEach(b, nodes) {
            if (b == a) break;
            if (!strcmp(str(b, "kind"), "answers") && !strcmp(str(b, "node"), str(a, "node"))) first = 0;
        }
        if (!first) continue;
        const cJSON *objs[4];
        const char *labels[4], *names[4];
        char lab[4][64];
        size_t k = 0;
        cJSON_ArrayForEach(b, nodes) {
            if (strcmp(str(b, "kind"), "answers") || strcmp(str(b, "node"), str(a, "node")) || k > 2) continue;
            for (int m = 0; m < QA_N_ANSWER_METRICS; m++, k++) {
                snprintf(lab[k], sizeof lab[k], "%s %s", m ? "F1" : "EM", str(b, "mode"));
                objs[k] = cJSON_GetObjectItemCaseSensitive(b, "at_k");
                labels[k] = lab[k];
                names[k] = qa_answer_metric_names[m];
            }
        }
        char title[256];
        snprintf(title, sizeof title, "%s (%s): best of the top k answers", str(a, "node"), str(a, "type"));
        chart_curves(p, title, "k (answers)", objs, labels, names, k);
        const cJSON *ret = cJSON_GetObjectItemCaseSensitive(a, "at_retriever_k");
        if (ret) {
            const cJSON *ro[2] = {ret, ret};
            const char *rl[2] = {"EM of the top answer", "F1 of the top answer"};
            snprintf(title, sizeof title, "%s: top answer from the first k documents", str(a, "node"));
            chart_curves(p, title, "k (documents read)", ro, rl, qa_answer_metric_names, 2);
        }
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

static void worst(page *p, const cJSON *list) {
    if (!cJSON_GetArraySize(list)) return;
    const cJSON *w = cJSON_GetArrayItem(list, 0);
    put(p, "<h2>Worst questions</h2><p class=\"meta\">Lowest ");
    text(p, str(w, "metric"));
    put(p, " at ");
    text(p, str(w, "node"));
    put(p, " (integrated).</p><ol>");
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
    put(p, "</ol>");
}

int pipeline_report_html(const cJSON *result, const train_log *logs, size_t n_logs, strbuf *out) {
    if (!cJSON_IsObject(result) || !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(result, "nodes")))
        return error_set(NEEDLE_EFORMAT, "not a pipeline evaluation (no \"nodes\" list)");
    page p = {out, 0};
    put(&p, "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\"><head><meta charset=\"utf-8\"/>"
            "<title>needle: pipeline evaluation</title><style>");
    put(&p, css);
    put(&p, "</style></head><body><h1>Pipeline evaluation</h1><p class=\"meta\">");
    if (*str(result, "pipeline")) {
        put(&p, "pipeline ");
        text(&p, str(result, "pipeline"));
        if (*str(result, "pipeline_name")) {
            put(&p, " (");
            text(&p, str(result, "pipeline_name"));
            put(&p, ")");
        }
        put(&p, "; ");
    }
    if (*str(result, "labels")) {
        put(&p, "labels ");
        text(&p, str(result, "labels"));
        put(&p, "; ");
    }
    putf(&p, "%.0f questions (SQuAD %s); %.1f s, %.2f questions/s.</p>", num(result, "questions"),
         str(result, "squad_version"), num(result, "seconds"), num(result, "questions_per_second"));
    summary_tables(&p, cJSON_GetObjectItemCaseSensitive(result, "nodes"));
    training(&p, logs, n_logs);
    worst(&p, cJSON_GetObjectItemCaseSensitive(result, "worst"));
    put(&p, "</body></html>\n");
    return p.err ? error_set(NEEDLE_ENOMEM, "out of memory writing the HTML report") : 0;
}
