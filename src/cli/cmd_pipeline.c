/* cmd_pipeline.c — `needle eval pipeline`: a pipeline file evaluated on SQuAD-format labels
 * (pipeline_eval.h), reported as JSON, plain text and a self-contained HTML page
 * (pipeline_report.h) with the training curves of any trainer logs given; and `needle eval
 * report`: saved results of several runs rendered side by side (BM25 against a dense
 * retriever, a reader before and after fine-tuning). */
#include "cli.h"
#include "needle/error.h"
#include "needle/file.h"
#include "needle/json.h"
#include "needle/pipeline_eval.h"
#include "needle/pipeline_report.h"
#include "needle/squad.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int write_out(const char *path, const strbuf *sb) {
    return path ? file_write_atomic(path, sb->data ? sb->data : "", sb->len) : 0;
}

/* Trainer logs, all read before any long work so that a bad one fails at once. */
static int read_logs(const cli_strings *logs, train_log **out, size_t *n) {
    *n = 0;
    *out = calloc((size_t)logs->n + 1, sizeof **out);
    if (!*out) return error_set(NEEDLE_ENOMEM, "out of memory");
    for (int i = 0; i < logs->n; i++) {
        int rc = train_log_read(logs->v[i], &(*out)[*n]);
        if (rc) return rc;
        (*n)++;
    }
    return 0;
}

static void free_logs(train_log *tl, size_t n) {
    for (size_t i = 0; i < n; i++) train_log_free(&tl[i]);
    free(tl);
}

int cmd_eval_pipeline(int argc, char **argv) {
    const char *file = NULL, *name = NULL, *labels = NULL, *mode = "both", *format = "json";
    const char *out_json = NULL, *out_text = NULL, *out_html = NULL, *label = NULL;
    int top_k_ret = 0, top_k_reader = 0, n_worst = 5, limit = 0;
    cli_strings logs = {{0}, 0};
    const cli_opt opts[] = {
        {"pipeline", OPT_STRING, &file, "the pipeline file (docs/pipeline.md)", 1},
        {"pipeline-name", OPT_STRING, &name, "which pipeline of the file (default: the only one, or 'query')", 0},
        {"labels", OPT_STRING, &labels, "SQuAD-format questions and answers (v1.1 or v2.0)", 1},
        {"top-k-retriever", OPT_INT, &top_k_ret, "top_k of every retriever and join (0: the file's)", 0},
        {"top-k-reader", OPT_INT, &top_k_reader, "top_k of every reader (0: the file's)", 0},
        {"mode", OPT_STRING, &mode, "integrated (as deployed), isolated (readers on the gold passages) or both", 0},
        {"log", OPT_STRINGS, &logs, "a trainer's JSON-lines log whose curves go into the HTML report (may be repeated)", 0},
        {"out-json", OPT_STRING, &out_json, "write the result as JSON to this file", 0},
        {"out-text", OPT_STRING, &out_text, "write the text report to this file", 0},
        {"out-html", OPT_STRING, &out_html, "write the HTML report (one offline page with charts) to this file", 0},
        {"format", OPT_STRING, &format, "what to print: json or text", 0},
        {"label", OPT_STRING, &label, "a name for this run in reports (e.g. \"BM25\"; needle eval report compares runs)", 0},
        {"worst", OPT_INT, &n_worst, "worst questions reported", 0},
        {"limit", OPT_INT, &limit, "evaluate only the first N questions (0: all)", 0},
        {NULL, 0, NULL, NULL, 0},
    };
    const cli_spec spec = {
        "needle eval pipeline --pipeline FILE --labels SQUAD.json [--top-k-retriever N] [--top-k-reader N] "
        "[--mode integrated|isolated|both] [--log TRAINLOG.jsonl ...] [--out-json F] [--out-text F] [--out-html F]",
        "Ask the pipeline every question of the labels and score it as Haystack 1.x does: for each retriever and join,\n"
        "recall (single and multi hit), precision, MRR, MAP and nDCG, a document counting as relevant when its id is a\n"
        "gold passage's or it contains a gold answer; for each reader, the official SQuAD EM and F1 of the top answer and\n"
        "of the best of the top k, in integrated mode and, with --mode isolated or both, on the gold passages. Every\n"
        "metric is also given at each cut-off k = 1..K, and the worst questions with their answers and documents.\n"
        "Index the labels' SQuAD file into the pipeline's store first (needle index) so that gold passages are known.",
        opts, 0, 0};
    char *pos[1];
    int npos, rc = cli_parse(&spec, argc, argv, pos, &npos);
    if (rc) return cli_parse_exit(rc);
    pipeline_eval_opts o;
    pipeline_eval_opts_default(&o);
    o.integrated = !strcmp(mode, "integrated") || !strcmp(mode, "both");
    o.isolated = !strcmp(mode, "isolated") || !strcmp(mode, "both");
    if (!o.integrated && !o.isolated) {
        fprintf(stderr, "needle: error: --mode is integrated, isolated or both\n");
        return 2;
    }
    if (strcmp(format, "json") && strcmp(format, "text")) {
        fprintf(stderr, "needle: error: --format is json or text\n");
        return 2;
    }
    if (top_k_ret < 0 || top_k_ret > 1000 || top_k_reader < 0 || top_k_reader > 1000 || n_worst < 0 || limit < 0) {
        fprintf(stderr, "needle: error: --top-k-retriever and --top-k-reader are in 0..1000; --worst and --limit are >= 0\n");
        return 2;
    }
    o.top_k_retriever = top_k_ret;
    o.top_k_reader = top_k_reader;
    o.n_worst = n_worst;
    o.limit = (size_t)limit;
    o.pipeline_path = file;
    o.pipeline_name = name;
    o.labels_path = labels;
    o.label = label;

    squad_dataset ds;
    squad_load_opts lo = {SQUAD_OFFSETS_KEEP, 0};
    train_log *tl = NULL;
    size_t n_tl = 0;
    pipeline *p = NULL;
    cJSON *result = NULL;
    strbuf js, tx, ht;
    strbuf_init(&js);
    strbuf_init(&tx);
    strbuf_init(&ht);
    squad_dataset_init(&ds);
    rc = read_logs(&logs, &tl, &n_tl);
    if (!rc) rc = squad_load(labels, &lo, &ds);
    if (!rc) rc = pipeline_open_file(&p, file, name);
    if (!rc) rc = pipeline_eval(p, &ds, &o, &result);
    if (!rc) {
        char *text = cJSON_Print(result);
        rc = text && !strbuf_puts(&js, text) && !strbuf_putc(&js, '\n') ? 0 : error_set(NEEDLE_ENOMEM, "out of memory");
        free(text);
    }
    pipeline_report_run run = {label, result};
    if (!rc) rc = pipeline_report_text(&run, 1, &tx);
    if (!rc && out_html) rc = pipeline_report_html(&run, 1, tl, n_tl, &ht);
    if (!rc) rc = write_out(out_json, &js);
    if (!rc) rc = write_out(out_text, &tx);
    if (!rc && out_html) rc = write_out(out_html, &ht);
    if (!rc) printf("%s", !strcmp(format, "json") ? js.data : tx.data);
    strbuf_free(&js);
    strbuf_free(&tx);
    strbuf_free(&ht);
    cJSON_Delete(result);
    pipeline_close(p);
    squad_dataset_free(&ds);
    free_logs(tl, n_tl);
    return rc ? cli_fail() : 0;
}

int cmd_eval_report(int argc, char **argv) {
    const char *out_text = NULL, *out_html = NULL;
    cli_strings results = {{0}, 0}, logs = {{0}, 0};
    const cli_opt opts[] = {
        {"result", OPT_STRINGS, &results, "a result of needle eval pipeline --out-json (may be repeated: the runs compared)", 1},
        {"log", OPT_STRINGS, &logs, "a trainer's JSON-lines log whose curves go into the HTML report (may be repeated)", 0},
        {"out-text", OPT_STRING, &out_text, "write the text report to this file", 0},
        {"out-html", OPT_STRING, &out_html, "write the HTML report (one offline page with charts) to this file", 0},
        {NULL, 0, NULL, NULL, 0},
    };
    const cli_spec spec = {"needle eval report --result FILE [--result FILE ...] [--log TRAINLOG.jsonl ...] [--out-html F]",
                           "Render saved pipeline evaluations side by side: one table row per run, node and mode, each\n"
                           "metric's chart comparing the runs, the trainer logs' curves, each run's worst questions. A run\n"
                           "is named by its --label (needle eval pipeline --label), else by its file. Prints the text report.",
                           opts, 0, 0};
    char *pos[1];
    int npos, rc = cli_parse(&spec, argc, argv, pos, &npos);
    if (rc) return cli_parse_exit(rc);
    cJSON *docs[CLI_MAX_REPEAT] = {0};
    pipeline_report_run runs[CLI_MAX_REPEAT];
    train_log *tl = NULL;
    size_t n_tl = 0;
    strbuf tx, ht;
    strbuf_init(&tx);
    strbuf_init(&ht);
    for (int i = 0; i < results.n && !rc; i++) {
        rc = json_load_file(results.v[i], &docs[i]);
        const char *label = rc ? NULL : cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(docs[i], "label"));
        runs[i] = (pipeline_report_run){label ? label : results.v[i], docs[i]};
    }
    if (!rc) rc = read_logs(&logs, &tl, &n_tl);
    if (!rc) rc = pipeline_report_text(runs, (size_t)results.n, &tx);
    if (!rc && out_html) rc = pipeline_report_html(runs, (size_t)results.n, tl, n_tl, &ht);
    if (!rc) rc = write_out(out_text, &tx);
    if (!rc && out_html) rc = write_out(out_html, &ht);
    if (!rc) printf("%s", tx.data);
    strbuf_free(&tx);
    strbuf_free(&ht);
    free_logs(tl, n_tl);
    for (int i = 0; i < results.n; i++) cJSON_Delete(docs[i]);
    return rc ? cli_fail() : 0;
}
