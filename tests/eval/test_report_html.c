/* test_report_html.c — the reports of a pipeline evaluation, rendered from a hand-written
 * result: the HTML page is parsed by expat (an independent XML parser: the page must be
 * well-formed, so every element is closed and all text escaped) and its structure counted
 * (one chart per document node, one for the answers at top-k, one for the answers against the
 * retriever's k, one per training series); the training-loss polyline maps back to the log's
 * (step, loss) points through svg_chart.h's geometry; the trainer log fixture reads as its
 * lines say; the text report holds the tables' numbers. */
#include "../test.h"
#include "needle/json.h"
#include "needle/pipeline_report.h"
#include "needle/svg_chart.h"

#include <expat.h>
#include <stdlib.h>

static const char *const result_text =
    "{\"pipeline\": \"p.yaml\", \"labels\": \"dev & test.json\", \"questions\": 3, \"squad_version\": \"1.1\","
    " \"seconds\": 1.5, \"questions_per_second\": 2,"
    " \"nodes\": ["
    "  {\"node\": \"Retriever\", \"type\": \"BM25Retriever\", \"mode\": \"integrated\", \"kind\": \"documents\", \"k\": 3,"
    "   \"metrics\": {\"recall_single_hit\": 0.75, \"recall_multi_hit\": 0.5, \"precision\": 0.25, \"mrr\": 0.5, \"map\": 0.4, \"ndcg\": 0.45},"
    "   \"at_k\": {\"recall_single_hit\": [0.25, 0.5, 0.75], \"recall_multi_hit\": [0.25, 0.5, 0.5], \"precision\": [0.25, 0.25, 0.25],"
    "              \"mrr\": [0.25, 0.5, 0.5], \"map\": [0.2, 0.3, 0.4], \"ndcg\": [0.25, 0.4, 0.45]}},"
    "  {\"node\": \"Reader\", \"type\": \"FARMReader\", \"mode\": \"integrated\", \"kind\": \"answers\", \"k\": 2,"
    "   \"metrics\": {\"exact_match\": 0.5, \"f1\": 0.625, \"exact_match_top_k\": 0.75, \"f1_top_k\": 0.8},"
    "   \"at_k\": {\"exact_match\": [0.5, 0.75], \"f1\": [0.625, 0.8]},"
    "   \"at_retriever_k\": {\"exact_match\": [0.25, 0.5, 0.5], \"f1\": [0.3, 0.6, 0.625]}},"
    "  {\"node\": \"Reader\", \"type\": \"FARMReader\", \"mode\": \"isolated\", \"kind\": \"answers\", \"k\": 2,"
    "   \"metrics\": {\"exact_match\": 0.75, \"f1\": 0.9, \"exact_match_top_k\": 1, \"f1_top_k\": 1},"
    "   \"at_k\": {\"exact_match\": [0.75, 1], \"f1\": [0.9, 1]}}],"
    " \"worst\": [{\"id\": \"7\", \"question\": \"Is 1 < 2 & \\\"3 > 2\\\"? \xc3\xa9t\xc3\xa9\", \"gold_answers\": [\"yes <b>\"],"
    "   \"gold_document_ids\": [\"d1\"], \"node\": \"Reader\", \"metric\": \"f1_top_k\", \"value\": 0,"
    "   \"answers\": [{\"answer\": \"no\", \"score\": 0.5, \"document_id\": \"d2\", \"context\": \"no & never\"}],"
    "   \"documents\": [{\"id\": \"d2\", \"score\": 0.9, \"relevant\": false, \"content\": \"no & never\"},"
    "                 {\"id\": \"d1\", \"score\": 0.8, \"relevant\": true, \"content\": \"yes <b>\"}]}]}";

typedef struct {
    int svg, polyline, table, li, depth, max_depth;
} counts;

static void on_start(void *ud, const XML_Char *name, const XML_Char **attrs) {
    counts *c = ud;
    (void)attrs;
    if (!strcmp(name, "http://www.w3.org/2000/svg|svg")) c->svg++;
    if (!strcmp(name, "http://www.w3.org/2000/svg|polyline")) c->polyline++;
    if (!strcmp(name, "http://www.w3.org/1999/xhtml|table")) c->table++;
    if (!strcmp(name, "http://www.w3.org/1999/xhtml|li")) c->li++;
    if (++c->depth > c->max_depth) c->max_depth = c->depth;
}

static void on_end(void *ud, const XML_Char *name) {
    (void)name;
    ((counts *)ud)->depth--;
}

TEST(train_log_reads_steps_and_evaluations) {
    train_log log;
    CHECK_OK(train_log_read(FIXTURES "/pipeline/train_log.jsonl", &log));
    CHECK_INT(log.skipped, 1);
    CHECK_INT(log.n, 6);
    const train_series *loss = train_log_series(&log, "loss"), *f1 = train_log_series(&log, "eval.f1");
    CHECK(loss && loss->n == 4 && loss->step[3] == 4 && loss->value[2] == 1.25);
    CHECK(f1 && f1->n == 2 && f1->step[0] == 2 && f1->value[1] == 62.5);
    CHECK(train_log_series(&log, "eval.loss") && train_log_series(&log, "lr") && train_log_series(&log, "grad_norm"));
    train_log_free(&log);
    char path[600];
    snprintf(path, sizeof path, "%s/empty.jsonl", test_tmpdir());
    FILE *f = fopen(path, "w");
    fputs("{\"no\": \"steps\"}\n", f);
    fclose(f);
    CHECK_ERR(train_log_read(path, &log), NEEDLE_EFORMAT, "no training steps");
    f = fopen(path, "w");
    fputs("{\"step\": 1, \"loss\": 2}\n{\"step\": 2, \"lo", f);
    fclose(f);
    CHECK_ERR(train_log_read(path, &log), NEEDLE_EFORMAT, "empty.jsonl:2");
}

TEST(report_html_is_well_formed_with_its_charts) {
    cJSON *r = NULL;
    CHECK_OK(json_parse(result_text, strlen(result_text), "result", &r));
    train_log log;
    CHECK_OK(train_log_read(FIXTURES "/pipeline/train_log.jsonl", &log));
    strbuf sb;
    strbuf_init(&sb);
    pipeline_report_run run = {NULL, r};
    CHECK_OK(pipeline_report_html(&run, 1, &log, 1, &sb));
    XML_Parser xp = XML_ParserCreateNS("UTF-8", '|');
    counts c = {0};
    XML_SetUserData(xp, &c);
    XML_SetElementHandler(xp, on_start, on_end);
    int ok = XML_Parse(xp, sb.data, (int)sb.len, 1) == XML_STATUS_OK;
    if (!ok)
        test_fail(__FILE__, __LINE__, "expat: %s at line %lu", XML_ErrorString(XML_GetErrorCode(xp)),
                  (unsigned long)XML_GetCurrentLineNumber(xp));
    XML_ParserFree(xp);
    /* charts: retrieval 1 (six metrics); EM and F1 each at top-k (integrated, isolated) and against
     * the retriever's k (integrated); one per training series (6) */
    CHECK_INT(c.svg, 1 + 4 + 6);
    CHECK_INT(c.polyline, 6 + (2 + 1) * 2 + 6);
    CHECK_INT(c.table, 2);
    CHECK_INT(c.li, 1 + 1 + 2); /* one worst question, its answer, its two documents */
    CHECK_INT(c.depth, 0);
    CHECK(strstr(sb.data, "Is 1 &lt; 2 &amp; &quot;3 &gt; 2&quot;? \xc3\xa9t\xc3\xa9") != NULL);
    CHECK(strstr(sb.data, "dev &amp; test.json") != NULL);
    CHECK(strstr(sb.data, "<td class=\"n\">0.6250</td>") != NULL);
    /* the loss polyline: x range [1, 4], y range [1.0, 2.5] from the data */
    const double step[] = {1, 2, 3, 4}, loss[] = {2.5, 2.0, 1.25, 1.0};
    const char *p = strstr(sb.data, "data-series=\"loss\"");
    CHECK(p != NULL);
    if (p && (p = strstr(p, "points=\""))) {
        p += 8;
        for (int i = 0; i < 4; i++) {
            char *end;
            double x = strtod(p, &end), y = strtod(end + 1, &end);
            CHECK_NEAR(x, SVG_LEFT + (step[i] - 1) / 3 * (SVG_RIGHT - SVG_LEFT), 0.005);
            CHECK_NEAR(y, SVG_BOTTOM - (loss[i] - 1.0) / 1.5 * (SVG_BOTTOM - SVG_TOP), 0.005);
            p = end + 1;
        }
    }
    strbuf_free(&sb);

    strbuf_init(&sb);
    CHECK_OK(pipeline_report_text(&run, 1, &sb));
    CHECK(strstr(sb.data, "3 questions (SQuAD 1.1)") != NULL);
    CHECK(strstr(sb.data, "Retriever (BM25Retriever)") != NULL);
    CHECK(strstr(sb.data, "   0.5000   0.6250   0.7500   0.8000\n") != NULL);
    CHECK(strstr(sb.data, "Worst questions (lowest f1_top_k at Reader)") != NULL);
    strbuf_free(&sb);

    cJSON *bad = cJSON_CreateObject();
    strbuf_init(&sb);
    pipeline_report_run bad_run = {"broken", bad};
    CHECK_ERR(pipeline_report_html(&bad_run, 1, NULL, 0, &sb), NEEDLE_EFORMAT, "broken: not a pipeline evaluation");
    strbuf_free(&sb);
    cJSON_Delete(bad);
    train_log_free(&log);
    cJSON_Delete(r);
}

/* Two runs side by side: one chart per metric, a curve per run, the table with a run column. */
TEST(report_html_compares_runs) {
    cJSON *a = NULL, *b = NULL;
    CHECK_OK(json_parse(result_text, strlen(result_text), "a", &a));
    CHECK_OK(json_parse(result_text, strlen(result_text), "b", &b));
    if (!a || !b) return;
    /* run b's retriever is better at k = 1 */
    cJSON *rs = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(b, "nodes"), 0), "at_k"),
                                    "recall_single_hit");
    cJSON_ReplaceItemInArray(rs, 0, cJSON_CreateNumber(0.5));
    pipeline_report_run runs[2] = {{"BM25", a}, {"tuned", b}};
    strbuf sb;
    strbuf_init(&sb);
    CHECK_OK(pipeline_report_html(runs, 2, NULL, 0, &sb));
    XML_Parser xp = XML_ParserCreateNS("UTF-8", '|');
    counts c = {0};
    XML_SetUserData(xp, &c);
    XML_SetElementHandler(xp, on_start, on_end);
    CHECK(XML_Parse(xp, sb.data, (int)sb.len, 1) == XML_STATUS_OK);
    XML_ParserFree(xp);
    CHECK_INT(c.svg, 6 + 4);
    CHECK_INT(c.polyline, 6 * 2 + (4 + 2) * 2);
    CHECK(strstr(sb.data, "<td>tuned</td><td>Retriever</td>") != NULL);
    /* the recall chart: run b's first point at recall 0.5 */
    const char *chart = strstr(sb.data, "<title>recall_single_hit at k</title>");
    const char *poly = chart ? strstr(chart, "data-series=\"tuned: Retriever\"") : NULL;
    CHECK(poly != NULL);
    if (poly && (poly = strstr(poly, "points=\""))) {
        char *end;
        double x = strtod(poly + 8, &end), y = strtod(end + 1, &end);
        CHECK_NEAR(x, SVG_LEFT, 0.005);
        CHECK_NEAR(y, SVG_BOTTOM - 0.5 * (SVG_BOTTOM - SVG_TOP), 0.005);
    }
    strbuf_clear(&sb);
    CHECK_OK(pipeline_report_text(runs, 2, &sb));
    CHECK(strstr(sb.data, "tuned: Retriever (BM25Retriever)") != NULL);
    CHECK(strstr(sb.data, "Worst questions [BM25]") != NULL);
    strbuf_free(&sb);
    cJSON_Delete(a);
    cJSON_Delete(b);
}
