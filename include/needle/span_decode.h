/* span_decode.h — from a reader's start/end logits to ranked answer spans, with Hugging Face
 * run_qa's postprocess_qa_predictions semantics (utils_qa.py), so that needle's predictions
 * and scores are the ones the reference pipeline produces from the same logits:
 *
 *   for each window of the question: null score = start[0] + end[0] (the minimum over the
 *   windows is kept, the first window winning ties); the n_best highest start positions and
 *   the n_best highest end positions over ALL positions of the window (question and padding
 *   included); every pair with both tokens inside the context, end >= start and at most
 *   max_answer_len tokens long becomes a candidate scored start + end, covering the characters
 *   [offset(start).start, offset(end).end) of the context;
 *   v2: the minimum null candidate joins; candidates sorted by score (stable: ties keep window,
 *   start-rank, end-rank order), the first n_best kept, the null one appended if it fell out;
 *   when nothing is left but at most a null answer, HF's placeholder "empty" (score 0) is put
 *   first; probabilities = softmax of the kept scores;
 *   the prediction: v1 the best candidate; v2 the best non-null candidate unless
 *   null score − (its start + end logits) > null_threshold, which answers "" (no answer).
 *   score_diff (that difference) is what run_qa writes as the question's null odds. */
#ifndef NEEDLE_SPAN_DECODE_H
#define NEEDLE_SPAN_DECODE_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    SPAN_TEXT = 0,  /* a span of the context */
    SPAN_NULL = 1,  /* no answer (v2): the text is "" */
    SPAN_EMPTY = 2, /* HF's placeholder when no span qualifies: the text is "empty" */
} span_kind;

typedef struct {
    span_kind kind;
    int start, end;             /* [start, end) in code points of the context (SPAN_TEXT) */
    int window;                 /* which of the question's windows (0-based; -1 for SPAN_EMPTY) */
    int start_token, end_token; /* token positions in that window */
    float start_logit, end_logit;
    float score;                /* start_logit + end_logit, in float32 as numpy adds them */
    double probability;         /* softmax over the kept candidates */
} span_answer;

typedef struct {
    int n_best;           /* HF n_best_size (20) */
    int max_answer_len;   /* HF max_answer_length, in tokens (30) */
    int version_2;        /* version_2_with_negative */
    double null_threshold;/* null_score_diff_threshold (0.0) */
} span_decode_opts;

typedef struct {
    span_answer *answers; /* best first; n of them (at most n_best + 1) */
    int n;
    size_t cap;
    int chosen;           /* index of the prediction in answers */
    int no_answer;        /* v2 decided "no answer": the prediction is "" */
    double null_score;    /* v2: the minimum null score */
    double score_diff;    /* v2: null_score - best non-null start - end logit (run_qa's null odds) */
} span_result;

/* One window of a question: its start and end logits [L] and context offsets [L × 2] (code
 * points; start -1 for a token outside the context). */
typedef struct {
    const float *start_logits, *end_logits;
    const int32_t *offsets;
} span_window;

void span_result_init(span_result *r);
void span_result_free(span_result *r);
/* Decode one question's windows (n_windows >= 1, each of L tokens) into r (reset first). */
int span_decode(const span_window *windows, int n_windows, int L, const span_decode_opts *opt, span_result *r);

#endif
