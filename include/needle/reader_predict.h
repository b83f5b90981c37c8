/* reader_predict.h — running a reader over the windows of a SQuAD-format dataset: batched
 * forward passes in evaluation mode (the model's own threads on all cores), the logits of every
 * window, each question's windows decoded into ranked answers (span_decode.h, Hugging Face
 * run_qa's post-processing), and the outputs users need: the official prediction file
 * {id: text}, the v2 null-odds file, the top-k answers of each question with score,
 * probability, the context around the answer and character offsets in the document, and the
 * evaluation of all of it (the official EM/F1, Haystack's top-n accuracy, the dev loss). */
#ifndef NEEDLE_READER_PREDICT_H
#define NEEDLE_READER_PREDICT_H

#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "needle/model.h"
#include "needle/reader.h"
#include "needle/span_decode.h"
#include "needle/squad.h"
#include "needle/squad_eval.h"
#include "needle/strbuf.h"

/* Windows to predict on: the model inputs, plus what maps tokens back to the text. */
typedef struct {
    reader_windows w;          /* start/end labels may be NULL (then no dev loss) */
    const int32_t *offsets;    /* n × L × 2: [start, end) in code points of the context; -1 outside it */
    const int32_t *question;   /* n: index into the dataset's questions; one question's windows are
                                * contiguous, questions ascending */
} reader_pred_windows;

typedef struct {
    int batch_size;            /* windows per forward pass (capped by the model's allocation) */
    span_decode_opts decode;
    int top_k;                 /* answers reported per question (details, top-n accuracy) */
    int context_chars;         /* characters of context around an answer (Haystack's context_window_size) */
} reader_predict_opts;

/* HF run_qa's defaults: batch 32, n-best 20, max answer 30 tokens, null threshold 0; top 5
 * answers with 150 characters of context. version_2 is set from the dataset by callers. */
reader_predict_opts reader_predict_defaults(void);

typedef struct {
    span_result *q;            /* one per dataset question; n == 0 for a question without windows */
    size_t n;
    int version_2;             /* decoded with no-answer (the null fields of span_result are set) */
    int has_loss;
    double loss;               /* mean span loss over the windows (when labels were given) */
} reader_predictions;

/* The logits of every window of w, batch windows per evaluation-mode forward pass, into
 * lg[n][2][L] (each window's start row, then its end row); with `loss` (may be NULL) the mean
 * span loss over the windows when w has labels (else 0). `what` names the pass in the progress
 * display. The model must be allocated (any mode) for batch x L. */
int reader_logits(model *m, const reader_windows *w, int batch, const char *what, float *lg, double *loss);
/* Predict. The model must have buffers for windows of L tokens (model_alloc, either mode). */
int reader_predict(model *m, const reader_pred_windows *w, const squad_dataset *ds, const reader_predict_opts *o,
                   reader_predictions *out);
void reader_predictions_free(reader_predictions *p);

/* The text of an answer (UTF-8, appended to out): the context span, "" for no answer, "empty"
 * for HF's placeholder. */
int reader_answer_text(const squad_dataset *ds, size_t question, const span_answer *a, strbuf *out);
/* The official files' contents: {id: predicted text} and, for v2, {id: score_diff}. Questions
 * without windows are left out. na may be NULL. */
int reader_predictions_official(const reader_predictions *p, const squad_dataset *ds, squad_predictions *preds,
                                squad_na_probs *na);
/* The top-k answers of every question as a JSON array of {"id", "question", "prediction",
 * "answers": [{"answer", "score", "probability", "start_logit", "end_logit", "offsets_in_document"
 * [start, end], "context", "offsets_in_context" [start, end]}], "paragraph"} — offsets in code points
 * (Haystack's context window: context_chars centred on the answer, shifted inside the
 * document at its ends); a no-answer candidate has answer "" and no offsets. */
int reader_predictions_details(const reader_predictions *p, const squad_dataset *ds, int top_k, int context_chars,
                               strbuf *out);

/* The context shown with an answer [start, end) of a text of `len` code points: FARM's
 * QACandidate._create_context_window, context_chars centred on the answer's middle, moved back
 * inside [0, len) at the ends; [*c0, *c1) in code points. */
void reader_context_window(size_t len, int start, int end, int context_chars, size_t *c0, size_t *c1);

/* Evaluation of a reader on a dev set (what the trainer calls, and `needle reader eval`).
 * opt.decode.version_2 chooses the rules: no-answer decoding and the v2.0 script. */
struct reader_eval {
    reader_pred_windows w;
    const squad_dataset *ds;
    reader_predict_opts opt;
};
/* Predict and score: the official script's keys for the dataset's version (v1.1 exact_match,
 * f1; v2.0 exact, f1, total, HasAns_*, NoAns_*, and best_* from the null odds), plus
 * "top_n_accuracy" (Haystack/FARM: any of the top_k answers overlaps a gold, F1 > 0),
 * "top_n_em" (any of them matches exactly), "top_n" and "loss" when labels are given. */
int reader_eval_run(reader_eval *e, model *m, cJSON **metrics);
/* The same scores for predictions already made (p from reader_predict over e->w). The rules
 * follow p->version_2 (set from e->opt.decode.version_2). */
int reader_eval_score(const reader_eval *e, const reader_predictions *p, cJSON **metrics);

#endif
