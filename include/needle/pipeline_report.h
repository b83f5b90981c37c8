/* pipeline_report.h — the reports of pipeline evaluations, rendered from their JSON
 * (pipeline_eval.h describes the object), so that saved results can be rendered again later,
 * alone or side by side (BM25 against a dense retriever, a reader before and after
 * fine-tuning): each run has a label, the tables get a row per run, node and mode, and with
 * several runs each metric's chart compares the runs.
 *
 *   text: a summary line, a table of the document metrics and one of the answer metrics per
 *         node and mode, and the worst questions with their answers and documents;
 *   HTML: one self-contained page (inline CSS, inline SVG charts, no script, nothing fetched)
 *         that is also well-formed XML: the tables, each metric against the cut-off k for every
 *         node (svg_chart.h), the reader's top-1 EM/F1 against the retriever's k, the training
 *         curves of the given trainer logs (train_log.h: loss, learning rate, gradient norm,
 *         every evaluation metric, against the step), and the worst questions. */
#ifndef NEEDLE_PIPELINE_REPORT_H
#define NEEDLE_PIPELINE_REPORT_H

#include <cJSON.h>
#include <stddef.h>

#include "needle/strbuf.h"
#include "needle/train_log.h"

typedef struct {
    const char *label;    /* the run's name in tables and legends (NULL: none, for a single run) */
    const cJSON *result;  /* pipeline_eval's JSON */
} pipeline_report_run;

int pipeline_report_text(const pipeline_report_run *runs, size_t n_runs, strbuf *out);
int pipeline_report_html(const pipeline_report_run *runs, size_t n_runs, const train_log *logs, size_t n_logs, strbuf *out);

#endif
