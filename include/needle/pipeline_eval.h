/* pipeline_eval.h — evaluating a pipeline on SQuAD-format labels, as Haystack 1.x's
 * Pipeline.eval + EvaluationResult.calculate_metrics do, with every metric computed at each
 * cut-off k from one run (qa_metrics.h), and the result as one JSON object that the text and
 * HTML reports are rendered from (pipeline_report.h).
 *
 * Labels. Each question of the SQuAD file is asked. Its labels are the store's gold labels for
 * that question (those `needle index` made from the same SQuAD file: meta squad_id = the
 * question id; each names the passage holding one answer), else the file's answers with no
 * document id (then only answer matching finds relevant documents). An impossible question
 * (v2.0) has a no-answer label.
 *
 * Modes. integrated: the pipeline runs as deployed, each node on its predecessors' output;
 * every document node (retriever, join) gets Haystack's document metrics and every answer node
 * (reader, Docs2Answers) EM/F1 at top-1 and top-k, plus top-1 EM/F1 when only the answers
 * read from the first k documents count (Haystack's simulated_top_k_retriever). isolated: each
 * answer node reads the gold documents (the labels' passages from the store, else the SQuAD
 * paragraph) — its quality with a perfect retriever.
 *
 * The JSON (metrics in 0..1):
 *  {"label", "pipeline", "pipeline_name", "labels", "questions", "squad_version", "top_k_retriever",
 *   "top_k_reader", "modes": [...], "seconds", "questions_per_second",
 *   "nodes": [{"node", "type", "mode", "kind": "documents"|"answers", "k",
 *              "metrics": {name: value at k} (answers: exact_match, f1 at top-1 and
 *                         exact_match_top_k, f1_top_k),
 *              "at_k": {name: [value at 1, ..., value at k]},
 *              "at_retriever_k": {"node", "exact_match": [...], "f1": [...]} (integrated answers)}],
 *   "worst": [{"id", "question", "gold_answers", "gold_document_ids", "node", "metric", "value",
 *              "answers": [{"answer", "score", "document_id", "context"}],
 *              "documents": [{"id", "score", "relevant", "content"}]}]} */
#ifndef NEEDLE_PIPELINE_EVAL_H
#define NEEDLE_PIPELINE_EVAL_H

#include <cJSON.h>
#include <stddef.h>

#include "needle/pipeline.h"
#include "needle/squad.h"

typedef struct {
    int top_k_retriever;      /* top_k of every document node (0: the nodes' own) */
    int top_k_reader;         /* top_k of every answer node that takes one (0: its own) */
    int integrated, isolated; /* which modes to run (at least one) */
    int n_worst;              /* worst questions reported (5) */
    size_t limit;             /* only the first `limit` questions (0: all) */
    const char *pipeline_path, *pipeline_name, *labels_path; /* echoed in the JSON (may be NULL) */
    const char *label;        /* the run's name in reports ("BM25", "fine-tuned reader"; may be NULL) */
} pipeline_eval_opts;

void pipeline_eval_opts_default(pipeline_eval_opts *o);

/* Evaluate `p` on the questions of `ds`, with progress on stderr. *result is a new object. */
int pipeline_eval(pipeline *p, const squad_dataset *ds, const pipeline_eval_opts *o, cJSON **result);

#endif
